/**
 * Cross-check parseMetadata against Python: `email.parser.Parser(policy=compat32)`, whose values
 * `packaging.metadata.parse_email` keeps as they are (folded lines, CR LF and all), plus the one
 * reading pkgpush adds: the Description header's continuation prefix (8 spaces or `       |`)
 * removed. The body is compared byte for byte.
 */
import { execFile } from "node:child_process";
import { beforeAll, describe, expect, it } from "vitest";
import { readMetadataFile } from "../../src/distributions/archive.js";
import { parseFilename } from "../../src/distributions/filename.js";
import { decodeMetadata, parseMetadata } from "../../src/distributions/metadata.js";
import type { Metadata } from "../../src/distributions/types.js";
import { ensureFixtures, type FixtureSet, python3 } from "../fixtures/make-fixtures.js";

const PYTHON = String.raw`
import email.parser, email.policy, json, sys, tarfile, zipfile

def read_member(path, member):
    if path.endswith((".tar.gz", ".tar.bz2")):
        with tarfile.open(path) as tf:
            return tf.extractfile(member).read()
    with zipfile.ZipFile(path) as zf:
        return zf.read(member)

def decode(data):
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")

def unindent(name, txt):
    if name.lower() == "description":
        return "\n".join(x[8:] if x.startswith(" " * 8) or x.startswith(" " * 7 + "|") else x
                         for x in txt.strip().splitlines())
    return txt

out = {}
for case in json.load(sys.stdin):
    text = case["text"] if "text" in case else decode(read_member(case["path"], case["member"]))
    msg = email.parser.Parser(policy=email.policy.compat32).parsestr(text)
    body = msg.get_payload()
    out[case["id"]] = {
        "fields": [[k, unindent(k, v)] for k, v in msg.items()],
        "body": body or None,
    }
json.dump(out, sys.stdout)
`;

type Case = { id: string; text: string } | { id: string; path: string; member: string };
type PyResult = Record<string, { fields: Array<[string, string]>; body: string | null }>;

async function parseWithPython(cases: Case[]): Promise<PyResult> {
  const python = await python3();
  return new Promise((resolve, reject) => {
    const child = execFile(python, ["-c", PYTHON], { maxBuffer: 64 * 1024 * 1024 }, (err, out) =>
      err ? reject(err) : resolve(JSON.parse(out) as PyResult),
    );
    child.stdin?.end(JSON.stringify(cases));
  });
}

const asPython = (md: Metadata) => ({ fields: md.fields, body: md.body ?? null });

const SYNTHETIC: Record<string, string> = {
  folded: "Name: foo\nKeywords: a b\n   c\n\td\nSummary:   padded  \n",
  description10:
    "Description: Title\n        =====\n        \n        Para.\n          code\nPlatform: x\n",
  pipes: "Description: one\n       |\n       |    two\n       |three\n",
  body: "Metadata-Version: 2.1\nName: foo\n\n# Title\n\nText: not a header\n\n    code\n",
  crlf: "Name: foo\r\nKeywords: a\r\n b\r\nVersion: 1\r\n\r\nbody\r\nmore\r\n",
  whitespaceLine: "Name: foo\n   \nVersion: 1\n",
  noSeparator: "Name: foo\nthis is no header\nVersion: 1\n",
  defects: " leading continuation\n: no name\n cont\nName: foo\n",
  emptyValues: "Name:foo\nLicense:\nVersion: 1\n",
  fromLines: "From nobody\nName: foo\nFrom x\nVersion: 1\n\nbody\n",
  fromLast: "Name: foo\nFrom someone\n\nbody\n",
  nonAscii: "Name: foo\nSummary: Ünïcode ✓\nAuthor: Zoë\n\nÜnïcode ✓ body",
  noNewlineAtEnd: "Name: foo\nVersion: 1",
  headersOnlyBlank: "Name: foo\n\n",
  empty: "",
};

let fx: FixtureSet;
beforeAll(async () => {
  fx = await ensureFixtures();
});

describe("metadata parsing agrees with Python's email parser", () => {
  it("on every fixture's METADATA / PKG-INFO", async () => {
    const good = Object.entries(fx).filter(
      ([, f]) => f.metadataMember !== "" && !f.path.includes("/bad/"),
    );
    expect(good.length).toBeGreaterThanOrEqual(15);
    const python = await parseWithPython(
      good.map(([id, f]) => ({ id, path: f.path, member: f.metadataMember })),
    );
    for (const [id, f] of good) {
      const member = await readMetadataFile(f.path, parseFilename(f.path));
      expect(member.name, id).toBe(f.metadataMember);
      expect(asPython(parseMetadata(decodeMetadata(member.data))), id).toEqual(python[id]);
    }
  });

  it("on tricky inputs", async () => {
    const python = await parseWithPython(
      Object.entries(SYNTHETIC).map(([id, text]) => ({ id, text })),
    );
    for (const [id, text] of Object.entries(SYNTHETIC)) {
      expect(asPython(parseMetadata(text)), id).toEqual(python[id]);
    }
  });
});
