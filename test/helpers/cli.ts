import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { ServerRow } from "../../src/commands/servers.js";
import type { JsonReport } from "../../src/report/json.js";
import type { SyncSection } from "../../src/sync/report.js";
import type { IndexServer, RecordedRequest } from "../server/index-server.js";

export const root = resolve(import.meta.dirname, "../..");
export const cli = join(root, "bin/pkgpush.cjs");
export const exampleDist = join(root, "examples/dist");

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A scratch directory with a .pypirc (mode 600) and a clean environment for the CLI. */
export function workspace(pypirc: string): { dir: string; config: string } {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-e2e-"));
  const config = join(dir, ".pypirc");
  writeFileSync(config, pypirc);
  chmodSync(config, 0o600);
  return { dir, config };
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  stdin?: string;
}

export interface CliChild {
  child: ChildProcessWithoutNullStreams;
  /** Everything written to stderr so far. */
  stderr(): string;
  done: Promise<CliResult & { ms: number }>;
}

/**
 * Starts the built CLI as a subprocess, as users do, with an environment free of the developer's
 * own credentials and configuration; hands over the child (to send it signals) and measures the
 * time. Killed after `timeoutMs` (default 25 s). The one place tests start the CLI.
 */
export function spawnCli(args: string[], options: CliOptions = {}): CliChild {
  const started = Date.now();
  const child = spawn(process.execPath, [cli, ...args], {
    cwd: options.cwd ?? root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: options.cwd ?? tmpdir(),
      CI: "true",
      ...options.env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  child.stdin.end(options.stdin ?? "");
  const done = new Promise<CliResult & { ms: number }>((resolve, reject) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 25_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - started });
    });
  });
  return { child, stderr: () => stderr, done };
}

/** Runs the built CLI to its end (killed after `timeoutMs`, default 60 s). */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const { done } = spawnCli(args, { ...options, timeoutMs: options.timeoutMs ?? 60_000 });
  const { code, stdout, stderr } = await done;
  return { code, stdout, stderr };
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI on a pseudo-terminal (`script` from util-linux), so it draws what users see on a
 * terminal (progress bars, colours); stdout and stderr arrive mixed, as on a screen. Killed
 * after 30 s.
 */
export function runOnTerminal(args: string[]): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, cli, ...args].map(shellQuote).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: "/nonexistent",
      TERM: "xterm",
      PKGPUSH_KEYRING: "0",
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  child.stdout.on("data", (d) => (screen += d));
  child.stderr.on("data", (d) => (screen += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, screen });
    });
  });
}

/** The command line of an upload to the named sections of `config`: `upload --config-file <config> -r <repos> ...rest`. */
export function uploadArgs(config: string, repos: string, ...rest: string[]): string[] {
  return ["upload", "--config-file", config, "-r", repos, ...rest];
}

/** A .pypirc text from sections; values may be arrays (written as indented continuation lines). */
export function pypirc(sections: Record<string, Record<string, string | string[]>>): string {
  return Object.entries(sections)
    .map(([name, options]) => {
      const lines = Object.entries(options).map(([key, value]) =>
        Array.isArray(value)
          ? `${key} =\n${value.map((v) => `    ${v}`).join("\n")}`
          : `${key} = ${value}`,
      );
      return `[${name}]\n${lines.join("\n")}\n`;
    })
    .join("\n");
}

/** A recorded request's form fields by name, repeated fields in order. */
export function fieldsOf(
  request: { fields: Array<[string, string]> } | undefined,
): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [key, value] of request?.fields ?? []) map.set(key, [...(map.get(key) ?? []), value]);
  return map;
}

/** The upload (POST) requests a test index server recorded, in arrival order. */
export function postsTo(server: IndexServer): RecordedRequest[] {
  return server.requests.filter((q) => q.method === "POST");
}

/** Each upload's Authorization header and answer status, e.g. `Basic alice 200`. */
export function authAndStatus(server: IndexServer): string[] {
  return postsTo(server).map((q) => `${q.headers.authorization} ${q.status}`);
}

/** The file names a test index server stores, sorted. */
export function storedNames(server: IndexServer): string[] {
  return server
    .files()
    .map((f) => f.filename)
    .sort();
}

/**
 * The `--json` report a run printed on stdout (schema `pkgpush-report/1`; `sync` adds its own
 * section). Tests assert on this rather than on the human table, which is free to change.
 */
export function reportOf(r: CliResult): JsonReport & { sync?: SyncSection } {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`not a JSON report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
}

/** Each result of a report as `FILE SERVER STATUS`, sorted: what landed where, and how. */
export function outcomes(report: JsonReport): string[] {
  return report.results.map((x) => `${x.file} ${x.server} ${x.status}`).sort();
}

/** One server as `pkgpush servers --json` lists it. */
export type ServerListing = ServerRow;

/** The servers `pkgpush servers --json` printed, by name. */
export function serverListing(stdout: string | undefined): Map<string, ServerListing> {
  const { servers } = JSON.parse(stdout ?? "") as { servers: ServerListing[] };
  return new Map(servers.map((s) => [s.name, s]));
}
