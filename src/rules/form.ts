/**
 * The upload form as Warehouse first judges it: the `sanitize` decorator (a value that is
 * `UNKNOWN` is dropped, NUL characters escaped), the protocol version, then `UploadForm`
 * (forklift/forms.py) and `file_upload`'s choice of message among its errors.
 */
import type { FormFields } from "../protocol/fields.js";
import { pyRepr } from "./pyrepr.js";

/** `sanitize`: every value of a key with an `UNKNOWN` value goes; NUL becomes `\x00`. */
export function sanitizeForm(form: FormFields): FormFields {
  const unknown = new Set(form.filter(([, v]) => v.trim() === "UNKNOWN").map(([k]) => k));
  return form
    .filter(([k]) => !unknown.has(k))
    .map(([k, v]): [string, string] => [k, v.replaceAll("\0", "\\x00")]);
}

const PROJECT_NAME = /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i;
const HEX64 = /^[A-F0-9]{64}$/i;
const ORDER = ["metadata-version", "name", "version"];

/** The value webob's `POST.get` gives for a key: the last one. */
function last(form: FormFields, key: string): string | undefined {
  // From the end, by index: called for a few keys per file, before V8 optimizes anything.
  for (let i = form.length - 1; i >= 0; i--) {
    const field = form[i] as [string, string];
    if (field[0] === key) return field[1];
  }
  return undefined;
}

/** Python's `repr(value[:30] + "..." + value[-30:])` as Warehouse shortens long values. */
function shown(value: string | undefined): string {
  const v = value ?? "";
  const chars = [...v];
  return pyRepr(
    chars.length > 60 ? `${chars.slice(0, 30).join("")}...${chars.slice(-30).join("")}` : v,
  );
}

/** Warehouse's message when the form itself is refused, else undefined. */
export function formProblem(form: FormFields, sent: { digests: boolean }): string | undefined {
  if ((last(form, "protocol_version") ?? "1") !== "1") return "Unknown protocol version.";
  // wtforms reads a field's first value.
  const name = form.find(([k]) => k === "name")?.[1];
  const filetype = form.find(([k]) => k === "filetype")?.[1];
  const errors = new Map<string, string>();
  if (!name) errors.set("name", "This field is required.");
  else if (!PROJECT_NAME.test(name))
    errors.set(
      "name",
      "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.",
    );
  if (!filetype) errors.set("filetype", "This field is required.");
  else if (filetype !== "sdist" && filetype !== "bdist_wheel")
    errors.set("filetype", "Use a known file type.");
  for (const [key, what] of [
    ["sha256_digest", "SHA256"],
    ["blake2_256_digest", "BLAKE2"],
  ] as const) {
    const value = last(form, key);
    if (value && !HEX64.test(value))
      errors.set(key, `Use a valid, hex-encoded, ${what} message digest.`);
  }
  if (errors.size > 0) {
    const field = ORDER.find((f) => errors.has(f)) ?? ([...errors.keys()].sort()[0] as string);
    if (field === "name")
      return `${shown(name)} is an invalid value for Name. Error: ${errors.get(field)} See https://packaging.python.org/specifications/core-metadata for more information.`;
    return `Invalid value for ${field}. Error: ${errors.get(field)}`;
  }
  const pyversion = form.find(([k]) => k === "pyversion")?.[1];
  if (filetype !== "sdist" && !pyversion)
    return "Invalid value for pyversion. Error: Python version is required for binary distribution uploads.";
  if (filetype === "sdist" && pyversion && pyversion !== "source")
    return "Invalid value for pyversion. Error: Use 'source' as Python version for an sdist.";
  // pkgpush sends sha256 and blake2_256 digests of the file (computed while sending).
  const digests =
    sent.digests || ["md5_digest", "sha256_digest", "blake2_256_digest"].some((k) => last(form, k));
  if (!digests) return "Error: Include at least one message digest.";
  return undefined;
}
