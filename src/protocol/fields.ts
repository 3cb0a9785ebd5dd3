import type { Digests } from "../distributions/digests.js";
import { metadataVersionBelow } from "../distributions/metadata.js";
import type { Distribution, Metadata } from "../distributions/types.js";

/** An ordered list of form fields; repeated names are sent once per value. */
export type FormFields = Array<[name: string, value: string]>;

/**
 * Core metadata header (lower-cased) -> upload form field: packaging's field list under the names
 * twine 7 sends (`twine/package.py`) and Warehouse reads (`forklift/metadata.py`). Headers not
 * listed are not sent, as with twine. `import_name`/`import_namespace` (Metadata 2.5) postdate
 * twine 7's list; Warehouse reads them, so they are sent.
 */
const FORM_FIELDS: Record<string, string> = {
  "metadata-version": "metadata_version",
  name: "name",
  version: "version",
  platform: "platform",
  "supported-platform": "supported_platform",
  summary: "summary",
  description: "description",
  "description-content-type": "description_content_type",
  keywords: "keywords",
  "home-page": "home_page",
  "download-url": "download_url",
  author: "author",
  "author-email": "author_email",
  maintainer: "maintainer",
  "maintainer-email": "maintainer_email",
  license: "license",
  "license-expression": "license_expression",
  "license-file": "license_file",
  classifier: "classifiers",
  "requires-dist": "requires_dist",
  "provides-dist": "provides_dist",
  "obsoletes-dist": "obsoletes_dist",
  "requires-python": "requires_python",
  "requires-external": "requires_external",
  "project-url": "project_urls",
  "provides-extra": "provides_extra",
  dynamic: "dynamic",
  requires: "requires",
  provides: "provides",
  obsoletes: "obsoletes",
  "import-name": "import_name",
  "import-namespace": "import_namespace",
};

/** The form field a metadata header is sent as, or undefined when it is not sent. */
export function formFieldName(header: string): string | undefined {
  return FORM_FIELDS[header.toLowerCase()];
}

/** packaging's Keywords reading (split on commas, each trimmed), re-joined as twine sends it. */
function keywordsValue(raw: string): string {
  return raw
    .split(",")
    .map((k) => k.trim())
    .join(", ");
}

/**
 * packaging's Project-URL reading: `label, url`, both trimmed, sent as `label, url`. Undefined
 * when a label repeats (packaging leaves the field unparsed; the values are then sent as written).
 */
function projectUrlValues(raw: string[]): string[] | undefined {
  const labels = new Set<string>();
  const out: string[] = [];
  for (const pair of raw) {
    const comma = pair.indexOf(",");
    const label = (comma < 0 ? pair : pair.slice(0, comma)).trim();
    const url = comma < 0 ? "" : pair.slice(comma + 1).trim();
    if (labels.has(label)) return undefined;
    labels.add(label);
    out.push(`${label}, ${url}`);
  }
  return out;
}

/**
 * The metadata part of the form: twine 7's `metadata_dictionary` for the same file (values as
 * packaging's `parse_email` reads them), in the metadata's own order. License-File is dropped
 * below Metadata-Version 2.4, where PyPI refuses it (setuptools writes it under 2.1/2.2). The
 * description is the body when there is no Description header. A repeated single-use field is
 * sent as written: inspection refuses such files (metadata-rules.ts) before anything is sent.
 */
export function metadataFields(metadata: Metadata): FormFields {
  const values = new Map<string, string[]>();
  // By index, no copies: `check` reads every file's form before V8 optimizes anything.
  const fields = metadata.fields;
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i] as [string, string];
    const name = formFieldName(field[0]);
    if (!name) continue;
    const list = values.get(name);
    if (list) list.push(field[1]);
    else values.set(name, [field[1]]);
  }
  if (metadataVersionBelow(values.get("metadata_version")?.[0], 2, 4))
    values.delete("license_file");
  const keywords = values.get("keywords");
  if (keywords?.length === 1) values.set("keywords", [keywordsValue(keywords[0] as string)]);
  const urls = values.get("project_urls");
  const parsedUrls = urls && projectUrlValues(urls);
  if (parsedUrls) values.set("project_urls", parsedUrls);
  if (!values.has("description") && metadata.body) values.set("description", [metadata.body]);
  return [...values].flatMap(([name, list]) => list.map((v): [string, string] => [name, v]));
}

/**
 * The digest fields and their fixed hex lengths (they may trail the file: see multipart.ts).
 * `md5_digest` only for servers configured with `md5-digest = true` (twine 7 and `uv publish`
 * send sha256 and blake2_256 only; see README, "Digests").
 */
export function digestFields(md5: boolean): Array<[name: string, length: number]> {
  const fields: Array<[string, number]> = [
    ["sha256_digest", 64],
    ["blake2_256_digest", 64],
  ];
  if (md5) fields.push(["md5_digest", 32]);
  return fields;
}

/** The values of `digestFields(d.md5 !== undefined)`, in that order. */
export const digestValues = (d: Digests): string[] =>
  d.md5 === undefined ? [d.sha256, d.blake2_256] : [d.sha256, d.blake2_256, d.md5];

/**
 * Form fields of a `:action=file_upload` request, file part excluded. Without digests, the
 * caller sends them after the file (computed while sending).
 */
export function uploadFields(
  dist: Distribution,
  digests: Digests | undefined,
  extra: { comment?: string | undefined; attestations?: string | undefined } = {},
): FormFields {
  const meta = metadataFields(dist.metadata).filter(
    ([name]) => name !== "name" && name !== "version" && name !== "metadata_version",
  );
  const fields: FormFields = [
    [":action", "file_upload"],
    ["protocol_version", "1"],
    ["name", dist.name],
    ["version", dist.version],
    ["metadata_version", dist.metadataVersion],
    ["filetype", dist.parsed.filetype],
    ["pyversion", dist.parsed.pyversion],
    ...meta,
  ];
  // GitLab rejects uploads without requires_python; an empty value means "no constraint".
  if (!meta.some(([name]) => name === "requires_python")) fields.push(["requires_python", ""]);
  if (extra.comment) fields.push(["comment", extra.comment]);
  if (digests) {
    const values = digestValues(digests);
    digestFields(digests.md5 !== undefined).forEach(([name], i) => {
      fields.push([name, values[i] as string]);
    });
  }
  if (extra.attestations !== undefined) fields.push(["attestations", extra.attestations]);
  return fields;
}

/** Form fields of a `:action=submit` (register) request. */
export function registerFields(dist: Distribution): FormFields {
  const meta = metadataFields(dist.metadata).filter(
    ([name]) => name !== "name" && name !== "version" && name !== "metadata_version",
  );
  return [
    [":action", "submit"],
    ["protocol_version", "1"],
    ["name", dist.name],
    ["version", dist.version],
    ["metadata_version", dist.metadataVersion],
    ...meta,
  ];
}
