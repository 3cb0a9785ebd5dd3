/**
 * The test index server's store: files on disk under `storeDir`, and the projects, releases and
 * registrations they belong to, in memory. Uploads arrive in `<storeDir>/.incoming/` and are
 * renamed into place only when every check passed (`reserve` + `commit`), so a client that has
 * its answer sees a settled store.
 */

import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { createBLAKE2b } from "hash-wasm";
import { guessFromFilename, normalizeName } from "./names.js";
import type { ProjectRecord, ReleaseRecord, SeedOptions, StoredFile } from "./types.js";
import { releaseKey, type StoreLookup } from "./warehouse-rules.js";

export interface FileEntry extends StoredFile {
  /** `committing` while the rename into place runs: downloads wait for `stored`. */
  state: "committing" | "stored";
}

interface ProjectEntry {
  name: string;
  releases: Map<string, ReleaseRecord>;
}

/** What `seed` accepts: the bytes, or only digests (a file listed but not downloadable). */
export type SeedContent =
  | Uint8Array
  | string
  | { sha256: string; blake2_256?: string; size?: number };

export class Store implements StoreLookup {
  storeDir = "";
  private incomingDir = "";
  private ownsStoreDir = false;
  private readonly fileMap = new Map<string, FileEntry>();
  private readonly projectMap = new Map<string, ProjectEntry>();

  /** Uses `storeDir` (created if needed), or a temporary directory removed by `close`. */
  async open(storeDir: string | undefined): Promise<void> {
    if (storeDir) {
      this.storeDir = path.resolve(storeDir);
      await mkdir(this.storeDir, { recursive: true });
    } else {
      this.storeDir = await mkdtemp(path.join(os.tmpdir(), "pkgpush-index-"));
      this.ownsStoreDir = true;
    }
    this.incomingDir = path.join(this.storeDir, ".incoming");
    await mkdir(this.incomingDir, { recursive: true });
  }

  async close(): Promise<void> {
    if (this.ownsStoreDir) await rm(this.storeDir, { recursive: true, force: true });
    else await rm(this.incomingDir, { recursive: true, force: true });
  }

  /** A fresh path for an arriving upload. */
  incomingPath(): string {
    return path.join(this.incomingDir, `${randomUUID()}.part`);
  }

  /** Stored files (not those still being committed). */
  files(): StoredFile[] {
    return [...this.fileMap.values()]
      .filter((f) => f.state === "stored")
      .map(({ state: _state, ...f }) => f);
  }

  projects(): ProjectRecord[] {
    return [...this.projectMap.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([normalizedName, p]) => ({
        name: p.name,
        normalizedName,
        releases: [...p.releases.values()].map((r) => ({
          version: r.version,
          files: [...r.files],
          registrations: r.registrations.map((fields) => [...fields]),
        })),
      }));
  }

  /** Normalised project names, sorted. */
  projectNames(): string[] {
    return [...this.projectMap.keys()].sort();
  }

  /** A project's versions and stored files (by file name), or undefined when unknown. */
  project(normalized: string): { versions: string[]; files: StoredFile[] } | undefined {
    const project = this.projectMap.get(normalized);
    if (!project) return undefined;
    const releases = [...project.releases.values()];
    const files = releases
      .flatMap((r) => r.files)
      .map((f) => this.fileMap.get(f))
      .filter((f): f is FileEntry => f?.state === "stored")
      .sort((a, b) => a.filename.localeCompare(b.filename));
    return { versions: releases.map((r) => r.version), files };
  }

  /** A stored file by name (committing or stored). */
  byName(filename: string): FileEntry | undefined {
    return this.fileMap.get(filename);
  }

  /** A stored, downloadable file by name. */
  downloadable(filename: string): (FileEntry & { path: string }) | undefined {
    const entry = this.fileMap.get(filename);
    if (entry?.state !== "stored" || entry.path === undefined) return undefined;
    return entry as FileEntry & { path: string };
  }

  byBlake2(blake2_256: string): FileEntry | undefined {
    return [...this.fileMap.values()].find(
      (f) => f.blake2_256 !== "" && f.blake2_256 === blake2_256,
    );
  }

  releaseHasSdist(name: string, version: string): boolean {
    const release = this.projectMap.get(normalizeName(name))?.releases.get(releaseKey(version));
    return release?.files.some((f) => this.fileMap.get(f)?.filetype === "sdist") ?? false;
  }

  /** Records a registration (`:action=submit`), creating the project and release. */
  register(name: string, version: string, fields: Array<[string, string]>): void {
    this.release(name, version).registrations.push([...fields]);
  }

  /**
   * Takes the file name for an upload that passed every check. Synchronous on purpose: checks
   * and reservation are atomic with respect to concurrent uploads of the same name.
   */
  reserve(entry: Omit<FileEntry, "state" | "path">): FileEntry {
    const reserved: FileEntry = {
      ...entry,
      state: "committing",
      path: path.join(this.storeDir, entry.filename),
    };
    this.fileMap.set(entry.filename, reserved);
    return reserved;
  }

  /** Moves the reserved upload into place; on failure the name is free again. */
  async commit(entry: FileEntry, tempPath: string): Promise<void> {
    try {
      await rename(tempPath, entry.path ?? "");
    } catch (err) {
      this.fileMap.delete(entry.filename);
      throw err;
    }
    entry.state = "stored";
    this.release(entry.project, entry.version).files.push(entry.filename);
  }

  async seed(
    filename: string,
    content: SeedContent,
    options: SeedOptions = {},
  ): Promise<StoredFile> {
    const guess = guessFromFilename(filename);
    const name = options.name ?? guess?.name;
    const version = options.version ?? guess?.version;
    if (
      name === undefined ||
      version === undefined ||
      filename.includes("/") ||
      filename.startsWith(".")
    ) {
      throw new Error(`seed: cannot tell project and version from ${JSON.stringify(filename)}`);
    }
    const filetype = options.filetype ?? guess?.filetype ?? "sdist";
    let digests: { sha256: string; blake2_256: string; md5: string; size: number };
    let filePath: string | undefined;
    if (typeof content === "string" || content instanceof Uint8Array) {
      const bytes = typeof content === "string" ? Buffer.from(content) : content;
      digests = await digestsOf(bytes);
      filePath = path.join(this.storeDir, filename);
      await writeFile(filePath, bytes);
    } else {
      const { sha256, blake2_256 = "", size = 0 } = content;
      digests = { sha256, blake2_256, md5: "", size };
    }
    const entry: FileEntry = {
      state: "stored",
      filename,
      project: name,
      normalizedName: normalizeName(name),
      version,
      filetype,
      pyversion: options.pyversion ?? (filetype === "sdist" ? "source" : ""),
      ...digests,
      uploadedAt: new Date(),
      fields: [],
      ...(options.requiresPython !== undefined ? { requiresPython: options.requiresPython } : {}),
      ...(filePath !== undefined ? { path: filePath } : {}),
    };
    this.fileMap.set(filename, entry);
    this.release(name, version).files.push(filename);
    const { state: _state, ...stored } = entry;
    return stored;
  }

  /** The release record for a project and version, created on first use. */
  private release(name: string, version: string): ReleaseRecord {
    const key = normalizeName(name);
    let project = this.projectMap.get(key);
    if (!project) {
      project = { name, releases: new Map() };
      this.projectMap.set(key, project);
    }
    const vkey = releaseKey(version);
    let release = project.releases.get(vkey);
    if (!release) {
      release = { version, files: [], registrations: [] };
      project.releases.set(vkey, release);
    }
    return release;
  }
}

async function digestsOf(
  bytes: Uint8Array,
): Promise<{ sha256: string; blake2_256: string; md5: string; size: number }> {
  const blake = await createBLAKE2b(256);
  blake.init();
  blake.update(bytes);
  return {
    sha256: createHash("sha256").update(bytes).digest("hex"),
    blake2_256: blake.digest("hex"),
    md5: createHash("md5").update(bytes).digest("hex"),
    size: bytes.length,
  };
}

/** One digest of a file on disk, streamed. */
export async function hashFile(file: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}
