import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureKey, type FixtureSet } from "../fixtures/make-fixtures.js";
import { fieldsOf, reportOf, runCli } from "../helpers/cli.js";
import {
  type IndexServer,
  type RecordedRequest,
  startIndexServer,
} from "../server/index-server.js";

let fixtures: FixtureSet;
let devpi: IndexServer;
let warehouse: IndexServer;

const credentials = ["-u", "u", "-p", "formats-pw"];

beforeAll(async () => {
  fixtures = await ensureFixtures();
  [devpi, warehouse] = await Promise.all([
    startIndexServer({ mode: "devpi", users: { u: "formats-pw" } }),
    startIndexServer({ mode: "pypi", users: { u: "formats-pw" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([devpi?.close(), warehouse?.close()]);
});

const every: FixtureKey[] = [
  "egg10",
  "sdist11",
  "sdist12zip",
  "wheel21",
  "wheel24",
  "wheel25",
  "sdistBz2",
  "oldWheel",
  "oldSdist",
  "localVersion",
];

const uploadOf = (server: IndexServer, key: FixtureKey): RecordedRequest | undefined =>
  server.requests.find((r) => r.file?.filename === fixtures[key].path.split("/").pop());

describe("every distribution format and metadata version", () => {
  it("reaches a devpi-like index intact, with the metadata of each version", async () => {
    const r = await runCli([
      "upload",
      "--repository-url",
      devpi.uploadUrl,
      ...credentials,
      ...every.map((k) => fixtures[k].path),
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const stored = new Map(devpi.files().map((f) => [f.filename, f]));
    for (const key of every) {
      const fixture = fixtures[key];
      const file = stored.get(fixture.path.split("/").pop() as string);
      expect(file?.sha256, key).toBe(fixture.sha256);
      expect(file?.filetype, key).toBe(fixture.filetype);
      expect(file?.pyversion, key).toBe(fixture.pyversion);
      expect(fieldsOf(uploadOf(devpi, key)).get("metadata_version"), key).toEqual([
        fixture.metadataVersion,
      ]);
    }
    const egg = fieldsOf(uploadOf(devpi, "egg10"));
    expect(egg.get("filetype")).toEqual(["bdist_egg"]);
    expect(egg.get("pyversion")).toEqual(["2.7"]);
    const v24 = fieldsOf(uploadOf(devpi, "wheel24"));
    expect(v24.get("license_expression")?.length).toBe(1);
    expect(v24.get("license_file")?.length).toBeGreaterThanOrEqual(1);
    const v25 = fieldsOf(uploadOf(devpi, "wheel25"));
    expect(v25.get("import_name")?.length).toBeGreaterThanOrEqual(1);
    const v21 = fieldsOf(uploadOf(devpi, "wheel21"));
    expect(v21.get("description")?.[0]).toMatch(/Ünïcode ✓/);
    expect(v21.get("description_content_type")).toEqual(["text/markdown"]);
  });

  it("Warehouse-like index: eggs are refused with its reason, the rest of the run goes on", async () => {
    const r = await runCli([
      "upload",
      "--repository-url",
      warehouse.uploadUrl,
      ...credentials,
      "--json",
      fixtures.egg10.path,
      fixtures.wheel24.path,
    ]);
    expect(r.code).toBe(1);
    const report = reportOf(r);
    expect(report.results.map((x) => `${x.file} ${x.status}`).sort()).toEqual([
      "Products.HelloWorld-1.0-py2.7.egg failed",
      "licensed-2.4.0-py3-none-any.whl uploaded",
    ]);
    expect(report.results.find((x) => x.status === "failed")).toMatchObject({
      httpStatus: 400,
      reason: expect.stringMatching(/^400 .*egg/i),
    });
  });
});
