/**
 * Explicit markup blocks (".. " and "__ "), following docutils.parsers.rst.states
 * Body.explicit_construct / explicit_list and the Explicit state: footnotes, citations,
 * hyperlink targets (named, anonymous, indirect), substitution definitions (and what their
 * embedded directive may yield), directives (directives.ts), comments; a run of explicit
 * constructs ends at a blank line, else "Explicit markup ends without a blank line".
 */
import { getIndented, isBlank, trimTrailingBlank, unindentWarning } from "./blocks-extract.js";
import { runDirective } from "./directives.js";
import { fail } from "./document.js";
import { SIMPLENAME } from "./inline.js";
import { type Ctx, classify, type Parser } from "./patterns.js";
import {
  escapeToNull,
  type Line,
  normalizeName,
  PY_SPACE,
  unescapeText,
  whitespaceNormalize,
} from "./text.js";

const FOOTNOTE = new RegExp(`^\\.\\. +\\[([0-9]+|#|#${SIMPLENAME}|\\*)\\](?: +|$)`, "u");
const CITATION = new RegExp(`^\\.\\. +\\[(${SIMPLENAME})\\](?: +|$)`, "u");
const HYPERLINK = /^\.\. +_(?! |$)/;
const SUBSTITUTION = /^\.\. +\|(?! |$)/;
const DIRECTIVE = new RegExp(`^\\.\\. +(${SIMPLENAME}) ?::(?: +|$)`, "u");
const TARGET = new RegExp(
  `^(?:_|(?!_)(?<quote>\`?)(?![ \`])(?<name>.+?)(?<![${PY_SPACE}\\0])\\k<quote>)(?<!(?<!\\0):)(?<![${PY_SPACE}\\0]) ?:(?: +|$)`,
  "u",
);
const REFERENCE = new RegExp(
  `^(?:(?<simple>${SIMPLENAME})_|\`(?! )(?<phrase>.+?)(?<![${PY_SPACE}\\0])\`_)$`,
  "u",
);
const SUBST_NAME = new RegExp(`^(?! )(?<name>.+?)(?<![${PY_SPACE}\\0])\\|(?: +|$)`, "u");
const EMBEDDED_DIRECTIVE = new RegExp(`^(${SIMPLENAME})::(?: +|$)`, "u");
/** Joining more lines than this to find a target's or substitution's end is given up (no verdict). */
const MAX_JOIN = 64;

type Done = { end: number; blankFinish: boolean };

export function explicitMarkup(p: Parser, lines: readonly Line[], i: number, ctx: Ctx): number {
  let at = i;
  for (;;) {
    const r = construct(p, lines, at, ctx);
    const next = lines[r.end];
    if (next && !isBlank(next) && next.t.charCodeAt(0) !== 32) {
      const kind = classify(next.t).kind;
      if (kind === "explicit_markup" || kind === "anonymous") {
        at = r.end;
        continue;
      }
    }
    if (!r.blankFinish) unindentWarning("Explicit markup", lines, r.end);
    return r.end;
  }
}

function construct(p: Parser, lines: readonly Line[], i: number, ctx: Ctx): Done {
  const t = (lines[i] as Line).t;
  if (t.startsWith("__")) return anonymousTarget(p, lines, i, ctx);
  let m = FOOTNOTE.exec(t);
  if (m) return footnote(p, lines, i, ctx, m, false);
  m = CITATION.exec(t);
  if (m) return footnote(p, lines, i, ctx, m, true);
  m = HYPERLINK.exec(t);
  if (m) return hyperlinkTarget(p, lines, i, ctx, m[0].length);
  m = SUBSTITUTION.exec(t);
  if (m) return substitutionDef(p, lines, i, ctx, m[0].length);
  m = DIRECTIVE.exec(t);
  if (m) {
    const r = runDirective(p, lines, i, ctx, m[1] as string, m[0].length, false);
    return { end: r.end, blankFinish: r.blankFinish };
  }
  return comment(p, lines, i, ctx);
}

function comment(p: Parser, lines: readonly Line[], i: number, ctx: Ctx): Done {
  const t = (lines[i] as Line).t;
  const markerEnd = (/^\.\.(?: +|$)/.exec(t) as RegExpExecArray)[0].length;
  const empty =
    (lines[i + 1] === undefined || isBlank(lines[i + 1])) && t.slice(markerEnd).trim() === "";
  p.add(ctx, { kind: "comment", empty });
  if (empty) {
    return { end: i + 1, blankFinish: true };
  }
  const r = getIndented(lines, i, { firstIndent: markerEnd });
  return { end: r.end, blankFinish: r.blankFinish };
}

function footnote(
  p: Parser,
  lines: readonly Line[],
  i: number,
  ctx: Ctx,
  m: RegExpExecArray,
  citation: boolean,
): Done {
  const body = getIndented(lines, i, { firstIndent: m[0].length });
  const label = m[1] as string;
  const n = (lines[i] as Line).n;
  const name = normalizeName(label);
  if (citation) p.doc.noteTarget(name, true, {}, n);
  else if (name.startsWith("#")) {
    if (name.length > 1) p.doc.noteTarget(name.slice(1), true, {}, n);
    else p.doc.autoFootnotes++;
  } else if (name === "*") p.doc.symbolFootnotes++;
  else p.doc.noteTarget(name, true, {}, n);
  p.add(ctx, { kind: citation ? "citation" : "footnote" });
  if (body.block.length > 0) p.nested(body.block);
  else fail(2, citation ? "Citation content expected." : "Footnote content expected.", n);
  return { end: body.end, blankFinish: body.blankFinish };
}

function hyperlinkTarget(
  p: Parser,
  lines: readonly Line[],
  i: number,
  ctx: Ctx,
  markEnd: number,
): Done {
  const r = getIndented(lines, i, { firstIndent: markEnd, untilBlank: true, stripIndent: false });
  const block = r.block.map((l) => escapeToNull(l.t));
  const n = (lines[i] as Line).n;
  let escaped = block[0] ?? "";
  let k = 0;
  let tm = TARGET.exec(escaped);
  while (!tm) {
    k++;
    if (k >= block.length) fail(2, "malformed hyperlink target.", n);
    if (k > MAX_JOIN) {
      p.doc.uncertain = true;
      return { end: r.end, blankFinish: r.blankFinish };
    }
    escaped += block[k];
    tm = TARGET.exec(escaped);
  }
  const rest = [
    `${block[k] ?? ""} `.slice(tm[0].length - escaped.length - 1).trim(),
    ...block.slice(k + 1),
  ];
  makeTarget(p, ctx, rest, tm.groups?.name, n);
  return { end: r.end, blankFinish: r.blankFinish };
}

function anonymousTarget(p: Parser, lines: readonly Line[], i: number, ctx: Ctx): Done {
  const markEnd = (/^__(?: +|$)/.exec((lines[i] as Line).t) as RegExpExecArray)[0].length;
  const r = getIndented(lines, i, { firstIndent: markEnd, untilBlank: true });
  makeTarget(
    p,
    ctx,
    r.block.map((l) => escapeToNull(l.t)),
    undefined,
    (lines[i] as Line).n,
  );
  return { end: r.end, blankFinish: r.blankFinish };
}

/** Body.make_target / parse_target / add_target. */
function makeTarget(
  p: Parser,
  ctx: Ctx,
  block: string[],
  rawName: string | undefined,
  line: number,
): void {
  const last = (block[block.length - 1] ?? "").trim();
  let refname: string | undefined;
  if (block.length > 0 && last.endsWith("_")) {
    const m = REFERENCE.exec(whitespaceNormalize(block.map((l) => l.trim()).join(" ")));
    if (m) refname = normalizeName(unescapeText(m.groups?.simple ?? m.groups?.phrase ?? ""));
  }
  const refuri = refname === undefined ? unescapeText(block.join(" ")).replace(/\s+/g, "") : "";
  p.add(ctx, { kind: "target", silent: refname !== undefined || refuri !== "" });
  if (rawName === undefined) {
    p.doc.anonymousTargets++;
    if (refname !== undefined) p.doc.noteRef(refname, line);
    return;
  }
  const name = normalizeName(unescapeText(rawName));
  if (refname !== undefined) {
    p.doc.noteTarget(name, true, { refname }, line);
    p.doc.indirect.push({ refname, line, names: [name] });
  } else p.doc.noteTarget(name, true, refuri ? { refuri } : {}, line);
}

function substitutionDef(
  p: Parser,
  lines: readonly Line[],
  i: number,
  ctx: Ctx,
  markEnd: number,
): Done {
  const r = getIndented(lines, i, { firstIndent: markEnd, stripIndent: false });
  const n = (lines[i] as Line).n;
  const block = r.block.slice();
  let escaped = escapeToNull((block[0] as Line).t.trimEnd());
  let k = 0;
  let sm = SUBST_NAME.exec(escaped);
  while (!sm) {
    k++;
    if (k >= block.length) fail(2, "malformed substitution definition.", n);
    if (k > MAX_JOIN) {
      p.doc.uncertain = true;
      return { end: r.end, blankFinish: r.blankFinish };
    }
    escaped = `${escaped} ${escapeToNull((block[k] as Line).t.trim())}`;
    sm = SUBST_NAME.exec(escaped);
  }
  const subname = sm.groups?.name as string;
  const head = block[k] as Line;
  const firstText = `${head.t.trim()} `.slice(sm[0].length - escaped.length - 1, -1);
  let body = [{ t: firstText, n: head.n }, ...block.slice(k + 1)];
  if (!firstText) body = body.slice(1);
  body = trimTrailingBlank(body);
  p.add(ctx, { kind: "substitution_definition", silent: true });
  if (body.length === 0) fail(2, `Substitution definition "${subname}" missing contents.`, n);
  const first = { t: (body[0] as Line).t.trim(), n: (body[0] as Line).n };
  const dm = EMBEDDED_DIRECTIVE.exec(first.t);
  if (!dm) fail(2, `Substitution definition "${subname}" empty or invalid.`, n);
  const sub = [first, ...body.slice(1)];
  const res = runDirective(p, sub, 0, ctx, dm[1] as string, dm[0].length, true);
  if (!res.inline) fail(2, `Substitution definition "${subname}" empty or invalid.`, n);
  noteSubstitution(p, whitespaceNormalize(subname), n);
  const blankFinish = res.end >= sub.length ? r.blankFinish : res.blankFinish;
  return { end: r.end, blankFinish };
}

function noteSubstitution(p: Parser, name: string, line: number): void {
  if (p.doc.substitutionNames.has(name))
    fail(3, `Duplicate substitution definition name: "${name}".`, line);
  p.doc.substitutionNames.add(name);
  p.doc.substitutionLower.add(name.toLowerCase());
}
