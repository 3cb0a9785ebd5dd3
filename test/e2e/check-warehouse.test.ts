/**
 * `pkgpush check` against PyPI's own code: for every fixture, rule case, example and real
 * distribution, the verdict and message `check` predicts must be the answer Warehouse's
 * file_upload (../shared/warehouse `serve`, unmodified) gives to the request pkgpush sends; for
 * files pkgpush never sends (it cannot read them), the verdict of `judge` (the same code, given
 * twine 7's request). Every rule case is also refused by the rule it was built for.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures } from "../fixtures/make-fixtures.js";
import { ensureMetadataCases } from "../fixtures/metadata-cases.js";
import { ensureRealDists } from "../fixtures/real-dists.js";
import { ensureRuleCases, type RuleCase } from "../fixtures/rule-cases.js";
import { exampleDist, runCli } from "../helpers/cli.js";
import {
  type JudgeVerdict,
  judge,
  SKIP_REASON,
  startWarehouse,
  WAREHOUSE,
  type WarehouseLogLine,
  type WarehouseServer,
} from "../helpers/warehouse.js";

interface CheckedFile {
  file: string;
  verdict: "pass" | "fail";
  rule: string | null;
  message: string | null;
  warnings: Array<{ rule: string; message: string }>;
  notJudged: Array<{ rule: string; message: string }>;
}

async function check(files: string[], ...flags: string[]): Promise<Map<string, CheckedFile>> {
  const r = await runCli(["check", "--json", ...flags, ...files], { timeoutMs: 300_000 });
  expect([0, 1], r.stderr).toContain(r.code);
  const report = JSON.parse(r.stdout) as { files: CheckedFile[] };
  return new Map(report.files.map((f) => [basename(f.file), f]));
}

let cases: Record<string, RuleCase>;
let sendable: string[] = [];
let unreadable: string[] = [];
let checked: Map<string, CheckedFile>;

describe("the rule cases", () => {
  beforeAll(async () => {
    cases = await ensureRuleCases();
  }, 120_000);

  it("each is refused by the rule it was built for, or passes (with its warning)", async () => {
    const results = await check(Object.values(cases).map((c) => c.path));
    const wrong: Record<string, unknown> = {};
    for (const [key, c] of Object.entries(cases)) {
      const r = results.get(basename(c.path)) as CheckedFile;
      const expected = {
        verdict: c.verdict === "accept" ? "pass" : "fail",
        rule: c.rule ?? null,
        warnings: c.warning ? [c.warning] : [],
      };
      const got = { verdict: r.verdict, rule: r.rule, warnings: r.warnings.map((w) => w.rule) };
      if (JSON.stringify(expected) !== JSON.stringify(got)) wrong[key] = { expected, got };
    }
    expect(wrong).toEqual({});
  }, 300_000);

  it("exit 0 when all pass, 1 when one fails, 2 for bad input; --strict fails on warnings", async () => {
    const ok = cases.manylinuxtag?.path as string;
    const warned = cases.recordmismatch?.path as string;
    expect((await runCli(["check", ok, warned])).code).toBe(0);
    expect((await runCli(["check", ok, cases.linuxtag?.path as string])).code).toBe(1);
    const strict = await runCli(["check", "--strict", "--json", warned]);
    expect(strict.code).toBe(1);
    expect((JSON.parse(strict.stdout) as { files: CheckedFile[] }).files).toEqual([
      expect.objectContaining({ verdict: "fail", rule: "wheel-record" }),
    ]);
    expect((await runCli(["check", "/nonexistent/x-1.0.tar.gz"])).code).toBe(2);
    expect((await runCli(["check", "--rules", "strictest", ok])).code).toBe(2);
    // basic: only what every index refuses; PyPI's own rules pass.
    expect((await runCli(["check", "--rules", "basic", cases.linuxtag?.path as string])).code).toBe(
      0,
    );
  }, 120_000);
});

describe.skipIf(!WAREHOUSE)(
  `check against PyPI's own code (${WAREHOUSE ?? SKIP_REASON.replace("skipped: ", "")})`,
  () => {
    let server: WarehouseServer;
    let answers: Map<string, WarehouseLogLine>;
    let verdicts: Map<string, JudgeVerdict>;

    beforeAll(async () => {
      const fixtures = Object.values(await ensureFixtures());
      const real = await ensureRealDists();
      cases = await ensureRuleCases();
      const metadataCases = Object.values(await ensureMetadataCases());
      const all = [
        ...fixtures.map((f) => f.path),
        ...readdirSync(exampleDist).map((f) => join(exampleDist, f)),
        ...real.built,
        ...real.debianWheels,
        ...Object.values(cases).map((c) => c.path),
        ...metadataCases.map((c) => c.path),
      ];
      checked = await check(all);
      // pkgpush sends what it can read (a file it cannot is refused before sending, as "inspect"
      // or, for what every index refuses, by the basic metadata rules).
      const basic = await check(all, "--rules", "basic");
      sendable = all.filter((f) => basic.get(basename(f))?.verdict === "pass");
      unreadable = all.filter((f) => !sendable.includes(f));
      const log = join(mkdtempSync(join(tmpdir(), "pkgpush-check-")), "requests.jsonl");
      [server, verdicts] = await Promise.all([startWarehouse(log), judge(unreadable)]);
      // One run sends every readable file; a refusal of one file does not stop the others.
      await runCli(
        [
          "upload",
          "--repository-url",
          server.uploadUrl,
          "-u",
          "u",
          "-p",
          "pw",
          "--no-simple-index",
          ...sendable,
        ],
        { timeoutMs: 600_000 },
      );
      answers = new Map();
      for (const line of await server.log()) {
        for (const part of (line.fields.content as Array<{ filename?: string }>) ?? [])
          if (part.filename) answers.set(part.filename, line);
      }
    }, 900_000);

    afterAll(async () => {
      await server?.close();
    });

    it("predicts Warehouse's answer to pkgpush's request: verdict and message, every file", () => {
      expect(sendable.length).toBeGreaterThanOrEqual(60);
      const differences: Record<string, unknown> = {};
      for (const file of sendable) {
        const name = basename(file);
        const answer = answers.get(name);
        const mine = checked.get(name) as CheckedFile;
        if (!answer) {
          differences[name] = { error: "not sent" };
          continue;
        }
        const pypi = answer.status === 200 ? "pass" : "fail";
        // A description this build cannot judge yet is said (notJudged), never counted as passed.
        // (A later rule may refuse it first in check's answer.)
        if (
          mine.notJudged.some((n) => n.rule === "description") &&
          answer.detail?.startsWith("The description failed to render")
        )
          continue;
        if (
          pypi !== mine.verdict ||
          (pypi === "fail" && setsSorted(answer.detail) !== setsSorted(mine.message))
        )
          differences[name] = {
            warehouse: { status: answer.status, message: answer.detail },
            check: { verdict: mine.verdict, rule: mine.rule, message: mine.message },
          };
      }
      expect(differences).toEqual({});
    });

    it("files pkgpush cannot send: the same verdict as PyPI's code on twine's request", () => {
      expect(unreadable.length).toBeGreaterThanOrEqual(5);
      const differences: Record<string, unknown> = {};
      for (const file of unreadable) {
        const name = basename(file);
        const v = verdicts.get(file) as JudgeVerdict;
        const mine = checked.get(name) as CheckedFile;
        // pkgpush bounds what it reads (an 11 MiB METADATA) and refuses two .dist-info folders.
        const intended = ["bomb-1.0-py3-none-any.whl", "case_twodistinfo-1.0-py3-none-any.whl"];
        const expected = intended.includes(name)
          ? "fail"
          : v.verdict === "accept"
            ? "pass"
            : "fail";
        if (mine.verdict !== expected)
          differences[name] = {
            judge: [v.verdict, v.message],
            check: [mine.verdict, mine.rule, mine.message],
          };
      }
      expect(differences).toEqual({});
    });
  },
);

/** Python formats sets in hash order (randomised per process): compare their items sorted. */
function setsSorted(message: string | null): string | null {
  return (
    message?.replace(
      /\[('[^']*'(?:, '[^']*')*)\]/g,
      (_m, list: string) => `[${list.split(", ").sort().join(", ")}]`,
    ) ?? null
  );
}
