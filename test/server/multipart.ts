/**
 * Hand-built multipart/form-data bodies for the index server's tests (and other tests that need a
 * raw upload): the client under test has its own encoder, so the server is exercised with a
 * separate, minimal one whose every byte is visible here.
 */
import { createHash, randomBytes } from "node:crypto";
import { blake2b } from "hash-wasm";

export type FormPart =
  | { name: string; value: string }
  | { name: string; filename: string; data: Uint8Array | string; contentType?: string };

export interface MultipartBody {
  body: Buffer;
  contentType: string;
  boundary: string;
}

/** Quotes a header parameter as browsers and requests do: `"` and CR/LF escaped. */
function quote(value: string): string {
  return `"${value.replace(/"/g, "%22").replace(/\r/g, "%0D").replace(/\n/g, "%0A")}"`;
}

/** The head of one part (boundary line and headers), as bytes. */
export function partHead(boundary: string, part: FormPart): Buffer {
  let head = `--${boundary}\r\nContent-Disposition: form-data; name=${quote(part.name)}`;
  if ("filename" in part) {
    head += `; filename=${quote(part.filename)}\r\nContent-Type: ${part.contentType ?? "application/octet-stream"}`;
  }
  return Buffer.from(`${head}\r\n\r\n`, "utf8");
}

/** The closing delimiter. */
export function closing(boundary: string): Buffer {
  return Buffer.from(`--${boundary}--\r\n`);
}

export function buildMultipart(
  parts: FormPart[],
  boundary = `----pkgpush-test-${randomBytes(8).toString("hex")}`,
): MultipartBody {
  const chunks: Buffer[] = [];
  for (const part of parts) {
    chunks.push(partHead(boundary, part));
    const data = "filename" in part ? part.data : part.value;
    chunks.push(typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data));
    chunks.push(Buffer.from("\r\n"));
  }
  chunks.push(closing(boundary));
  return {
    body: Buffer.concat(chunks),
    contentType: `multipart/form-data; boundary=${boundary}`,
    boundary,
  };
}

export interface Digests {
  sha256: string;
  blake2_256: string;
  md5: string;
}

export async function digestsOf(data: Uint8Array): Promise<Digests> {
  return {
    sha256: createHash("sha256").update(data).digest("hex"),
    blake2_256: await blake2b(data, 256),
    md5: createHash("md5").update(data).digest("hex"),
  };
}

export interface UploadFormOptions {
  filename: string;
  data: Uint8Array | string;
  name?: string;
  version?: string;
  filetype?: string;
  pyversion?: string;
  metadataVersion?: string;
  /** Extra fields appended after the standard ones (repeat a name to repeat a field). */
  extra?: Array<[string, string]>;
  /** Standard fields to leave out, e.g. `["sha256_digest"]`. */
  omit?: string[];
  /** Standard fields to replace, e.g. `{ protocol_version: "2" }`. */
  override?: Record<string, string>;
}

/**
 * The parts twine sends for one file (fields first, then `content`), with correct digests unless
 * told otherwise. Name and version default to what the file name says.
 */
export async function uploadParts(o: UploadFormOptions): Promise<FormPart[]> {
  const bytes = typeof o.data === "string" ? Buffer.from(o.data) : o.data;
  const d = await digestsOf(bytes);
  const stem = o.filename.replace(/(\.tar\.gz|\.zip|\.whl|\.egg|\.tar\.bz2)$/, "");
  const [fname = "", fversion = ""] =
    o.filename.endsWith(".whl") || o.filename.endsWith(".egg")
      ? stem.split("-")
      : [stem.slice(0, stem.lastIndexOf("-")), stem.slice(stem.lastIndexOf("-") + 1)];
  const filetype =
    o.filetype ??
    (o.filename.endsWith(".whl")
      ? "bdist_wheel"
      : o.filename.endsWith(".egg")
        ? "bdist_egg"
        : "sdist");
  const pyversion =
    o.pyversion ??
    (filetype === "bdist_wheel" ? "py3" : filetype === "bdist_egg" ? "3.11" : "source");
  const fields: Array<[string, string]> = [
    [":action", "file_upload"],
    ["protocol_version", "1"],
    ["metadata_version", o.metadataVersion ?? "2.1"],
    ["name", o.name ?? fname],
    ["version", o.version ?? fversion],
    ["filetype", filetype],
    ["pyversion", pyversion],
    ["summary", "A test package"],
    ["sha256_digest", d.sha256],
    ["blake2_256_digest", d.blake2_256],
    ["md5_digest", d.md5],
  ];
  const parts: FormPart[] = [];
  for (const [name, value] of fields) {
    if (o.omit?.includes(name)) continue;
    parts.push({ name, value: o.override?.[name] ?? value });
  }
  for (const [name, value] of o.extra ?? []) parts.push({ name, value });
  if (!o.omit?.includes("content"))
    parts.push({ name: "content", filename: o.filename, data: bytes });
  return parts;
}
