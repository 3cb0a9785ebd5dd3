import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import module from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const POLICY = join(dirname(fileURLToPath(import.meta.url)), "../../bin/jit-policy.cjs");
const BIN = join(dirname(POLICY), "pkgpush.cjs");

// A child that runs the same hot function before and after the policy's window, under
// --trace-opt, and marks where the window ends in its output.
const CHILD = `
require(${JSON.stringify(POLICY)}).deferOptimizingCompilers(300);
function hot(n) { let s = 0; for (let i = 0; i < n; i++) s = (s * 31 + i) | 0; return s; }
function spin(ms) { const end = Date.now() + ms; let s = 0; while (Date.now() < end) s ^= hot(5000); return s; }
spin(150);
console.log("-- window over --");
setTimeout(() => { spin(300); setTimeout(() => {}, 100); }, 350);
`;

/** Lines of --trace-opt about optimizing compiles, before and after the window's end. */
function traced(...flags: string[]): { before: string[]; after: string[] } {
  const r = spawnSync(process.execPath, ["--trace-opt", ...flags, "-e", CHILD], {
    encoding: "utf8",
    timeout: 20_000,
    env: { ...process.env, NODE_OPTIONS: "" },
  });
  expect(r.status).toBe(0);
  const [head = "", tail = ""] = r.stdout.split("-- window over --");
  const compiles = (text: string) =>
    text.split("\n").filter((l) => /^\[(compiling|marking)/.test(l));
  return { before: compiles(head), after: compiles(tail) };
}

describe("optimizing compilers after the first moments of a run (bin/jit-policy.cjs)", () => {
  it("compiles nothing with TurboFan or Maglev in the window, and optimizes hot code after it", () => {
    const { before, after } = traced();
    expect(before).toEqual([]);
    expect(after.some((l) => /hot/.test(l))).toBe(true);
  });

  it("leaves the compilers alone when the user gave V8 flags for them", () => {
    const { before } = traced("--turbofan");
    expect(before.some((l) => /hot/.test(l))).toBe(true);
  });
});

describe("V8's compile cache (Node >= 22.1)", () => {
  const supported =
    typeof (module as { enableCompileCache?: unknown }).enableCompileCache === "function";
  it.runIf(supported)("keeps the bundle's compiled code under the temp folder between runs", () => {
    const tmp = mkdtempSync(join(tmpdir(), "pkgpush-compile-cache-"));
    try {
      // Node reads NODE_DISABLE_COMPILE_CACHE as set whatever its value.
      const { NODE_DISABLE_COMPILE_CACHE: _, ...env } = process.env;
      const r = spawnSync(process.execPath, [BIN, "--help"], {
        encoding: "utf8",
        timeout: 20_000,
        env: { ...env, TMPDIR: tmp, NODE_OPTIONS: "" },
      });
      expect(r.status).toBe(0);
      expect(readdirSync(join(tmp, "node-compile-cache")).length).toBeGreaterThan(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});
