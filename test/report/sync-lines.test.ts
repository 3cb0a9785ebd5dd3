/** sync's plain progress lines: a download that runs long says how far it got every interval. */
import { describe, expect, it } from "vitest";
import { syncLines } from "../../src/commands/sync-progress.js";
import type { Copy } from "../../src/sync/plan.js";

const copy: Copy = {
  project: "demo",
  version: "1.0",
  file: {
    filename: "demo-1.0-py3-none-any.whl",
    url: "http://x/f",
    sha256: "0".repeat(64),
    size: 4096,
  },
  targets: ["a", "b"],
};

describe("syncLines", () => {
  it("a running download prints a progress line every interval; failures are said when quiet", async () => {
    const lines: string[] = [];
    const events = syncLines((line) => lines.push(line), "normal", 20);
    events.onDownloadStart?.(copy);
    events.onDownloadProgress?.(copy, 1024);
    await new Promise((r) => setTimeout(r, 70));
    events.onDownloadFinish?.(copy, {
      ok: true,
      durationMs: 70,
      path: "/x",
      size: 4096,
      sha256: "",
      blake2_256: "",
      attempts: 1,
    });
    const count = lines.length;
    await new Promise((r) => setTimeout(r, 50));
    events.stop();
    expect(lines[0]).toBe("downloading demo-1.0-py3-none-any.whl (4.0 KiB)");
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^still downloading demo-1\.0-py3-none-any\.whl: 1\.0 KiB of 4\.0 KiB \(25%\), /,
      ),
    );
    expect(lines[count - 1]).toMatch(
      /^downloaded: demo-1\.0-py3-none-any\.whl in \S+, sha256 verified$/,
    );
    // Nothing more once it finished.
    expect(lines.length).toBe(count);

    const quiet: string[] = [];
    const q = syncLines((line) => quiet.push(line), "quiet", 20);
    q.onDownloadStart?.(copy);
    q.onDownloadFinish?.(copy, {
      ok: false,
      durationMs: 1,
      reason: "the source answered 404",
      code: "HTTP_404",
    });
    q.stop();
    expect(quiet).toEqual(["download failed: demo-1.0-py3-none-any.whl: the source answered 404"]);
  });
});
