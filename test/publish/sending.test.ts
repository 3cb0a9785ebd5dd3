/**
 * A run that will send starts loading its sending half (the HTTP stack) before it prepares, so
 * the modules compile while `prepare` waits for its reads; a dry run never loads it
 * (src/publish/sending.ts). Observed through `runPrinted` (what the CLI runs), with `prepare`
 * held until the test lets it finish.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../src/errors.js";
import type { PublishOptions } from "../../src/publish/options.js";
import { Redactor } from "../../src/report/redact.js";

const loaded: string[] = [];
let finishPrepare: (error: Error) => void = () => undefined;

vi.mock("../../src/publish/send.js", () => {
  loaded.push("send");
  return { send: () => Promise.reject(new Error("not reached")) };
});
vi.mock("../../src/publish/prepare.js", async (original) => ({
  ...(await original<typeof import("../../src/publish/prepare.js")>()),
  prepare: () =>
    new Promise((_, reject) => {
      finishPrepare = reject;
    }),
}));

beforeEach(() => {
  vi.resetModules();
  loaded.length = 0;
});

async function runUntilPrepared(dryRun: boolean): Promise<string[]> {
  const { runPrinted } = await import("../../src/commands/console.js");
  const run = runPrinted(
    { dryRun, verbosity: "quiet", redactor: new Redactor() } as PublishOptions & {
      redactor: Redactor;
    },
    {
      write: () => undefined,
      writeWorkflowCommand: () => undefined,
      bars: false,
    },
  );
  // Long enough for a dynamic import to settle, while `prepare` is still pending.
  await vi.waitFor(() => expect(loaded.length > 0 || dryRun).toBe(true));
  await new Promise((r) => setTimeout(r, 50));
  const during = [...loaded];
  finishPrepare(new UsageError("stop here"));
  await expect(run).rejects.toThrow("stop here");
  return during;
}

describe("the sending half of a run", () => {
  it("starts loading before prepare has finished, when the run will send", async () => {
    expect(await runUntilPrepared(false)).toEqual(["send"]);
  });

  it("is not loaded by a dry run", async () => {
    expect(await runUntilPrepared(true)).toEqual([]);
  });
});
