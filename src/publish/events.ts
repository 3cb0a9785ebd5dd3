/**
 * What a run tells its caller while it works. The core never prints: the CLI subscribes and
 * prints (report/console.ts), the Node API passes the caller's listeners through. Text in events
 * is not yet redacted; the listener redacts with the run's redactor (`prepared.redactor`).
 */
import type { RunEvents } from "../execute/run.js";
import type { TraceEvent } from "../transport/http.js";

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
