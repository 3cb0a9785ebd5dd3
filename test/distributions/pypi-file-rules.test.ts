/**
 * What PyPI refuses in a file whatever its content (egg, sdist extension, local version, wheel
 * platform tag): pkgpush's rules against Warehouse's own verdict (`judge`, ../shared/warehouse),
 * and the refusal before sending when such a file is bound for PyPI.
 */
import { copyFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { inspectAll } from "../../src/distributions/inspect.js";
import { isPypiPlatformTag, pypiFileProblems } from "../../src/distributions/pypi-file-rules.js";
import type { Distribution } from "../../src/distributions/types.js";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { pypirc, runCli, workspace } from "../helpers/cli.js";
import { judge, SKIP_REASON, WAREHOUSE } from "../helpers/warehouse.js";

/** Platform tags and Warehouse's verdict on them (forklift/legacy.py `_valid_platform_tag`). */
const TAGS: Array<[tag: string, allowed: boolean]> = [
  ["any", true],
  ["win_amd64", true],
  ["linux_armv7l", true],
  ["linux_x86_64", false],
  ["linux_aarch64", false],
  ["manylinux1_x86_64", true],
  ["manylinux2014_aarch64", true],
  ["manylinux2014_riscv64", false],
  ["manylinux_2_17_x86_64", true],
  ["manylinux_2_31_riscv64", true],
  ["manylinux_2_17_ppc64", true],
  ["musllinux_1_2_ppc64", false],
  ["musllinux_1_1_aarch64", true],
  ["macosx_10_9_x86_64", true],
  ["macosx_10_15_universal2", true],
  ["macosx_11_0_arm64", true],
  ["macosx_11_1_arm64", false],
  ["macosx_16_0_arm64", false],
  ["macosx_26_0_arm64", true],
  ["macosx_11_0_sparc", false],
  ["ios_13_0_arm64_iphoneos", true],
  ["ios_13_0_arm64_iphonesimulator", true],
  ["android_21_arm64_v8a", true],
  ["android_21_mips", false],
  ["pyemscripten_2024_0_wasm32", true],
  ["emscripten_3_1_58_wasm32", false],
  ["cygwin_x86_64", false],
];

describe("PyPI's platform tags", () => {
  it.each(TAGS)("%s -> %s", (tag, allowed) => {
    expect(isPypiPlatformTag(tag)).toBe(allowed);
  });
});

let fixtures: FixtureSet;
let dists: Map<string, Distribution>;
/** Files whose PyPI verdict the rules predict, by path. */
let files: string[];

beforeAll(async () => {
  fixtures = await ensureFixtures();
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-pypi-file-"));
  // A clean wheel under other platform tags: PyPI reads the tags from the file name.
  const renamed = TAGS.filter(([tag]) => tag !== "any").map(([tag]) => {
    const path = join(dir, `acme_internal-0.9.0-py3-none-${tag}.whl`);
    copyFileSync(fixtures.acmeInternal.path, path);
    return path;
  });
  files = [
    fixtures.egg10.path,
    fixtures.sdist12zip.path,
    fixtures.sdistBz2.path,
    fixtures.localVersion.path,
    fixtures.acmeInternal.path,
    ...renamed,
  ];
  dists = new Map((await inspectAll(files)).map((d) => [d.path, d]));
});

describe("the file rules", () => {
  it("find one problem in each known-bad file and none in the clean wheel", () => {
    const fields = (path: string) =>
      pypiFileProblems(dists.get(path) as Distribution).map((p) => p.field);
    expect(fields(fixtures.egg10.path)).toEqual(["filetype"]);
    expect(fields(fixtures.sdist12zip.path)).toEqual(["filename"]);
    expect(fields(fixtures.sdistBz2.path)).toEqual(["filename"]);
    expect(fields(fixtures.localVersion.path)).toEqual(["version"]);
    expect(fields(fixtures.acmeInternal.path)).toEqual([]);
  });
});

describe.skipIf(!WAREHOUSE)(
  `against PyPI's own code (${SKIP_REASON.replace("skipped: ", "")})`,
  () => {
    it("a file the rules refuse is refused by Warehouse, in Warehouse's words; the others pass them", async () => {
      const verdicts = await judge(files);
      for (const path of files) {
        const problems = pypiFileProblems(dists.get(path) as Distribution);
        const verdict = verdicts.get(path);
        if (problems.length === 0) {
          // The clean wheel under an allowed tag: Warehouse accepts it, so no false refusal.
          expect(verdict?.verdict, path).toBe("accept");
          continue;
        }
        expect(verdict?.verdict, path).toBe("refuse");
        // Where Warehouse reaches this rule first, its message is ours (the .zip sdist's
        // description fails to render before its name is judged).
        if (path !== fixtures.sdist12zip.path) {
          expect(verdict?.message, path).toContain(problems[0]?.reason);
        }
      }
    });
  },
);

describe("bound for PyPI: refused before anything is sent", () => {
  it("names each file, the rule and the fix; the same files bound elsewhere pass", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["pypi", "company"] },
        pypi: { username: "__token__", password: "pypi-unused" },
        company: { repository: "http://127.0.0.1:9/", username: "ci", password: "pw" },
      }),
    );
    const bad = [fixtures.egg10.path, fixtures.localVersion.path];
    const linux = files.find((f) => f.endsWith("linux_x86_64.whl")) as string;
    const toPypi = await runCli([
      "upload",
      "--config-file",
      config,
      "-r",
      "pypi",
      "--dry-run",
      ...bad,
      linux,
    ]);
    expect(toPypi.code).toBe(2);
    expect(toPypi.stderr).toContain("Use a known file type.");
    expect(toPypi.stderr).toContain("The use of local versions in");
    expect(toPypi.stderr).toContain("unsupported platform tag 'linux_x86_64'");
    expect(toPypi.stderr).toContain("auditwheel repair");
    const elsewhere = await runCli([
      "upload",
      "--config-file",
      config,
      "-r",
      "company",
      "--dry-run",
      ...bad,
      linux,
    ]);
    expect(elsewhere.stderr).not.toContain("PyPI refuses");
    expect(elsewhere.code).toBe(0);
  });
});
