import type { Credentials } from "../credentials/types.js";
import type { ErrorCode, PkgpushError } from "../errors.js";
import type { JobResult } from "../execute/types.js";
import type { Plan } from "../plan/plan.js";
import { totals } from "./summary.js";

/**
 * The machine-readable report (`--json`, `--report FILE`). Schema `pkgpush-report/1`, documented
 * in README.md; fields are only ever added, never renamed, within a schema version.
 */
export interface JsonReport {
  schema: "pkgpush-report/1";
  command: Plan["action"];
  dryRun: boolean;
  exitCode: number;
  servers: Array<{ name: string; url: string; username: string | null }>;
  files: Array<{
    file: string;
    path: string;
    project: string;
    version: string;
    size: number;
    sha256: string | null;
  }>;
  results: Array<{
    file: string;
    server: string;
    status: string;
    reason: string | null;
    /** Machine-readable reason (`auth`, `already-exists`, `network`, ...; see README). */
    reasonCode: string | null;
    httpStatus: number | null;
    attempts: number;
    durationMs: number;
  }>;
  totals: ReturnType<typeof totals>["counts"];
  /** `--dry-run --json`: the requests that would be sent, in order, and where credentials come from. */
  plan?: Array<{
    id: number;
    action: Plan["action"];
    file: string;
    server: string;
    after: number[];
  }>;
  credentials?: Array<{
    server: string;
    username: string | null;
    usernameFrom: string | null;
    passwordFrom: string | null;
  }>;
  /** Present when the run stopped before sending (usage, configuration, preflight): why. */
  error?: {
    message: string;
    hint: string | null;
    /** Stable machine-readable code (`usage`, `config`, `credentials`...; README "Node API"). */
    code: ErrorCode;
  };
}

export function buildJsonReport(
  plan: Plan,
  results: JobResult[],
  options: { dryRun: boolean; exitCode: number; usernames: Map<string, string | undefined> },
): JsonReport {
  const sha = new Map(
    results.filter((r) => r.sha256).map((r) => [r.job.dist.path, r.sha256 as string]),
  );
  const files = new Map(plan.jobs.map((j) => [j.dist.path, j.dist]));
  return {
    schema: "pkgpush-report/1",
    command: plan.action,
    dryRun: options.dryRun,
    exitCode: options.exitCode,
    servers: plan.servers.map((s) => ({
      name: s.name,
      url: s.repository,
      username: options.usernames.get(s.name) ?? null,
    })),
    files: [...files.values()].map((d) => ({
      file: d.filename,
      path: d.path,
      project: d.name,
      version: d.version,
      size: d.size,
      sha256: sha.get(d.path) ?? null,
    })),
    results: results.map((r) => ({
      file: r.job.dist.filename,
      server: r.job.server.name,
      status: r.outcome.status,
      reason: r.outcome.reason ?? null,
      reasonCode: r.outcome.code ?? null,
      httpStatus: r.outcome.httpStatus ?? null,
      attempts: r.attempts,
      durationMs: r.durationMs,
    })),
    totals: totals(results).counts,
  };
}

/** `--dry-run --json`: the report a run would start from, plus the plan itself. */
export function dryRunReport(plan: Plan, credentials: Map<string, Credentials>): JsonReport {
  const usernames = new Map([...credentials].map(([name, c]) => [name, c.username]));
  return {
    ...buildJsonReport(plan, [], { dryRun: true, exitCode: 0, usernames }),
    plan: plan.jobs.map((job) => ({
      id: job.id + 1,
      action: job.action,
      file: job.dist.filename,
      server: job.server.name,
      after: job.after.map((id) => id + 1),
    })),
    credentials: plan.servers.map((server) => {
      const c = credentials.get(server.name) ?? {};
      return {
        server: server.name,
        username: c.username ?? null,
        usernameFrom: c.usernameSource ?? null,
        passwordFrom: c.passwordSource ?? null,
      };
    }),
  };
}

/** The report of a run that stopped before sending anything. */
export function errorReport(
  command: Plan["action"],
  dryRun: boolean,
  error: PkgpushError,
): JsonReport {
  return {
    schema: "pkgpush-report/1",
    command,
    dryRun,
    exitCode: error.exitCode,
    servers: [],
    files: [],
    results: [],
    totals: totals([]).counts,
    error: { message: error.message, hint: error.hint ?? null, code: error.code },
  };
}
