import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConfigSyntaxError,
  decodeConfigBytes,
  parseConfig,
  sectionOptions,
} from "../../src/config/configparser.js";
import { ConfigError } from "../../src/errors.js";

/** What both parsers report for one file, in a shape JSON can carry with order preserved. */
type Outcome =
  | {
      ok: true;
      defaults: Array<[string, string]>;
      sections: Array<[string, Array<[string, string]>]>;
    }
  | { ok: false; kind: string; line: number };

function ours(bytes: Uint8Array): Outcome {
  try {
    const parsed = parseConfig(decodeConfigBytes(bytes, "test.cfg"), "test.cfg");
    return {
      ok: true,
      defaults: [...parsed.defaults].map(([k, v]) => [k, v.value]),
      sections: [...parsed.sections].map(([name, s]) => [
        name,
        [...s.options].map(([k, v]): [string, string] => [k, v.value]),
      ]),
    };
  } catch (e) {
    if (e instanceof ConfigSyntaxError) return { ok: false, kind: e.kind, line: e.line };
    throw e;
  }
}

// Reads a JSON list of paths on stdin; for each, Python's own outcome. utf-8-sig because pkgpush
// strips a BOM (see decodeConfigBytes); _defaults/_sections hold each section's own options.
const PYTHON = `
import configparser, json, sys
KINDS = {"DuplicateSectionError": "duplicate-section", "DuplicateOptionError": "duplicate-option",
         "MissingSectionHeaderError": "missing-section-header", "ParsingError": "parsing"}
out = []
for path in json.load(sys.stdin):
    cp = configparser.RawConfigParser()
    try:
        cp.read(path, encoding="utf-8-sig")
    except configparser.Error as e:
        line = e.errors[0][0] if type(e) is configparser.ParsingError else e.lineno
        out.append({"ok": False, "kind": KINDS[type(e).__name__], "line": line})
        continue
    out.append({"ok": True, "defaults": list(cp._defaults.items()),
                "sections": [[n, list(s.items())] for n, s in cp._sections.items()]})
json.dump(out, sys.stdout)
`;

/** Hand-written files for the corners of RawConfigParser._read. */
const CORPUS: Record<string, string> = {
  "basic multi-server":
    "[distutils]\nindex-servers =\n    pypi\n    plone\n\n[pypi]\nusername:tarek\npassword:secret\n",
  "continuation with blank lines inside": "[s]\nk = a\n\n  b\n\n\n  c\n\n\nother = 1\n",
  "trailing blank lines dropped": "[s]\nk = a\n  b\n\n\n",
  "blank then unindented is a new option": "[s]\nk = a\n\nj = b\n",
  "colon and equals mixed": "[s]\na: b = c\nd = e: f\ng:h\ni=j\n",
  "a = b = c": "[s]\na = b = c\n",
  "keys with spaces and case": "[s]\nSome Key = v\nUPPER: W\n",
  "comments outside and inside values":
    "# top\n; top2\n[s]\n  # indented comment\nk = a\n  # inside value\n  b\n ; also inside\n  c\n",
  "inline # is kept": "[s]\nurl = http://x/#frag ; not a comment\n",
  tabs: "[s]\nk =\ta\n\tb\n\t\tc\nj\t=\tv\t\n",
  CRLF: "[s]\r\nk = a\r\n  b\r\n\r\nj = c\r\n",
  "lone CR": "[s]\rk = a\r  b\rj = c\r",
  BOM: "\uFEFF[s]\nk = v\n",
  "double BOM is kept as text": "\uFEFF\uFEFF[s]\nk = v\n",
  "DEFAULT section": "[DEFAULT]\nrealm = x\n[s]\nk = v\n[DEFAULT]\nother = y\n",
  "empty values": "[s]\nk =\nj:\nempty_then_cont =\n  a\n  b\n",
  "duplicate section": "[s]\na = 1\n[t]\n[s]\n",
  "duplicate option": "[s]\nusername = a\npassword = b\nUserName = c\n",
  "duplicate option in DEFAULT across headers": "[DEFAULT]\na = 1\n[DEFAULT]\na = 2\n",
  "key before any section": "k = v\n[s]\n",
  "indented line before any section": "  k = v\n[s]\n",
  "line without delimiter": "[s]\nk = v\nbogus\nmore bogus\n",
  "empty option name": "[s]\n= v\n",
  "parsing error then duplicate section": "[s]\nbogus\n[s]\n",
  unicode: "[sección]\nnombre = José ☃ 😀\nİstanbul = ok\n",
  "section name with spaces": "[ my server ]\nk = v\n[a b]\nk=v\n",
  "greedy header": "[a] x]\nk = v\n[b] trailing\nj = w\n[]]\nz = 1\n",
  "not a header": "[s]\n[]\n",
  "trailing whitespace": "[s]   \nk = v   \n  w   \t\n",
  "indented section header inside value": "[s]\nk = a\n  [t]\nj = b\n",
  "indented header starts a section": "  [s]\n  k = a\n   more\n[t]\n",
  "indent level follows option lines": "[s]\n  a = 1\n b = 2\n  c = 3\n",
  "python whitespace: vt ff fs nel nbsp": "[s]\nk = \u000bv\u000c\n\u001c\u00a0j = w\u0085\n",
  "U+2028 is not a line break in files": "[s]\nk = a\u2028b\n",
  "U+FEFF inside is not whitespace": "[s]\n\uFEFFk = v\n",
  "only comments": "# nothing\n; here\n",
  empty: "",
  "no final newline": "[s]\nk = v",
  "continuation after bad line stays an error": "[s]\na = 1\nbogus\n  cont\n",
  "comment-only value line does not add blank": "[s]\nk = a\n#c\n  b\n",
  "whitespace-only line is blank": "[s]\nk = a\n   \n  b\n",
  "option named like DEFAULT section": "[default]\nk = v\n",
  "release-packages patterns":
    "[plone]\nrelease-packages =\n    Products\\..*\n    collective\\..*\n",
};

// Seeded generator: mulberry32, so failures are reproducible.
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function generate(count: number, seed: number): string[] {
  const next = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)] as T;
  const indents = ["", "", "", " ", "  ", "    ", "\t", " \t", "\u00a0", "\u3000"];
  const keys = [
    "username",
    "UserName",
    "password",
    "repository",
    "realm",
    "a key",
    "k",
    "ünï",
    "x.y",
  ];
  const delims = ["=", ":", " = ", ": ", " :", "\t=\t", "==", ":="];
  const values = [
    "",
    "v",
    "v=w",
    "a:b",
    "http://h/#x",
    "x ; y",
    "  spaced  ",
    "☃",
    "\u000bvt",
    "\u0085",
  ];
  const headers = ["[pypi]", "[plone]", "[DEFAULT]", "[ a b ]", "[a] x]", "[Pypi]", "[]", "[x]y]"];
  const lineFor = (): string => {
    const r = next();
    if (r < 0.12) return `${pick(indents)}${pick(headers)}${pick(["", " ", " # c"])}`;
    if (r < 0.55) return `${pick(indents)}${pick(keys)}${pick(delims)}${pick(values)}`;
    if (r < 0.75)
      return `${pick(indents)}${pick(["cont", "Products\\..*", "a = b", "# x", "[y]"])}`;
    if (r < 0.85) return pick(["", "", "   ", "\t"]);
    if (r < 0.93) return `${pick(indents)}${pick(["#", ";"])} comment`;
    return `${pick(indents)}${pick(["bogus", "= v", ": v", "\uFEFFk = v"])}`;
  };
  const files: string[] = [];
  for (let f = 0; f < count; f++) {
    const eol = pick(["\n", "\n", "\r\n", "\r"]);
    const lines = next() < 0.85 ? [pick(["[pypi]", "[plone]", "[DEFAULT]"])] : [];
    const n = 1 + Math.floor(next() * 14);
    for (let i = 0; i < n; i++) lines.push(lineFor());
    const bom = next() < 0.05 ? "\uFEFF" : "";
    files.push(bom + lines.join(eol) + (next() < 0.8 ? eol : ""));
  }
  return files;
}

const GENERATED = generate(300, 20260801);

describe("parseConfig against python3 configparser.RawConfigParser", () => {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-configparser-"));
  const names = [...Object.keys(CORPUS), ...GENERATED.map((_, i) => `generated #${i}`)];
  const texts = [...Object.values(CORPUS), ...GENERATED];
  const paths = texts.map((_, i) => join(dir, `${i}.cfg`));
  let python: Outcome[] = [];

  beforeAll(() => {
    texts.forEach((text, i) => {
      writeFileSync(paths[i] as string, text, "utf8");
    });
    const run = spawnSync("python3", ["-c", PYTHON], {
      input: JSON.stringify(paths),
      encoding: "utf8",
    });
    if (run.error) {
      throw new Error(`python3 is required for the differential test: ${run.error.message}`);
    }
    if (run.status !== 0) throw new Error(`python3 failed: ${run.stderr}`);
    python = JSON.parse(run.stdout) as Outcome[];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(CORPUS).map((name, i) => [name, i] as const))("%s", (_name, i) => {
    expect(ours(readFileSync(paths[i] as string))).toEqual(python[i]);
  });

  it(`agrees on ${GENERATED.length} generated files`, () => {
    const offset = Object.keys(CORPUS).length;
    const mismatches: string[] = [];
    for (let i = offset; i < texts.length; i++) {
      const mine = ours(readFileSync(paths[i] as string));
      if (JSON.stringify(mine) !== JSON.stringify(python[i])) {
        mismatches.push(
          `${names[i]} ${JSON.stringify(texts[i])}\n  python: ${JSON.stringify(python[i])}\n  ours:   ${JSON.stringify(mine)}`,
        );
      }
    }
    expect(mismatches.slice(0, 3).join("\n")).toBe("");
    // The generator must exercise both outcomes and every error kind, or it proves little.
    const generated = python.slice(offset);
    expect(generated.filter((o) => o.ok).length).toBeGreaterThan(60);
    const kinds = new Set(generated.flatMap((o) => (o.ok ? [] : [o.kind])));
    expect([...kinds].sort()).toEqual([
      "duplicate-option",
      "duplicate-section",
      "missing-section-header",
      "parsing",
    ]);
  });
});

describe("parseConfig details", () => {
  const parse = (text: string) => parseConfig(text, "~/.pypirc");
  const error = (text: string): ConfigSyntaxError => {
    try {
      parse(text);
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      return e as ConfigSyntaxError;
    }
    throw new Error("expected an error");
  };

  it("records key lines and per-line value lines", () => {
    const parsed = parse(
      "[plone]\nrelease-packages =\n    Products\\..*\n\n    collective\\..*\n\n",
    );
    const option = parsed.sections.get("plone")?.options.get("release-packages");
    expect(option?.value).toBe("\nProducts\\..*\n\ncollective\\..*");
    expect(option?.line).toBe(2);
    expect(option?.lines).toEqual([
      { text: "", line: 2 },
      { text: "Products\\..*", line: 3 },
      { text: "", line: 4 },
      { text: "collective\\..*", line: 5 },
    ]);
    expect(parsed.sections.get("plone")?.line).toBe(1);
  });

  it("counts lines across CRLF and lone CR", () => {
    const parsed = parse("[s]\r\n\r\nk = v\rj = w\n");
    expect(parsed.sections.get("s")?.options.get("j")?.line).toBe(4);
  });

  it("merges [DEFAULT] under a section's own options", () => {
    const parsed = parse("[DEFAULT]\nrealm = d\nuser = u\n[s]\nrealm = s\n");
    const merged = sectionOptions(parsed, "s");
    expect([...merged].map(([k, v]) => [k, v.value])).toEqual([
      ["realm", "s"],
      ["user", "u"],
    ]);
  });

  it("names file and lines in a duplicate option error", () => {
    const e = error("[pypi]\nusername = a\npassword = b\nUsername = c\n");
    expect(e.kind).toBe("duplicate-option");
    expect(e.message).toBe(
      '~/.pypirc, line 4: duplicate option "username" in section [pypi] (first set on line 2); remove one of them',
    );
  });

  it("names both lines of a duplicate section", () => {
    const e = error("[pypi]\n[plone]\n[pypi]\n");
    expect(e.message).toMatch(
      /^~\/\.pypirc, line 3: duplicate section \[pypi\] \(first on line 1\)/,
    );
  });

  it("reports a key before any section", () => {
    const e = error("\nusername = x\n");
    expect(e.kind).toBe("missing-section-header");
    expect(e.message).toMatch(/^~\/\.pypirc, line 2: .*before any \[section\] header/);
  });

  it("reports all bad lines without echoing their text (they may hold secrets)", () => {
    const e = error("[s]\npassword hunter2\nok = 1\n= x\nalso bad\n");
    expect(e.kind).toBe("parsing");
    expect(e.line).toBe(2);
    expect(e.message).toContain("line 2:");
    expect(e.message).toContain("(also lines 4, 5)");
    expect(e.message).not.toContain("hunter2");
  });

  it("decodes UTF-8, keeps one BOM for parseConfig to drop, and names the line of bad bytes", () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode("[s]\nk = v\n")]);
    expect(parse(decodeConfigBytes(bom, "f")).sections.has("s")).toBe(true);
    const latin1 = new Uint8Array([
      ...new TextEncoder().encode("[s]\r\nk = v\r\nname = Jos"),
      0xe9,
      0x0a,
    ]);
    expect(() => decodeConfigBytes(latin1, "~/.pypirc")).toThrow(
      /^~\/\.pypirc, line 3: not valid UTF-8/,
    );
  });
});
