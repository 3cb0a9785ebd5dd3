import { readdirSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import {
  type CliResult,
  exampleDist,
  fieldsOf,
  outcomes,
  postsTo,
  pypirc,
  reportOf,
  runCli,
  storedNames,
  uploadArgs,
  workspace,
} from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const SENTINEL = "sentinel-pw-7f3a9c";

let pypi: IndexServer;
let plone: IndexServer;
let company: IndexServer;
let fixtures: FixtureSet;
let config: string;
let dir: string;

const examples = readdirSync(exampleDist).map((f) => join(exampleDist, f));

beforeAll(async () => {
  fixtures = await ensureFixtures();
});

// Fresh servers (and .pypirc) for every test: none relies on what another one uploaded.
beforeEach(async () => {
  [pypi, plone, company] = await Promise.all([
    startIndexServer({ mode: "pypi", users: { __token__: `pypi-${SENTINEL}` } }),
    startIndexServer({ mode: "devpi", users: { tarek: SENTINEL } }),
    startIndexServer({ mode: "devpi", users: { ci: `${SENTINEL}-company` } }),
  ]);
  ({ config, dir } = workspace(
    pypirc({
      distutils: { "index-servers": ["pypi", "plone", "company"] },
      pypi: {
        repository: pypi.uploadUrl,
        username: "__token__",
        password: `pypi-${SENTINEL}`,
        "release-packages": ["Products\\..*", "collective\\..*"],
      },
      plone: {
        repository: plone.uploadUrl,
        username: "tarek",
        password: SENTINEL,
        "release-packages": ["Products\\..*", "collective\\..*", "plone\\..*"],
      },
      company: {
        repository: company.uploadUrl,
        username: "ci",
        password: `${SENTINEL}-company`,
        "release-packages": ["acme-.*"],
      },
    }),
  ));
});

afterEach(async () => {
  await Promise.all([pypi?.close(), plone?.close(), company?.close()]);
});

/** Requests the three servers have seen so far. */
const requestCount = (): number =>
  pypi.requests.length + plone.requests.length + company.requests.length;

/** The example files by server, as routed by the .pypirc above. */
const ROUTED = {
  pypi: [
    "Products.HelloWorld-1.2.3-py3-none-any.whl",
    "Products.HelloWorld-1.2.3.tar.gz",
    "collective.demo-1.0.0-py3-none-any.whl",
    "collective.demo-1.0.0.tar.gz",
  ],
  plone: [
    "Products.HelloWorld-1.2.3-py3-none-any.whl",
    "Products.HelloWorld-1.2.3.tar.gz",
    "collective.demo-1.0.0-py3-none-any.whl",
    "collective.demo-1.0.0.tar.gz",
  ],
  company: ["acme-internal-0.3.0.tar.gz", "acme_internal-0.3.0-py3-none-any.whl"],
};

/** Every routed file x server with one status, sorted as `outcomes` sorts. */
const everyRouted = (status: string): string[] =>
  Object.entries(ROUTED)
    .flatMap(([server, files]) => files.map((f) => `${f} ${server} ${status}`))
    .sort();

const noSecrets = (text: string): void => {
  expect(text).not.toContain(SENTINEL);
  expect(text).not.toContain(Buffer.from(`tarek:${SENTINEL}`).toString("base64"));
};

describe("pkgpush upload (routing by release-packages, three servers)", () => {
  it("sends every example file to exactly the servers whose patterns match", async () => {
    const r = await runCli(["upload", "--config-file", config, "--json", ...examples]);
    noSecrets(r.stdout + r.stderr);
    expect(r.stderr).not.toContain("error");
    expect(r.code).toBe(0);
    expect(storedNames(pypi)).toEqual(ROUTED.pypi);
    expect(storedNames(plone)).toEqual(ROUTED.plone);
    expect(storedNames(company)).toEqual(ROUTED.company);
    const report = reportOf(r);
    expect(outcomes(report)).toEqual(everyRouted("uploaded"));
    expect(report.files).toHaveLength(6);
    expect(report.totals.uploaded).toBe(10);
    // Wheels before sdists on each server.
    for (const server of [pypi, plone, company]) {
      const uploads = server.requests
        .filter((q) => q.action === "file_upload")
        .map((q) => q.file?.filename ?? "");
      const firstSdist = uploads.findIndex((f) => f.endsWith(".tar.gz"));
      const lastWheel = uploads.map((f) => f.endsWith(".whl")).lastIndexOf(true);
      expect(lastWheel).toBeLessThan(firstSdist);
    }
  });

  it("sends the protocol fields Warehouse expects, with sha256 and blake2_256 (no md5 unless asked)", async () => {
    expect((await runCli(["upload", "--config-file", config, ...examples])).code).toBe(0);
    const request = plone.requests.find(
      (q) => q.file?.filename === "collective.demo-1.0.0-py3-none-any.whl",
    );
    expect(request?.status).toBe(200);
    const fields = fieldsOf(request);
    expect(fields.get(":action")).toEqual(["file_upload"]);
    expect(fields.get("protocol_version")).toEqual(["1"]);
    expect(fields.get("name")).toEqual(["collective.demo"]);
    expect(fields.get("version")).toEqual(["1.0.0"]);
    expect(fields.get("filetype")).toEqual(["bdist_wheel"]);
    expect(fields.get("pyversion")).toEqual(["py3"]);
    expect(fields.get("requires_python")).toEqual([">=3.8"]);
    expect(fields.get("classifiers")).toEqual([
      "Framework :: Plone",
      "Programming Language :: Python :: 3",
    ]);
    expect(fields.get("description")?.[0]).toContain("Ünïcode ✓");
    expect(fields.get("sha256_digest")?.[0]).toBe(request?.file?.sha256);
    expect(fields.get("blake2_256_digest")?.[0]).toBe(request?.file?.blake2_256);
    expect(fields.has("md5_digest")).toBe(false);
    expect(request?.headers["user-agent"]).toMatch(/^pkgpush\/\d+\.\d+\.\d+ /);
    expect(request?.headers.authorization).toBe("Basic tarek");
    expect(request?.chunked).toBe(false);
    expect(request?.contentLength).toBe(request?.bodyBytes);
  });

  it("re-uploading the same files: the derived simple indexes list them, so nothing is sent again", async () => {
    expect((await runCli(["upload", "--config-file", config, ...examples])).code).toBe(0);
    const before = requestCount();
    const posts = () => [pypi, plone, company].flatMap((s) => postsTo(s)).length;
    const postsBefore = posts();
    const r = await runCli(["upload", "--config-file", config, "-q", "--json", ...examples]);
    expect(r.code).toBe(0);
    const report = reportOf(r);
    expect(outcomes(report)).toEqual(everyRouted("skipped"));
    for (const row of report.results) {
      expect(row.reason).toBe("already on the server with the same sha256 (check URL)");
    }
    expect(posts()).toBe(postsBefore);
    expect(requestCount()).toBeGreaterThan(before);
    // Without checks, an identical re-upload is accepted by these servers all the same.
    const again = await runCli([
      "upload",
      "--config-file",
      config,
      "-q",
      "--no-check",
      "--json",
      ...examples,
    ]);
    expect(again.code).toBe(0);
    expect(outcomes(reportOf(again))).toEqual(everyRouted("uploaded"));
  });

  it("a conflicting file fails on that server only; --skip-existing turns it into a skip", async () => {
    const wheel = fixtures.collectiveFoo.path;
    const other = await startIndexServer({
      mode: "pypi",
      existsStyle: "pypiserver",
      users: { u: SENTINEL },
    });
    try {
      await other.seed("collective_foo-1.0.0-py3-none-any.whl", "different bytes");
      // --no-check: this is about the servers' answers (the check URL would refuse it first).
      const args = uploadArgs(
        config,
        "plone",
        "-r",
        other.uploadUrl,
        "--no-check",
        "--json",
        wheel,
      );
      const onOther = (r: CliResult) => reportOf(r).results.filter((x) => x.server !== "plone");
      // Per-server variables beat the global ones: plone keeps its own user.
      const env = {
        PKGPUSH_USERNAME: "u",
        PKGPUSH_PASSWORD: SENTINEL,
        PKGPUSH_PLONE_USERNAME: "tarek",
      };
      const failed = await runCli(args, { env });
      noSecrets(failed.stdout + failed.stderr);
      expect(failed.code).toBe(1);
      expect(reportOf(failed).results).toContainEqual(
        expect.objectContaining({
          file: "collective_foo-1.0.0-py3-none-any.whl",
          server: "plone",
          status: "uploaded",
        }),
      );
      expect(onOther(failed)).toEqual([
        expect.objectContaining({
          file: "collective_foo-1.0.0-py3-none-any.whl",
          status: "failed",
          httpStatus: 409,
          reason: expect.stringMatching(/^409 Conflict/),
        }),
      ]);
      const skipped = await runCli([...args, "--skip-existing"], { env });
      expect(skipped.code).toBe(0);
      expect(onOther(skipped)).toEqual([
        expect.objectContaining({
          status: "skipped",
          reason: expect.stringMatching(/already exists/),
        }),
      ]);
    } finally {
      await other.close();
    }
  });

  it("refuses, before sending anything, a file that no server accepts", async () => {
    const before = requestCount();
    const r = await runCli([
      "upload",
      "--config-file",
      config,
      fixtures.collectiveFoo.path,
      fixtures.oldSdist.path,
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /demo-pkg-0\.1\.0\.tar\.gz: no server's release-packages matches project 'demo-pkg'/,
    );
    expect(requestCount()).toBe(before);
  });

  it("reports every bad file by name and sends nothing", async () => {
    const before = plone.requests.length;
    const r = await runCli(
      uploadArgs(
        config,
        "plone",
        fixtures.badName.path,
        fixtures.corruptZip.path,
        fixtures.collectiveFoo.path,
      ),
    );
    expect(r.code).toBe(2);
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("pkgpush: error:"));
    expect(errors.length).toBeGreaterThanOrEqual(2);
    expect(r.stderr).toContain("mismatch-1.0-py3-none-any.whl");
    expect(r.stderr).toContain(fixtures.corruptZip.path.split("/").pop() as string);
    expect(plone.requests.length).toBe(before);
  });

  it("--dry-run prints the plan with URLs and users, never passwords, and sends nothing", async () => {
    const before = requestCount();
    const json = await runCli([
      "upload",
      "--config-file",
      config,
      "--dry-run",
      "--json",
      ...examples,
    ]);
    expect(json.code).toBe(0);
    noSecrets(json.stdout + json.stderr);
    const report = reportOf(json);
    expect(report.servers).toContainEqual({
      name: "plone",
      url: plone.uploadUrl,
      username: "tarek",
    });
    expect((report.plan ?? []).map((job) => `${job.file} ${job.server} planned`).sort()).toEqual(
      everyRouted("planned"),
    );
    // The printed plan shows the same URLs and users, and no secret either.
    const r = await runCli(["upload", "--config-file", config, "--dry-run", ...examples]);
    expect(r.code).toBe(0);
    noSecrets(r.stdout + r.stderr);
    expect(r.stdout).toContain(plone.uploadUrl);
    expect(r.stdout).toContain("user tarek");
    expect(requestCount()).toBe(before);
  });

  it("a failure on one server does not stop the others, and the report says why", async () => {
    const env = { PKGPUSH_COMPANY_PASSWORD: "wrong-password" };
    const r = await runCli(
      uploadArgs(config, "plone,company", "--retries", "0", "--json", fixtures.acmeInternal.path),
      {
        env,
        cwd: dir,
      },
    );
    expect(r.code).toBe(1);
    const report = reportOf(r);
    expect(outcomes(report)).toEqual([
      "acme_internal-0.9.0-py3-none-any.whl company failed",
      "acme_internal-0.9.0-py3-none-any.whl plone uploaded",
    ]);
    expect(report.results.find((x) => x.server === "company")).toMatchObject({
      httpStatus: 403,
      reason: expect.stringMatching(/^403/),
    });
    expect(r.stdout + r.stderr).not.toContain("wrong-password");
  });

  it("writes a JSON report with the sha256 of each file", async () => {
    const r = await runCli(uploadArgs(config, "plone", "--json", fixtures.ploneBar.path));
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.schema).toBe("pkgpush-report/1");
    expect(report.files[0].sha256).toBe(fixtures.ploneBar.sha256);
    expect(report.results[0]).toMatchObject({
      server: "plone",
      status: "uploaded",
      httpStatus: 200,
    });
    expect(report.totals.uploaded).toBe(1);
  });
});

describe("pkgpush register", () => {
  it("registers on a plone/devpi-like index and reports PyPI's 410 as not needed", async () => {
    const r = await runCli([
      "register",
      "--config-file",
      config,
      "-r",
      "plone",
      "-r",
      "pypi",
      "--json",
      ...examples.filter((f) => f.includes("collective")),
    ]);
    noSecrets(r.stdout + r.stderr);
    expect(r.code).toBe(0);
    const report = reportOf(r);
    expect(report.command).toBe("register");
    expect(report.results.map((x) => `${x.server} ${x.status} ${x.httpStatus}`).sort()).toEqual([
      "plone registered 200",
      "pypi not-needed 410",
    ]);
    const submit = plone.requests.find((q) => q.action === "submit");
    expect(submit?.fields).toContainEqual(["name", "collective.demo"]);
    expect(submit?.fields.map(([k]) => k)).not.toContain("sha256_digest");
  });
});
