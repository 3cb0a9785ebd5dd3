import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { Job } from "../../src/plan/plan.js";
import { lineReporter } from "../../src/report/log.js";

const job = {
  id: 0,
  action: "upload",
  dist: { filename: "big-1.0-py3-none-any.whl" },
  server: { name: "a" },
  after: [],
} as unknown as Job;

describe("plain progress lines (CI logs)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("a running upload prints bytes, rate and ETA every 10 s; none after it finished", () => {
    const lines: string[] = [];
    const reporter = lineReporter((line) => lines.push(line), "normal");
    const MiB = 1024 * 1024;
    reporter.onStart?.(job, 100 * MiB);
    vi.advanceTimersByTime(5_000);
    reporter.onProgress?.(job, 10 * MiB);
    vi.advanceTimersByTime(5_000);
    expect(lines).toEqual([
      "uploading big-1.0-py3-none-any.whl to a (100 MiB)",
      "still uploading big-1.0-py3-none-any.whl to a: 10 MiB of 100 MiB (10%), 1.0 MiB/s, ETA 90s",
    ]);
    vi.advanceTimersByTime(10_000);
    expect(lines[2]).toMatch(/10 MiB of 100 MiB \(10%\), 512 KiB\/s, ETA 180s$/);
    reporter.onFinish?.({ job, outcome: { status: "uploaded" }, attempts: 1, durationMs: 21_000 });
    vi.advanceTimersByTime(30_000);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("uploaded: big-1.0-py3-none-any.whl to a in 21s");
    reporter.stop();
  });

  it("quiet: no progress lines", () => {
    const lines: string[] = [];
    const reporter = lineReporter((line) => lines.push(line), "quiet");
    reporter.onStart?.(job, 1000);
    vi.advanceTimersByTime(60_000);
    expect(lines).toEqual([]);
    reporter.stop();
  });
});
