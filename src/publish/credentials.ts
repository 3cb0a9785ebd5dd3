/**
 * Every server's credentials for a run, from the sources in twine's order (extended; README
 * "Credentials"), settled before the first byte goes anywhere. Each secret found is registered
 * with the run's redactor at once.
 */
import type { Dispatcher } from "undici";
import { keyringSource } from "../credentials/keyring.js";
import { promptSource } from "../credentials/prompt.js";
import { requireCredentials, resolveCredentials } from "../credentials/resolve.js";
import { commandLineSource, environmentSource, pypircSource } from "../credentials/sources.js";
import {
  checkCredentialTransport,
  credentialWarnings,
  withTokenUser,
} from "../credentials/transport-safety.js";
import { trustedPublishingSource } from "../credentials/trusted-publishing.js";
import type { CredentialSource, Credentials } from "../credentials/types.js";
import { AggregateInputError, InterruptedError, type PkgpushError } from "../errors.js";
import type { Plan } from "../plan/plan.js";
import type { Redactor } from "../report/redact.js";
import type { PublishEvents } from "./events.js";
import { messenger } from "./events.js";
import type { PublishOptions } from "./options.js";

/** The credential sources in twine's order, extended; see README "Credentials". */
export function credentialSources(
  options: PublishOptions,
  redactor: Redactor,
  events: PublishEvents = {},
): CredentialSource[] {
  const say = messenger(events);
  let dispatcher: Dispatcher | undefined;
  return [
    commandLineSource(options.username, options.password),
    environmentSource(options.env),
    pypircSource(),
    ...(options.keyring
      ? [keyringSource({ debug: say.debug, warn: say.warn, signal: options.signal })]
      : []),
    trustedPublishingSource({
      mode: options.trustedPublishing,
      dryRun: options.dryRun,
      env: options.env,
      dispatcher: async () => {
        const { createDispatcher } = await import("../transport/http.js");
        dispatcher ??= createDispatcher({
          connectTimeoutMs: 10_000,
          stallTimeoutMs: 30_000,
          caCert: options.caCert,
        });
        return dispatcher;
      },
      writeWorkflowCommand: (line) => events.onWorkflowCommand?.(line),
      log: say.info,
      registerSecret: (secret) => redactor.registerSecret(secret),
    }),
    // A dry run sends nothing, so it has no use for a typed password; non-interactive never asks.
    ...(options.dryRun || !options.interactive ? [] : [promptSource(options.ask)]),
  ];
}

/**
 * Every server's credentials, settled before the first byte goes anywhere (dry runs apply the same
 * rules, minus the prompt). All problems are reported together.
 */
export async function settleCredentials(
  plan: Pick<Plan, "servers">,
  options: PublishOptions,
  redactor: Redactor,
  events: PublishEvents,
): Promise<Map<string, Credentials>> {
  const say = messenger(events);
  const sources = credentialSources(options, redactor, events);
  if (options.password !== undefined && plan.servers.length > 1) {
    say.warn(
      `the password given with -p is used for all ${plan.servers.length} servers (${plan.servers.map((s) => s.name).join(", ")}); use PKGPUSH_<SECTION>_PASSWORD or .pypirc for per-server passwords`,
    );
  }
  const credentials = new Map<string, Credentials>();
  const problems: PkgpushError[] = [];
  for (const server of plan.servers) {
    if (options.signal?.aborted) throw new InterruptedError();
    try {
      // Before any source is asked: trusted publishing would send an ID token, the prompt would
      // ask for a password that could not be sent anyway.
      checkCredentialTransport(server, options.allowInsecureHttp);
      const found = options.dryRun
        ? withTokenUser(await resolveCredentials(server, sources))
        : await requireCredentials(server, sources);
      redactor.registerCredentials(found.username, found.password);
      for (const warning of credentialWarnings(server, found)) say.warn(warning);
      credentials.set(server.name, found);
    } catch (error) {
      if (error instanceof InterruptedError) throw error;
      problems.push(error as PkgpushError);
    }
  }
  if (problems.length === 1) throw problems[0];
  if (problems.length > 1) throw new AggregateInputError(problems);
  return credentials;
}
