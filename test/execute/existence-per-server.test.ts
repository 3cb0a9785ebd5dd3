/**
 * The existence checker's page reads keep to `--per-server` (src/execute/existence.ts): the
 * preflight asks for every project's page at once, and each would get its own connection.
 */

import { afterEach, describe, expect, it } from "vitest";
import { closeSessions } from "../../src/execute/session.js";
import { DEFAULT_LIMITS } from "../../src/publish/options.js";
import { dist, server } from "../helpers/builders.js";
import { checkerFor } from "../helpers/existence.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let index: IndexServer | undefined;
afterEach(async () => {
  await index?.close();
  index = undefined;
});

/** The most page requests the server had at once while `perServer` pages were read. */
async function peakPageReads(perServer: number, projects: number): Promise<number> {
  let finished = 0;
  let peak = 0;
  const started = await startIndexServer({
    mode: "pypi",
    faults: [{ on: "any", times: "always", action: { delayMs: 100 } }],
    // Just before a request finishes, every request that arrived and is not done is in flight.
    onRequest: () => {
      peak = Math.max(peak, (index?.requests.length ?? 0) - finished);
      finished++;
    },
  });
  index = started;
  const target = server("a", { repository: started.uploadUrl, checkUrl: started.simpleUrl });
  const { sessions, checker } = checkerFor(target, perServer);
  try {
    const dists = Array.from({ length: projects }, (_, i) => dist(`p${i}`, "1.0"));
    const presence = await Promise.all(
      dists.map((d) => checker.presence(target, d, "0".repeat(64))),
    );
    expect(presence.every((p) => p.state === "absent")).toBe(true);
  } finally {
    await closeSessions(sessions);
  }
  expect(started.requests.filter((r) => r.path.startsWith("/simple/p"))).toHaveLength(projects);
  return peak;
}

describe("ExistenceChecker", () => {
  it("reads at most --per-server pages of one server at once", async () => {
    expect(await peakPageReads(2, 6)).toBe(2);
  });

  it("reads up to 8 at once with the runs' default --per-server", async () => {
    const peak = await peakPageReads(DEFAULT_LIMITS.perServer, 10);
    expect(peak).toBeLessThanOrEqual(8);
    expect(peak).toBeGreaterThan(2);
  });
});
