import { spawnSync } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { compileReleasePattern, matchesProject } from "../../src/config/release-pattern.js";
import { normalizeName } from "../../src/distributions/names.js";
import { ConfigError } from "../../src/errors.js";
import { translatePattern, translatePythonPattern } from "../../src/python-regex/index.js";

const NAMES = [
  "Products.Foo",
  "products-foo",
  "collective.foo",
  "foo",
  "Foo",
  "FOO",
  "foo123",
  "foo_bar",
  "foo\n",
  "a",
  "aa",
  "ab",
  "abc",
  "abcd",
  "b",
  "cd",
  "c d",
  "{",
  "x{}",
  "a{x",
  "-",
  "é",
  "É",
  "٣",
  "\u212a",
  "k",
  "\u017f",
  "s",
  "a\u2028b",
  "a\rb",
  "\b",
  "\u0000",
  "foo\u00a0",
];

/** Valid in Python and translated by us: match results must agree name by name. */
const SUPPORTED = [
  ".*",
  String.raw`Products\..*`,
  String.raw`collective\..*`,
  String.raw`(?i)products\..*`,
  "foo",
  "fo+",
  "f.o",
  String.raw`foo\d*`,
  String.raw`\w+`,
  String.raw`[\w.]+`,
  "[^a-z]+",
  String.raw`\D+`,
  String.raw`\S+`,
  String.raw`\s`,
  String.raw`.\s.`,
  "a|ab",
  "(a|ab)(c|bcd)?",
  "(?P<n>a)(?P=n)",
  String.raw`(a)\1`,
  "a{,2}",
  "a{2}",
  "a{1,}",
  "a{,}",
  "{",
  "a{x",
  "x{}",
  String.raw`\bfoo\b`,
  String.raw`a\Bb.*`,
  "(?x) foo # comment",
  "(?x)a b|c d",
  "(?s)foo.",
  "(?s)f.*",
  "(?s).+",
  "foo.",
  "a.b",
  "foo$",
  "foo$\n",
  String.raw`foo\Z`,
  String.raw`\Afoo`,
  "(?m)foo$\n",
  String.raw`(?a)\w+`,
  String.raw`(?a)\d`,
  String.raw`\d`,
  String.raw`[\d]`,
  String.raw`[^\W]+`,
  String.raw`[\s\S]*`,
  "f(?<=f)oo",
  "(?=f)foo",
  "(?!bar).*",
  String.raw`\x66oo`,
  String.raw`\u0066oo`,
  String.raw`\146oo`,
  String.raw`\0`,
  String.raw`[\b]`,
  "é",
  "(?i)é",
  "(?i)k",
  "(?i)s",
  "(?:)",
  "()",
  "(?#c)foo",
  "[]a]+",
  "[^]a]+",
  "[a-]+",
  String.raw`\-`,
  String.raw`\_`,
  String.raw`[\-a]+`,
  "a.*?b",
  "(?s:foo.)",
  "(?-s:.)",
  "(?x:a b)c",
  String.raw`(?u)\w+`,
  "(?i)(?i:foo)",
  String.raw`(a)(?<=\1)`,
  "(?<=a|b)b",
  String.raw`(?:a|b)+\Z`,
  String.raw`(?:(a)\1|b)`,
  String.raw`(a)+\1`,
  "(?=(a))a",
  "a(?#comment)*",
  "(?P<x>a)(?:(?P=x)|b)c?",
];

/** Python refuses these: so must we. */
const INVALID = [
  "foo(",
  "*",
  "a**",
  "[z-a]",
  String.raw`\q`,
  "(?<=a|bc)",
  String.raw`\1(a)`,
  String.raw`(a\1)`,
  "a(?i)b",
  "(?P<1a>x)",
  "(?P<a>x)(?P<a>y)",
  "x{3,2}",
  String.raw`\x4`,
  String.raw`[\A]`,
  "(?<n>a)",
  ")",
  "[abc",
  "(?P=zz)",
  "(?L)a",
  "(?au)a",
  String.raw`\8`,
  "(?i-i:a)",
  String.raw`(?<=(a)\1)`,
  "a|*",
  String.raw`\b*`,
  "x{2}{3}",
  String.raw`[\d-z]`,
];

/** Valid Python that JavaScript cannot match the same way: refused with a reason. */
const REFUSED = [
  "(?>a)",
  "a++",
  "(a)?(?(1)b|c)",
  String.raw`\N{LATIN SMALL LETTER A}`,
  "(?i:a)b",
  String.raw`(a)?b\1`,
  "(?ai)a",
  String.raw`(?:(a)|b)\1`,
];

const PYTHON = `
import json, re, sys, warnings
warnings.simplefilter("ignore")
req = json.load(sys.stdin)
out = []
for p in req["patterns"]:
    try:
        c = re.compile(p)
    except re.error as e:
        out.append(None)
        continue
    out.append([[c.fullmatch(n) is not None, bool(c.findall(n))] for n in req["names"]])
json.dump(out, sys.stdout)
`;

function tryTranslate(source: string): RegExp | Error {
  try {
    return translatePattern(source);
  } catch (e) {
    return e as Error;
  }
}

describe("translatePattern against python3 re.fullmatch", () => {
  const all = [...SUPPORTED, ...INVALID, ...REFUSED];
  /** Per pattern (null: invalid in Python), per name: [re.fullmatch, bool(re.findall)]. */
  let python: Array<Array<[boolean, boolean]> | null> = [];
  beforeAll(() => {
    const run = spawnSync("python3", ["-c", PYTHON], {
      input: JSON.stringify({ patterns: all, names: NAMES }),
      encoding: "utf8",
    });
    if (run.error) throw new Error(`python3 is required for this test: ${run.error.message}`);
    if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
    python = JSON.parse(run.stdout);
  });

  it.each(SUPPORTED.map((p, i) => [p, i] as const))("matches like Python: %j", (p, i) => {
    const regex = tryTranslate(p);
    expect(regex).toBeInstanceOf(RegExp);
    const ours = NAMES.map((n) => (regex as RegExp).test(n));
    const theirs = python[i];
    const diff = NAMES.filter((_, k) => ours[k] !== theirs?.[k]?.[0]);
    expect(diff).toEqual([]);
  });

  it.each(SUPPORTED.map((p, i) => [p, i] as const))(
    "finds a match anywhere like Python's re.findall (collective.releaser's rule): %j",
    (p, i) => {
      const { search } = translatePythonPattern(p);
      const diff = NAMES.filter((n, k) => search.test(n) !== python[i]?.[k]?.[1]);
      expect(diff).toEqual([]);
    },
  );

  it.each(INVALID.map((p, i) => [p, SUPPORTED.length + i] as const))(
    "rejects like Python: %j",
    (p, i) => {
      expect(python[i]).toBeNull();
      expect(tryTranslate(p)).toBeInstanceOf(Error);
    },
  );

  it.each(REFUSED.map((p, i) => [p, SUPPORTED.length + INVALID.length + i] as const))(
    "refuses what JavaScript cannot express: %j",
    (p, i) => {
      expect(python[i]).not.toBeNull();
      const result = tryTranslate(p);
      expect(result).toBeInstanceOf(Error);
      expect((result as Error).message).toMatch(/JavaScript|not supported/);
    },
  );
});

describe("compileReleasePattern / matchesProject", () => {
  const loc = { file: "~/.pypirc", section: "plone", line: 7 };

  it("names file, section and line on an invalid pattern", () => {
    expect(() => compileReleasePattern("foo(", loc)).toThrow(ConfigError);
    expect(() => compileReleasePattern("foo(", loc)).toThrow(
      /^~\/\.pypirc, section \[plone\], line 7: invalid release-packages pattern "foo\(": missing \), unterminated subpattern/,
    );
  });

  it("translates named groups and references", () => {
    const p = compileReleasePattern("(?P<n>x)(?P=n)", loc);
    expect(p.regex.source).toContain("(?<n>");
    expect(p.regex.source).toContain("\\k<n>");
    expect(p.regex.test("xx")).toBe(true);
    expect(p.regex.test("xy")).toBe(false);
    expect(p.line).toBe(7);
    expect(p.source).toBe("(?P<n>x)(?P=n)");
  });

  it("matches the whole name, as written or normalised", () => {
    const patterns = [compileReleasePattern(String.raw`Products\..*`, loc)];
    expect(matchesProject(patterns, "Products.Foo")).toBe(true);
    expect(matchesProject(patterns, "xProducts.Foo")).toBe(false);
    expect(matchesProject(patterns, "products.foo")).toBe(false);
    const normalised = [compileReleasePattern("collective-.*", loc)];
    expect(matchesProject(normalised, "collective.foo")).toBe(true);
    expect(matchesProject(normalised, "Collective_Foo")).toBe(true);
    expect(matchesProject(normalised, "collectivefoo")).toBe(false);
    expect(matchesProject([compileReleasePattern("foo", loc)], "foobar")).toBe(false);
    expect(matchesProject([], "foo")).toBe(false);
  });

  it("treats (?i) as a flag on the whole pattern", () => {
    const p = compileReleasePattern(String.raw`(?i)products\..*`, loc);
    expect(p.regex.flags).toContain("i");
    expect(matchesProject([p], "PRODUCTS.Foo")).toBe(true);
  });
});

describe("normalizeName", () => {
  it("follows PEP 503", () => {
    expect(normalizeName("Products.Foo")).toBe("products-foo");
    expect(normalizeName("a__b-.-c")).toBe("a-b-c");
    expect(normalizeName("Django")).toBe("django");
  });
});
