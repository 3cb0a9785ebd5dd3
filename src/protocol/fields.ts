import type { Digests } from "../distributions/digests.js";
import type { Distribution, Metadata } from "../distributions/types.js";

/** An ordered list of form fields; repeated names are sent once per value. */
export type FormFields = Array<[name: string, value: string]>;

/**
 * Metadata header -> form field name, for headers whose field name is not simply the header
 * lower-cased with `-` as `_`. These are Warehouse's names (see PROTOCOL.md).
 */
const RENAMED: Record<string, string> = {
  classifier: "classifiers",
  "project-url": "project_urls",
  "home-page": "home_page",
};

/** Fields that may appear several times; every value is sent. */
const MULTIPLE = new Set([
  "classifiers",
  "requires_dist",
  "provides_dist",
  "obsoletes_dist",
  "requires_external",
  "project_urls",
  "platform",
  "supported_platform",
  "provides_extra",
  "dynamic",
  "license_file",
  "import_name",
  "import_namespace",
  // Metadata 1.1 (PEP 314)
  "requires",
  "provides",
  "obsoletes",
]);

export function formFieldName(header: string): string {
  const lower = header.toLowerCase();
  return RENAMED[lower] ?? lower.replace(/-/g, "_");
}

/**
 * The metadata part of the form, in the metadata's own order. Single-valued fields keep their
 * first value (a repeated single field is a metadata error the server reports); the description
 * comes from the body when the header is absent (Metadata 2.1+).
 */
export function metadataFields(metadata: Metadata): FormFields {
  const fields: FormFields = [];
  const seen = new Set<string>();
  for (const [header, value] of metadata.fields) {
    const name = formFieldName(header);
    if (!MULTIPLE.has(name)) {
      if (seen.has(name)) continue;
      seen.add(name);
    }
    fields.push([name, value]);
  }
  if (!seen.has("description") && metadata.body !== undefined && metadata.body.trim() !== "") {
    fields.push(["description", metadata.body]);
  }
  return fields;
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
