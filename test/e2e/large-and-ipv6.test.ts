import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { fieldsOf, pypirc, runCli, uploadArgs, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
let a: IndexServer;
let b: IndexServer;

beforeAll(async () => {
  fixtures = await ensureFixtures();
  [a, b] = await Promise.all([
    startIndexServer({ mode: "pypi", users: { u: "large-pw" } }),
    // IPv6 loopback: URLs with [::1] must work the same.
    startIndexServer({ host: "::1", mode: "devpi", users: { u: "large-pw" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

describe("a 50 MiB wheel and a 24 MiB sdist to two servers (one on ::1)", () => {
  it("streams them with exact lengths and every digest verified by the servers (md5 only where asked)", async () => {
    expect(b.uploadUrl).toContain("[::1]");
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["a", "b"] },
        a: { repository: a.uploadUrl, username: "u", password: "large-pw" },
        b: { repository: b.uploadUrl, username: "u", password: "large-pw", "md5-digest": "true" },
      }),
    );
    const r = await runCli(
      uploadArgs(config, "a,b", fixtures.bigWheel.path, fixtures.bigSdist.path),
      {
        timeoutMs: 120_000,
      },
    );
    expect(r.code, r.stderr).toBe(0);
    for (const server of [a, b]) {
      const stored = new Map(server.files().map((f) => [f.filename, f.sha256]));
      expect(stored.get(fixtures.bigWheel.path.split("/").pop() as string)).toBe(
        fixtures.bigWheel.sha256,
      );
      expect(stored.get(fixtures.bigSdist.path.split("/").pop() as string)).toBe(
        fixtures.bigSdist.sha256,
      );
      for (const q of server.requests.filter((x) => x.action === "file_upload")) {
        expect(q.chunked).toBe(false);
        expect(q.contentLength).toBe(q.bodyBytes);
        const fields = fieldsOf(q);
        expect(fields.get("sha256_digest")).toEqual([q.file?.sha256]);
        expect(fields.get("blake2_256_digest")).toEqual([q.file?.blake2_256]);
        // The server checked the md5 it was sent (a mismatch is a 400); only b asked for one.
        expect(q.status).toBe(200);
        expect(fields.get("md5_digest")).toEqual(server === b ? [q.file?.md5] : undefined);
      }
    }
  });
});
