/** `status()` from the Node API (src/index.ts), in-process against a test index server. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { status } from "../../src/index.js";
import { exampleDist } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let index: IndexServer;
const wheel = "collective.demo-1.0.0-py3-none-any.whl";

beforeAll(async () => {
  index = await startIndexServer({});
  await index.seed(wheel, readFileSync(join(exampleDist, wheel)));
});

afterAll(async () => {
  await index?.close();
});

it("status() resolves with the report: files mode and project mode", async () => {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-status-api-"));
  const configFile = join(dir, "pypirc");
  writeFileSync(configFile, "", { mode: 0o600 });
  const common = {
    configFile,
    env: {},
    keyring: false,
    retries: 0,
    repositories: [index.uploadUrl],
  };
  const files = await status({
    ...common,
    args: [join(exampleDist, wheel), join(exampleDist, "collective.demo-1.0.0.tar.gz")],
  });
  expect(files).toMatchObject({ schema: "pkgpush-status/1", mode: "files", exitCode: 1 });
  expect(files.releases[0]?.cells[index.uploadUrl]).toMatchObject({
    state: "incomplete",
    same: 1,
    missing: 1,
  });
  expect(files.servers[0]).toMatchObject({
    simpleUrl: index.simpleUrl,
    simpleUrlSource: "derived",
  });
  const byName = await status({ ...common, args: ["collective.demo==1.0.0"] });
  expect(byName).toMatchObject({ mode: "projects", exitCode: 0, notFound: [] });
});
