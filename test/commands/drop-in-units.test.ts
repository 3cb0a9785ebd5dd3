/** The pure parts of the drop-in flags, the uv index reader and the Action's input mapping. */
import { describe, expect, it } from "vitest";
import { readInputs, uploadOptions } from "../../src/action/inputs.js";
import { annotations, stepSummary } from "../../src/action/summary.js";
import { findUvIndex } from "../../src/config/pyproject.js";
import { sendsSignature } from "../../src/protocol/signatures.js";
import { applyDropInOptions, envFlag } from "../../src/publish/drop-in.js";
import type { PublishFlags } from "../../src/publish/flags.js";
import type { JsonReport } from "../../src/report/json.js";

const base = (): PublishFlags =>
  ({
    concurrency: "4",
    perServer: "2",
    retries: "3",
    connectTimeout: "10",
    timeout: "120",
    keyring: true,
    preflight: true,
    check: true,
  }) as PublishFlags;

describe("twine's boolean variables", () => {
  it.each([
    ["1", true],
    ["true", true],
    ["YES", true],
    ["0", false],
    ["off", false],
    ["", false],
  ])("%s -> %s", (value, expected) => {
    expect(envFlag({ TWINE_NON_INTERACTIVE: value }, "TWINE_NON_INTERACTIVE")).toBe(expected);
  });
  it("refuses anything else, naming the variable", () => {
    expect(() => envFlag({ X: "maybe" }, "X")).toThrow(/X=maybe/);
  });
});

describe("applyDropInOptions", () => {
  it("maps --token, --publish-url, --disable-progress-bar and automatic", async () => {
    const opts = {
      ...base(),
      token: "pypi-x",
      publishUrl: "https://u.example/legacy/",
      disableProgressBar: true,
      trustedPublishing: "automatic",
    };
    await applyDropInOptions(opts, {}, "/");
    expect([
      opts.username,
      opts.password,
      opts.repositoryUrl,
      opts.progress,
      opts.trustedPublishing,
    ]).toEqual(["__token__", "pypi-x", "https://u.example/legacy/", false, "auto"]);
  });
  it("refuses --token with another user name", async () => {
    await expect(
      applyDropInOptions({ ...base(), token: "t", username: "bob" }, {}, "/"),
    ).rejects.toThrow(/__token__/);
  });
});

describe("[[tool.uv.index]]", () => {
  const toml = `[tool.uv]\nindex = [\n  { name = "a", url = "https://a.example/simple/", publish-url = "https://a.example/legacy/" },\n  { name = "b", url = "https://b.example/simple/" },\n]\n`;
  it("reads inline tables as well as [[tool.uv.index]] blocks", () => {
    expect(findUvIndex(toml, "pyproject.toml", "a")).toEqual({
      name: "a",
      publishUrl: "https://a.example/legacy/",
      url: "https://a.example/simple/",
    });
  });
  it("an index without publish-url, and broken TOML, are clear errors", () => {
    expect(() => findUvIndex(toml, "pyproject.toml", "b")).toThrow(
      /'b' in pyproject.toml has no publish-url/,
    );
    expect(() => findUvIndex("[tool.uv\n", "p.toml", "a")).toThrow(/p.toml line 1: not valid TOML/);
  });
});

it("signatures go everywhere but PyPI", () => {
  expect(sendsSignature({ repository: "https://upload.pypi.org/legacy/" })).toBe(false);
  expect(sendsSignature({ repository: "https://test.pypi.org/legacy/" })).toBe(false);
  expect(sendsSignature({ repository: "https://devpi.acme.example/root/prod/" })).toBe(true);
});

describe("the Action's inputs", () => {
  it("no password: trusted publishing; no server named and no pypirc: PyPI", () => {
    const options = uploadOptions(readInputs({ "INPUT_PACKAGES-DIR": "out" }), {});
    expect(options).toEqual({
      files: ["out"],
      configFile: undefined,
      repositories: ["pypi"],
      repositoryUrl: undefined,
      trustedPublishing: "always",
      skipExisting: false,
      attestations: false,
      verbosity: "normal",
      keyring: false,
    });
  });
  it("user/password and the flags; a pypirc routes by itself", () => {
    const inputs = readInputs({
      INPUT_USER: "ci",
      INPUT_PASSWORD: "pw",
      "INPUT_SKIP-EXISTING": "true",
      INPUT_REPOSITORIES: "a, b\nc",
      INPUT_VERBOSE: "True",
    });
    expect(uploadOptions(inputs, { configFile: "/c" })).toMatchObject({
      files: ["dist"],
      configFile: "/c",
      repositories: ["a", "b", "c"],
      username: "ci",
      password: "pw",
      skipExisting: true,
      verbosity: "verbose",
      keyring: false,
    });
    const routed = readInputs({ INPUT_PYPIRC: "[distutils]\nindex-servers = x\n" });
    expect(uploadOptions(routed, { configFile: "/c" }).repositories).toEqual([]);
  });
});

describe("the Action's summary", () => {
  const report: JsonReport = {
    schema: "pkgpush-report/1",
    command: "upload",
    dryRun: false,
    exitCode: 1,
    servers: [{ name: "pypi", url: "https://upload.pypi.org/legacy/", username: "__token__" }],
    files: [
      {
        file: "a-1.0.tar.gz",
        path: "/d/a-1.0.tar.gz",
        project: "a",
        version: "1.0",
        size: 1,
        sha256: "ab",
      },
    ],
    results: [
      {
        file: "a-1.0.tar.gz",
        server: "pypi",
        status: "failed",
        reason: "400 bad | worse\nline",
        reasonCode: null,
        httpStatus: 400,
        attempts: 1,
        durationMs: 5,
      },
    ],
    totals: {
      uploaded: 0,
      registered: 0,
      "not-needed": 0,
      skipped: 0,
      failed: 1,
      held: 0,
    } as JsonReport["totals"],
  };
  it("keeps a server's answer inside its table cell", () => {
    expect(stepSummary(report)).toContain(
      "| a-1.0.tar.gz | ❌ failed: 400 bad \\| worse line | `ab` |",
    );
  });
  it("escapes annotations (%, newlines; : and , in properties)", () => {
    expect(annotations(report)).toEqual([
      "::error title=Upload failed%3A a-1.0.tar.gz -> pypi::400 bad | worse%0Aline",
    ]);
  });
});
