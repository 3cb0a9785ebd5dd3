/**
 * The first half of a run: configuration -> files -> routes -> plan -> signatures -> TLS files ->
 * credentials. Nothing is sent (except a trusted-publishing token exchange, which is how those
 * credentials exist). Problems of one kind are reported together; the result is everything
 * `send` needs.
 */
import { loadPypirc } from "../config/pypirc.js";
import type { PypircConfig, ServerConfig } from "../config/types.js";
import { checkTlsFiles } from "../credentials/tls-files.js";
import type { Credentials } from "../credentials/types.js";
import { collectFiles } from "../distributions/collect.js";
import type { Digests } from "../distributions/digests.js";
import { inspectAll } from "../distributions/inspect.js";
import type { Distribution } from "../distributions/types.js";
import { AggregateInputError, UsageError } from "../errors.js";
import { type Job, type Plan, planRegistrations, planUploads } from "../plan/plan.js";
import type { Outcome } from "../protocol/outcome.js";
import { signaturesPypiIgnores } from "../protocol/signatures.js";
import { dryRunReport, type JsonReport } from "../report/json.js";
import { Redactor } from "../report/redact.js";
import { serverLookup } from "../resolve/lookup.js";
import { matchRoutes } from "../resolve/route-match.js";
import { resolveTargets, type Targets } from "../resolve/targets.js";
import { refuseBeforeSending } from "../rules/preflight.js";
// The page type only: the Node API's declarations must not reach the HTTP stack (undici).
import type { ProjectFiles } from "../simple/page.js";
import { settleCredentials } from "./credentials.js";
import { type Messenger, messenger, type PublishEvents, redactedEvents } from "./events.js";
import type { CheckUrl, PublishOptions } from "./options.js";

/** A run ready to send: what goes where, as whom. */
export interface Prepared {
  options: PublishOptions;
  plan: Plan;
  /** Per server name. Secret: never print the passwords. */
  credentials: Map<string, Credentials>;
  /** Knows every secret of the run; redact anything shown or stored with it. */
  redactor: Redactor;
  /** What the caller already knows, so `send` does not read or ask it again (sync). */
  known?: Known | undefined;
}

/** Digests by file path; simple-index pages by server name and normalised project. */
export interface Known {
  digests: Map<string, Digests>;
  pages: Array<{ server: string; project: string; page: ProjectFiles }>;
  /**
   * Files still arriving (sync downloads them while the first ones are sent): resolves when the
   * job's file is ready to send, or with the outcome that replaces sending it.
   */
  arrival?: ((job: Job) => Promise<Outcome | undefined>) | undefined;
}

/** The configuration a run reads: `configFile`, else PKGPUSH_CONFIG_FILE, else ~/.pypirc. */
export function readConfig(
  options: Pick<PublishOptions, "configFile" | "env">,
): Promise<PypircConfig> {
  return loadPypirc({ path: options.configFile, env: { ...options.env } });
}

/** Files -> servers, patterns matched under a deadline (a runaway pattern is a config error). */
async function route(
  options: PublishOptions,
  config: PypircConfig,
  say: Messenger,
): Promise<Targets> {
  const files = await collectFiles(options.paths, options.cwd);
  const dists = await inspectAll(files);
  for (const warning of dists.flatMap((d) => d.warnings ?? [])) say.warn(warning);
  const routeTable = await matchRoutes(
    [...config.servers.values()],
    dists.map((d) => d.name),
    { signal: options.signal },
  );
  const targets = resolveTargets(
    dists,
    config,
    { repositories: options.repositories, repositoryUrl: options.repositoryUrl },
    serverLookup(routeTable),
  );
  for (const warning of targets.warnings) say.warn(warning);
  if (options.rules) await refuseBeforeSending(targets.routes, options.action);
  // The plan shows the notes itself; a real run says them as warnings.
  if (!options.dryRun) for (const note of targets.notes) say.warn(note);
  return targets;
}

/** Config, files, routes and the plan, with the check URLs and signatures it needs. */
export async function buildPlan(
  options: PublishOptions,
  events: PublishEvents = {},
): Promise<Plan> {
  const say = messenger(events);
  const config = await readConfig(options);
  for (const warning of config.warnings) say.warn(warning);
  const targets = await route(options, config, say);
  applyCheckUrls(targets.servers, options.checks);
  const plan = options.action === "upload" ? planUploads(targets) : planRegistrations(targets);
  // Only the files that go somewhere are signed (one passphrase prompt each, perhaps).
  if (options.action === "upload" && options.sign) {
    await sign([...new Set(plan.jobs.map((job) => job.dist))], options, say);
  }
  const unsigned = signaturesPypiIgnores(plan);
  if (unsigned.length > 0) {
    say.info(
      `note: PyPI ignores GPG signatures; not sending them to ${unsigned.join(", ")} (other servers get them)`,
    );
  }
  return plan;
}

/** Plan and credentials, everything checked; throws every problem of a kind at once. */
export async function prepare(
  options: PublishOptions,
  events: PublishEvents = {},
): Promise<Prepared> {
  const redactor = options.redactor ?? new Redactor();
  redactor.registerCredentials(options.username, options.password);
  events = redactedEvents(events, redactor);
  const plan = await buildPlan(options, events);
  // Everything a run will read besides the distributions, checked before anything is asked or sent.
  const tlsProblems = await checkTlsFiles(plan.servers, options.caCert, options.clientCert);
  if (tlsProblems.length === 1) throw tlsProblems[0];
  if (tlsProblems.length > 1) throw new AggregateInputError(tlsProblems);
  const credentials = await settleCredentials(plan, options, redactor, events);
  return { options, plan, credentials, redactor };
}

/** `sign`: each file's `.asc` made now, before the plan runs (a dry run only says it would). */
async function sign(dists: Distribution[], options: PublishOptions, say: Messenger): Promise<void> {
  const { program, identity } = options.sign ?? { program: "gpg" };
  if (options.dryRun) {
    say.info(`dry run: would sign ${dists.length} file(s) with ${program} (not signing now)`);
    return;
  }
  const { signDistributions } = await import("../distributions/sign.js");
  say.info(`signing ${dists.length} file(s) with ${program}${identity ? ` as ${identity}` : ""}`);
  await signDistributions(dists, { program, identity, signal: options.signal });
}

/**
 * `--check-url URL` (one server selected) or `--check-url NAME=URL` (repeatable) override the
 * servers' own check-url; `--no-check` turns existence checks off.
 */
function applyCheckUrls(servers: ServerConfig[], checks: PublishOptions["checks"]): void {
  for (const check of checks.urls) {
    Object.assign(checkUrlServer(servers, check), {
      checkUrl: check.url,
      checkUrlSource: "configured",
    });
  }
  if (!checks.enabled) {
    for (const server of servers)
      Object.assign(server, { checkUrl: undefined, checkUrlSource: "off" });
  }
}

function checkUrlServer(servers: ServerConfig[], check: CheckUrl): ServerConfig {
  if (check.server !== undefined) {
    const server = servers.find((s) => s.name === check.server);
    if (server) return server;
    throw new UsageError(
      `--check-url ${check.given}: '${check.server}' is not one of the selected servers (${servers.map((s) => s.name).join(", ")})`,
    );
  }
  if (servers.length === 1 && /^https?:\/\//i.test(check.url)) return servers[0] as ServerConfig;
  throw new UsageError(
    `--check-url ${check.given}: with several servers, name one: --check-url NAME=URL`,
  );
}

/** A dry run's report (`--dry-run --json`): the plan, in order, and where credentials come from. */
export function planReport(prepared: Prepared): JsonReport {
  return prepared.redactor.redactValues(dryRunReport(prepared.plan, prepared.credentials));
}
