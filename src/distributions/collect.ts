/**
 * Turn command-line arguments (files, directories, unexpanded glob patterns) into the list of
 * distribution files to upload: absolute paths, deduplicated, in the user's order.
 */
import { readdir, realpath, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { AggregateInputError, DistributionError } from "../errors.js";
import { isSidecar, isUploadable, notADistributionMessage } from "./filename.js";

const EXPECTED = "expected .whl, .tar.gz, .zip, .tar.bz2 or .egg";

/** Plain code-unit order: stable across locales. */
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function statOrUndefined(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return undefined;
    throw err;
  }
}

/** A file found by expanding an argument, with its real path once known (for deduplication). */
interface Found {
  path: string;
  real?: string;
}

/**
 * Regular files directly inside `dir` (symlinks followed), hidden files left out, sorted. The
 * listing's entry types spare a stat per file and the folder's real path a realpath per file
 * (both matter for folders of thousands of files); only symlinks are resolved one by one.
 */
async function filesIn(dir: string): Promise<Found[]> {
  const entries = (await readdir(dir, { withFileTypes: true }))
    .filter((e) => !e.name.startsWith("."))
    .sort((a, b) => byName(a.name, b.name));
  const realDir = await realpath(dir);
  const found = await Promise.all(
    entries.map(async (e): Promise<Found | undefined> => {
      const path = join(dir, e.name);
      if (e.isFile()) return { path, real: join(realDir, e.name) };
      // A symlink, or a file system that does not report types: ask stat.
      const known = e.isDirectory() || e.isFIFO() || e.isSocket() || e.isCharacterDevice();
      if (known || e.isBlockDevice()) return undefined;
      const info = await statOrUndefined(path);
      return info?.isFile() ? { path } : undefined;
    }),
  );
  return found.filter((f): f is Found => f !== undefined);
}

/** The files one argument stands for; throws a DistributionError when it stands for none. */
async function expand(arg: string, cwd: string): Promise<Found[]> {
  const path = resolve(cwd, arg);
  // A file that exists is taken literally, even if its name looks like a pattern (`a[1].whl`).
  const info = await statOrUndefined(path);
  if (info?.isFile()) {
    if (isUploadable(path)) return [{ path }];
    if (isSidecar(path)) return [];
    throw new DistributionError(notADistributionMessage(arg));
  }
  let matches: Found[];
  // The glob library loads only for arguments the shell did not expand.
  const { glob, isDynamicPattern } = info === undefined ? await import("tinyglobby") : {};
  if (info?.isDirectory()) {
    matches = await filesIn(path);
    if (matches.length === 0) throw new DistributionError(`${arg}: the directory is empty`);
  } else if (glob && isDynamicPattern?.(arg)) {
    matches = (await glob(arg, { cwd, absolute: true, onlyFiles: true, expandDirectories: false }))
      .sort(byName)
      .map((path) => ({ path }));
    if (matches.length === 0) throw new DistributionError(`${arg} matched no files`);
  } else if (info === undefined) {
    throw new DistributionError(`${arg}: no such file or directory`);
  } else {
    throw new DistributionError(`${arg}: not a regular file or directory`);
  }
  // Inside directories and globs, other files (signatures, READMEs) are just not ours.
  const dists = matches.filter((f) => isUploadable(f.path));
  if (dists.length === 0) {
    throw new DistributionError(`${arg}: no distribution files there (${EXPECTED})`);
  }
  return dists;
}

/**
 * Expand files, directories and glob patterns (the shell may not have expanded them) into
 * absolute paths of distribution files, in argument order (sorted by name within a directory or
 * pattern), each file once even when reached twice or through a symlink. Every argument that
 * yields nothing is reported, together.
 */
export async function collectFiles(args: string[], cwd: string): Promise<string[]> {
  const seen = new Set<string>();
  const files: string[] = [];
  const errors: DistributionError[] = [];
  // All arguments at once (a shell-expanded dist/* is one argument per file: one after the
  // other, their stat and realpath round trips through the thread pool added up), then taken
  // in order, as one at a time would.
  const expanded = await Promise.allSettled(
    args.map(async (arg) => {
      const found = await expand(arg, cwd);
      const reals = await Promise.all(found.map((f) => f.real ?? realpath(f.path)));
      return { found, reals };
    }),
  );
  for (const result of expanded) {
    if (result.status === "rejected") {
      if (result.reason instanceof DistributionError) {
        errors.push(result.reason);
        continue;
      }
      throw result.reason;
    }
    const { found, reals } = result.value;
    for (const [i, { path }] of found.entries()) {
      const real = reals[i] as string;
      if (seen.has(real)) continue;
      seen.add(real);
      files.push(path);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateInputError(errors);
  return files;
}
