/**
 * pkgpush's Node API (`import { upload } from "pkgpush"`; README "Node API"). The CLI and the
 * GitHub Action are built on exactly these functions. Results are the JSON report's data
 * (`--json`); a run that cannot start throws a PkgpushError whose `code` says why. Failures on a
 * server do not throw: they are in the report (`exitCode`, `totals`, each result's `status`).
 *
 * `env` and `cwd` default to the process's; nothing else here touches the process. The sending
 * half loads on first use, so a dry run never loads the HTTP stack.
 */
import { collectFiles } from "./distributions/collect.js";
import { inspectAll } from "./distributions/inspect.js";
import { UsageError } from "./errors.js";
import type { ApiOptions } from "./publish/api-options.js";
import { optionsFromApi } from "./publish/api-options.js";
import type { PublishEvents } from "./publish/events.js";
import type { Environment, PublishOptions } from "./publish/options.js";
import { type Prepared, planReport, prepare, readConfig } from "./publish/prepare.js";
import { loadSending } from "./publish/sending.js";
import {
  type ConfigInfo,
  configInfo,
  type DistributionInfo,
  distributionInfo,
} from "./publish/views.js";
import type { JsonReport } from "./report/json.js";
// Types only: PyPI's rules and their data (most of the code) load when `check` runs, not with
// every upload the CLI makes through this API.
import type { CheckOptions, CheckReport } from "./rules/check-report.js";
import type { StatusOptions, StatusReport } from "./status/run.js";
import type { SyncEvents, SyncReport } from "./sync/run.js";

export {
  AggregateInputError,
  ConfigError,
  CredentialsError,
  DistributionError,
  type ErrorCode,
  ExitCode,
  InterruptedError,
  PkgpushError,
  ResolutionError,
  UsageError,
} from "./errors.js";
export { PreflightError } from "./execute/preflight-error.js";
export type { JobResult } from "./execute/types.js";
export type { Job } from "./plan/plan.js";
export type { Outcome, OutcomeStatus } from "./protocol/outcome.js";
export type { ApiOptions } from "./publish/api-options.js";
export type { MessageLevel, PublishEvents } from "./publish/events.js";
export type {
  Ask,
  CheckUrl,
  Environment,
  Limits,
  PublishOptions,
  Verbosity,
} from "./publish/options.js";
export { type Prepared, planReport, prepare } from "./publish/prepare.js";
export type { ConfigInfo, DistributionInfo, ServerInfo } from "./publish/views.js";
export type { JsonReport as PublishReport } from "./report/json.js";
export { Redactor } from "./report/redact.js";
export { ReportFileError } from "./report/report-file.js";
export type { CheckedFile, CheckOptions, CheckReport } from "./rules/check-report.js";
export { SimpleIndexError, type SimpleIndexFailure } from "./simple/errors.js";
export type {
  CellState,
  FileState,
  StatusCell,
  StatusFile,
  StatusRelease,
} from "./status/compare.js";
export type { StatusOptions, StatusReport, StatusServer } from "./status/run.js";
export type { SyncSection } from "./sync/report.js";
export type { SyncEvents, SyncReport } from "./sync/run.js";
export type { RetryEvent } from "./transport/types.js";

/** What every run reports: the JSON report's data (schema `pkgpush-report/1`). */
export type Report = JsonReport;

function withDefaults<T extends { env?: Environment; cwd?: string }>(
  options: T,
): T & { env: Environment; cwd: string } {
  return { ...options, env: options.env ?? process.env, cwd: options.cwd ?? process.cwd() };
}

/** Sends what `prepare` settled; the report says what landed where. */
export async function send(prepared: Prepared, events: PublishEvents = {}): Promise<Report> {
  const modules = loadSending();
  const { compileHasherAhead, hashAhead } = await modules.ahead;
  const ahead = hashAhead(prepared);
  try {
    const compiled = compileHasherAhead(prepared);
    const core = await modules.core;
    // Before any connection: the HTTP parser must not be compiled under BLAKE2b's budget.
    await compiled;
    return await core.send(prepared, events, ahead);
  } finally {
    ahead.cancel();
  }
}

/**
 * Prepares and sends: `pkgpush upload` or `register` with options already made. Every function
 * here rejects (never throws synchronously): a bad option is a rejected promise too.
 */
export async function publish(options: PublishOptions, events: PublishEvents = {}) {
  if (!options.dryRun) loadSending();
  const prepared = await prepare(options, events);
  return options.dryRun ? planReport(prepared) : send(prepared, events);
}

/** Uploads files to every server they belong to (`pkgpush upload`). */
export async function upload(
  options: ApiOptions = {},
  events: PublishEvents = {},
): Promise<Report> {
  return publish(optionsFromApi("upload", false, withDefaults(options)), events);
}

/** Registers releases from the files' metadata (`pkgpush register`). */
export async function register(
  options: ApiOptions = {},
  events: PublishEvents = {},
): Promise<Report> {
  return publish(optionsFromApi("register", false, withDefaults(options)), events);
}

/** The dry run (`--dry-run --json`): what would be sent where, as whom; nothing is sent. */
export async function plan(
  options: ApiOptions & { action?: "upload" | "register" } = {},
  events: PublishEvents = {},
): Promise<Report> {
  return publish(optionsFromApi(options.action ?? "upload", true, withDefaults(options)), events);
}

/** What `sync()` takes: the upload options that apply, plus what to copy from where. */
export interface SyncApiOptions
  extends Omit<
    ApiOptions,
    | "files"
    | "repositories"
    | "repositoryUrl"
    | "skipExisting"
    | "comment"
    | "attestations"
    | "sign"
    | "checkUrls"
    | "check"
  > {
  /** `NAME` (every version the source has) or `NAME==VERSION`. */
  releases: string[];
  /** The index to copy from: a .pypirc section name or a URL (a simple index). */
  from: string;
  /** Indexes to copy to (section names or upload URLs); default: routed by release-packages. */
  to?: string[];
  /** Say what would be copied where; download and upload nothing. */
  dryRun?: boolean;
  /** Refuse a download larger than this (default 4 GiB). */
  maxDownloadBytes?: number;
}

/**
 * Copies the files of releases that other indexes lack (`pkgpush sync`): each missing file is
 * downloaded once from the source's simple index into a private temporary folder (sha256
 * verified), then uploaded like `upload()` does. Files another index holds with other bytes are
 * reported (`sync.conflicts`), never overwritten.
 */
export async function sync(options: SyncApiOptions, events: SyncEvents = {}): Promise<SyncReport> {
  const { runSync, DEFAULT_MAX_DOWNLOAD_BYTES } = await import("./sync/run.js");
  const base = optionsFromApi("upload", options.dryRun ?? false, withDefaults(options));
  const max = options.maxDownloadBytes ?? DEFAULT_MAX_DOWNLOAD_BYTES;
  if (!Number.isInteger(max) || max < 1) {
    throw new UsageError(`maxDownloadBytes must be a whole number of bytes, got '${max}'`);
  }
  return runSync(
    {
      ...base,
      specs: options.releases,
      from: options.from,
      to: options.to ?? [],
      maxDownloadBytes: max,
    },
    events,
  );
}

/** The servers a .pypirc defines (default PKGPUSH_CONFIG_FILE, else ~/.pypirc); no secrets. */
export async function loadConfig(
  options: { configFile?: string; env?: Environment } = {},
): Promise<ConfigInfo> {
  return configInfo(
    await readConfig({ configFile: options.configFile, env: options.env ?? process.env }),
  );
}

/**
 * Where every file of a release is (`pkgpush status`): local files (default `dist/*`) against the
 * servers they route to, or `NAME[==VERSION]` projects against the -r servers (default: every
 * listed server with a simple index). Resolves with the report (schema `pkgpush-status/1`);
 * `exitCode` 0 everything everywhere with one sha256, 1 something missing or different, 2 a
 * server that could not tell. Loads the HTTP stack on first use.
 */
export async function status(options: StatusOptions = {}): Promise<StatusReport> {
  const core = await import("./status/run.js");
  return core.status(options);
}

/** Reads and checks distributions (files, folders, globs): name, version, metadata. */
export async function inspect(
  files: string[] = ["dist/*"],
  options: { cwd?: string } = {},
): Promise<DistributionInfo[]> {
  const paths = await collectFiles(files, options.cwd ?? process.cwd());
  return (await inspectAll(paths)).map(distributionInfo);
}

/**
 * PyPI's verdict on each file before any server gets a byte (`pkgpush check --json`): the rule
 * and Warehouse's message for each refusal, warnings, and what was not judged.
 */
export async function check(
  files: string[] = ["dist/*"],
  options: CheckOptions = {},
): Promise<CheckReport> {
  const { checkReport } = await import("./rules/check-report.js");
  return checkReport(files, options);
}
