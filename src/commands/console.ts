/**
 * Prints a run's events for people, on stderr: messages by verbosity, the verbose HTTP trace, and
 * each transfer as plain lines or, on an interactive terminal, as progress bars. Used by the CLI
 * and the GitHub Action; `write` redacts (the run's redactor) and writes one chunk of text.
 */
import { type Prepared, prepare, type Report, send } from "../index.js";
import type { Plan } from "../plan/plan.js";
import type { PublishEvents } from "../publish/events.js";
import type { PublishOptions, Verbosity } from "../publish/options.js";
import { loadSending } from "../publish/sending.js";
import { lineReporter } from "../report/log.js";
import { formatTrace } from "../transport/trace.js";

/** Messages, trace and workflow commands: from the start of a run (before the plan exists). */
export function messagePrinter(
  write: (text: string) => void,
  verbosity: Verbosity,
  /** Workflow commands go to stdout unredacted: the runner must read the token to mask it. */
  writeWorkflowCommand: (line: string) => void,
): PublishEvents {
  return {
    onMessage(level, text) {
      if (level === "debug") {
        if (verbosity === "verbose") write(`debug: ${text}\n`);
      } else if (verbosity !== "quiet") {
        write(level === "warning" ? `warning: ${text}\n` : `${text}\n`);
      }
    },
    onTrace(server, event) {
      for (const line of formatTrace(server, event)) write(`${line}\n`);
    },
    onWorkflowCommand: writeWorkflowCommand,
  };
}

/**
 * Transfers: bars on an interactive terminal (`bars`: the caller knows whether stderr is one);
 * plain lines in CI, in pipes, with TERM=dumb and with --no-progress. A server that refused for
 * good is said once whatever the verbosity (it explains `not-sent`).
 */
export async function progressPrinter(
  plan: Plan,
  write: (text: string) => void,
  verbosity: Verbosity,
  options: { bars: boolean; safeText: (text: string) => string },
): Promise<PublishEvents & { stop?: () => void }> {
  let events: PublishEvents & { stop?: () => void };
  if (options.bars && verbosity === "normal" && plan.action === "upload") {
    const { terminalReporter } = await import("../report/progress.js");
    events = terminalReporter(
      plan.jobs.reduce((sum, job) => sum + job.dist.size, 0),
      options.safeText,
    );
  } else {
    events = lineReporter((line) => write(`${line}\n`), verbosity);
  }
  events.onNotice ??= (line) => write(`${line}\n`);
  return events;
}

export interface ConsoleOutput {
  /** Writes text for people (stderr), redacted with the run's redactor. */
  write: (text: string) => void;
  writeWorkflowCommand: (line: string) => void;
  /** Progress bars: stderr is an interactive terminal and they were not turned off. */
  bars: boolean;
}

/**
 * A run through the Node API (prepare, then send unless it is a dry run) with its events printed:
 * what the CLI and the GitHub Action share.
 */
export async function runPrinted(
  options: PublishOptions & { redactor: NonNullable<PublishOptions["redactor"]> },
  output: ConsoleOutput,
): Promise<{ prepared: Prepared; report?: Report }> {
  const { verbosity, redactor } = options;
  const messages = messagePrinter(output.write, verbosity, output.writeWorkflowCommand);
  if (!options.dryRun) loadSending();
  const prepared = await prepare(options, messages);
  if (options.dryRun) return { prepared };
  const progress = await progressPrinter(prepared.plan, output.write, verbosity, {
    bars: output.bars,
    safeText: (text) => redactor.safeText(text),
  });
  try {
    return { prepared, report: await send(prepared, { ...messages, ...progress }) };
  } finally {
    progress.stop?.();
  }
}
