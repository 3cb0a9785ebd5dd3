import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { type ExitingProcess, exitWith } from "../../src/commands/exit-guard.js";

/** A process stand-in: 'exit' is emitted by the test, as Node does when the loop empties. */
function fakeProcess() {
  const events = new EventEmitter();
  const written: string[] = [];
  const proc: ExitingProcess & { emitExit(code: number): void } = {
    exitCode: undefined,
    once: (event, listener) => events.once(event, listener),
    stderr: { write: (text: string) => written.push(text) },
    emitExit: (code) => events.emit("exit", code),
  };
  return { proc, written };
}

describe("exitWith", () => {
  it("sets the exit code main answered, and says nothing at exit", async () => {
    const { proc, written } = fakeProcess();
    await exitWith(Promise.resolve(2), proc);
    proc.emitExit(0);
    expect(proc.exitCode).toBe(2);
    expect(written).toEqual([]);
  });

  it("turns a run that never answered into exit 1 with one line on stderr", async () => {
    const { proc, written } = fakeProcess();
    void exitWith(new Promise<number>(() => {}), proc);
    await Promise.resolve();
    proc.emitExit(0);
    expect(proc.exitCode).toBe(1);
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(/^pkgpush: error: the run ended before it finished.*\n$/);
  });

  it("leaves a chosen non-zero ending alone (a second Ctrl-C's exit 130)", async () => {
    const { proc, written } = fakeProcess();
    void exitWith(new Promise<number>(() => {}), proc);
    proc.exitCode = 130;
    proc.emitExit(130);
    expect(proc.exitCode).toBe(130);
    expect(written).toEqual([]);
  });
});
