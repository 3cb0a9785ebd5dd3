/**
 * Finding the next inline-markup start, as docutils' `Inliner.patterns.initial` regex does
 * (leftmost position; at one position: a start-string, then a whole reference or footnote
 * reference, then a backquote with an optional `:role:` prefix; the start-string rules on
 * what precedes and follows), but as a scanner: simple names are measured once, right to
 * left, so a text made of nothing but name characters and separators stays linear (the
 * regex form rescans the rest of the name from every position).
 */
import { DOCUTILS_DATA } from "./docutils-data.js";
import { PY_SPACE } from "./text.js";

const SPACE = new RegExp(`^[${PY_SPACE}]$`);
const ALNUM = /^[\p{L}\p{N}]$/u;

function codeSet(chars: string): Set<number> {
  return new Set([...chars].map((c) => c.codePointAt(0) as number));
}
/** What may precede a start-string (besides whitespace): an opener or a delimiter. */
const PREFIX = codeSet(DOCUTILS_DATA.openers + DOCUTILS_DATA.delimiters);
/** What may follow an end-string (besides whitespace): NUL (an escape), a closing delimiter, a closer. */
const END_CHARS = codeSet(
  `\0${DOCUTILS_DATA.closingDelimiters}${DOCUTILS_DATA.delimiters}${DOCUTILS_DATA.closers}`,
);

function isSpace(cp: number): boolean {
  if (cp < 128) return cp === 32 || (cp >= 9 && cp <= 13) || (cp >= 0x1c && cp <= 0x1f);
  return SPACE.test(String.fromCodePoint(cp));
}

function isAlnum(cp: number): boolean {
  if (cp < 128) return (cp >= 48 && cp <= 57) || (cp >= 65 && cp <= 90) || (cp >= 97 && cp <= 122);
  return ALNUM.test(String.fromCodePoint(cp));
}
const SEPARATOR_CODES = codeSet("-._+:");
/** The characters a match may begin with besides a name: * ` _ | [ : */
const START_CHARS = codeSet("*`_|[:");

export type StartKind = "start" | "whole" | "backquote";

export interface StartMatch {
  kind: StartKind;
  /** Where the match begins (the role's colon for a role-prefixed backquote). */
  index: number;
  /** Where the match ends (after the start-string, the whole construct or the backquote). */
  end: number;
  /** kind "start": the start-string ("*", "**", "``", "_`", "|"). */
  start?: string;
  /** kind "whole": a reference name and its "_" or "__", or a footnote label. */
  refname?: string;
  refend?: string;
  fnlabel?: string;
  citation?: boolean;
  /** kind "backquote": the role name, when prefixed. */
  role?: string;
}

export class StartScanner {
  /** nameEnd[i]: end of the longest simple name starting at i (i when none). */
  private readonly nameEnd: Int32Array;

  constructor(private readonly s: string) {
    this.nameEnd = measureNames(s);
  }

  /** The character that ends just before i may precede a start-string (a lone surrogate may not). */
  private prefixBefore(i: number): boolean {
    const lo = this.s.charCodeAt(i - 1);
    if (lo >= 0xdc00 && lo <= 0xdfff)
      return i >= 2 && PREFIX.has(this.s.codePointAt(i - 2) as number);
    if (lo >= 0xd800 && lo <= 0xdbff) return false;
    return isSpace(lo) || PREFIX.has(lo);
  }

  private isEnd(i: number): boolean {
    if (i >= this.s.length) return true;
    const cp = this.s.codePointAt(i) as number;
    return isSpace(cp) || END_CHARS.has(cp);
  }

  private spaceAt(i: number): boolean {
    return i < this.s.length && isSpace(this.s.charCodeAt(i));
  }

  find(pos: number): StartMatch | null {
    const s = this.s;
    const nameEnd = this.nameEnd;
    for (let p = pos; p < s.length; p++) {
      // Only these can begin a match (startString, whole, backquote): a start character, or
      // a name followed by "_". Checked first, it spares the test of what precedes most positions.
      const c = s.charCodeAt(p);
      if (!START_CHARS.has(c)) {
        const e = nameEnd[p] as number;
        if (e <= p || s.charCodeAt(e) !== 95) continue;
      }
      if (p > pos && !this.prefixBefore(p)) continue;
      const m = this.startString(p) ?? this.whole(p) ?? this.backquote(p);
      if (m) return m;
    }
    return null;
  }

  private startString(p: number): StartMatch | null {
    const s = this.s;
    const c = s[p];
    let start: string | undefined;
    if (c === "*") start = s[p + 1] === "*" ? "**" : "*";
    else if (c === "`" && s[p + 1] === "`") start = "``";
    else if (c === "_" && s[p + 1] === "`") start = "_`";
    else if (c === "|" && s[p + 1] !== "|") start = "|";
    if (!start || this.spaceAt(p + start.length)) return null;
    return { kind: "start", index: p, end: p + start.length, start };
  }

  private whole(p: number): StartMatch | null {
    const s = this.s;
    const e = this.nameEnd[p] as number;
    if (e > p && s[e] === "_") {
      for (const refend of s[e + 1] === "_" ? ["__", "_"] : ["_"]) {
        if (this.isEnd(e + refend.length)) {
          return {
            kind: "whole",
            index: p,
            end: e + refend.length,
            refname: s.slice(p, e),
            refend,
          };
        }
      }
    }
    if (s[p] !== "[") return null;
    for (const [labelEnd, citation] of this.labels(p + 1)) {
      if (s[labelEnd] === "]" && s[labelEnd + 1] === "_" && this.isEnd(labelEnd + 2)) {
        return {
          kind: "whole",
          index: p,
          end: labelEnd + 2,
          fnlabel: s.slice(p + 1, labelEnd),
          citation,
        };
      }
    }
    return null;
  }

  /** Footnote label candidates after "[", in the regex's alternative order. */
  private labels(q: number): [number, boolean][] {
    const s = this.s;
    const out: [number, boolean][] = [];
    let d = q;
    while (d < s.length && s.charCodeAt(d) >= 48 && s.charCodeAt(d) <= 57) d++;
    if (d > q) out.push([d, false]);
    if (s[q] === "#") {
      const e = this.nameEnd[q + 1] as number;
      if (e > q + 1) out.push([e, false]);
      out.push([q + 1, false]);
    }
    if (s[q] === "*") out.push([q + 1, false]);
    const c = this.nameEnd[q] as number;
    if (c > q) out.push([c, true]);
    return out;
  }

  private backquote(p: number): StartMatch | null {
    const s = this.s;
    let q = p;
    let role: string | undefined;
    if (s[p] === ":") {
      const e = this.nameEnd[p + 1] as number;
      if (e <= p + 1 || s[e] !== ":") return null;
      role = s.slice(p + 1, e);
      q = e + 1;
    }
    if (s[q] !== "`" || s[q + 1] === "`" || this.spaceAt(q + 1)) return null;
    const m: StartMatch = { kind: "backquote", index: p, end: q + 1 };
    if (role !== undefined) m.role = role;
    return m;
  }
}

/** Right to left: the end of the simple name (alphanumerics, single inner separators) at each index. */
function measureNames(s: string): Int32Array {
  const n = s.length;
  const runEnd = new Int32Array(n + 2);
  const nameEnd = new Int32Array(n + 2);
  runEnd[n] = n;
  nameEnd[n] = n;
  runEnd[n + 1] = n + 1;
  nameEnd[n + 1] = n + 1;
  for (let i = n - 1; i >= 0; i--) {
    const code = s.charCodeAt(i);
    if (code >= 0xdc00 && code <= 0xdfff) {
      // low surrogate: only the pair (starting one earlier) is a character
      runEnd[i] = i;
      nameEnd[i] = i;
      continue;
    }
    const width = code >= 0xd800 && code <= 0xdbff ? 2 : 1;
    // ASCII inline: this runs for every character of every paragraph.
    const alnum =
      code < 128
        ? (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122)
        : isAlnum(width === 2 ? (s.codePointAt(i) as number) : code);
    if (!alnum) {
      runEnd[i] = i;
      nameEnd[i] = i;
      continue;
    }
    const next = i + width;
    runEnd[i] = Math.max(runEnd[next] as number, next);
    const r = runEnd[i] as number;
    const afterSep = r + 1;
    nameEnd[i] =
      SEPARATOR_CODES.has(s.charCodeAt(r)) &&
      afterSep <= n &&
      (runEnd[afterSep] as number) > afterSep
        ? (nameEnd[afterSep] as number)
        : r;
  }
  return nameEnd;
}
