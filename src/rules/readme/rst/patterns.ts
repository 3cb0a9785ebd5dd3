/**
 * How docutils classifies the first line of a block (docutils.parsers.rst.states.Body's
 * transition patterns, tried in this order), plus the enumerator helpers (sequences,
 * Roman numerals, "next enumerator") of Body.parse_enumerator / make_enumerator.
 */
import type { DocState, Elem } from "./document.js";
import type { Inliner } from "./inline.js";
import type { Line } from "./text.js";

const ENUM = "(?:[0-9]+|[a-z]|[A-Z]|[ivxlcdm]+|[IVXLCDM]+|#)";
const OPTARG = "(?:[a-zA-Z][a-zA-Z0-9_-]*|<[^<>]+>)";
const OPTION = `(?:[-+][a-zA-Z0-9](?: ?${OPTARG})?|(?:--|/)[a-zA-Z0-9][a-zA-Z0-9_-]*(?:[ =]${OPTARG})?)`;

export const BODY_PATTERNS = [
  ["bullet", /^[-+*\u2022\u2023\u2043](?: +|$)/],
  [
    "enumerator",
    new RegExp(`^(?:(?<parens>\\(${ENUM}\\))|(?<rparen>${ENUM}\\))|(?<period>${ENUM}\\.))(?: +|$)`),
  ],
  ["field_marker", /^:(?![: ])(?:[^:\\]|\\.|:(?!(?:[ `]|$)))*(?<! ):(?: +|$)/],
  ["option_marker", new RegExp(`^${OPTION}(?:, ${OPTION})*(?:  +| ?$)`)],
  ["doctest", /^>>>(?: +|$)/],
  ["line_block", /^\|(?: +|$)/],
  ["grid_table_top", /^\+-[-+]+-\+ *$/],
  ["simple_table_top", /^=+(?: +=+)+ *$/],
  ["explicit_markup", /^\.\.(?: +|$)/],
  ["anonymous", /^__(?: +|$)/],
  ["line", /^([!-/:-@[-`{-~])\1* *$/],
] as const;

export type BodyKind = (typeof BODY_PATTERNS)[number][0] | "text";
export const LINE_PATTERN = /^([!-/:-@[-`{-~])\1* *$/;

const ENUMERATOR = BODY_PATTERNS[1][1];

export function classify(t: string): { kind: BodyKind; m: RegExpExecArray | null } {
  // Most lines begin with an ASCII letter or digit, which only an enumerator may begin with
  // (every other pattern begins with punctuation): one regex instead of eleven.
  const c = t.charCodeAt(0);
  if ((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122)) {
    const m = ENUMERATOR.exec(t);
    return m ? { kind: "enumerator", m } : { kind: "text", m: null };
  }
  for (const [kind, re] of BODY_PATTERNS) {
    const m = re.exec(t);
    if (m) return { kind, m };
  }
  return { kind: "text", m: null };
}

/** The nesting context of a parse (docutils' match_titles and the node being filled). */
export interface Ctx {
  matchTitles: boolean;
  container: Elem;
  /** Parsing a substitution definition's contents. */
  substitution?: boolean;
}

/** What the construct parsers need from the body parser. */
export interface Parser {
  readonly doc: DocState;
  readonly inliner: Inliner;
  /** Parse lines as a nested body (no section titles), returning its elements. */
  nested(lines: Line[]): Elem[];
  /** The body dispatcher's "text" transition at lines[i]. */
  text(lines: readonly Line[], i: number, ctx: Ctx): number;
  add(ctx: Ctx, elem: Elem): void;
}

const ROMAN = /^M{0,4}(?:CM|CD|D?C{0,3})(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})$/;
const ROMAN_VALUES: Record<string, number> = { I: 1, V: 5, X: 10, L: 50, C: 100, D: 500, M: 1000 };

export function romanValue(s: string): number | undefined {
  const up = s.toUpperCase();
  if (!up || !ROMAN.test(up)) return undefined;
  let total = 0;
  for (let i = 0; i < up.length; i++) {
    const v = ROMAN_VALUES[up[i] as string] as number;
    const next = ROMAN_VALUES[up[i + 1] ?? ""] ?? 0;
    total += v < next ? -v : v;
  }
  return total;
}

function toRoman(n: number): string | undefined {
  if (n < 1 || n > 4999) return undefined;
  const table: [number, string][] = [
    [1000, "M"],
    [900, "CM"],
    [500, "D"],
    [400, "CD"],
    [100, "C"],
    [90, "XC"],
    [50, "L"],
    [40, "XL"],
    [10, "X"],
    [9, "IX"],
    [5, "V"],
    [4, "IV"],
    [1, "I"],
  ];
  let out = "";
  let rest = n;
  for (const [v, s] of table) {
    while (rest >= v) {
      out += s;
      rest -= v;
    }
  }
  return out;
}

export type Sequence = "arabic" | "loweralpha" | "upperalpha" | "lowerroman" | "upperroman" | "#";
const SEQUENCES: [Sequence, RegExp][] = [
  ["arabic", /^[0-9]+$/],
  ["loweralpha", /^[a-z]$/],
  ["upperalpha", /^[A-Z]$/],
  ["lowerroman", /^[ivxlcdm]+$/],
  ["upperroman", /^[IVXLCDM]+$/],
];

export interface Enumerator {
  format: "parens" | "rparen" | "period";
  sequence: Sequence;
  ordinal: number | undefined;
}

export function parseEnumerator(m: RegExpExecArray, expected?: Sequence): Enumerator {
  const g = m.groups ?? {};
  const format = g.parens !== undefined ? "parens" : g.rparen !== undefined ? "rparen" : "period";
  const raw = g[format] as string;
  const text = format === "parens" ? raw.slice(1, -1) : raw.slice(0, -1);
  let sequence: Sequence | undefined;
  if (text === "#") sequence = "#";
  else if (expected && expected !== "#" && SEQUENCES.find(([s]) => s === expected)?.[1].test(text))
    sequence = expected;
  else if (text === "i") sequence = "lowerroman";
  else if (text === "I") sequence = "upperroman";
  if (!sequence) sequence = (SEQUENCES.find(([, re]) => re.test(text)) ?? ["arabic"])[0];
  let ordinal: number | undefined;
  if (sequence === "#") ordinal = 1;
  else if (sequence === "arabic") ordinal = Number.parseInt(text, 10);
  else if (sequence.endsWith("alpha")) ordinal = text.toLowerCase().charCodeAt(0) - 96;
  else ordinal = romanValue(text);
  return { format, sequence, ordinal };
}

const AFFIX = { parens: ["(", ")"], rparen: ["", ")"], period: ["", "."] } as const;

/** Body.make_enumerator: the next item's enumerator and the auto-enumerator, with a space. */
export function nextEnumerators(e: Enumerator, ordinal: number): string[] | undefined {
  const [pre, suf] = AFFIX[e.format];
  let en: string | undefined;
  if (e.sequence === "#") en = "#";
  else if (e.sequence === "arabic") en = String(ordinal);
  else if (e.sequence.endsWith("alpha"))
    en = ordinal > 26 ? undefined : String.fromCharCode(96 + ordinal);
  else en = toRoman(ordinal);
  if (en === undefined) return undefined;
  en = e.sequence.startsWith("upper")
    ? en.toUpperCase()
    : e.sequence.startsWith("lower")
      ? en.toLowerCase()
      : en;
  return [`${pre}${en}${suf} `, `${pre}#${suf} `];
}
