/**
 * Where every file of a release is (pure): what each server's simple index lists, compared with
 * the local files (their sha256) or, for releases named on the command line, with each other.
 */
import type { SimpleFile } from "../simple/page.js";

/**
 * One file on one server: `same` (listed, the reference sha256), `missing`, `different` (listed
 * with another hash: the dangerous case), `unverified` (listed without a hash to compare),
 * `unreachable` (the server's index gave no answer for the project).
 */
export type FileState = "same" | "missing" | "different" | "unverified" | "unreachable";

/** A release x server cell: `ok` only when every file is there with the reference hash. */
export type CellState = "ok" | "incomplete" | "different" | "unreachable";

export interface StatusCell {
  state: CellState;
  same: number;
  missing: number;
  different: number;
  unverified: number;
  /** Files of the release (the reference set). */
  total: number;
  /** Why the server could not tell (unreachable only). */
  error: string | null;
}

export interface StatusFile {
  filename: string;
  /** The reference: the local file's, or (releases by name) the one most servers hold. */
  sha256: string | null;
  /** Local path (files mode), null for files known only from the indexes. */
  path: string | null;
  servers: Record<string, { state: FileState; sha256: string | null }>;
}

export interface StatusRelease {
  project: string;
  version: string;
  /** The servers this release was compared on, in order. */
  servers: string[];
  files: StatusFile[];
  cells: Record<string, StatusCell>;
}

/** What one server's simple index said about one project: its files, or why it could not. */
export type ProjectAnswer = { files: SimpleFile[] } | { error: string };

/** A local file to look for (files mode). */
export interface LocalFile {
  filename: string;
  path: string;
  sha256: string;
}

function fileState(listed: SimpleFile | undefined, reference: string | null): FileState {
  if (!listed) return "missing";
  const theirs = listed.hashes.sha256;
  if (theirs === undefined || reference === null) return "unverified";
  return theirs === reference ? "same" : "different";
}

function cellOf(
  files: StatusFile[],
  server: string,
  answer: ProjectAnswer | undefined,
): StatusCell {
  const cell: StatusCell = {
    state: "ok",
    same: 0,
    missing: 0,
    different: 0,
    unverified: 0,
    total: files.length,
    error: null,
  };
  if (answer === undefined || "error" in answer) {
    return { ...cell, state: "unreachable", error: answer?.error ?? "not asked" };
  }
  for (const file of files) {
    const state = file.servers[server]?.state ?? "missing";
    if (state !== "unreachable") cell[state]++;
  }
  cell.state =
    cell.different > 0 ? "different" : cell.missing + cell.unverified > 0 ? "incomplete" : "ok";
  return cell;
}

function compareFiles(
  files: Array<{ filename: string; sha256: string | null; path: string | null }>,
  servers: string[],
  answers: Map<string, ProjectAnswer>,
): { files: StatusFile[]; cells: Record<string, StatusCell> } {
  const compared = files.map((file) => {
    const states: StatusFile["servers"] = {};
    for (const server of servers) {
      const answer = answers.get(server);
      if (answer === undefined || "error" in answer) {
        states[server] = { state: "unreachable", sha256: null };
        continue;
      }
      const listed = answer.files.find((f) => f.filename === file.filename);
      states[server] = {
        state: fileState(listed, file.sha256),
        sha256: listed?.hashes.sha256 ?? null,
      };
    }
    return { ...file, servers: states };
  });
  const cells: Record<string, StatusCell> = {};
  for (const server of servers) cells[server] = cellOf(compared, server, answers.get(server));
  return { files: compared, cells };
}

/** Files mode: the local files of one release against the servers they route to. */
export function compareLocalRelease(
  release: { project: string; version: string; files: LocalFile[] },
  servers: string[],
  answers: Map<string, ProjectAnswer>,
): StatusRelease {
  const files = release.files.map((f) => ({
    filename: f.filename,
    sha256: f.sha256,
    path: f.path,
  }));
  return {
    project: release.project,
    version: release.version,
    servers,
    ...compareFiles(files, servers, answers),
  };
}

/**
 * The sha256 most servers hold for a file; on a tie, the one of the first server in `servers`
 * order (the order of -r, or of index-servers). Null when no server gives a hash.
 */
export function referenceHash(
  filename: string,
  servers: string[],
  answers: Map<string, ProjectAnswer>,
): string | null {
  const counts = new Map<string, { n: number; first: number }>();
  servers.forEach((server, index) => {
    const answer = answers.get(server);
    if (!answer || "error" in answer) return;
    const sha = answer.files.find((f) => f.filename === filename)?.hashes.sha256;
    if (sha === undefined) return;
    const seen = counts.get(sha);
    counts.set(sha, { n: (seen?.n ?? 0) + 1, first: seen?.first ?? index });
  });
  let best: [string, { n: number; first: number }] | undefined;
  for (const entry of counts) {
    if (
      !best ||
      entry[1].n > best[1].n ||
      (entry[1].n === best[1].n && entry[1].first < best[1].first)
    )
      best = entry;
  }
  return best?.[0] ?? null;
}

/**
 * Names mode: one release as the servers list it. The file set is every file name any server
 * lists for that version; each file's reference hash is the one most servers hold.
 */
export function compareIndexRelease(
  release: { project: string; version: string; filenames: string[] },
  servers: string[],
  answers: Map<string, ProjectAnswer>,
): StatusRelease {
  const files = [...release.filenames].sort().map((filename) => ({
    filename,
    sha256: referenceHash(filename, servers, answers),
    path: null,
  }));
  return {
    project: release.project,
    version: release.version,
    servers,
    ...compareFiles(files, servers, answers),
  };
}
