/**
 * The upload rules the test index server enforces, with Warehouse's messages, as pure functions:
 * each takes the form fields (and what the store knows) and returns a value or throws a
 * `Refusal` carrying the complete answer. No I/O here; `index-server.ts` calls them in
 * Warehouse's order (test/server/README.md, "Order of checks"). Unit tests:
 * `warehouse-rules.test.ts`; the reference these emulate is `../shared/warehouse`.
 */

import { type Answer, escapeHtml, ok, plain, Refusal, refuse, warehouse } from "./answers.js";
import { fieldTooNew, PACKAGING_METADATA_VERSIONS } from "./field-versions.js";
import {
  canonicalVersion,
  checkDistributionFilename,
  FILE_TYPES,
  FilenameError,
  type FileType,
  isValidProjectName,
  normalizeName,
} from "./names.js";
import type { ExistsStyle, ServerMode } from "./types.js";

export type FormFields = ReadonlyArray<readonly [string, string]>;
export type FormAction = "file_upload" | "submit" | "verify";
export interface ProjectVersion {
  name: string;
  version: string;
}

const KNOWN_METADATA_VERSIONS = ["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"];
/** Fields that may appear once in an upload form; a repeat is a client bug. */
const SINGLE_FIELDS = [
  ":action",
  "protocol_version",
  "metadata_version",
  "name",
  "version",
  "filetype",
  "pyversion",
  "sha256_digest",
  "blake2_256_digest",
  "md5_digest",
];
const METADATA_HELP =
  "See https://packaging.python.org/specifications/core-metadata for more information.";
const AUTH_MESSAGE =
  "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.";

/** The first value of a form field. */
export function field(fields: FormFields, name: string): string | undefined {
  return fields.find(([k]) => k === name)?.[1];
}

/** `:action`: uploads everywhere; register/verify only where the server still has them. */
export function checkAction(fields: FormFields, mode: ServerMode): FormAction {
  const action = field(fields, ":action");
  if (action === undefined) refuse(400, "Missing ':action' field.");
  if (action === "doc_upload") {
    refuse(
      410,
      "Uploading documentation is no longer supported, we recommend using https://readthedocs.org/.",
    );
  }
  if ((action === "submit" || action === "verify") && mode === "pypi") {
    refuse(
      410,
      "Project pre-registration is no longer required or supported, upload your files instead.",
    );
  }
  if (action !== "file_upload" && action !== "submit" && action !== "verify") {
    refuse(400, `Unknown :action '${action}'.`);
  }
  return action;
}

/** `Basic <base64(user:password)>`, decoded as UTF-8. */
export function parseBasic(
  header: string | undefined,
): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

export interface AuthPolicy {
  users?: Record<string, string>;
  authChallenge?: boolean;
  realm?: string;
}

/**
 * The uploading user. Without `users` every upload is anonymous (the user named in a Basic
 * header is still returned, for the records); with them, credentials must match.
 */
export function authenticate(header: string | undefined, policy: AuthPolicy): string | undefined {
  const credentials = parseBasic(header);
  const users = policy.users;
  if (users === undefined) return credentials?.user;
  if (header === undefined && policy.authChallenge) {
    throw new Refusal({
      ...warehouse(401, "Unauthorized"),
      headers: { "WWW-Authenticate": `Basic realm="${policy.realm ?? "pypi"}"` },
    });
  }
  if (
    !credentials ||
    !Object.hasOwn(users, credentials.user) ||
    users[credentials.user] !== credentials.password
  ) {
    refuse(403, AUTH_MESSAGE);
  }
  return credentials.user;
}

/** `protocol_version` = 1 (stricter than Warehouse, which defaults it); no repeated fields. */
export function checkFormShape(fields: FormFields): void {
  if (field(fields, "protocol_version") !== "1") refuse(400, "Unknown protocol version.");
  for (const name of SINGLE_FIELDS) {
    if (fields.filter(([k]) => k === name).length > 1)
      refuse(400, `Field '${name}' was sent more than once.`);
  }
}

function invalid(value: string | undefined, fieldName: string, error: string): never {
  refuse(
    400,
    `'${value ?? ""}' is an invalid value for ${fieldName}. Error: ${error} ${METADATA_HELP}`,
  );
}

/** Metadata-Version; in pypi mode also packaging's rules on which fields that version allows. */
function checkMetadataVersion(fields: FormFields, mode: ServerMode, register: boolean): void {
  const metadataVersion = field(fields, "metadata_version");
  // distutils' register sent Metadata-Version too; devpi tolerates its absence there.
  if (register && mode === "devpi" && metadataVersion === undefined) return;
  if (metadataVersion === undefined || metadataVersion === "") {
    invalid(metadataVersion, "Metadata-Version", "This field is required.");
  }
  if (!KNOWN_METADATA_VERSIONS.includes(metadataVersion)) {
    invalid(metadataVersion, "Metadata-Version", "Use a known metadata version.");
  }
  if (mode !== "pypi") return;
  if (!PACKAGING_METADATA_VERSIONS.includes(metadataVersion))
    refuse(400, `'${metadataVersion}' is not a valid metadata version. ${METADATA_HELP}`);
  const tooNew = fieldTooNew(fields, metadataVersion);
  if (tooNew) refuse(400, `${tooNew}. ${METADATA_HELP}`);
}

/** Core metadata fields every upload and registration needs. */
export function checkMetadata(
  fields: FormFields,
  mode: ServerMode,
  register: boolean,
): ProjectVersion {
  checkMetadataVersion(fields, mode, register);
  const name = field(fields, "name");
  if (name === undefined || name === "") return invalid(name, "Name", "This field is required.");
  if (!isValidProjectName(name)) {
    invalid(
      name,
      "Name",
      "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.",
    );
  }
  const version = field(fields, "version");
  if (version === undefined || version === "")
    return invalid(version, "Version", "This field is required.");
  if (mode === "pypi" && canonicalVersion(version) === undefined) {
    invalid(version, "Version", "Must be a valid PEP 440 version.");
  }
  if (mode === "devpi" && /[\s/]/.test(version))
    invalid(version, "Version", "Must not contain spaces or '/'.");
  const summary = field(fields, "summary");
  if (summary !== undefined && /[\r\n]/.test(summary))
    invalid(summary, "Summary", "Use a single line only.");
  if (summary !== undefined && summary.length > 512)
    invalid(summary, "Summary", "Use 512 characters or fewer.");
  return { name, version };
}

/** `owners` restricts projects (matched by PEP 503 name) to the users listed. */
export function checkOwner(
  owners: Record<string, string[]> | undefined,
  name: string,
  user: string | undefined,
): void {
  if (!owners) return;
  const key = Object.keys(owners).find((k) => normalizeName(k) === normalizeName(name));
  if (key === undefined) return;
  if (user === undefined || !owners[key]?.includes(user)) {
    refuse(
      403,
      `The user '${user ?? ""}' isn't allowed to upload to project '${name}'. See https://pypi.org/help/#project-name for more information.`,
    );
  }
}

/** `filetype` and `pyversion`, which depend on each other. */
export function checkFileFields(
  fields: FormFields,
  mode: ServerMode,
): { filetype: FileType; pyversion: string } {
  const filetype = field(fields, "filetype");
  if (filetype === undefined || filetype === "")
    refuse(400, `'' is an invalid value for Filetype. Error: This field is required.`);
  if (!FILE_TYPES.includes(filetype as FileType)) {
    refuse(400, `'${filetype}' is an invalid value for Filetype. Error: Use a known file type.`);
  }
  const type = filetype as FileType;
  if (type === "bdist_egg" && mode === "pypi") {
    refuse(400, "Invalid distribution file. .egg uploads are no longer supported.");
  }
  const pyversion = field(fields, "pyversion") ?? "";
  if (type === "sdist" && pyversion !== "" && pyversion !== "source") {
    refuse(
      400,
      `'${pyversion}' is an invalid value for Python version. Error: Use 'source' as Python version for an sdist.`,
    );
  }
  if (type !== "sdist" && pyversion === "") {
    refuse(
      400,
      "'' is an invalid value for Python version. Error: Python version is required for binary distribution uploads.",
    );
  }
  return { filetype: type, pyversion };
}

/** What the server measured of the `content` part. */
export interface ContentDigests {
  filename: string;
  size: number;
  sha256: string;
  blake2_256: string;
  /** Empty when not computed. */
  md5: string;
  tooLarge: boolean;
}

/** Exactly one `content` part, within the size limit, named like the form says. */
export function checkContentPart<F extends ContentDigests>(
  part: { contentParts: number; content?: F },
  meta: ProjectVersion,
  type: FileType,
  limits: { mode: ServerMode; maxFileSize?: number },
): F {
  const file = part.content;
  if (part.contentParts === 0 || file === undefined)
    refuse(400, "Upload payload does not have a file.");
  if (part.contentParts > 1) refuse(400, "Upload payload has more than one 'content' file.");
  if (file.tooLarge) {
    const limitMb = Math.floor((limits.maxFileSize ?? 0) / (1024 * 1024));
    refuse(
      413,
      `File too large. Limit for project '${meta.name}' is ${limitMb} MB. See https://pypi.org/help/#file-size-limit for more information.`,
    );
  }
  try {
    checkDistributionFilename(
      file.filename,
      type,
      meta.name,
      meta.version,
      limits.mode === "devpi",
    );
  } catch (err) {
    if (err instanceof FilenameError) refuse(400, err.message);
    throw err;
  }
  return file;
}

/** pypi mode needs sha256 or blake2_256; every digest sent (md5 too) must match the file. */
export function checkDigests(fields: FormFields, file: ContentDigests, mode: ServerMode): void {
  const sha256 = field(fields, "sha256_digest")?.toLowerCase();
  const blake = field(fields, "blake2_256_digest")?.toLowerCase();
  const md5 = field(fields, "md5_digest")?.toLowerCase();
  if (mode === "pypi" && !sha256 && !blake) refuse(400, "Include at least one message digest.");
  if (
    (sha256 && sha256 !== file.sha256) ||
    (blake && blake !== file.blake2_256) ||
    (md5 && md5 !== file.md5)
  ) {
    refuse(400, "The digest supplied does not match a digest calculated from the uploaded file.");
  }
}

/** pypi mode: `attestations`, when sent, is a JSON array (its contents are not verified). */
export function checkAttestations(fields: FormFields, mode: ServerMode): void {
  const attestations = field(fields, "attestations");
  if (attestations === undefined || mode !== "pypi") return;
  let isArray = false;
  try {
    isArray = Array.isArray(JSON.parse(attestations));
  } catch {
    isArray = false;
  }
  if (!isArray) refuse(400, "Invalid attestations supplied during upload: expected a JSON array.");
}

/** What the rules about existing files need to know of the store. */
export interface StoreLookup {
  byName(filename: string): { sha256: string; blake2_256: string } | undefined;
  byBlake2(blake2_256: string): unknown;
  releaseHasSdist(name: string, version: string): boolean;
}

export interface ExistingPolicy {
  mode: ServerMode;
  existsStyle?: ExistsStyle;
  uploadUrl: string;
}

/**
 * Rules about files already there: the very same file again is accepted (the answer is
 * returned); another file under a taken name is refused per `existsStyle`; in pypi mode the same
 * bytes under another name and a second sdist per release are refused too. Undefined: store it.
 */
export function checkExisting(
  store: StoreLookup,
  file: ContentDigests,
  meta: ProjectVersion,
  type: FileType,
  policy: ExistingPolicy & { user: string | undefined },
): Answer | undefined {
  const existing = store.byName(file.filename);
  if (existing) {
    if (
      existing.sha256 === file.sha256 &&
      (!existing.blake2_256 || existing.blake2_256 === file.blake2_256)
    ) {
      // Warehouse (and devpi for non-volatile indexes) accept the very same file again.
      return policy.mode === "devpi"
        ? ok("Upload of identical file to non volatile index.\n")
        : ok();
    }
    throw new Refusal(existsAnswer(file, meta, policy));
  }
  if (policy.mode !== "pypi") return undefined;
  // Warehouse also refuses the same bytes under another name.
  if (file.blake2_256 !== "" && store.byBlake2(file.blake2_256) !== undefined)
    throw new Refusal(existsAnswer(file, meta, policy));
  if (type === "sdist" && store.releaseHasSdist(meta.name, meta.version))
    refuse(400, "Only one sdist may be uploaded per release.");
  return undefined;
}

/** The answer for a file name already taken by other content, per the configured server. */
export function existsAnswer(
  file: ContentDigests,
  meta: ProjectVersion,
  policy: ExistingPolicy & { user: string | undefined },
): Answer {
  switch (policy.existsStyle ?? "pypi") {
    case "pypi":
      return warehouse(
        400,
        `File already exists ('${file.filename}', with blake2_256 hash '${file.blake2_256}'). See https://pypi.org/help/#file-name-reuse for more information.`,
      );
    case "pypiserver":
      // bottle's error page, as pypiserver sends it.
      return plain(
        409,
        `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html>\n<head>\n<title>Error: 409 Conflict</title>\n</head>\n<body>\n<h1>Error: 409 Conflict</h1>\n<p>Sorry, the requested URL <tt>&#39;${escapeHtml(policy.uploadUrl)}&#39;</tt> caused an error:</p>\n<pre>${escapeHtml(`Package '${file.filename}' already exists!`)}</pre>\n</body>\n</html>\n`,
        "text/html; charset=UTF-8",
      );
    case "nexus": {
      // Nexus puts its message in the status line.
      const message = "Repository does not allow updating assets: pypi-hosted";
      return { ...ok(`${message}\n`), status: 400, reason: message };
    }
    case "artifactory": {
      const target = `pypi-local:${normalizeName(meta.name)}/${meta.version}/${file.filename}`;
      const message = `Not enough permissions to overwrite artifact '${target}' (user '${policy.user ?? "anonymous"}' needs DELETE permission).`;
      return plain(
        403,
        `${JSON.stringify({ errors: [{ status: 403, message }] }, null, 2)}\n`,
        "application/json",
      );
    }
    case "gitlab":
      return plain(
        400,
        `${JSON.stringify({ message: "Validation failed: File name has already been taken" })}\n`,
        "application/json",
      );
  }
}

/** A stored upload: Warehouse answers with an empty 200, devpi names the file. */
export function uploadedAnswer(mode: ServerMode, filename: string): Answer {
  return mode === "devpi" ? ok(`Upload of ${filename} succeeded.\n`) : ok();
}

/** Release identity: PEP 440 equal versions share a release. */
export function releaseKey(version: string): string {
  return canonicalVersion(version, { stripTrailingZeros: true }) ?? version.toLowerCase();
}
