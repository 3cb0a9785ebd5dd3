/**
 * collective.releaser compatibility, each rule checked against Python itself on the same patterns
 * and names: `re.findall` (its match-anywhere routing, behind the hints), `fnmatch.fnmatchcase`
 * (`glob-style = true`), and the whole-name rewrites offered in hints (`re.fullmatch`).
 */
import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import {
  compileReleasePattern,
  matchesProject,
  separatorRewrite,
} from "../../src/config/release-pattern.js";
import type { ServerConfig } from "../../src/config/types.js";
import { ConfigError } from "../../src/errors.js";
import { translatePythonPattern } from "../../src/python-regex/index.js";
import { formatHint, matchRoutes } from "../../src/resolve/route-match.js";
import { server } from "../helpers/builders.js";

const NAMES = [
  "Products.HelloWorld",
  "collective.plonetheme",
  "plone",
  "acme-internal",
  "acme_internal",
  "Acme.Internal",
  "release-tool",
  "c",
  "cd",
  "C",
  "foo",
  "foo\n",
  "a[b",
  "a]b",
  "a-b",
  "a!b",
  "a\\b",
  "^x",
  "é",
  "",
  "x.y.z",
  "zope.interface",
];

/** Regex lines: collective.releaser routed when re.findall found anything. */
const REGEXES = [
  String.raw`Products\.`,
  "plone",
  "^plone",
  "theme$",
  "acme[-_]",
  "x*",
  "(?i)acme",
  "a|b",
  String.raw`\bplone\b`,
  String.raw`(?:zope|plone)\.`,
  "(p)(l)",
  String.raw`\Aacme`,
  String.raw`o\Z`,
  "(?m)^foo$",
  "[]a]",
];

const GLOBS = [
  "c*",
  "*release*",
  "C*",
  "?",
  "??",
  "*",
  "",
  "acme-*",
  "acme_*",
  "[ac]*",
  "[!ac]*",
  "[a-c]*",
  "[!a-c]*",
  "[z-a]*",
  "[!z-a]*",
  "a[]]b",
  "a[!]]b",
  "a[!]b",
  "a[",
  "a[b",
  "a[[]b",
  "a[-]b",
  "a[b-]*",
  "a[!-]b",
  "a[a-b-c]*",
  "[a-z-a]*",
  "a\\b",
  "a[\\]b",
  "^x",
  "[^x]*",
  "*.*.*",
  "**",
  "foo*",
  "Products.*",
  "é*",
  "[%--]*",
];

const PYTHON = `
import fnmatch, json, re, sys, warnings
warnings.simplefilter("ignore")
req = json.load(sys.stdin)
def safe(f):
    try:
        return f()
    except Exception:
        return None
out = {
    "findall": [[bool(re.findall(p, n)) for n in req["names"]] for p in req["regexes"]],
    "fnmatch": [safe(lambda: [fnmatch.fnmatchcase(n, g) for n in req["names"]]) for g in req["globs"]],
    "fullmatch": [[re.fullmatch(p, n) is not None for p, n in pair] for pair in [req["rewrites"]]][0],
}
json.dump(out, sys.stdout)
`;

function python(input: unknown): {
  findall: boolean[][];
  fnmatch: Array<boolean[] | null>;
  fullmatch: boolean[];
} {
  const run = spawnSync("python3", ["-c", PYTHON], {
    input: JSON.stringify(input),
    encoding: "utf8",
  });
  if (run.error) throw new Error(`python3 is required for this test: ${run.error.message}`);
  if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

const loc = { file: "~/.pypirc", section: "plone", line: 3 };

describe("match-anywhere (collective.releaser's re.findall) against python3", () => {
  let theirs: ReturnType<typeof python>;
  beforeAll(() => {
    theirs = python({ regexes: REGEXES, globs: [], names: NAMES, rewrites: [] });
  });
  it.each(REGEXES.map((p, i) => [p, i] as const))("agrees on %j", (p, i) => {
    const { search } = translatePythonPattern(p);
    const diff = NAMES.filter((n, k) => search.test(n) !== theirs.findall[i]?.[k]);
    expect(diff).toEqual([]);
  });
});

describe("glob-style = true (fnmatch.fnmatchcase) against python3", () => {
  let theirs: ReturnType<typeof python>;
  beforeAll(() => {
    theirs = python({ regexes: [], globs: GLOBS, names: NAMES, rewrites: [] });
  });
  it.each(GLOBS.map((g, i) => [g, i] as const))("agrees on %j", (g, i) => {
    const expected = theirs.fnmatch[i];
    if (expected === null || expected === undefined) {
      expect(() => compileReleasePattern(g, loc, "glob")).toThrow(ConfigError);
      return;
    }
    const { regex } = compileReleasePattern(g, loc, "glob");
    const diff = NAMES.filter((n, k) => regex.test(n) !== expected[k]);
    expect(diff).toEqual([]);
  });

  it("keeps globs case-sensitive, as Python's fnmatchcase on POSIX", () => {
    const lower = [compileReleasePattern("c*", loc, "glob")];
    expect(matchesProject(lower, "collective.foo")).toBe(true);
    expect(matchesProject(lower, "Collective.Foo")).toBe(false);
  });

  it("routes by any positive line unless a ! line matches the name", () => {
    const lines = ["acme*", "*release*", "!*internal*", "!*-test"].map((g, k) =>
      compileReleasePattern(g, { ...loc, line: k + 1 }, "glob"),
    );
    expect(matchesProject(lines, "acme-tools")).toBe(true);
    expect(matchesProject(lines, "zest.releaser")).toBe(true);
    expect(matchesProject(lines, "acme-internal")).toBe(false);
    expect(matchesProject(lines, "acme-tools-test")).toBe(false);
    // Exclusions also see the normalised and file-name forms: excluding more is the safe side.
    expect(matchesProject(lines, "acme.tools.test")).toBe(false);
    expect(matchesProject(lines, "other")).toBe(false);
    // Only exclusions: nothing is routed.
    expect(matchesProject([lines[2] as (typeof lines)[0]], "plone")).toBe(false);
  });

  it("refuses a bare !", () => {
    expect(() => compileReleasePattern("!", loc, "glob")).toThrow(/'!' needs a glob/);
  });
});

describe("whole-name rewrites offered in hints", () => {
  const cases: Array<[string, string]> = [
    [String.raw`Products\.`, "Products.HelloWorld"],
    ["plone", "collective.plonetheme"],
    ["theme$", "collective.plonetheme"],
    ["(?i)acme", "Acme.Internal"],
    ["zope|plone", "collective.plonetheme"],
  ];
  let rewrites: Array<[string, string]> = [];
  let theirs: ReturnType<typeof python>;

  beforeAll(async () => {
    for (const [pattern, name] of cases) {
      const s: ServerConfig = server("plone", { patterns: [pattern] });
      const table = await matchRoutes([s], [name]);
      expect(table.matches(s, name)).toBe(false);
      const [hint] = table.hints(s, name);
      expect(hint, pattern).toBeDefined();
      rewrites.push([hint?.suggestion ?? "", name]);
    }
    theirs = python({ regexes: [], globs: [], names: [], rewrites });
  });

  it("each rewrite routes the project under re.fullmatch, as pkgpush does", () => {
    expect(rewrites.map(([p]) => p)).toEqual([
      String.raw`Products\..*`,
      ".*plone.*",
      ".*theme$",
      "(?i)acme.*",
      ".*(?:zope|plone).*",
    ]);
    expect(theirs.fullmatch).toEqual(rewrites.map(() => true));
    rewrites = [];
  });

  it("offers no rewrite it could not verify (a verbose-mode comment swallows the .*)", async () => {
    const s = server("plone", { patterns: ["(?x) plone  # the CMS"] });
    const table = await matchRoutes([s], ["collective.plonetheme"]);
    const [hint] = table.hints(s, "collective.plonetheme");
    expect(hint?.suggestion).toBeUndefined();
    expect(formatHint(hint as NonNullable<typeof hint>)).not.toContain("would route it");
  });

  it("names server, line and rewrite", async () => {
    const s = server("plone", { patterns: ["collective", String.raw`Products\.`] });
    const table = await matchRoutes([s], ["Products.HelloWorld"]);
    expect(table.hints(s, "Products.HelloWorld").map(formatHint)).toEqual([
      `'plone' line 2: "Products\\." matches only part of 'Products.HelloWorld' (collective.releaser's rule routed it; pkgpush matches whole names); "Products\\..*" would route it`,
    ]);
  });

  it("finds lines that can never match a whole name without a project at hand", () => {
    const rewrite = (p: string) => separatorRewrite(compileReleasePattern(p, loc));
    expect(rewrite(String.raw`Products\.`)).toBe(String.raw`Products\..*`);
    expect(rewrite("(?i)(?:collective|plone)[._]")).toBe("(?i)(?:collective|plone)[._].*");
    expect(rewrite(String.raw`\.theme`)).toBe(String.raw`.*\.theme`);
    expect(rewrite("plone")).toBeUndefined();
    expect(rewrite(String.raw`Products\..*`)).toBeUndefined();
  });
});
