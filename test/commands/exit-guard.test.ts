import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { type ExitingProcess, endWhenFlushed, exitWith } from "../../src/commands/exit-guard.js";

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

describe("endWhenFlushed", () => {
  /** stdout and stderr with `queued` bytes not yet written, and an exit that records its call. */
  function ending(queued: { stdout: number; stderr: number }) {
    const exits: unknown[] = [];
    const proc = {
      stdout: { writableLength: queued.stdout },
      stderr: { writableLength: queued.stderr },
      exit: (code?: number) => {
        exits.push(code);
      },
    } as unknown as Parameters<typeof endWhenFlushed>[0];
    return { proc, exits };
  }

  it("ends the process at once (with the exit code already set) when nothing is queued", () => {
    const { proc, exits } = ending({ stdout: 0, stderr: 0 });
    endWhenFlushed(proc);
    expect(exits).toEqual([undefined]);
  });

  it.each([
    ["stdout", { stdout: 12, stderr: 0 }],
    ["stderr", { stdout: 0, stderr: 3 }],
  ])("leaves the ending to Node while %s still has output queued", (_label, queued) => {
    const { proc, exits } = ending(queued);
    endWhenFlushed(proc);
    expect(exits).toEqual([]);
  });
});
