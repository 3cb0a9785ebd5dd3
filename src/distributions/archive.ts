/**
 * Read one small member (the metadata file) out of a distribution archive without buffering the
 * archive: zip through its central directory (zip-directory.ts), tar by streaming through the decompressor
 * and stopping as soon as the member has been read.
 */
import { createReadStream } from "node:fs";
import { basename } from "node:path";
import type { Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { DistributionError } from "../errors.js";
import { versionsEqual } from "./filename.js";
import { normalizeName } from "./names.js";
import type { ParsedFilename } from "./types.js";
import { ZipArchive, type ZipEntry, ZipFormatError } from "./zip-directory.js";

export type ArchiveFormat = ParsedFilename["archive"];

export interface Member {
  name: string;
  data: Buffer;
  /** Things about the archive worth a warning (an sdist's unsafe members). */
  warnings?: string[];
  /** A wheel's top-level `*.dist-info` directories, sorted (read with its METADATA). */
  distInfoDirs?: string[];
}

export interface ReadMemberOptions {
  /** Largest member accepted, uncompressed (metadata files are a few KiB; this stops zip bombs). */
  maxSize?: number;
  /** How to name the file in errors (default: its base name). */
  display?: string;
}

export const MAX_MEMBER_SIZE = 10 * 1024 * 1024;

const FORMAT_NAMES: Record<ArchiveFormat, string> = {
  zip: "zip archive",
  "tar.gz": "gzip-compressed tar archive",
  "tar.bz2": "bzip2-compressed tar archive",
};

function corrupt(display: string, format: ArchiveFormat, cause: unknown): DistributionError {
  const detail = (cause instanceof Error ? cause.message : String(cause)).replace(/\.$/, "");
  return new DistributionError(
    `${display}: not a valid ${FORMAT_NAMES[format]} (${detail}); rebuild the distribution`,
    { cause },
  );
}

function tooLarge(display: string, member: string, maxSize: number): DistributionError {
  return new DistributionError(
    `${display}: ${member} is larger than ${Math.round(maxSize / 1024 / 1024)} MiB uncompressed; ` +
      "this is not a real metadata file, rebuild the distribution",
  );
}

/** Collect a member's bytes, failing once more than `maxSize` bytes arrive. */
async function readCapped(
  stream: Readable,
  maxSize: number,
  onTooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buf = chunk as Buffer;
    total += buf.length;
    if (total > maxSize) {
      stream.destroy();
      throw onTooLarge();
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks, total);
}

/**
 * Run `use` on the opened zip archive (synchronous reads, see zip-directory.ts); format errors
 * name the file, file-system errors pass through. Async so that every failure is a rejection.
 */
async function withZip<T>(path: string, display: string, use: (zip: ZipArchive) => T): Promise<T> {
  let zip: ZipArchive;
  try {
    zip = ZipArchive.open(path);
  } catch (err) {
    throw err instanceof ZipFormatError ? corrupt(display, "zip", err) : err;
  }
  try {
    return use(zip);
  } catch (err) {
    throw err instanceof ZipFormatError ? corrupt(display, "zip", err) : err;
  } finally {
    zip.close();
  }
}

/** A member's bytes, refusing one over `maxSize` before reading it. */
function readZipEntry(zip: ZipArchive, entry: ZipEntry, maxSize: number, display: string): Buffer {
  if (entry.uncompressedSize > maxSize) throw tooLarge(display, entry.name, maxSize);
  return zip.read(entry);
}

/** The first file entry in the central directory matching `predicate`; read only that one. */
function readZipMember(
  path: string,
  predicate: (name: string) => boolean,
  maxSize: number,
  display: string,
): Promise<Member | undefined> {
  return withZip(path, display, (zip) => {
    const entry = zip.entries.find((e) => !e.isDirectory && predicate(e.name));
    if (!entry) return undefined;
    return { name: entry.name, data: readZipEntry(zip, entry, maxSize, display) };
  });
}

/** Stream the archive through the decompressor and tar parser until the member is read. */
async function readTarMember(
  path: string,
  format: "tar.gz" | "tar.bz2",
  predicate: (name: string) => boolean,
  maxSize: number,
  display: string,
): Promise<Member | undefined> {
  // Loaded on first use: a run with only wheels never pays for the tar readers.
  const tarStream = await import("tar-stream");
  // A CommonJS module: bundled, its exports are only on `default`; under Node, on both.
  const tar = ("default" in tarStream ? tarStream.default : tarStream) as typeof tarStream;
  const decompress: Transform =
    format === "tar.gz"
      ? createGunzip()
      : ((await import("unbzip2-stream")).default() as Transform);
  const file = createReadStream(path);
  const extract = tar.extract();
  let fsError: unknown;
  file.on("error", (err) => {
    fsError = err;
    extract.destroy(err);
  });
  decompress.on("error", (err: Error) => extract.destroy(err));
  file.pipe(decompress).pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      // Some tools write `./pkg-1.0/PKG-INFO`; compare without the leading `./`.
      const name = entry.header.name.replace(/^(\.\/)+/, "");
      const isFile = entry.header.type === "file" || entry.header.type === "contiguous-file";
      if (!isFile || !predicate(name)) {
        entry.resume();
        continue;
      }
      if (entry.header.size > maxSize) throw tooLarge(display, name, maxSize);
      const data = await readCapped(entry as unknown as Readable, maxSize, () =>
        tooLarge(display, name, maxSize),
      );
      return { name, data };
    }
    return undefined;
  } catch (err) {
    if (err instanceof DistributionError) throw err;
    if (fsError !== undefined) throw fsError;
    throw corrupt(display, format, err);
  } finally {
    // Stop reading the rest of the archive (also on early return from the loop).
    file.destroy();
    decompress.destroy();
    extract.destroy();
  }
}

/**
 * Read the first member whose name (as stored, `/`-separated) satisfies `predicate`, or undefined
 * when there is none. Rejects members over `maxSize` (default 10 MiB) and corrupt archives with a
 * DistributionError naming the file; file-system errors are passed through.
 */
export async function readMember(
  path: string,
  archive: ArchiveFormat,
  predicate: (name: string) => boolean,
  options: ReadMemberOptions = {},
): Promise<Member | undefined> {
  const maxSize = options.maxSize ?? MAX_MEMBER_SIZE;
  const display = options.display ?? basename(path);
  if (archive === "zip") return readZipMember(path, predicate, maxSize, display);
  return readTarMember(path, archive, predicate, maxSize, display);
}

const TOP_LEVEL_METADATA = /^([^/]+)\.dist-info\/METADATA$/;

/** `{name}-{version}.dist-info/METADATA` naming the same project and version as the file name. */
function isOwnDistInfo(member: string, parsed: ParsedFilename): boolean {
  const stem = TOP_LEVEL_METADATA.exec(member)?.[1];
  const dash = stem?.lastIndexOf("-") ?? -1;
  if (!stem || dash <= 0) return false;
  return (
    normalizeName(stem.slice(0, dash)) === normalizeName(parsed.name) &&
    versionsEqual(stem.slice(dash + 1), parsed.version)
  );
}

const DIST_INFO_MEMBER = /^[^/]+\.dist-info\//;

/** The top-level `*.dist-info` directories among a zip's file entries, sorted. */
function distInfoDirsOf(entries: ZipEntry[]): string[] {
  const dirs = new Set<string>();
  for (const e of entries) {
    if (!e.isDirectory && DIST_INFO_MEMBER.test(e.name))
      dirs.add(e.name.slice(0, e.name.indexOf("/")));
  }
  return [...dirs].sort();
}

/** The top-level `*.dist-info` directories of a wheel (a wheel has exactly one). */
export function wheelDistInfoDirs(path: string, display: string): Promise<string[]> {
  return withZip(path, display, (zip) => distInfoDirsOf(zip.entries));
}

/**
 * A wheel's METADATA (its own `.dist-info`, else the only one at top level) and its `.dist-info`
 * directories, from one opening of the archive (usually one read).
 */
function readWheelMetadata(
  path: string,
  parsed: ParsedFilename,
  maxSize: number,
  display: string,
): Promise<Member | undefined> {
  return withZip(path, display, (zip) => {
    const files = zip.entries.filter((e) => !e.isDirectory);
    let entry = files.find((e) => isOwnDistInfo(e.name, parsed));
    if (!entry) {
      const found = files.filter((e) => TOP_LEVEL_METADATA.test(e.name));
      if (found.length > 1) {
        throw new DistributionError(
          `${display}: several .dist-info directories (${found.map((e) => e.name).join(", ")}) ` +
            `and none named ${parsed.name}-${parsed.version}.dist-info; rebuild the wheel`,
        );
      }
      entry = found[0];
    }
    if (!entry) return undefined;
    const data = readZipEntry(zip, entry, maxSize, display);
    return { name: entry.name, data, distInfoDirs: distInfoDirsOf(zip.entries) };
  });
}

/**
 * Read a distribution's core metadata file: a wheel's `*.dist-info/METADATA` (the one named after
 * the file's project and version, else the only one at top level), an sdist's top-level
 * `{top}/PKG-INFO` (not the nested `*.egg-info/PKG-INFO`), an egg's `EGG-INFO/PKG-INFO`.
 */
export async function readMetadataFile(
  path: string,
  parsed: ParsedFilename,
  options: ReadMemberOptions = {},
): Promise<Member> {
  const display = options.display ?? basename(path);
  const opts = { ...options, display };
  let member: Member | undefined;
  let missing: string;
  if (parsed.kind === "wheel") {
    member = await readWheelMetadata(path, parsed, options.maxSize ?? MAX_MEMBER_SIZE, display);
    missing = `no ${parsed.name}-${parsed.version}.dist-info/METADATA in the wheel; rebuild it (python -m build --wheel)`;
  } else if (parsed.kind === "egg") {
    member = await readMember(path, "zip", (n) => n === "EGG-INFO/PKG-INFO", opts);
    missing = "no EGG-INFO/PKG-INFO in the egg; rebuild it";
  } else if (parsed.archive === "zip") {
    member = await readMember(path, "zip", (n) => /^[^/]+\/PKG-INFO$/.test(n), opts);
    missing =
      "no PKG-INFO in the top-level directory of the sdist; rebuild it (python -m build --sdist)";
  } else {
    member = await readSdistMetadata(
      path,
      parsed.archive,
      options.maxSize ?? MAX_MEMBER_SIZE,
      display,
    );
    missing =
      "no PKG-INFO in the top-level directory of the sdist; rebuild it (python -m build --sdist)";
  }
  if (!member) throw new DistributionError(`${display}: ${missing}`);
  return member;
}

/** A tar sdist's PKG-INFO, read in a scan that also finds members Python would refuse to extract. */
async function readSdistMetadata(
  path: string,
  format: "tar.gz" | "tar.bz2",
  maxSize: number,
  display: string,
): Promise<Member | undefined> {
  const { scanSdistTar } = await import("./sdist-tar.js");
  const scan = await scanSdistTar(path, {
    format,
    maxSize,
    display,
    tooLarge: (member) => tooLarge(display, member, maxSize),
    corrupt: (cause) => corrupt(display, format, cause),
  });
  if (!scan.member) return undefined;
  const warnings = scan.unsafe.map(
    (why) =>
      `${display}: member ${why}; Python's tarfile (data filter) and pip would refuse to extract it; rebuild the sdist`,
  );
  return { ...scan.member, warnings };
}
