/**
 * What a run tells its caller while it works. The core never prints: the CLI subscribes and
 * prints (commands/console.ts), the Node API passes the caller's listeners through. Text in
 * events (messages, notices, retry and result reasons, the trace) is redacted with the run's
 * redactor before it is handed over.
 */
import type { RunEvents } from "../execute/types.js";
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

/** The listeners, each given redacted text (progress and start events carry no text). */
export function redactedEvents(events: PublishEvents, redactor: Redactor): PublishEvents {
  const r = redactor.redact;
  return {
    ...events,
    onMessage: events.onMessage && ((level, text) => events.onMessage?.(level, r(text))),
    onNotice: events.onNotice && ((line) => events.onNotice?.(r(line))),
    onRetry: events.onRetry && ((job, e) => events.onRetry?.(job, { ...e, reason: r(e.reason) })),
    onFinish:
      events.onFinish &&
      ((result) => {
        const reason = result.outcome.reason;
        const outcome = { ...result.outcome, reason: reason === undefined ? reason : r(reason) };
        events.onFinish?.({ ...result, outcome });
      }),
    onTrace: events.onTrace && ((server, e) => events.onTrace?.(server, redactor.redactValues(e))),
  };
}
