/**
 * What a run tells its caller while it works. The core never prints: the CLI subscribes and
 * prints (commands/console.ts), the Node API passes the caller's listeners through. Text in
 * events (messages, notices, retry and result reasons, the trace) is redacted with the run's
 * redactor before it is handed over.
 */
import type { ServerConfig } from "../config/types.js";
import type { RunEvents } from "../execute/types.js";
import type { Job } from "../plan/plan.js";
import type { Redactor } from "../report/redact.js";
import type { TraceEvent } from "../transport/types.js";

/**
 * `info`: progress a person wants (printed unless quiet); `warning`: printed as `warning: ...`
 * unless quiet; `debug`: only with verbose.
 */
export type MessageLevel = "info" | "warning" | "debug";

export interface PublishEvents extends RunEvents {
  onMessage?(level: MessageLevel, text: string): void;
  /** Verbose only: every request and answer of one server (transport/trace.ts formats them). */
  onTrace?(server: string, event: TraceEvent): void;
  /**
   * A GitHub Actions workflow command (`::add-mask::TOKEN`) that must reach stdout as it is, for
   * the runner to mask a minted token in its logs.
   */
  onWorkflowCommand?(line: string): void;
}

/** Shorthands for the core's own messages. */
export function messenger(events: PublishEvents) {
  return {
    info: (text: string): void => events.onMessage?.("info", text),
    warn: (text: string): void => events.onMessage?.("warning", text),
    debug: (text: string): void => events.onMessage?.("debug", text),
  };
}
export type Messenger = ReturnType<typeof messenger>;

/**
 * The listeners, each given redacted text (progress and start events carry no text) and jobs
 * whose server has no password: a listener that logs the job it was given must not leak it.
 */
export function redactedEvents(events: PublishEvents, redactor: Redactor): PublishEvents {
  const r = redactor.redact;
  const shown = publicJobs(redactor);
  return {
    ...events,
    onStart: events.onStart && ((job, total) => events.onStart?.(shown(job), total)),
    onProgress: events.onProgress && ((job, bytes) => events.onProgress?.(shown(job), bytes)),
    onMessage: events.onMessage && ((level, text) => events.onMessage?.(level, r(text))),
    onNotice: events.onNotice && ((line) => events.onNotice?.(r(line))),
    onRetry:
      events.onRetry && ((job, e) => events.onRetry?.(shown(job), { ...e, reason: r(e.reason) })),
    onFinish:
      events.onFinish &&
      ((result) => {
        const reason = result.outcome.reason;
        const outcome = { ...result.outcome, reason: reason === undefined ? reason : r(reason) };
        events.onFinish?.({ ...result, job: shown(result.job), outcome });
      }),
    onTrace: events.onTrace && ((server, e) => events.onTrace?.(server, redactor.redactValues(e))),
  };
}

/**
 * Each job once as listeners see it: the server without its password (the section's raw options
 * hold it too) and its texts redacted (a confirmation note can quote a server that echoed the
 * credentials). Made once per job and server, since progress events come per chunk.
 */
function publicJobs(redactor: Redactor): (job: Job) => Job {
  const jobs = new WeakMap<Job, Job>();
  const servers = new WeakMap<ServerConfig, ServerConfig>();
  const serverView = (server: ServerConfig): ServerConfig => {
    let view = servers.get(server);
    if (!view) {
      view = publicServer(server, redactor.redact);
      servers.set(server, view);
    }
    return view;
  };
  return (job) => {
    let view = jobs.get(job);
    if (!view) {
      view = { ...job, server: serverView(job.server) };
      jobs.set(job, view);
    }
    return view;
  };
}

function publicServer(server: ServerConfig, r: (text: string) => string): ServerConfig {
  const { password: _secret, options, ...rest } = server;
  const redacted = (text: string | undefined) => (text === undefined ? undefined : r(text));
  return {
    ...rest,
    repository: r(rest.repository),
    checkUrl: redacted(rest.checkUrl),
    checkUrlNote: redacted(rest.checkUrlNote),
    options: Object.fromEntries(
      Object.entries(options)
        .filter(([key]) => key !== "password")
        .map(([key, value]) => [key, r(value)]),
    ),
  };
}
