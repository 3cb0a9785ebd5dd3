/**
 * Progress output: on a real pseudo-terminal (util-linux `script`) the bars leave one finish line
 * per transfer, the last one included (it used to be cleared with the bars); in CI logs a running
 * upload prints a progress line every 10 s (test/report/progress-lines.test.ts).
 */
import { spawnSync } from "node:child_process";
import { basename } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { pypirc, runOnTerminal, uploadArgs, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
let server: IndexServer;

beforeAll(async () => {
  if (spawnSync("sh", ["-c", "command -v script"]).status !== 0) {
    throw new Error(
      "the terminal test needs util-linux `script` (Debian: bsdutils); run `npm run setup`",
    );
  }
  fixtures = await ensureFixtures();
  server = await startIndexServer({ mode: "devpi", users: { alice: "Terminal-Secret-77" } });
});
afterAll(async () => {
  await server?.close();
});

describe("progress bars on a terminal", () => {
  it("every transfer leaves its finish line, the last one too (3 runs)", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["a"] },
        a: { repository: server.uploadUrl, username: "alice", password: "Terminal-Secret-77" },
      }),
    );
    const files = [fixtures.wheel24.path, fixtures.wheel25.path];
    for (let run = 0; run < 3; run++) {
      const r = await runOnTerminal(uploadArgs(config, "a", "--skip-existing", ...files));
      expect(r.code, r.screen).toBe(0);
      for (const file of files) {
        expect(r.screen).toMatch(
          new RegExp(`(uploaded|skipped): ${basename(file).replace(/\./g, "\\.")} -> a`),
        );
      }
    }
  }, 60_000);
});
