/**
 * The preflight reads each server's page for a file while the file is being hashed, not after
 * (src/execute/preflight.ts): the page's round trip overlaps the hashing. Against the real test
 * index server, with the digest held until the page has been asked for.
 */
import { afterEach, describe, expect, it } from "vitest";
import { preflight } from "../../src/execute/preflight.js";
import { closeSessions } from "../../src/execute/session.js";
import type { Plan } from "../../src/plan/plan.js";
import { dist, server } from "../helpers/builders.js";
import { checkerFor } from "../helpers/existence.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let index: IndexServer | undefined;
afterEach(async () => {
  await index?.close();
  index = undefined;
});

describe("preflight", () => {
  it("asks for the project's page before the file's digest is known", async () => {
    index = await startIndexServer({ mode: "pypi" });
    const target = server("a", { repository: index.uploadUrl, checkUrl: index.simpleUrl });
    const file = dist("demo", "1.0");
    const plan: Plan = {
      action: "upload",
      servers: [target],
      jobs: [{ id: 0, action: "upload", dist: file, server: target, after: [] }],
      mode: "explicit",
      notes: [],
    };
    const { sessions, checker } = checkerFor(target, 8);
    const pagePath = "/simple/demo/";
    const pageAsked = () => index?.requests.some((r) => r.path === pagePath) ?? false;
    let askedBeforeDigest: boolean | undefined;
    try {
      await preflight(
        plan,
        sessions,
        checker,
        async () => {
          // The digest takes until the page has been asked for (or 5 s: then it was not).
          for (let i = 0; i < 500 && !pageAsked(); i++) await new Promise((r) => setTimeout(r, 10));
          askedBeforeDigest = pageAsked();
          return { sha256: "0".repeat(64) };
        },
        { userAgent: "test", timeoutMs: 5000 },
      );
    } finally {
      await closeSessions(sessions);
    }
    expect(askedBeforeDigest).toBe(true);
    expect(index.requests.filter((r) => r.path === pagePath)).toHaveLength(1);
  });
});
