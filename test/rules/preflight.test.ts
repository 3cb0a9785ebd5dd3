/**
 * PyPI's rules before anything is sent: a file bound for a server with PyPI's rules (pypi.org,
 * test.pypi.org, or `rules = pypi`) that PyPI would refuse stops the run (exit 2, one line naming
 * the file, the rule, Warehouse's message and the fix); the same file bound elsewhere goes;
 * `--no-rules` (and its older name) skips the check; `register` applies the metadata part.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { ensureRuleCases, type RuleCase } from "../fixtures/rule-cases.js";
import { pypirc, runCli, workspace } from "../helpers/cli.js";

let cases: Record<string, RuleCase>;
let config: string;

beforeAll(async () => {
  cases = await ensureRuleCases();
  ({ config } = workspace(
    pypirc({
      distutils: { "index-servers": ["pypi", "company", "mirror"] },
      pypi: { username: "__token__", password: "pypi-unused" },
      company: { repository: "http://127.0.0.1:9/", username: "ci", password: "pw" },
      mirror: {
        repository: "http://127.0.0.1:9/mirror/",
        username: "ci",
        password: "pw",
        rules: "pypi",
      },
    }),
  ));
}, 120_000);

const path = (key: string) => cases[key]?.path as string;
const dryRun = (repo: string, ...rest: string[]) =>
  runCli(["upload", "--config-file", config, "-r", repo, "--dry-run", ...rest]);

describe("PyPI's rules before sending", () => {
  it("refuse a file PyPI would refuse, naming file, rule, message and fix; nothing planned", async () => {
    const r = await dryRun("pypi", path("linuxtag"), path("manylinuxtag"));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const line = r.stderr.split("\n").find((l) => l.includes("rule_linuxtag")) as string;
    expect(line).toContain(
      "wheel-platform: Binary wheel 'rule_linuxtag-1.0-cp312-cp312-linux_x86_64.whl' has an unsupported platform tag 'linux_x86_64'. (PyPI refuses it; the file is bound for pypi); repair the wheel",
    );
    expect(r.stderr).not.toContain("rule_manylinuxtag");
  });

  it("apply to `rules = pypi` sections, not to other indexes", async () => {
    expect((await dryRun("mirror", path("unknownclassifier"))).code).toBe(2);
    const elsewhere = await dryRun("company", path("unknownclassifier"), path("linuxtag"));
    expect(elsewhere.code, elsewhere.stderr).toBe(0);
    expect(elsewhere.stderr).not.toContain("PyPI refuses");
  });

  it("--no-rules skips them (also --no-rules-check)", async () => {
    for (const flag of ["--no-rules", "--no-rules-check"]) {
      const r = await dryRun("pypi", flag, path("linuxtag"));
      expect(r.code, `${flag}: ${r.stderr}`).toBe(0);
    }
  });

  it("a standard-library name is refused by PyPI for new projects only: not a reason to stop", async () => {
    const r = await dryRun("pypi", path("stdlib"));
    expect(r.code, r.stderr).toBe(0);
  });

  it("register applies the metadata rules", async () => {
    const r = await runCli([
      "register",
      "--config-file",
      config,
      "-r",
      "pypi",
      "--dry-run",
      path("unknownclassifier"),
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      "metadata:classifier: 'Programming Language :: Cobol :: 2' is not a valid classifier.",
    );
  });
});
