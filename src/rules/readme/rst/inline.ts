/**
 * Inline markup, following docutils.parsers.rst.states.Inliner: the start-string search
 * (the inline markup recognition rules: what may precede a start-string, what must follow an
 * end-string, "quoted" start-strings between matching brackets/quotes), the end-string
 * search per construct, and the diagnostics it yields - "Inline ... start-string without
 * end-string.", unknown or unimplemented interpreted-text roles, multiple roles, role plus
 * reference suffix, invalid :pep:/:rfc: numbers, disabled :raw:. Reference names, targets,
 * substitution references, footnote and anonymous references are recorded in the DocState
 * for the reference-resolution checks. Implicit markup (bare URIs, PEP/RFC mentions) yields
 * no diagnostics and is not looked for.
 *
 * Bounded: every regex is applied from a moving position; each end-string search is
 * remembered so a paragraph full of unmatched start-strings costs linear time.
 */
import { DocState, fail } from "./document.js";
import { DOCUTILS_DATA } from "./docutils-data.js";
import { type StartMatch, StartScanner } from "./inline-start.js";
import {
  escapeToNull,
  normalizeName,
  PY_SPACE,
  unescapeText,
  whitespaceNormalize,
} from "./text.js";

function classEscape(chars: string): string {
  return chars.replace(/[\\\][^-]/g, (c) => `\\${c}`);
}

const S = PY_SPACE;
const OPENERS = DOCUTILS_DATA.openers;
const CLOSERS = DOCUTILS_DATA.closers;
const QUOTE_PAIRS: Record<string, string> = DOCUTILS_DATA.quotePairs;
export const SIMPLENAME = "[\\p{L}\\p{N}]+(?:[-._+:][\\p{L}\\p{N}]+)*";
const END = `(?:$|(?=[${S}\\0${classEscape(DOCUTILS_DATA.closingDelimiters + DOCUTILS_DATA.delimiters + CLOSERS)}]))`;

const END_PATTERNS = {
  emphasis: new RegExp(`(?<![${S}\\0])(\\*)${END}`, "gu"),
  strong: new RegExp(`(?<![${S}\\0])(\\*\\*)${END}`, "gu"),
  literal: new RegExp(`(?<![${S}])(\`\`)${END}`, "gu"),
  target: new RegExp(`(?<![${S}\\0])(\`)${END}`, "gu"),
  substitution_reference: new RegExp(`(?<![${S}\\0])(\\|_{0,2})${END}`, "gu"),
  interpreted: new RegExp(
    `(?<!(?<!\\0)[${S}\\0])(\`(?<suffix>(?<role>:${SIMPLENAME}:)?(?<refend>__?)?))${END}`,
    "gu",
  ),
} as const;
type EndKind = keyof typeof END_PATTERNS;
const START_KIND: Record<string, EndKind> = {
  "*": "emphasis",
  "**": "strong",
  "``": "literal",
  "_`": "target",
  "|": "substitution_reference",
};

const EMBEDDED = new RegExp(`((?:[ \\n]+|^)<(?![${S}])((?:[^<>]|\\0[<>])+)(?<![${S}\\0])>)$`, "u");
const URI_LIKE =
  /^(?:[a-zA-Z][a-zA-Z0-9.+-]*:[-_.!~*'()[\];/:@&=+$,%a-zA-Z0-9\0]|[-_!~*'{|}/#?^`&=+$%a-zA-Z0-9\0]+(?:\.[-_!~*'{|}/#?^`&=+$%a-zA-Z0-9\0]+)*@)/;

export function looksLikeUri(s: string): boolean {
  return URI_LIKE.test(s);
}

/** What a substitution definition must reject (docutils' disallowed_inside_substitution_definitions). */
export interface InlineSummary {
  text: string;
  targets: number;
  anonymousRefs: number;
  autoFootnoteRefs: number;
}

function matchChars(c1: string, c2: string): boolean {
  const i = OPENERS.indexOf(c1);
  if (i < 0) return false;
  return c2 === CLOSERS[i] || (QUOTE_PAIRS[c1] ?? "").includes(c2);
}

class EndSearch {
  private from = -1;
  private found: RegExpExecArray | null = null;
  constructor(private readonly re: RegExp) {}
  /** The first end-string at or after `pos` (remembered, since searches only move forward). */
  at(s: string, pos: number): RegExpExecArray | null {
    if (this.from >= 0 && pos >= this.from && (this.found === null || pos <= this.found.index))
      return this.found;
    this.re.lastIndex = pos;
    this.from = pos;
    this.found = this.re.exec(s);
    return this.found;
  }
}

export class Inliner {
  private readonly ends = new Map<EndKind, EndSearch>();
  constructor(private readonly doc: DocState) {}

  /**
   * An inliner whose references and targets go nowhere (docutils parses a directive option's
   * field name as inline markup, in a field list that never joins the document).
   */
  detached(): Inliner {
    const scratch = new DocState();
    for (const [k, v] of this.doc.localRoles) scratch.localRoles.set(k, v);
    scratch.defaultRole = this.doc.defaultRole;
    return new Inliner(scratch);
  }

  private endSearch(kind: EndKind): EndSearch {
    let e = this.ends.get(kind);
    if (!e) {
      e = new EndSearch(END_PATTERNS[kind]);
      this.ends.set(kind, e);
    }
    return e;
  }

  /** Parse `raw` (one text block) and return its text content; throws Halt on a WARNING+. */
  parse(raw: string, line: number): InlineSummary {
    this.ends.clear();
    const s = escapeToNull(raw);
    const sum: InlineSummary = { text: "", targets: 0, anonymousRefs: 0, autoFootnoteRefs: 0 };
    const scanner = new StartScanner(s);
    let pos = 0;
    let textFrom = 0;
    while (pos < s.length) {
      const m = scanner.find(pos);
      if (!m) break;
      sum.text += unescapeText(s.slice(textFrom, m.index));
      const r = this.dispatch(s, m, pos, line, sum);
      sum.text += r.text;
      pos = r.next;
      textFrom = pos;
    }
    sum.text += unescapeText(s.slice(textFrom));
    return sum;
  }

  private dispatch(
    s: string,
    m: StartMatch,
    pos: number,
    line: number,
    sum: InlineSummary,
  ): { next: number; text: string } {
    if (m.kind === "start")
      return this.inlineObject(s, m, pos, START_KIND[m.start as string] as EndKind, line, sum);
    if (m.kind === "backquote") return this.interpreted(s, m, pos, line, sum);
    if (m.fnlabel !== undefined) {
      const label = m.fnlabel;
      this.footnoteReference(label, m.citation === true, line, sum);
      return { next: m.end, text: label.startsWith("#") || label === "*" ? "" : label };
    }
    const name = m.refname as string;
    if (m.refend === "__") {
      this.doc.anonymousRefs++;
      sum.anonymousRefs++;
    } else this.doc.noteRef(normalizeName(unescapeText(name)), line);
    return { next: m.end, text: unescapeText(name) };
  }

  private quoted(s: string, m: StartMatch, pos: number): boolean {
    if (m.index === pos) return false;
    const end = m.end;
    if (end >= s.length) return true;
    return matchChars(s[m.index - 1] as string, s[end] as string);
  }

  private inlineObject(
    s: string,
    m: StartMatch,
    pos: number,
    kind: EndKind,
    line: number,
    sum: InlineSummary,
  ): { next: number; text: string } {
    const startEnd = m.end;
    if (this.quoted(s, m, pos))
      return { next: startEnd, text: unescapeText(s.slice(m.index, startEnd)) };
    const e = this.endSearch(kind).at(s, startEnd);
    if (!e || e.index === startEnd) {
      fail(2, `Inline ${kind} start-string without end-string.`, line);
    }
    const inner = s.slice(startEnd, e.index);
    const textEnd = e.index + (e[1] as string).length;
    if (kind === "target") {
      this.doc.noteTarget(normalizeName(unescapeText(inner)), true, {}, line);
      sum.targets++;
    } else if (kind === "substitution_reference") {
      const subname = whitespaceNormalize(unescapeText(inner));
      this.doc.substitutionRefs.push({ name: subname, line });
      const endString = e[1] as string;
      if (endString.endsWith("__")) {
        this.doc.anonymousRefs++;
        sum.anonymousRefs++;
      } else if (endString.endsWith("_"))
        this.doc.noteRef(normalizeName(unescapeText(inner)), line);
    }
    return {
      next: textEnd,
      text: kind === "literal" ? inner.replace(/\0/g, "\\") : unescapeText(inner),
    };
  }

  private interpreted(
    s: string,
    m: StartMatch,
    pos: number,
    line: number,
    sum: InlineSummary,
  ): { next: number; text: string } {
    const matchEnd = m.end;
    let role = m.role;
    if (role === undefined && this.quoted(s, m, pos)) return { next: matchEnd, text: "`" };
    const e = this.endSearch("interpreted").at(s, matchEnd);
    if (!e || e.index === matchEnd) {
      fail(2, "Inline interpreted text or phrase reference start-string without end-string.", line);
    }
    const eg = e.groups ?? {};
    const textEnd = e.index + e[0].length;
    let position = "prefix";
    if (eg.role) {
      if (role !== undefined) {
        fail(
          2,
          "Multiple roles in interpreted text (both prefix and suffix present; only one allowed).",
          line,
        );
      }
      role = eg.role.slice(1, -1);
      position = "suffix";
    }
    const escaped = s.slice(matchEnd, e.index);
    if (eg.refend) {
      if (role !== undefined)
        fail(2, `Mismatch: both interpreted text role ${position} and reference suffix.`, line);
      return { next: textEnd, text: this.phraseRef(escaped, eg.refend === "__", line, sum) };
    }
    return { next: textEnd, text: this.role(role ?? "", escaped, line) };
  }

  private phraseRef(escaped: string, anonymous: boolean, line: number, sum: InlineSummary): string {
    const em = EMBEDDED.exec(escaped);
    if (!em) {
      const text = unescapeText(escaped);
      if (anonymous) {
        this.doc.anonymousRefs++;
        sum.anonymousRefs++;
      } else this.doc.noteRef(normalizeName(text), line);
      return text;
    }
    let text = escaped.slice(0, em.index);
    const alias = em[2] as string;
    const isName = alias.endsWith("_") && !alias.endsWith("\0_") && !looksLikeUri(alias);
    if (!text) text = isName ? alias.slice(0, -1) : alias;
    const refname = normalizeName(unescapeText(text));
    if (isName) {
      const aliasName = normalizeName(unescapeText(alias.slice(0, -1)));
      this.doc.noteRef(aliasName, line);
      if (!anonymous) {
        this.doc.indirect.push({ refname: aliasName, line, names: [refname] });
        this.doc.noteTarget(refname, false, { refname: aliasName }, line);
        sum.targets++;
      }
    } else if (!anonymous) {
      const uri = unescapeText(alias).replace(/\s+/g, "");
      this.doc.noteTarget(refname, false, { refuri: uri }, line);
      sum.targets++;
    }
    return unescapeText(text);
  }

  private role(name: string, escaped: string, line: number): string {
    const text = unescapeText(escaped);
    const kind = name === "" ? this.doc.defaultRole : roleKind(name, this.doc);
    if (kind === "unknown") fail(3, `Unknown interpreted text role "${name}".`, line);
    if (kind === "unimplemented") fail(3, `Interpreted text role "${name}" not implemented.`, line);
    if (kind === "raw") fail(2, "raw (and derived) roles disabled", line);
    if (kind === "pep-reference") {
      const n = /^\s*\+?(\d+)\s*$/.exec(text);
      if (!n && /^[\x20-\x7e]*$/.test(text) && !/\d_\d/.test(text)) {
        fail(3, `PEP number must be a number from 0 to 9999; "${escaped}" is invalid.`, line);
      }
      if (n && Number(n[1]) > 9999)
        fail(3, `PEP number must be a number from 0 to 9999; "${escaped}" is invalid.`, line);
      return `PEP ${text}`;
    }
    return text;
  }

  private footnoteReference(
    label: string,
    citation: boolean,
    line: number,
    sum: InlineSummary,
  ): void {
    if (citation) {
      this.doc.noteRef(normalizeName(label), line);
      return;
    }
    if (label.startsWith("#")) {
      if (label.length > 1) this.doc.noteRef(normalizeName(label.slice(1)), line);
      else this.doc.autoFootnoteRefs.push(line);
      sum.autoFootnoteRefs++;
    } else if (label === "*") this.doc.symbolFootnoteRefs.push(line);
    else this.doc.noteRef(normalizeName(label), line);
  }
}

export type RoleKind = "ok" | "raw" | "unknown" | "unimplemented" | "pep-reference";

/** docutils.parsers.rst.roles.role(): local roles, English names, then canonical names. */
export function roleKind(name: string, doc: DocState): RoleKind {
  const norm = name.toLowerCase();
  const local = doc.localRoles.get(norm);
  if (local) return local;
  const names: Record<string, string> = DOCUTILS_DATA.roleNames;
  const canonical = names[norm] ?? norm;
  const roles: Record<string, string> = DOCUTILS_DATA.roles;
  const kind = roles[canonical];
  if (kind === undefined) return "unknown";
  if (kind === "unimplemented") return "unimplemented";
  if (canonical === "raw") return "raw";
  if (canonical === "pep-reference") return "pep-reference";
  return "ok";
}
