/**
 * Warehouse's metadata verdict on the upload form (forklift/metadata.py `parse`, called by
 * `file_upload` on the form fields, not on the file's METADATA): `parse_form_metadata`, then
 * packaging's `Metadata.from_raw` validation, then Warehouse's own rules (`_validate_metadata`),
 * and the choice `file_upload` makes among the errors: the first error of the first field among
 * metadata-version, name, version, else of the first field name in sorted order.
 *
 * `warehouseErrors` ports Warehouse's `_validate_metadata` line by line (its checks, order and
 * messages), so it stays one long function that reads side by side with the original.
 */
import { normalizeVersion } from "../distributions/filename.js";
import { contentTypeProblem } from "../distributions/metadata-rules.js";
import {
  isValidVersion,
  requirementError,
  requirementProblem,
  specifierSetProblem,
} from "../distributions/requirements.js";
import {
  CLASSIFIERS,
  DEPRECATED_CLASSIFIERS,
  DYNAMIC_FIELDS,
  SUMMARY_LIMIT,
  SUPPORTED_METADATA_VERSIONS,
} from "./data.js";
import { emailProblem, parseAddress } from "./email.js";
import { pyRepr } from "./pyrepr.js";
import { licenseExpressionProblem } from "./spdx.js";
import { isValidUri } from "./uri.js";

export interface InvalidMetadata {
  /** The field as packaging names it in errors (`requires-dist`), or the form key. */
  field: string;
  message: string;
}

type Raw = Map<string, string | string[] | Map<string, string>>;

/** packaging's raw names: form key differs only for these (warehouse `_override`). */
const FORM_TO_RAW: Record<string, string> = {
  platform: "platforms",
  supported_platform: "supported_platforms",
  license_file: "license_files",
  import_name: "import_names",
  import_namespace: "import_namespaces",
};
/** raw name -> [email name, Metadata-Version that introduced it] (packaging's Metadata class). */
const FIELDS: Record<string, [string, string]> = {
  metadata_version: ["metadata-version", "1.0"],
  name: ["name", "1.0"],
  version: ["version", "1.0"],
  dynamic: ["dynamic", "2.2"],
  platforms: ["platform", "1.0"],
  supported_platforms: ["supported-platform", "1.1"],
  summary: ["summary", "1.0"],
  description: ["description", "1.0"],
  description_content_type: ["description-content-type", "2.1"],
  keywords: ["keywords", "1.0"],
  home_page: ["home-page", "1.0"],
  download_url: ["download-url", "1.1"],
  author: ["author", "1.0"],
  author_email: ["author-email", "1.0"],
  maintainer: ["maintainer", "1.2"],
  maintainer_email: ["maintainer-email", "1.2"],
  license: ["license", "1.0"],
  license_expression: ["license-expression", "2.4"],
  license_files: ["license-file", "2.4"],
  classifiers: ["classifier", "1.1"],
  requires_dist: ["requires-dist", "1.2"],
  requires_python: ["requires-python", "1.2"],
  requires_external: ["requires-external", "1.2"],
  project_urls: ["project-url", "1.2"],
  provides_extra: ["provides-extra", "2.1"],
  provides_dist: ["provides-dist", "1.2"],
  obsoletes_dist: ["obsoletes-dist", "1.2"],
  import_names: ["import-name", "2.5"],
  import_namespaces: ["import-namespace", "2.5"],
  requires: ["requires", "1.1"],
  provides: ["provides", "1.1"],
  obsoletes: ["obsoletes", "1.1"],
};
const RENAMED = new Set(Object.values(FORM_TO_RAW));
const STRING_FIELDS = new Set(
  "author author_email description description_content_type download_url home_page license license_expression maintainer maintainer_email metadata_version name requires_python summary version".split(
    " ",
  ),
);
const VERSIONS = ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"];
const EMAIL_NAMES = new Set(Object.values(FIELDS).map(([email]) => email));
const NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
const PY_KEYWORDS = new Set(
  "False None True and as assert async await break class continue def del elif else except finally for from global if import in is lambda nonlocal not or pass raise return try while with yield".split(
    " ",
  ),
);
const IDENTIFIER = /^[\p{XID_Start}_][\p{XID_Continue}]*$/u;

/** `parse_form_metadata`: the form as packaging's RawMetadata, or the unparsable keys. */
function rawFromForm(form: Array<[string, string]>): Raw | InvalidMetadata[] {
  const byKey = new Map<string, string[]>();
  for (const [k, v] of form) byKey.set(k, [...(byKey.get(k) ?? []), v]);
  const raw: Raw = new Map();
  const unparsed: InvalidMetadata[] = [];
  for (const [key, value] of byKey) {
    // A raw name with its own form key (`platforms` is sent as `platform`) is not read.
    const name = FORM_TO_RAW[key] ?? (RENAMED.has(key) ? undefined : key);
    if (name === undefined || !(name in FIELDS)) continue;
    if (value.length === 1 && value[0] === "") continue;
    if (STRING_FIELDS.has(name) && value.length === 1) raw.set(name, value[0] as string);
    else if (!STRING_FIELDS.has(name) && name !== "keywords" && name !== "project_urls")
      raw.set(name, value);
    else if (name === "keywords" && value.length === 1)
      raw.set(
        name,
        (value[0] as string).split(",").map((k) => k.trim()),
      );
    else if (name === "project_urls") {
      const urls = new Map<string, string>();
      for (const pair of value) {
        const comma = pair.indexOf(",");
        const label = (comma < 0 ? pair : pair.slice(0, comma)).trim();
        if (urls.has(label)) break;
        urls.set(label, comma < 0 ? "" : pair.slice(comma + 1).trim());
      }
      if (urls.size === value.length) raw.set(name, urls);
      else unparsed.push({ field: key, message: `${pyRepr(key)} has invalid data` });
    } else unparsed.push({ field: key, message: `${pyRepr(key)} has invalid data` });
  }
  return unparsed.length > 0 ? unparsed : raw;
}

function importNamesProblem(field: string, values: string[]): string | undefined {
  for (const value of values) {
    const semi = value.indexOf(";");
    const name = (semi < 0 ? value : value.slice(0, semi)).trimEnd();
    for (const part of name.split(".")) {
      if (!IDENTIFIER.test(part))
        return `${pyRepr(name)} is invalid for '${field}'; ${pyRepr(part)} is not a valid identifier`;
      if (PY_KEYWORDS.has(part))
        return `${pyRepr(name)} is invalid for '${field}'; ${pyRepr(part)} is a keyword`;
    }
    if (semi >= 0 && value.slice(semi + 1).trimStart() !== "private")
      return `${pyRepr(value)} is invalid for '${field}'; the only valid option is 'private'`;
  }
  return undefined;
}

function licenseFilesProblem(values: string[]): string | undefined {
  for (const path of values) {
    const bad = (why: string) => `${pyRepr(path)} is invalid for 'license-file', ${why}`;
    if (path.includes("..")) return bad("parent directory indicators are not allowed");
    if (path.includes("*")) return bad("paths must be resolved");
    if (
      path.startsWith("/") ||
      /^[A-Za-z]:[\\/]/.test(path) ||
      /^[\\/]{2}[^\\/]+[\\/][^\\/]/.test(path)
    )
      return bad("paths must be relative");
    if (path.includes("\\")) return bad("paths must use '/' delimiter");
  }
  return undefined;
}

/** packaging's `_process_<field>`: the reason a present value is invalid. */
function fieldProblem(name: string, value: unknown): string | undefined {
  const list = Array.isArray(value) ? (value as string[]) : [];
  const text = typeof value === "string" ? value : "";
  switch (name) {
    case "name":
      if (!text) return "'name' is a required field";
      return NAME.test(text) ? undefined : `${pyRepr(text)} is invalid for 'name'`;
    case "version":
      if (!text) return "'version' is a required field";
      return isValidVersion(text) ? undefined : `${pyRepr(text)} is invalid for 'version'`;
    case "summary":
      return text.includes("\n") ? "'summary' must be a single line" : undefined;
    case "description_content_type":
      return contentTypeProblem(text, pyRepr);
    case "dynamic":
      for (const f of list.map((x) => x.toLowerCase())) {
        if (["name", "version", "metadata-version"].includes(f))
          return `${pyRepr(f)} is not allowed as a dynamic field`;
        if (!EMAIL_NAMES.has(f)) return `${pyRepr(f)} is not a valid dynamic field`;
      }
      return undefined;
    case "provides_extra":
      for (const x of list)
        if (!NAME.test(x)) return `${pyRepr(x)} is invalid for 'provides-extra'`;
      return undefined;
    case "requires_python":
      return specifierSetProblem(text)
        ? `${pyRepr(text)} is invalid for 'requires-python'`
        : undefined;
    case "requires_dist":
      for (const x of list)
        if (requirementProblem(x)) return `${pyRepr(x)} is invalid for 'requires-dist'`;
      return undefined;
    case "license_expression":
      return licenseExpressionProblem(text)
        ? `${pyRepr(text)} is invalid for 'license-expression'`
        : undefined;
    case "license_files":
      return licenseFilesProblem(list);
    case "import_names":
      return importNamesProblem("import-name", list);
    case "import_namespaces":
      return importNamesProblem("import-namespace", list);
    default:
      return undefined;
  }
}

/** `Metadata.from_raw(raw)` validation: every error, in no particular order. */
function packagingErrors(raw: Raw): InvalidMetadata[] {
  const errors: InvalidMetadata[] = [];
  const declared = raw.get("metadata_version");
  const version =
    typeof declared === "string" && VERSIONS.includes(declared) ? declared : undefined;
  if (!version)
    errors.push({
      field: "metadata-version",
      message: `${declared === undefined ? "None" : pyRepr(String(declared))} is not a valid metadata version`,
    });
  const keys = new Set([...raw.keys(), "name", "version"]);
  keys.delete("metadata_version");
  for (const key of keys) {
    const [email, added] = FIELDS[key] as [string, string];
    if (version && VERSIONS.indexOf(added) > VERSIONS.indexOf(version)) {
      errors.push({
        field: email,
        message: `${email} introduced in metadata version ${added}, not ${version}`,
      });
      continue;
    }
    const message = fieldProblem(key, raw.get(key));
    if (message) errors.push({ field: email, message });
  }
  return errors;
}

const hasUrl = (req: string) => /^\s*[A-Za-z0-9._-]+\s*(\[[^\]]*\])?\s*@/.test(req);

/** packaging's `str(Requirement)` of a URL requirement, which Warehouse quotes. */
function requirementText(req: string): string {
  const m = /^\s*([A-Za-z0-9._-]+)\s*(?:\[([^\]]*)\])?\s*@\s*([^;\s]+)\s*(?:;\s*(.*))?$/s.exec(req);
  if (!m) return req;
  const extras = (m[2] ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter(Boolean)
    .sort();
  const extra = extras.length > 0 ? `[${extras.join(",")}]` : "";
  return `${m[1]}${extra} @ ${m[3]}${m[4] ? ` ; ${m[4].trim()}` : ""}`;
}

/** Warehouse's `_validate_metadata`, run once packaging found nothing. */
function warehouseErrors(raw: Raw): InvalidMetadata[] {
  const errors: InvalidMetadata[] = [];
  const str = (k: string) => raw.get(k) as string | undefined;
  const list = (k: string) => (raw.get(k) as string[] | undefined) ?? [];
  const declared = str("metadata_version") ?? "";
  if (!SUPPORTED_METADATA_VERSIONS.includes(declared))
    errors.push({
      field: "metadata-version",
      message: `${pyRepr(declared)} is not a valid metadata version`,
    });
  const version = str("version") ?? "";
  if (version.includes("+"))
    errors.push({
      field: "version",
      message: `The use of local versions in '${normalizeVersion(version) ?? version}' is not allowed.`,
    });
  const summary = str("summary");
  if (summary !== undefined && [...summary].length > SUMMARY_LIMIT)
    errors.push({
      field: "summary",
      message: `'summary' field must be ${SUMMARY_LIMIT} characters or less.`,
    });
  for (const [key, field] of [
    ["author_email", "author-email"],
    ["maintainer_email", "maintainer-email"],
  ] as const) {
    const value = str(key);
    const address = value === undefined ? "" : parseAddress(value);
    const why = address ? emailProblem(address) : undefined;
    if (why)
      errors.push({ field, message: `${pyRepr(address)} is not a valid email address: ${why}` });
  }
  const classifiers = [...new Set(list("classifiers"))].sort();
  for (const c of classifiers)
    if (!CLASSIFIERS.has(c))
      errors.push({ field: "classifier", message: `${pyRepr(c)} is not a valid classifier.` });
  for (const c of classifiers) {
    const by = DEPRECATED_CLASSIFIERS.get(c);
    if (by === undefined) continue;
    errors.push({
      field: "classifier",
      message:
        by.length > 0
          ? `The classifier ${pyRepr(c)} has been deprecated, use one of [${by.map(pyRepr).join(", ")}] instead.`
          : `The classifier ${pyRepr(c)} has been deprecated.`,
    });
  }
  for (const [key, field] of [
    ["home_page", "home-page"],
    ["download_url", "download-url"],
  ] as const) {
    const url = str(key);
    if (url !== undefined && !isValidUri(url))
      errors.push({ field, message: `${pyRepr(url)} is not a valid url.` });
  }
  for (const [label, url] of (raw.get("project_urls") as Map<string, string> | undefined) ?? []) {
    const message = !label
      ? "Must have a label"
      : [...label].length > 32
        ? `${pyRepr(label)} must be 32 characters or less.`
        : !url
          ? "Must have a URL"
          : !isValidUri(url)
            ? `${pyRepr(url)} is not a valid url`
            : undefined;
    if (message) errors.push({ field: "project-url", message });
  }
  for (const [key, field] of [
    ["provides_dist", "provides-dist"],
    ["obsoletes_dist", "obsoletes-dist"],
  ] as const) {
    for (const req of list(key)) {
      const why = requirementError(req);
      if (why) errors.push({ field, message: `${pyRepr(req)} is invalid: ${why}` });
      else if (hasUrl(req))
        errors.push({ field, message: `Can't have direct dependency: ${pyRepr(req)}` });
    }
  }
  for (const req of list("requires_dist"))
    if (hasUrl(req))
      errors.push({
        field: "requires-dist",
        message: `Can't have direct dependency: ${requirementText(req)}`,
      });
  for (const key of list("dynamic").map((d) => d.toLowerCase()))
    if (!DYNAMIC_FIELDS.has(key))
      errors.push({
        field: "dynamic",
        message: `Dynamic field ${pyRepr(key)} is not a valid dynamic field.`,
      });
  if (str("license") && str("license_expression"))
    errors.push({
      field: "license",
      message:
        "License is deprecated when License-Expression is present. Only License-Expression should be present.",
    });
  return errors;
}

/** Every error Warehouse would collect from this form's metadata (empty: the metadata passes). */
export function metadataErrors(form: Array<[string, string]>): InvalidMetadata[] {
  const raw = rawFromForm(form);
  if (Array.isArray(raw)) return raw;
  const errors = packagingErrors(raw);
  return errors.length > 0 ? errors : warehouseErrors(raw);
}

const ORDER = ["metadata-version", "name", "version"];
const CORE_METADATA = "https://packaging.python.org/specifications/core-metadata";
const LOCAL_VERSIONS =
  "https://packaging.python.org/en/latest/specifications/version-specifiers/#local-version-identifiers";

/** `file_upload`'s message for these errors: one field's first error, with its "See" link. */
export function metadataMessage(
  errors: InvalidMetadata[],
): { field: string; message: string } | undefined {
  if (errors.length === 0) return undefined;
  const fields = [...new Set(errors.map((e) => e.field))];
  const field = ORDER.find((f) => fields.includes(f)) ?? (fields.sort()[0] as string);
  const mine = errors.filter((e) => e.field === field);
  const first = (mine[0] as InvalidMetadata).message;
  const local =
    field === "version" && mine.some((e) => e.message.includes("use of local versions"));
  const text = first.endsWith(".") ? first : `${first}.`;
  return {
    field,
    message: `${text} See ${local ? LOCAL_VERSIONS : CORE_METADATA} for more information.`,
  };
}
