/**
 * `check` under PyPI's rules (the default) renders descriptions on a second thread whose start-up
 * (Node's own bootstrap of a worker, ~0.1 s of the second core) is on the run's critical path:
 * the CLI starts it before it loads commander and the commands, from the raw arguments. A guess
 * that is wrong costs only that start-up: the thread is idle and never keeps the process alive.
 */

/** Whether the arguments ask for `check` with PyPI's rules (its help is not a check). */
export function checkWithPypiRules(argv: string[]): boolean {
  if (argv[0] !== "check") return false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (arg === "-h" || arg === "--help" || arg === "--rules=basic") return false;
    if (arg === "--rules" && argv[i + 1] === "basic") return false;
  }
  return true;
}

/**
 * Starts the description thread now when the arguments ask for a check that renders. Awaited
 * before the CLI's own modules load: loaded side by side, the small chunk that starts it waits
 * its turn behind them.
 */
export async function startEarlyThread(argv: string[]): Promise<void> {
  if (!checkWithPypiRules(argv)) return;
  const { startDescriptionThread } = await import("../rules/readme/description-thread.js");
  startDescriptionThread();
}
