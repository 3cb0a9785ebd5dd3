/**
 * Text primitives of the reST validator, following docutils' behaviour:
 * - `toLines`: the parser's input lines (docutils.statemachine.string2lines with
 *   convert_whitespace: \v and \f become spaces, Python's `splitlines` boundaries, tabs
 *   expanded to multiples of 8, trailing whitespace stripped);
 * - `columnWidth`: the display width docutils compares title underlines with (East Asian
 *   wide/full-width characters count 2, combining characters 0);
 * - `escapeToNull`/`unescapeText`: backslash escapes carried as a NUL marker, as docutils'
 *   inliner does, and removed again for names;
 * - `normalizeName`: reference-name normalisation (whitespace collapsed, lower case).
 */
import { DOCUTILS_DATA } from "./docutils-data.js";

/** One input line: its text (tab-expanded, right-stripped) and its 1-based source line. */
export interface Line {
  readonly t: string;
  readonly n: number;
}

/** Python's `str.isspace()` characters, as a regex class body (JS `\s` differs slightly). */
export const PY_SPACE =
  "\\t\\n\\v\\f\\r \\x1c-\\x1f\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const IS_PY_SPACE = new RegExp(`^[${PY_SPACE}]$`);

/** Python's str.rstrip() (a loop: a regex anchored at the end backtracks quadratically). */
export function pyRstrip(s: string): string {
  let end = s.length;
  while (end > 0 && IS_PY_SPACE.test(s[end - 1] as string)) end--;
  return end === s.length ? s : s.slice(0, end);
}
/** Python's str.splitlines() boundaries (\v and \f are spaces by then). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: splitlines() also breaks at \x1c-\x1e
const LINE_BREAK = /\r\n|[\n\r\x1c-\x1e\x85\u2028\u2029]/;

function expandTabs(s: string): string {
  if (!s.includes("\t")) return s;
  let out = "";
  for (const ch of s) {
    if (ch === "\t") out += " ".repeat(8 - (out.length % 8));
    else out += ch;
  }
  return out;
}

export function toLines(text: string): Line[] {
  const raw = text.replace(/[\v\f]/g, " ").split(LINE_BREAK);
  // splitlines() drops the empty string after a final line break
  if (raw.length > 0 && raw[raw.length - 1] === "") raw.pop();
  return raw.map((t, i) => ({ t: pyRstrip(expandTabs(t)), n: i + 1 }));
}

function inRanges(cp: number, ranges: readonly (readonly number[])[]): boolean {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const r = ranges[mid] as readonly number[];
    if (cp < (r[0] as number)) hi = mid - 1;
    else if (cp > (r[1] as number)) lo = mid + 1;
    else return true;
  }
  return false;
}

/** docutils.utils.column_width. */
export function columnWidth(s: string): number {
  let width = 0;
  for (const ch of s) {
    const cp = ch.codePointAt(0) as number;
    if (cp < 0x300) width += 1;
    else if (inRanges(cp, DOCUTILS_DATA.combiningRanges)) width += 0;
    else width += inRanges(cp, DOCUTILS_DATA.wideRanges) ? 2 : 1;
  }
  return width;
}

/** Length in Python characters (code points), which is what docutils compares. */
export function pyLen(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

export function escapeToNull(text: string): string {
  return text.replace(/\\([\s\S]?)/g, "\0$1");
}

export function unescapeText(text: string): string {
  return text.replace(/\0[ \n]/g, "").replace(/\0/g, "");
}

/** Unescape keeping the backslashes (docutils' `unescapeText(text, restore_backslashes=True)`). */
export function restoreBackslashes(text: string): string {
  return text.replace(/\0/g, "\\");
}

const SPACE_RUN = new RegExp(`[${PY_SPACE}]+`, "g");

export function whitespaceNormalize(name: string): string {
  return name.replace(SPACE_RUN, " ").trim();
}

export function normalizeName(name: string): string {
  return whitespaceNormalize(name).toLowerCase();
}

/** The leading-space count of an already right-stripped line. */
export function indentOf(t: string): number {
  let i = 0;
  while (i < t.length && t.charCodeAt(i) === 32) i++;
  return i;
}

/** A name without punctuation or spacing, for tolerant comparisons. */
export function looseKey(name: string): string {
  return name.replace(/[^\p{L}\p{N}]+/gu, "");
}
