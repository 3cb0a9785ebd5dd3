import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { pypirc, runCli, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

// Every job in flight listens to the run's abort signal: more than Node's default of ten
// listeners must not print a MaxListenersExceededWarning into the user's terminal.
const SERVERS = 12;
let servers: IndexServer[];
let fixtures: FixtureSet;

beforeAll(async () => {
  fixtures = await ensureFixtures();
  servers = await Promise.all(
    Array.from({ length: SERVERS }, () => startIndexServer({ users: { u: "pw-long-enough-1" } })),
  );
});

afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

describe("one run, many jobs in flight", () => {
  it("uploads one file to twelve servers at once without a listener warning", async () => {
    const names = servers.map((_, i) => `s${i}`);
    const sections = Object.fromEntries(
      servers.map((s, i) => [
        `s${i}`,
        {
          repository: s.uploadUrl,
          username: "u",
          password: "pw-long-enough-1",
          "check-url": "none",
        },
      ]),
    );
    const { config } = workspace(pypirc({ distutils: { "index-servers": names }, ...sections }));
    const r = await runCli([
      "upload",
      "--config-file",
      config,
      "--json",
      ...names.flatMap((n) => ["-r", n]),
      fixtures.wheel21.path,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/MaxListenersExceeded/);
    const report = JSON.parse(r.stdout);
    expect(report.totals.uploaded).toBe(SERVERS);
  }, 60_000);
});
