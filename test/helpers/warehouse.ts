/**
 * PyPI's own upload code for tests: `../shared/warehouse` (see its README) runs Warehouse's
 * `file_upload` unmodified (`serve`) and models twine 7 with twine's own code (`judge`). It exists
 * only next to this repository in its CI; elsewhere WAREHOUSE is undefined and the tests that need
 * it are skipped with that reason.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { root } from "./cli.js";

/** `../shared`, also from a git worktree (whose `.git` file names the main checkout). */
function findShared(): string | undefined {
  const candidates = [process.env.PKGPUSH_SHARED_DIR, resolve(root, "../shared")];
  try {
    const gitdir = /^gitdir: (.*)\/\.git\/worktrees\//m.exec(
      readFileSync(join(root, ".git"), "utf8"),
    );
    if (gitdir?.[1]) candidates.push(resolve(gitdir[1], "../shared"));
  } catch {
    // a plain clone: .git is a directory
  }
  return candidates
    .filter((c): c is string => Boolean(c))
    .map((c) => join(c, "warehouse"))
    .find((dir) => existsSync(join(dir, "serve")) && existsSync(join(dir, "judge")));
}

export const WAREHOUSE = findShared();
export const SKIP_REASON = "skipped: ../shared/warehouse (PyPI's own upload code) is absent";

export interface WarehouseServer {
  uploadUrl: string;
  /** The requests answered so far (serve's --log lines), oldest first. */
  log(): Promise<WarehouseLogLine[]>;
  close(): Promise<void>;
}

export interface WarehouseLogLine {
  fields: Record<string, unknown[]>;
  status: number;
  message: string;
  detail: string | null;
}

/** Start `serve --port 0` (every upload judged as the first one); one process per test file. */
export async function startWarehouse(logFile: string): Promise<WarehouseServer> {
  if (!WAREHOUSE) throw new Error(SKIP_REASON);
  const child = spawn(
    join(WAREHOUSE, "serve"),
    ["--port", "0", "--no-remember", "--log", logFile, "--max-lifetime", "900"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const port = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`serve did not start in 30 s: ${stderr}`)),
      30_000,
    );
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    child.on("exit", (code) => fail(new Error(`serve exited (${code}): ${stderr}`)));
  });
  return {
    uploadUrl: `http://127.0.0.1:${port}/legacy/`,
    async log() {
      const text = await readFile(logFile, "utf8").catch(() => "");
      return text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as WarehouseLogLine);
    },
    close: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.on("exit", () => done());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}

export interface JudgeVerdict {
  file: string;
  verdict: "accept" | "refuse" | "error";
  status: number | null;
  message: string | null;
  stage?: "server" | "client";
  twine_precheck: string | null;
}

export interface JudgeFields {
  file: string;
  twine_precheck: string | null;
  fields: Array<[string, string]> | null;
}

function judgeRun<T>(args: string[]): Promise<T[]> {
  if (!WAREHOUSE) throw new Error(SKIP_REASON);
  return new Promise((ok, fail) => {
    execFile(
      join(WAREHOUSE, "judge"),
      args,
      { maxBuffer: 64 * 1024 * 1024, timeout: 300_000, cwd: dirname(WAREHOUSE) },
      (error, stdout, stderr) => {
        if (error) return fail(new Error(`judge failed: ${error.message}\n${stderr}`));
        ok(
          stdout
            .split("\n")
            .filter((l) => l.trim() !== "")
            .map((l) => JSON.parse(l) as T),
        );
      },
    );
  });
}

/** PyPI's verdict on each file as twine 7 would send it, by path. */
export async function judge(files: string[]): Promise<Map<string, JudgeVerdict>> {
  const verdicts = await judgeRun<JudgeVerdict>(files);
  return new Map(verdicts.map((v) => [v.file, v]));
}

/** The form twine 7 would send for each file (`judge --fields`), by path. */
export async function judgeFields(files: string[]): Promise<Map<string, JudgeFields>> {
  const forms = await judgeRun<JudgeFields>(["--fields", ...files]);
  return new Map(forms.map((f) => [f.file, f]));
}
