import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildSync } from "esbuild";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createPrivateDir, sweepStale, withPrivateDir } from "../../src/sync/temp-dir.js";

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "pkgpush-tmp-test-"));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe("the private download folder", () => {
  it("is mode 0700 and gone after the work, whether it succeeds or fails", async () => {
    let seen = "";
    await withPrivateDir(async (dir) => {
      seen = dir;
      expect(statSync(dir).mode & 0o777).toBe(0o700);
      writeFileSync(join(dir, "x.whl"), "x");
    }, base);
    expect(existsSync(seen)).toBe(false);
    await expect(
      withPrivateDir(async (dir) => {
        seen = dir;
        throw new Error("boom");
      }, base),
    ).rejects.toThrow("boom");
    expect(existsSync(seen)).toBe(false);
  });

  it("is removed when the process exits without unwinding (process.exit, the second Ctrl-C)", () => {
    // The real module, bundled for a plain node child (Node 20 cannot run TypeScript itself).
    const script = join(base, "child.mjs");
    buildSync({
      stdin: {
        contents: `import { createPrivateDir } from "./temp-dir.ts";
          const d = createPrivateDir(${JSON.stringify(base)});
          console.log(d.path);
          process.exit(130);`,
        resolveDir: join(import.meta.dirname, "../../src/sync"),
        loader: "ts",
      },
      bundle: true,
      platform: "node",
      format: "esm",
      outfile: script,
    });
    const r = spawnSync(process.execPath, [script], { encoding: "utf8" });
    const path = r.stdout.trim();
    expect(path.startsWith(base), r.stderr).toBe(true);
    expect(r.status).toBe(130);
    expect(existsSync(path)).toBe(false);
  });

  it("a folder left by a process that no longer exists is swept; a live one's is kept", () => {
    const dead = join(base, "pkgpush-sync-999999999-abc");
    mkdirSync(dead);
    const live = createPrivateDir(base);
    expect(sweepStale(base)).toEqual([dead]);
    expect(existsSync(live.path)).toBe(true);
    live.remove();
    live.remove();
    expect(existsSync(live.path)).toBe(false);
  });
});
