export type DistKind = "wheel" | "sdist" | "egg";
export type FileType = "bdist_wheel" | "sdist" | "bdist_egg";

/** What a distribution's file name says. */
export interface ParsedFilename {
  kind: DistKind;
  filetype: FileType;
  /** Project name as written in the file name (unescaped where the format escapes it). */
  name: string;
  version: string;
  /** Form field `pyversion`: wheel python tag, `source` for sdists, `X.Y` for eggs. */
  pyversion: string;
  /** Archive format used to read the metadata. */
  archive: "zip" | "tar.gz" | "tar.bz2";
  /** A wheel's platform tags (its compressed tag set split on `.`). */
  platforms?: string[] | undefined;
}

/**
 * Core metadata as read from METADATA / PKG-INFO: header fields in file order (names as written,
 * repeated fields repeated), plus the message body (the description, Metadata 2.1+).
 */
export interface Metadata {
  fields: Array<[name: string, value: string]>;
  body?: string | undefined;
}

/** A distribution file, inspected and validated, ready to be planned. */
export interface Distribution {
  /** Absolute path. */
  path: string;
  /** Base name, sent as the file part's filename. */
  filename: string;
  size: number;
  parsed: ParsedFilename;
  /** Name and version from the metadata (authoritative). */
  name: string;
  version: string;
  /** PEP 503 normalised project name. */
  normalizedName: string;
  metadataVersion: string;
  metadata: Metadata;
  /** Path of `<file>.asc`, when present next to it. */
  signaturePath?: string | undefined;
  /** Paths of `<file>.*.attestation` / `<file>.publish.attestation` files, when present. */
  attestationPaths: string[];
  /** Found while inspecting, worth telling before uploading (e.g. unsafe sdist members). */
  warnings?: string[];
}
