/**
 * Node's own modules that a dry run loads (the built CLI, as users run it). Each costs start-up
 * time before the first line is printed: node:crypto (with its key, cipher and X.509 modules),
 * node:child_process (with net and dgram) and node:worker_threads load only when a run needs
 * them (a client certificate to check, a keyring to ask, a slow pattern to match; commander's
 * executable subcommands, which pkgpush does not use). An upload loads the HTTP stack, but not
 * node:http2: undici's HTTP/2 client needs it only for connections that negotiate h2, which
 * pkgpush's dispatchers never ask for (scripts/build.mjs).
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleDist, runCli, storedNames } from "../helpers/cli.js";
import { configFor, serversPerTest } from "../helpers/transport.js";

const server = serversPerTest();

/** Runs the CLI with a preload that writes the built-in modules it loaded when it exits. */
async function builtinsLoaded(args: string[]): Promise<{ code: number | null; loaded: string[] }> {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-builtins-"));
  const preload = join(dir, "record.cjs");
  const out = join(dir, "loaded.txt");
  writeFileSync(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, process.moduleLoadList.join("\\n")));`,
  );
  const { code } = await runCli(args, { env: { NODE_OPTIONS: `--require ${preload}` } });
  const loaded = readFileSync(out, "utf8")
    .split("\n")
    .filter((m) => m.startsWith("NativeModule "))
    .map((m) => m.slice("NativeModule ".length));
  return { code, loaded };
}

describe("a dry run loads only the built-in modules it uses", () => {
  it("no crypto, child_process or worker_threads before they are needed", async () => {
    const { code, loaded } = await builtinsLoaded([
      "upload",
      "--dry-run",
      "--repository-url",
      "http://127.0.0.1:9/legacy/",
      join(exampleDist, "acme_internal-0.3.0-py3-none-any.whl"),
    ]);
    expect(code).toBe(0);
    // The control: the list is real (the wheel's METADATA is inflated with zlib).
    expect(loaded).toContain("zlib");
    expect(loaded.filter((m) => ["crypto", "child_process", "worker_threads"].includes(m))).toEqual(
      [],
    );
  });
});

describe("an upload loads the HTTP stack without node:http2", () => {
  it("uploads over HTTP/1.1 with undici loaded and node:http2 not", async () => {
    const index = await server("a");
    const { config } = configFor({ a: { url: index.uploadUrl } });
    const { code, loaded } = await builtinsLoaded([
      "upload",
      "--config-file",
      config,
      "-r",
      "a",
      join(exampleDist, "acme_internal-0.3.0-py3-none-any.whl"),
    ]);
    expect(code).toBe(0);
    expect(storedNames(index)).toEqual(["acme_internal-0.3.0-py3-none-any.whl"]);
    // The control: undici's client was loaded (it requires node:net and node:http at load).
    expect(loaded).toEqual(expect.arrayContaining(["net", "http", "crypto"]));
    expect(loaded).not.toContain("http2");
  });
});
