/**
 * V8's tier-up budgets (src/distributions/wasm-budget.ts): in a process that sends (the HTTP module
 * loaded), undici's parser is not optimised after a few dozen responses, and BLAKE2b is optimised
 * within its first MiBs. Observed with V8's own trace of what it compiles, in a child process
 * running the sources bundled as the CLI is.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSync } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const SRC = resolve(import.meta.dirname, "../../src");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pkgpush-wasm-budget-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `code` (TypeScript importing from src/) bundled, with V8 tracing its WebAssembly compiles. */
function runTraced(code: string): { optimised: number[]; output: string } {
  const entry = join(dir, `entry-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(entry, code.replaceAll("@src", SRC));
  const out = `${entry}.mjs`;
  buildSync({
    entryPoints: [entry],
    outfile: out,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    logLevel: "silent",
    // As scripts/build.mjs: undici's CommonJS modules require Node's built-ins.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
  });
  const run = spawnSync(process.execPath, ["--trace-wasm-compilation-times", out], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(run.status, run.stderr).toBe(0);
  // "Compiled function ...#20 using TurboFan, took 627 ms and ... bodysize 33670 ..."
  const optimised = [...run.stdout.matchAll(/using TurboFan\b.*?\bbodysize (\d+)/g)].map((m) =>
    Number(m[1]),
  );
  return { optimised, output: run.stdout };
}

describe("WebAssembly tier-up budgets in a process that sends", () => {
  it("leaves undici's HTTP parser unoptimised over 60 responses", () => {
    const { optimised, output } = runTraced(`
      import { createServer } from "node:http";
      import { createDispatcher, send } from "@src/transport/http.js";
      const server = createServer((req, res) => {
        req.resume();
        req.on("end", () => res.end("ok"));
      });
      await new Promise((r) => server.listen(0, "127.0.0.1", () => r(undefined)));
      const { port } = server.address() as { port: number };
      const dispatcher = createDispatcher({ connectTimeoutMs: 5000, stallTimeoutMs: 5000 });
      for (let i = 0; i < 60; i++) {
        await send(dispatcher, {
          method: "GET",
          url: "http://127.0.0.1:" + port + "/simple/p" + i + "/",
          headers: { "user-agent": "wasm-budget-test" },
          stallTimeoutMs: 5000,
        });
      }
      await dispatcher.close();
      server.close();
      // Time for a background compile started by the last responses to finish and be traced.
      await new Promise((r) => setTimeout(r, 1500));
      console.log("requests done");
    `);
    expect(output).toContain("requests done");
    // llhttp's state machine is one function of ~33 KB; nothing that large may be optimised.
    expect(optimised.filter((size) => size > 16_000)).toEqual([]);
  });

  it("optimises BLAKE2b within the first 3 MiB hashed", () => {
    const { optimised, output } = runTraced(`
      import "@src/transport/http.js";
      import { digestAccumulator } from "@src/distributions/digests.js";
      const chunk = Buffer.alloc(1024 * 1024, 7);
      const hash = await digestAccumulator();
      for (let i = 0; i < 3; i++) hash.update(chunk);
      console.log(hash.digest().blake2_256);
      // Time for the background compile to finish and be traced (~20-80 ms on an idle machine).
      await new Promise((r) => setTimeout(r, 3000));
    `);
    expect(output).toMatch(/\b[0-9a-f]{64}\b/);
    expect(optimised.length).toBeGreaterThan(0);
  });
});
