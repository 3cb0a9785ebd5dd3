/**
 * packaging's core metadata rules (`packaging.metadata.Metadata.from_email`, what twine 7 checks
 * before sending and PyPI checks on the form), applied to a file's metadata before anything is
 * sent. Each rule has a scope: `all` where the metadata is broken for every index and installer
 * (pip >= 24.1 refuses invalid requirements), `pypi` where only indexes that validate the form
 * like Warehouse refuse it. Pure functions; the caller decides which files go to PyPI.
 */
import { getField, metadataVersionBelow } from "./metadata.js";
import { isValidVersion, requirementProblem, specifierSetProblem } from "./requirements.js";
import type { Metadata } from "./types.js";

export type RuleScope = "all" | "pypi";

export interface MetadataProblem {
  /** The metadata field at fault, as the core metadata spec spells it. */
  field: string;
  /** packaging's reason (its own wording where it has one). */
  reason: string;
  scope: RuleScope;
}

/** The Metadata-Versions packaging knows, oldest first. */
const VERSIONS = ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"];

/** Field (lower-case) -> the Metadata-Version that introduced it; spelling as in the spec. */
const FIELDS: Record<string, [spelling: string, added: string]> = {
  "metadata-version": ["Metadata-Version", "1.0"],
  name: ["Name", "1.0"],
  version: ["Version", "1.0"],
  platform: ["Platform", "1.0"],
  summary: ["Summary", "1.0"],
  description: ["Description", "1.0"],
  keywords: ["Keywords", "1.0"],
  "home-page": ["Home-page", "1.0"],
  author: ["Author", "1.0"],
  "author-email": ["Author-email", "1.0"],
  license: ["License", "1.0"],
  "supported-platform": ["Supported-Platform", "1.1"],
  "download-url": ["Download-URL", "1.1"],
  classifier: ["Classifier", "1.1"],
  requires: ["Requires", "1.1"],
  provides: ["Provides", "1.1"],
  obsoletes: ["Obsoletes", "1.1"],
  maintainer: ["Maintainer", "1.2"],
  "maintainer-email": ["Maintainer-email", "1.2"],
  "requires-dist": ["Requires-Dist", "1.2"],
  "requires-python": ["Requires-Python", "1.2"],
  "requires-external": ["Requires-External", "1.2"],
  "project-url": ["Project-URL", "1.2"],
  "provides-dist": ["Provides-Dist", "1.2"],
  "obsoletes-dist": ["Obsoletes-Dist", "1.2"],
  "description-content-type": ["Description-Content-Type", "2.1"],
  "provides-extra": ["Provides-Extra", "2.1"],
  dynamic: ["Dynamic", "2.2"],
  "license-expression": ["License-Expression", "2.4"],
  "license-file": ["License-File", "2.4"],
  "import-name": ["Import-Name", "2.5"],
  "import-namespace": ["Import-Namespace", "2.5"],
};

/** Fields that may appear more than once; any other known field appears at most once. */
const MULTIPLE = new Set([
  "classifier",
  "dynamic",
  "license-file",
  "obsoletes",
  "obsoletes-dist",
  "platform",
  "provides",
  "provides-dist",
  "provides-extra",
  "requires",
  "requires-dist",
  "requires-external",
  "supported-platform",
  "import-name",
  "import-namespace",
  "project-url",
]);

/** packaging's `canonicalize_name(validate=True)` rule for names and extras. */
const NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;

const PYTHON_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(
    " ",
  ),
);
/** Python's `str.isidentifier()`: XID_Start or `_`, then XID_Continue. */
const IDENTIFIER = /^[\p{XID_Start}_][\p{XID_Continue}]*$/u;

type Values = Map<string, string[]>;

function values(md: Metadata): Values {
  const map: Values = new Map();
  for (const [name, value] of md.fields) {
    const key = name.toLowerCase();
    map.set(key, [...(map.get(key) ?? []), value]);
  }
  return map;
}

/** Fields given more than once that may appear once, and a Description both header and body. */
function ambiguities(v: Values, md: Metadata): MetadataProblem[] {
  const problems: MetadataProblem[] = [];
  for (const [key, list] of v) {
    const known = FIELDS[key];
    if (known && !MULTIPLE.has(key) && list.length > 1)
      problems.push({
        field: known[0],
        reason: `'${key}' has invalid data (given ${list.length} times; it may appear once)`,
        scope: "all",
      });
  }
  if (v.has("description") && md.body)
    problems.push({
      field: "Description",
      reason:
        "'description' has invalid data (given both as a Description header and as the message body)",
      scope: "all",
    });
  return problems;
}

/** Metadata-Version known to packaging, and every field allowed by it (License-File excepted). */
function versionRules(v: Values, declared: string): MetadataProblem[] {
  const age = VERSIONS.indexOf(declared);
  if (age < 0)
    return [
      {
        field: "Metadata-Version",
        reason: `'${declared}' is not a valid metadata version`,
        scope: "pypi",
      },
    ];
  const problems: MetadataProblem[] = [];
  for (const key of v.keys()) {
    const known = FIELDS[key];
    // License-File below 2.4 is not sent (fields.ts), as twine 7 does: setuptools writes it.
    if (!known || key === "license-file") continue;
    if (VERSIONS.indexOf(known[1]) > age)
      problems.push({
        field: known[0],
        reason: `${key} introduced in metadata version ${known[1]}, not ${declared}`,
        scope: "pypi",
      });
  }
  return problems;
}

/**
 * packaging's Description-Content-Type rule. `quote` renders a value in the message: the local
 * check quotes it plainly, Warehouse's form verdict as Python's repr (rules/metadata.ts).
 */
export function contentTypeProblem(
  value: string,
  quote: (text: string) => string = (text) => `'${text}'`,
): string | undefined {
  const [type = "", ...params] = value.split(";");
  const mime = type.trim().toLowerCase();
  const types = ["text/plain", "text/x-rst", "text/markdown"];
  if (!types.includes(mime))
    return `'description-content-type' must be one of ['text/plain', 'text/x-rst', 'text/markdown'], not ${quote(value)}`;
  const param = (name: string): string | undefined => {
    for (const p of params) {
      const eq = p.indexOf("=");
      if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === name)
        return p
          .slice(eq + 1)
          .trim()
          .replace(/^"(.*)"$/, "$1");
    }
    return undefined;
  };
  const charset = param("charset") ?? "UTF-8";
  if (charset !== "UTF-8")
    return `'description-content-type' can only specify the UTF-8 charset, not ${quote(charset)}`;
  const variant = param("variant") ?? "GFM";
  if (mime === "text/markdown" && variant !== "GFM" && variant !== "CommonMark")
    return `valid Markdown variants for 'description-content-type' are ['GFM', 'CommonMark'], not ${quote(variant)}`;
  return undefined;
}

function licenseFileProblem(path: string): string | undefined {
  const bad = (why: string) => `'${path}' is invalid for 'license-file', ${why}`;
  if (path.includes("..")) return bad("parent directory indicators are not allowed");
  if (path.includes("*")) return bad("paths must be resolved");
  if (path.startsWith("/") || path.startsWith("\\") || /^[A-Za-z]:/.test(path))
    return bad("paths must be relative");
  if (path.includes("\\")) return bad("paths must use '/' delimiter");
  return undefined;
}

function importNameProblem(field: string, value: string): string | undefined {
  const semicolon = value.indexOf(";");
  const name = (semicolon < 0 ? value : value.slice(0, semicolon)).trimEnd();
  for (const part of name.split(".")) {
    if (!IDENTIFIER.test(part))
      return `'${name}' is invalid for '${field}'; '${part}' is not a valid identifier`;
    if (PYTHON_KEYWORDS.has(part))
      return `'${name}' is invalid for '${field}'; '${part}' is a keyword`;
  }
  if (semicolon >= 0 && value.slice(semicolon + 1).trimStart() !== "private")
    return `'${value}' is invalid for '${field}'; the only valid option is 'private'`;
  return undefined;
}

/** A check of one field's values: the reason for each bad value. */
type ValueCheck = (value: string) => string | undefined;

const VALUE_RULES: Array<[key: string, scope: RuleScope, check: ValueCheck]> = [
  ["name", "pypi", (x) => (NAME.test(x) ? undefined : `'${x}' is invalid for 'name'`)],
  ["version", "pypi", (x) => (isValidVersion(x) ? undefined : `'${x}' is invalid for 'version'`)],
  ["summary", "all", (x) => (x.includes("\n") ? "'summary' must be a single line" : undefined)],
  ["description-content-type", "pypi", contentTypeProblem],
  [
    "dynamic",
    "pypi",
    (x) => {
      const f = x.toLowerCase();
      if (["name", "version", "metadata-version"].includes(f))
        return `'${f}' is not allowed as a dynamic field`;
      return FIELDS[f] ? undefined : `'${f}' is not a valid dynamic field`;
    },
  ],
  [
    "provides-extra",
    "pypi",
    (x) => (NAME.test(x) ? undefined : `'${x}' is invalid for 'provides-extra'`),
  ],
  [
    "requires-python",
    "all",
    (x) => {
      const why = specifierSetProblem(x);
      return why && `'${x}' is invalid for 'requires-python': ${why}`;
    },
  ],
  [
    "requires-dist",
    "all",
    (x) => {
      const why = requirementProblem(x);
      return why && `'${x}' is invalid for 'requires-dist': ${why}`;
    },
  ],
  ["import-name", "pypi", (x) => (x === "" ? undefined : importNameProblem("import-name", x))],
  ["import-namespace", "pypi", (x) => importNameProblem("import-namespace", x)],
];

function valueRules(v: Values, declared: string): MetadataProblem[] {
  const problems: MetadataProblem[] = [];
  for (const [key, scope, check] of VALUE_RULES) {
    for (const value of v.get(key) ?? []) {
      const reason = check(value);
      if (reason) problems.push({ field: FIELDS[key]?.[0] ?? key, reason, scope });
    }
  }
  // License-File is only sent (and so only checked) from Metadata-Version 2.4 on.
  if (!metadataVersionBelow(declared, 2, 4)) {
    for (const path of v.get("license-file") ?? []) {
      const reason = licenseFileProblem(path);
      if (reason) problems.push({ field: "License-File", reason, scope: "pypi" });
    }
  }
  const labels = (v.get("project-url") ?? []).map((p) => p.split(",")[0]?.trim());
  const repeated = labels.find((l, i) => labels.indexOf(l) !== i);
  if (repeated !== undefined)
    problems.push({
      field: "Project-URL",
      reason: `'project-url' has invalid data (the label '${repeated}' is given twice)`,
      scope: "pypi",
    });
  return problems;
}

/** Every problem packaging would find in this metadata, each with its scope. */
export function metadataProblems(md: Metadata): MetadataProblem[] {
  const v = values(md);
  const declared = getField(md, "Metadata-Version") ?? "";
  return [...ambiguities(v, md), ...versionRules(v, declared), ...valueRules(v, declared)];
}
