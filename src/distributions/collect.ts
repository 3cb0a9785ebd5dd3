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

/** Regular files directly inside `dir` (symlinks followed), hidden files left out, sorted. */
async function filesIn(dir: string): Promise<string[]> {
  const names = (await readdir(dir)).filter((n) => !n.startsWith(".")).sort(byName);
  const files: string[] = [];
  for (const name of names) {
    const info = await statOrUndefined(join(dir, name));
    if (info?.isFile()) files.push(join(dir, name));
  }
  return files;
}

/** The files one argument stands for; throws a DistributionError when it stands for none. */
async function expand(arg: string, cwd: string): Promise<string[]> {
  const path = resolve(cwd, arg);
  // A file that exists is taken literally, even if its name looks like a pattern (`a[1].whl`).
  const info = await statOrUndefined(path);
  if (info?.isFile()) {
    if (isUploadable(path)) return [path];
    if (isSidecar(path)) return [];
    throw new DistributionError(notADistributionMessage(arg));
  }
  let matches: string[];
  // The glob library loads only for arguments the shell did not expand.
  const { glob, isDynamicPattern } = info === undefined ? await import("tinyglobby") : {};
  if (info?.isDirectory()) {
    matches = await filesIn(path);
    if (matches.length === 0) throw new DistributionError(`${arg}: the directory is empty`);
  } else if (glob && isDynamicPattern?.(arg)) {
    matches = (
      await glob(arg, { cwd, absolute: true, onlyFiles: true, expandDirectories: false })
    ).sort(byName);
    if (matches.length === 0) throw new DistributionError(`${arg} matched no files`);
  } else if (info === undefined) {
    throw new DistributionError(`${arg}: no such file or directory`);
  } else {
    throw new DistributionError(`${arg}: not a regular file or directory`);
  }
  // Inside directories and globs, other files (signatures, READMEs) are just not ours.
  const dists = matches.filter(isUploadable);
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
  for (const arg of args) {
    let paths: string[];
    try {
      paths = await expand(arg, cwd);
    } catch (err) {
      if (err instanceof DistributionError) {
        errors.push(err);
        continue;
      }
      throw err;
    }
    for (const path of paths) {
      const real = await realpath(path);
      if (seen.has(real)) continue;
      seen.add(real);
      files.push(path);
    }
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateInputError(errors);
  return files;
}
