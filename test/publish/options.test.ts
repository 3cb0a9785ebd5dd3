/**
 * PublishOptions, built from the CLI's flags and environment (one function) and from the Node
 * API's options: everything parsed and checked before any file is read.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { optionsFromApi } from "../../src/publish/api-options.js";
import type { PublishFlags } from "../../src/publish/flags.js";
import { optionsFromFlags } from "../../src/publish/from-flags.js";
import { DEFAULT_LIMITS } from "../../src/publish/options.js";
import { root } from "../helpers/cli.js";

const flags = (extra: Partial<PublishFlags> = {}): PublishFlags => ({
  concurrency: "12",
  perServer: "4",
  retries: "3",
  connectTimeout: "10",
  timeout: "1.5",
  preflight: true,
  check: true,
  ...extra,
});

describe("optionsFromFlags", () => {
  it("numbers, verbosity, trusted publishing, check URLs and defaults, settled once", async () => {
    const given = flags({
      verbose: true,
      trustedPublishing: "automatic",
      checkUrl: ["a=https://a.example/simple/", "https://b.example/simple/"],
      check: false,
    });
    const o = await optionsFromFlags("upload", [], given, {}, "/work");
    expect(o.limits).toEqual({
      concurrency: 12,
      perServer: 4,
      retries: 3,
      connectTimeoutMs: 10_000,
      stallTimeoutMs: 1_500,
    });
    expect(o).toMatchObject({
      action: "upload",
      dryRun: false,
      paths: ["dist/*"],
      verbosity: "verbose",
      trustedPublishing: "auto",
      keyring: true,
      interactive: true,
      checks: {
        enabled: false,
        urls: [
          { server: "a", url: "https://a.example/simple/", given: "a=https://a.example/simple/" },
          { url: "https://b.example/simple/", given: "https://b.example/simple/" },
        ],
      },
    });
    // The flags object is the caller's: not changed.
    expect(given.trustedPublishing).toBe("automatic");
  });

  it("twine's variables: TWINE_REPOSITORY only when no server is named; TWINE_NON_INTERACTIVE", async () => {
    const env = { TWINE_REPOSITORY: "testpypi", TWINE_NON_INTERACTIVE: "1", PKGPUSH_KEYRING: "0" };
    const routed = await optionsFromFlags("upload", ["x.whl"], flags(), env, "/");
    expect(routed).toMatchObject({
      repositories: ["testpypi"],
      interactive: false,
      keyring: false,
    });
    const named = await optionsFromFlags("upload", [], flags({ repository: ["a,b"] }), env, "/");
    expect(named.repositories).toEqual(["a", "b"]);
  });

  it("a bad number names the flag; -t and -p together are refused", async () => {
    await expect(
      optionsFromFlags("upload", [], flags({ perServer: "0" }), {}, "/"),
    ).rejects.toThrow("--per-server must be a whole number from 1 to 16, got '0'");
    await expect(
      optionsFromFlags("upload", [], flags({ token: "t", password: "p" }), {}, "/"),
    ).rejects.toMatchObject({ code: "usage" });
  });
});

describe("optionsFromApi", () => {
  const base = { env: {}, cwd: "/w" };
  it("the default limits, a token as __token__, per-server check URLs", () => {
    const o = optionsFromApi("upload", false, {
      ...base,
      token: "pypi-x",
      checkUrls: { a: "https://a.example/simple/" },
    });
    expect(o.limits).toEqual(DEFAULT_LIMITS);
    expect(o).toMatchObject({
      username: "__token__",
      password: "pypi-x",
      paths: ["dist/*"],
      interactive: false,
      checks: { enabled: true, urls: [{ server: "a", url: "https://a.example/simple/" }] },
    });
  });

  it("refuses what the CLI would: bad numbers, a check URL that is not one, token with another user", () => {
    expect(() => optionsFromApi("upload", false, { ...base, retries: 21 })).toThrow(
      "retries must be a whole number from 0 to 20, got '21'",
    );
    expect(() =>
      optionsFromApi("upload", false, { ...base, checkUrls: { a: "a.example" } }),
    ).toThrow(/checkUrls\.a/);
    expect(() => optionsFromApi("upload", false, { ...base, token: "t", username: "bob" })).toThrow(
      /__token__/,
    );
  });
});

describe("the core stays a library", () => {
  it("src/publish and src/execute use no process state and print nothing themselves", () => {
    for (const folder of ["src/publish", "src/execute"]) {
      for (const file of readdirSync(join(root, folder)).filter((f) => f.endsWith(".ts"))) {
        const code = readFileSync(join(root, folder, file), "utf8")
          .replace(/\/\*[\s\S]*?\*\//g, "")
          .replace(/\/\/.*$/gm, "");
        expect(code, `${folder}/${file}`).not.toMatch(/\bprocess\.|console\.|commands\//);
      }
    }
  });
});
