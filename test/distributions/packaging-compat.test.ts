/**
 * The metadata rules pkgpush applies before sending, against packaging itself (26.2, the copy
 * PyPI's code runs in ../shared/warehouse/site): PEP 508 requirements, PEP 440 versions and
 * specifiers accepted or refused alike, and the same fields found at fault in whole METADATA files.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseMetadata } from "../../src/distributions/metadata.js";
import { metadataProblems } from "../../src/distributions/metadata-rules.js";
import {
  isValidVersion,
  requirementProblem,
  specifierSetProblem,
} from "../../src/distributions/requirements.js";
import { SKIP_REASON, WAREHOUSE } from "../helpers/warehouse.js";

const PYTHON = `
import json, sys
sys.path.insert(0, sys.argv[1])
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
import packaging.metadata as pm

def ok(make, value):
    try:
        make(value)
        return True
    except Exception:
        return False

def problems(text):
    raw, unparsed = pm.parse_email(text)
    if raw.get("metadata_version", "0") < "2.4":  # twine 7: License-File dropped below 2.4
        raw.pop("license_files", None)
        unparsed.pop("license-file", None)
    fields = set(unparsed)
    try:
        pm.Metadata.from_raw(raw)
    except Exception as group:
        fields |= {e.field for e in getattr(group, "exceptions", [group])}
    return sorted(fields)

cases = json.load(sys.stdin)
json.dump({
    "requirements": [ok(Requirement, r) for r in cases["requirements"]],
    "specifiers": [ok(SpecifierSet, s) for s in cases["specifiers"]],
    "versions": [ok(Version, v) for v in cases["versions"]],
    "metadata": [problems(m) for m in cases["metadata"]],
}, sys.stdout)
`;

const REQUIREMENTS = [
  "requests",
  "requests>=2",
  "requests >= 2.0, < 3",
  "requests (>=2.0)",
  "requests (>=2.0",
  "requests>=2.0)",
  "requests[security,socks]>=2; python_version >= '3.8'",
  "requests [ security , socks ] (>=2)",
  "requests[security socks]",
  "requests[]",
  'rich; extra == "cli"',
  "rich ; extra == 'cli' and (os_name == 'nt' or sys_platform != \"linux\")",
  "rich; extra == cli",
  "rich; extra = 'cli'",
  "rich; python_version not in '2.7, 3.4'",
  "rich; python_version notin '2.7'",
  "foo @ https://example.com/foo.whl",
  "foo@https://example.com/foo.whl ; python_version > '3'",
  "foo @ https://example.com/foo.whl; python_version > '3'",
  "foo @",
  "foo==1.0.*",
  "foo>=1.0.*",
  "foo==1.0+local.1",
  "foo>=1.0+local",
  "foo~=1",
  "foo~=1.4.2",
  "foo===weird-version",
  "foo (1.0)",
  "foo 1.0",
  "foo>=1.0a1.post2.dev3",
  "foo>=v1.0",
  "foo>=1!2.0",
  "-foo",
  "foo-",
  "foo.bar_baz-qux",
  "",
  "   ",
  "foo; ",
  "foo;",
  "foo>=1,",
  "foo>=1,,<2",
  "foo<=1 ,>0",
  "Foo>=1; platform_python_implementation=='CPython'",
  "foo; implementation_name == 'cpython' and platform.machine == 'x86_64'",
  "foo; dependency_groups == 'x'",
  "foo; python_version >= '3' and",
  "foo; (python_version >= '3'",
  "six (>=1.0)",
  "zope.interface (>=3.6.0) ; extra == 'test'",
];

const SPECIFIERS = [
  ">=3.8",
  ">=3.8,<4",
  ">= 3.8 , < 4",
  "3.8",
  ">=3.8.*",
  "==3.*",
  "~=3",
  "~=3.8",
  ">=2.6, !=3.0.*, !=3.1.*",
  "",
  ">=3.8,",
  "!=3.0+local",
  "<3.0+local",
  "===foo",
  ">3.8 <4",
];

const VERSIONS = [
  "1.0",
  "1.0.post1",
  "1.0-1",
  "1.0.0-1+LOCAL-1",
  "v1.0",
  "1!2.0",
  "1.0a1",
  "1.0.dev3",
  "1.0rc1.post2.dev3",
  "1.0-beta",
  "1.0.x",
  "2.0b",
  " 1.0 ",
  "1.0+",
  "01.02",
  "latest",
];

const META = (mv: string, extra: string, body = "") =>
  `Metadata-Version: ${mv}\nName: demo\nVersion: 1.0\n${extra}${body ? `\n${body}` : ""}`;

const METADATA = [
  META("2.1", "License-File: LICENSE\n"),
  META("2.1", "License-Expression: MIT\n"),
  META("2.4", "License-Expression: MIT\nLicense-File: ../LICENSE\nLicense-File: a/*.txt\n"),
  META("2.4", "License-File: /abs\nLicense-File: a\\b\n"),
  META("1.0", "Classifier: A\nDownload-URL: https://x\nRequires-Python: >=3\n"),
  META("1.1", "Maintainer: m\nProject-URL: Docs, https://d\n"),
  META("1.2", "Provides-Extra: cli\nDescription-Content-Type: text/plain\n"),
  META("2.1", "Dynamic: Requires-Dist\n"),
  META("2.2", "Dynamic: Version\nDynamic: Nonsense\n"),
  META("2.0", ""),
  META("1.3", ""),
  META("2.1", "Description: header\n", "body\n"),
  META("2.1", "Summary: one\nSummary: two\n"),
  META("2.1", "Summary: folded\n  summary\n"),
  META("2.1", "Requires-Dist: foo (>=1\nRequires-Python: 3.8\n"),
  META("2.1", "Provides-Extra: not valid!\nProvides-Extra: ok_extra\n"),
  META("2.1", "Description-Content-Type: text/html\n"),
  META("2.1", "Description-Content-Type: text/markdown; variant=Other\n"),
  META("2.1", "Description-Content-Type: text/plain; charset=latin-1\n"),
  META("2.1", "Description-Content-Type: text/markdown; charset=UTF-8; variant=CommonMark\n"),
  META("2.5", "Import-Name: good.name\nImport-Name: class\nImport-Name: 1bad\n"),
  META("2.5", "Import-Name: ok; private\nImport-Namespace: ns; public\n"),
  META("2.1", "Project-URL: Docs, https://a\nProject-URL: Docs, https://b\n"),
  META("2.1", "Keywords: a\nKeywords: b\n"),
  META("2.4", "Name: again\n"),
  "Metadata-Version: 2.1\nName: bad name!\nVersion: not.a.version\n",
  META("2.5", "Requires-Dist: ok>=1; extra == 'x'\nProvides-Extra: x\n", "Body\n"),
];

function python(cases: object): Promise<{
  requirements: boolean[];
  specifiers: boolean[];
  versions: boolean[];
  metadata: string[][];
}> {
  return new Promise((ok, fail) => {
    const child = execFile(
      "/usr/bin/python3",
      ["-c", PYTHON, join(WAREHOUSE as string, "site")],
      { maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error ? fail(new Error(`${error.message}\n${stderr}`)) : ok(JSON.parse(stdout)),
    );
    child.stdin?.end(JSON.stringify(cases));
  });
}

describe.skipIf(!WAREHOUSE)(`agrees with packaging 26.2 (${WAREHOUSE ?? SKIP_REASON})`, () => {
  it("on requirements, specifiers, versions and whole METADATA files", async () => {
    const py = await python({
      requirements: REQUIREMENTS,
      specifiers: SPECIFIERS,
      versions: VERSIONS,
      metadata: METADATA,
    });
    const ours = {
      requirements: REQUIREMENTS.map((r) => requirementProblem(r) === undefined),
      specifiers: SPECIFIERS.map((s) => specifierSetProblem(s) === undefined),
      versions: VERSIONS.map((v) => isValidVersion(v)),
      metadata: METADATA.map((m) =>
        [...new Set(metadataProblems(parseMetadata(m)).map((p) => p.field.toLowerCase()))].sort(),
      ),
    };
    const label = <T>(inputs: string[], values: T[]) =>
      Object.fromEntries(inputs.map((input, i) => [JSON.stringify(input), values[i]]));
    expect(label(REQUIREMENTS, ours.requirements)).toEqual(label(REQUIREMENTS, py.requirements));
    expect(label(SPECIFIERS, ours.specifiers)).toEqual(label(SPECIFIERS, py.specifiers));
    expect(label(VERSIONS, ours.versions)).toEqual(label(VERSIONS, py.versions));
    expect(label(METADATA, ours.metadata)).toEqual(label(METADATA, py.metadata));
    // Both sides find problems (the comparison is not between two empty answers).
    expect(py.requirements.filter((x) => !x).length).toBeGreaterThan(10);
    expect(py.metadata.filter((x) => x.length > 0).length).toBeGreaterThan(20);
  });
});
