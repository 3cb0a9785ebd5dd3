/**
 * Core metadata (METADATA / PKG-INFO) parsing, as `packaging.metadata.parse_email` reads it (what
 * twine 7 sends and PyPI validates): headers split exactly like Python's `email.feedparser` with
 * the compat32 policy, values kept as compat32 keeps them (a folded value keeps its line breaks
 * and indentation, CR LF included; PyPI refuses a multi-line Summary, so unfolding would hide a
 * refusal), the body kept byte for byte. One reading differs on purpose: the Description header's
 * continuation prefix is removed, as the core metadata spec tells readers to (see fields.ts).
 */
import type { Metadata } from "./types.js";

/** Same as `email.feedparser.headerRE`: a field (`Name:`), a continuation, or a `From ` line. */
const HEADER_LINE = /^(From |[\x21-\x39\x3b-\x7e]*:|[\t ])/;

/** UTF-8 when valid, else latin-1 (old PKG-INFO files were written in the locale's encoding). */
export function decodeMetadata(data: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(data);
  } catch {
    return new TextDecoder("latin1").decode(data);
  }
}

/** Lines with their terminators, split on `\r\n`, `\r` or `\n` like the feedparser does. */
function splitLines(text: string): string[] {
  return text.match(/[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$/g) ?? [];
}

/**
 * Undo the Description header's continuation-line prefix: 8 spaces (distutils/setuptools
 * `rfc822_escape`) or 7 spaces and `|` (the core metadata spec's form for blank/indented lines).
 */
function unindentDescription(raw: string): string {
  return raw
    .trim()
    .split(/\r\n|\r|\n/)
    .map((line) => {
      if (line.startsWith("       |")) return line.slice(8);
      if (line.startsWith("        ")) return line.slice(8);
      return line;
    })
    .join("\n");
}

/** The raw value compat32 stores: first line left-trimmed, continuation lines kept verbatim. */
function rawValue(lines: string[]): string {
  const first = lines[0] ?? "";
  const value =
    first.slice(first.indexOf(":") + 1).replace(/^[ \t]+/, "") + lines.slice(1).join("");
  return value.replace(/[\r\n]+$/, "");
}

/** Parse METADATA / PKG-INFO text. Header values and the body keep their line endings. */
export function parseMetadata(text: string): Metadata {
  const lines = splitLines(text.replace(/^\uFEFF/, ""));
  const fields: Array<[string, string]> = [];

  // Header block: every line matching HEADER_LINE; the first other line ends it. A blank line
  // is the separator and is dropped; any other line (a defect) is the first line of the body.
  let end = 0;
  while (end < lines.length && HEADER_LINE.test(lines[end] as string)) end++;
  const bodyStart =
    end < lines.length && /^(\r\n|\r|\n)/.test(lines[end] as string) ? end + 1 : end;

  let current: string[] | undefined;
  let pushedBack: string | undefined;
  const flush = () => {
    if (!current) return;
    const first = current[0] as string;
    const name = first.slice(0, first.indexOf(":"));
    const raw = rawValue(current);
    fields.push([name, name.toLowerCase() === "description" ? unindentDescription(raw) : raw]);
    current = undefined;
  };
  for (let i = 0; i < end; i++) {
    const line = lines[i] as string;
    if (line[0] === " " || line[0] === "\t") {
      // A continuation with no field before it is a defect that compat32 drops.
      current?.push(line);
      continue;
    }
    flush();
    if (line.startsWith("From ")) {
      // Envelope header: dropped on the first line, starts the body on the last, else ignored.
      if (i === end - 1 && i !== 0) pushedBack = line;
      continue;
    }
    // A line starting with `:` has no field name; compat32 skips it (and its continuations).
    if (line.indexOf(":") > 0) current = [line];
  }
  flush();

  const body = (pushedBack ?? "") + lines.slice(bodyStart).join("");
  return body.length > 0 ? { fields, body } : { fields };
}

/** First value of a field (names compare case-insensitively), or undefined. */
export function getField(md: Metadata, name: string): string | undefined {
  const wanted = name.toLowerCase();
  return md.fields.find(([n]) => n.toLowerCase() === wanted)?.[1];
}

/** Every value of a field, in file order. */
export function getAll(md: Metadata, name: string): string[] {
  const wanted = name.toLowerCase();
  return md.fields.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v);
}

/** The description: the Description header if present, else the message body (Metadata 2.1+). */
export function getDescription(md: Metadata): string | undefined {
  return getField(md, "Description") ?? md.body;
}

/** Metadata-Version as [major, minor] (0.0 when unreadable), for "older than" comparisons. */
export function metadataVersionTuple(value: string | undefined): [number, number] {
  const m = /^\s*(\d+)(?:\.(\d+))?/.exec(value ?? "");
  return m ? [Number(m[1]), Number(m[2] ?? 0)] : [0, 0];
}

/** Whether a Metadata-Version is older than major.minor. */
export function metadataVersionBelow(value: string | undefined, major: number, minor: number) {
  const [a, b] = metadataVersionTuple(value);
  return a < major || (a === major && b < minor);
}
