/**
 * A port of the reading half of Python 3.11's `configparser.RawConfigParser` with its default
 * options (delimiters `=` and `:`, full-line comments `#` and `;`, no inline comments,
 * strict=True, empty_lines_in_values=True, allow_no_value=False, default_section "DEFAULT",
 * optionxform = str.lower). `_read` is ported line by line (statement by statement), so that
 * odd files (values continued by deeper indentation, blank lines inside values, comments between
 * continuation lines, `[a] x]` headers, `a = b = c`) read exactly as they do for twine and
 * distutils; `parseConfig` is that port, which is why it is longer than the project's usual
 * functions.
 * test/config/configparser.test.ts checks this against python3 itself.
 */
import { ConfigError } from "../errors.js";

/** One line of an option's value, with the 1-based file line it came from. */
export interface ValueLine {
  text: string;
  line: number;
}

export interface ParsedOption {
  /** The value as Python returns it: continuation lines joined with "\n", trailing blanks cut. */
  value: string;
  /** 1-based line of the `key = value` line. */
  line: number;
  /** `value.split("\n")`, each with its file line (for per-line errors, e.g. release-packages). */
  lines: ValueLine[];
}

export interface ParsedSection {
  name: string;
  /** 1-based line of the `[name]` header. */
  line: number;
  /** Options in file order, keys lower-cased. Defaults are NOT merged in (see sectionOptions). */
  options: Map<string, ParsedOption>;
}

export interface ParsedConfig {
  file: string;
  /** `[DEFAULT]` options (all `[DEFAULT]` headers merged, as Python does). */
  defaults: Map<string, ParsedOption>;
  /** Sections in file order (without `[DEFAULT]`). */
  sections: Map<string, ParsedSection>;
}

export type ConfigSyntaxKind =
  | "duplicate-section"
  | "duplicate-option"
  | "missing-section-header"
  | "parsing";

/** A file Python's configparser would refuse; `kind` mirrors its exception class. */
export class ConfigSyntaxError extends ConfigError {
  readonly kind: ConfigSyntaxKind;
  readonly line: number;
  constructor(kind: ConfigSyntaxKind, line: number, message: string) {
    super(message);
    this.kind = kind;
    this.line = line;
  }
}

export const DEFAULT_SECTION = "DEFAULT";

/** Python's str.isspace() set; JS's \s differs (it has U+FEFF, lacks U+001C-U+001F and U+0085). */
const PY_SPACE = new Set(
  [
    0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001,
    0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f,
    0x205f, 0x3000,
  ].map((c) => String.fromCharCode(c)),
);

export function isPySpace(ch: string): boolean {
  return PY_SPACE.has(ch);
}

/** Python's str.strip() with no argument (all PY_SPACE chars are single UTF-16 units). */
export function pyStrip(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && PY_SPACE.has(s.charAt(start))) start++;
  while (end > start && PY_SPACE.has(s.charAt(end - 1))) end--;
  return s.slice(start, end);
}

function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && PY_SPACE.has(s.charAt(end - 1))) end--;
  return s.slice(0, end);
}

/**
 * Lines as Python's text-mode file iteration yields them (universal newlines: "\r\n", "\r" and
 * "\n" all end a line; "\v", "\f", U+2028 and friends do not). A final line break does not start
 * another line.
 */
export function splitLines(text: string): string[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 1 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** SECTCRE `\[(?P<header>.+)\]` with match(): greedy, so the header ends at the LAST "]". */
function matchSectionHeader(value: string): string | undefined {
  if (!value.startsWith("[")) return undefined;
  const close = value.lastIndexOf("]");
  return close >= 2 ? value.slice(1, close) : undefined;
}

/**
 * OPTCRE `(?P<option>.*?)\s*(?P<vi>=|:)\s*(?P<value>.*)$`: the lazy option stops at the first
 * delimiter of either kind. `value` is already stripped and holds no "\n", so `.*$` always matches.
 */
function matchOption(value: string): { option: string; value: string } | undefined {
  const eq = value.indexOf("=");
  const colon = value.indexOf(":");
  const at = eq === -1 ? colon : colon === -1 ? eq : Math.min(eq, colon);
  if (at === -1) return undefined;
  return { option: value.slice(0, at), value: value.slice(at + 1) };
}

function firstNonSpace(line: string): number {
  for (let i = 0; i < line.length; i++) if (!PY_SPACE.has(line.charAt(i))) return i;
  return 0;
}

interface RawOption {
  line: number;
  parts: ValueLine[];
}

/**
 * Parse config text (already decoded; a leading BOM is dropped, like Python's utf-8-sig codec).
 * `file` is the name used in error messages (e.g. "~/.pypirc").
 */
export function parseConfig(text: string, file: string): ParsedConfig {
  const lines = splitLines(text.startsWith("\uFEFF") ? text.slice(1) : text);
  const defaults = new Map<string, RawOption>();
  const sections = new Map<string, { line: number; options: Map<string, RawOption> }>();
  // Python's `elements_added`: section names and (section, option) pairs seen in this read.
  const sectionLines = new Map<string, number>();
  const optionLines = new Map<string, number>();
  let cursect: Map<string, RawOption> | undefined;
  let sectname: string | undefined;
  let optname: string | undefined;
  let indentLevel = 0;
  // ParsingErrors are collected and raised at the end; the strict errors are raised at once.
  const badLines: number[] = [];

  for (let i = 0; i < lines.length; i++) {
    const lineno = i + 1;
    const line = lines[i] ?? "";
    const stripped = pyStrip(line);
    const isComment = stripped.startsWith("#") || stripped.startsWith(";");
    const value = isComment ? "" : stripped;
    if (!value) {
      // empty_lines_in_values: a blank line (not a comment) joins the current value; it only
      // survives if a continuation line follows, because the join right-strips.
      const cur = optname && cursect?.get(optname);
      if (!isComment && cur) cur.parts.push({ text: "", line: lineno });
      continue;
    }
    const curIndent = firstNonSpace(line);
    if (cursect && optname && curIndent > indentLevel) {
      cursect.get(optname)?.parts.push({ text: value, line: lineno });
      continue;
    }
    indentLevel = curIndent;
    const header = matchSectionHeader(value);
    if (header !== undefined) {
      sectname = header;
      const existing = sections.get(header);
      if (existing) {
        throw new ConfigSyntaxError(
          "duplicate-section",
          lineno,
          `${file}, line ${lineno}: duplicate section [${header}] (first on line ${sectionLines.get(header)}); merge the two into one`,
        );
      }
      if (header === DEFAULT_SECTION) {
        // Several [DEFAULT] headers are allowed: they all fill the same defaults.
        cursect = defaults;
      } else {
        cursect = new Map();
        sections.set(header, { line: lineno, options: cursect });
        sectionLines.set(header, lineno);
      }
      optname = undefined; // a section cannot start with a continuation line
      continue;
    }
    if (!cursect) {
      throw new ConfigSyntaxError(
        "missing-section-header",
        lineno,
        `${file}, line ${lineno}: this line comes before any [section] header; add a header such as [pypi] above it`,
      );
    }
    const mo = matchOption(value);
    if (!mo) {
      badLines.push(lineno);
      continue;
    }
    const option = pyRstrip(mo.option);
    // An empty name (`= value`) is a ParsingError too, but Python still records the option.
    if (!option) badLines.push(lineno);
    optname = option.toLowerCase();
    const key = JSON.stringify([sectname, optname]);
    const first = optionLines.get(key);
    if (first !== undefined) {
      throw new ConfigSyntaxError(
        "duplicate-option",
        lineno,
        `${file}, line ${lineno}: duplicate option "${optname}" in section [${sectname}] (first set on line ${first}); remove one of them`,
      );
    }
    optionLines.set(key, lineno);
    cursect.set(optname, { line: lineno, parts: [{ text: pyStrip(mo.value), line: lineno }] });
  }

  if (badLines.length > 0) {
    const [first, ...rest] = badLines;
    const more =
      rest.length > 0 ? ` (also line${rest.length > 1 ? "s" : ""} ${rest.join(", ")})` : "";
    throw new ConfigSyntaxError(
      "parsing",
      first ?? 0,
      `${file}, line ${first}: expected "name = value", a [section] header or an indented continuation line${more}; fix or remove it`,
    );
  }

  return {
    file,
    defaults: joinValues(defaults),
    sections: new Map(
      [...sections].map(([name, s]) => [
        name,
        { name, line: s.line, options: joinValues(s.options) },
      ]),
    ),
  };
}

/** Python's _join_multiline_values: "\n".join(parts).rstrip(). */
function joinValues(options: Map<string, RawOption>): Map<string, ParsedOption> {
  const out = new Map<string, ParsedOption>();
  for (const [name, raw] of options) {
    const value = pyRstrip(raw.parts.map((p) => p.text).join("\n"));
    const count = value.split("\n").length;
    out.set(name, { value, line: raw.line, lines: raw.parts.slice(0, count) });
  }
  return out;
}

/**
 * A section's options as Python's `items(section)` / `get()` see them: `[DEFAULT]` first, then the
 * section's own options overriding them.
 */
export function sectionOptions(config: ParsedConfig, name: string): Map<string, ParsedOption> {
  const merged = new Map(config.defaults);
  const section = config.sections.get(name);
  if (section) for (const [k, v] of section.options) merged.set(k, v);
  return merged;
}

/**
 * Decode a config file's bytes as UTF-8. A UTF-8 BOM is dropped (Python's utf-8-sig; twine reads
 * with the locale codec and would fail on it with MissingSectionHeaderError, but editors on
 * Windows write BOMs and refusing them helps nobody). Invalid UTF-8 is an error naming the line.
 */
export function decodeConfigBytes(bytes: Uint8Array, file: string): string {
  // ignoreBOM keeps the BOM in the text; parseConfig drops exactly one, as utf-8-sig does.
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    // "\n" and "\r" bytes never occur inside a UTF-8 sequence: decode line by line to find it.
    let start = 0;
    let line = 1;
    for (let i = 0; i <= bytes.length; i++) {
      const b = bytes[i];
      if (i < bytes.length && b !== 0x0a && b !== 0x0d) continue;
      try {
        new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, i));
      } catch {
        break;
      }
      if (b === 0x0d && bytes[i + 1] === 0x0a) i++;
      line++;
      start = i + 1;
    }
    throw new ConfigError(
      `${file}, line ${line}: not valid UTF-8; save the file as UTF-8 (it may be in a legacy encoding such as Latin-1)`,
    );
  }
}
