/**
 * Packs pkgpush as a release engineer gets it: from a clean copy of the repository's files (what
 * a fresh clone holds, no dist/), through `npm pack` (so `prepack` builds), then installs the
 * tarball into an empty prefix. The copy keeps the tests' own dist/ untouched while others run.
 */
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { promisify } from "node:util";
import { root } from "../helpers/cli.js";

const run = promisify(execFile);

export interface Packed {
  dir: string;
  /** A copy of the repository whose dist/ holds the release build that was packed. */
  repo: string;
  tarball: string;
  /** Compressed size in bytes. */
  size: number;
  files: string[];
}

/**
 * npm's environment: the caller's (registry, proxy and CA settings live there), with the Node
 * running the tests first on PATH so npm and prepack run on it too.
 */
export function npmEnv(): NodeJS.ProcessEnv {
  return { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}` };
}

/** A clean environment for the installed CLI, on the Node running the tests. */
export function childEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ""}`,
    HOME: process.env.HOME ?? tmpdir(),
    CI: "true",
    ...extra,
  };
}

export async function packFromCleanCopy(): Promise<Packed> {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-pack-"));
  const repo = join(dir, "repo");
  const { stdout: list } = await run("git", ["ls-files", "-z", "-co", "--exclude-standard"], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const file of list.split("\0").filter(Boolean)) {
    // Not what a clone holds (a worktree may link node_modules; examples/dist is not needed).
    if (file === "node_modules" || file.startsWith("examples/dist/")) continue;
    mkdirSync(dirname(join(repo, file)), { recursive: true });
    try {
      cpSync(join(root, file), join(repo, file));
    } catch (error) {
      // A file deleted in the working tree but still tracked: a clean clone would not have it.
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
  }
  symlinkSync(join(root, "node_modules"), join(repo, "node_modules"));
  const { stdout } = await run("npm", ["pack", "--json", "--pack-destination", dir], {
    cwd: repo,
    env: npmEnv(),
    maxBuffer: 16 * 1024 * 1024,
  });
  // npm may print prepack's output before the JSON on stdout.
  const [result] = JSON.parse(stdout.slice(stdout.search(/^\[/m))) as Array<{
    filename: string;
    size: number;
    files: Array<{ path: string }>;
  }>;
  if (!result) throw new Error(`npm pack printed no result: ${stdout}`);
  return {
    dir,
    repo,
    tarball: join(dir, result.filename),
    size: result.size,
    files: result.files.map((f) => f.path).sort(),
  };
}

export interface Installed {
  prefix: string;
  bin: string;
  /** Wall-clock time of the install. */
  ms: number;
  /** CPU time (user + system) of npm and its children: what the install costs, load aside. */
  cpuMs: number;
}

/**
 * `npm install --prefix` of the tarball into an empty directory, without optional packages,
 * timed by /usr/bin/time (wall clock and CPU: on a loaded CI machine only the CPU time says
 * something about the package).
 */
export async function installTarball(tarball: string): Promise<Installed> {
  const prefix = mkdtempSync(join(tmpdir(), "pkgpush-prefix-"));
  const times = join(prefix, "..", `${basename(prefix)}.time`);
  await run(
    "/usr/bin/time",
    [
      "-f",
      "%e %U %S",
      "-o",
      times,
      "npm",
      "install",
      "--prefix",
      prefix,
      "--omit=optional",
      "--no-audit",
      "--no-fund",
      "--no-save",
      "--no-package-lock",
      "--prefer-offline",
      tarball,
    ],
    { env: npmEnv() },
  );
  const [wall, user, system] = readFileSync(times, "utf8").trim().split(/\s+/).map(Number);
  return {
    prefix,
    bin: join(prefix, "node_modules/.bin/pkgpush"),
    ms: (wall ?? Number.NaN) * 1000,
    cpuMs: ((user ?? Number.NaN) + (system ?? Number.NaN)) * 1000,
  };
}

/** The package.json the tarball carries. */
export function packedManifest(prefix: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(prefix, "node_modules/pkgpush/package.json"), "utf8"));
}
