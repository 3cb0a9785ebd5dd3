/**
 * `pkgpush check` as built (dist/): the description thread starts from the bundle's own
 * readme-worker.js (the sources' tests cannot start it: test/rules/description-thread.test.ts
 * builds one), the run ends with it (no thread keeps the process alive), and Ctrl-C stops a long
 * check with exit 130 although the archives are read synchronously.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleDist, runCli, spawnCli } from "../helpers/cli.js";

const WHEEL = join(exampleDist, "acme_internal-0.3.0-py3-none-any.whl");

describe("check's description thread, as built", () => {
  it("starts from dist/readme-worker.js and ends with the run", async () => {
    const r = await runCli(["check", "--json", exampleDist], { env: { NODE_DEBUG: "worker" } });
    expect(r.code, r.stderr).toBe(1);
    // One: the launcher starts it (bin/early-thread.cjs) and the bundle adopts it.
    expect(
      r.stderr.match(/instantiating Worker\. url: file:\S*\/dist\/readme-worker\.js/g),
    ).toHaveLength(1);
    const report = JSON.parse(r.stdout) as { summary: { files: number; passed: number } };
    expect(report.summary).toMatchObject({ files: 6, passed: 1 });
  });

  it("starts before the CLI's bundle loads (its start-up overlaps the bundle's)", async () => {
    const r = await runCli(["check", "--json", WHEEL], { env: { NODE_DEBUG: "worker,esm" } });
    expect(r.code, r.stderr).toBe(0);
    const started = r.stderr.search(
      /instantiating Worker\. url: file:\S*\/dist\/readme-worker\.js/,
    );
    const program = r.stderr.search(/Storing file:\S*\/dist\/cli\.js/);
    // The control: both are in the log.
    expect(started).toBeGreaterThan(0);
    expect(program).toBeGreaterThan(0);
    expect(started).toBeLessThan(program);
  });

  it("does not keep a run that fails on bad input alive", async () => {
    const r = await runCli(["check", "/nonexistent/x-1.0.tar.gz"], { timeoutMs: 20_000 });
    expect(r.code, r.stderr).toBe(2);
  });

  it("is not started for the basic rules (no description is rendered)", async () => {
    const r = await runCli(["check", "--rules", "basic", WHEEL], {
      env: { NODE_DEBUG: "worker" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/readme-worker/);
  });

  it("Ctrl-C ends a long check within a second, exit 130, nothing printed as verdicts", async () => {
    const dir = mkdtempSync(join(tmpdir(), "pkgpush-check-int-"));
    const files: string[] = [];
    for (let i = 0; i < 3000; i++) {
      const file = join(dir, `copy${i}-0.3.0-py3-none-any.whl`);
      copyFileSync(WHEEL, file);
      files.push(file);
    }
    const run = spawnCli(["check", dir], { env: { NODE_DEBUG: "esm" }, timeoutMs: 120_000 });
    // The check command's chunk loads once the signal handlers are in place: then the files are
    // being read (the thread itself starts earlier, before the CLI's modules load).
    while (!/dist\/check-[A-Z0-9]+\.js/.test(run.stderr()))
      await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 300));
    const sentAt = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    // pkgpush's promise is one second; half a second more is for a loaded 2-core CI machine
    // scheduling the exiting process (1270 ms seen at load ~10). Without the file loop's yield
    // the 3000 files run to the end: many seconds.
    expect(Date.now() - sentAt).toBeLessThan(1500);
    expect(r.stderr).toMatch(/interrupted: \d+ of 3000 file\(s\) read, no verdicts printed/);
    expect(r.stderr).toContain("pkgpush: interrupted; stopping (press Ctrl-C again");
    expect(r.stderr).not.toContain("aborting transfers");
    expect(r.stdout).toBe("");
  }, 120_000);
});
