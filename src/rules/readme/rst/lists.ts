/**
 * List-like constructs, following docutils.parsers.rst.states Body.bullet / enumerator /
 * field_marker / option_marker / line_block and the BulletList, EnumeratedList, FieldList,
 * OptionList and LineBlock states: how each item's block is cut (known or first-known
 * indentation), which following line continues the list (same bullet, next ordinal in the
 * same sequence and format, another field or option), when an enumerator is only text, and
 * the "... ends without a blank line" warnings when a list is followed directly by text.
 */
import { getIndented, isBlank, unindentWarning } from "./blocks-extract.js";
import { type Elem, fail } from "./document.js";
import {
  type Ctx,
  classify,
  type Enumerator,
  nextEnumerators,
  type Parser,
  parseEnumerator,
} from "./patterns.js";
import type { Line } from "./text.js";

function listItem(lines: readonly Line[], at: number, indent: number) {
  const rest = (lines[at] as Line).t.slice(indent);
  return rest
    ? getIndented(lines, at, { blockIndent: indent })
    : getIndented(lines, at, { firstIndent: indent });
}

function skipBlank(lines: readonly Line[], j: number): number {
  let k = j;
  while (k < lines.length && isBlank(lines[k])) k++;
  return k;
}

/** The next non-blank line's Body transition, if it is unindented and of kind `kind`. */
function continues(lines: readonly Line[], j: number, kind: string): RegExpExecArray | undefined {
  const next = lines[j];
  if (!next || next.t.charCodeAt(0) === 32) return undefined;
  const c = classify(next.t);
  return c.kind === kind && c.m ? c.m : undefined;
}

export function bulletList(
  p: Parser,
  lines: readonly Line[],
  i: number,
  ctx: Ctx,
  first: RegExpExecArray,
): number {
  const bullet = (lines[i] as Line).t[0];
  let at = i;
  let m = first;
  const items: Elem[][] = [];
  for (;;) {
    const item = listItem(lines, at, m[0].length);
    items.push(p.nested(item.block));
    const j = skipBlank(lines, item.end);
    const next = continues(lines, j, "bullet");
    if (next && (lines[j] as Line).t[0] === bullet) {
      at = j;
      m = next;
      continue;
    }
    p.add(ctx, { kind: "bullet_list", items });
    if (!item.blankFinish) unindentWarning("Bullet list", lines, item.end);
    return j;
  }
}

function isEnumeratedItem(lines: readonly Line[], i: number, e: Enumerator): boolean {
  if (e.ordinal === undefined) return false;
  const next = lines[i + 1];
  if (!next) return true;
  if (next.t === "" || next.t.charCodeAt(0) === 32) return true;
  const en = nextEnumerators(e, e.ordinal + 1);
  return en?.some((prefix) => next.t.startsWith(prefix)) ?? false;
}

export function enumeratedList(
  p: Parser,
  lines: readonly Line[],
  i: number,
  ctx: Ctx,
  first: RegExpExecArray,
): number {
  const e = parseEnumerator(first);
  if (!isEnumeratedItem(lines, i, e)) return p.text(lines, i, ctx);
  const enumtype = e.sequence === "#" ? "arabic" : e.sequence;
  let auto = e.sequence === "#";
  let last = e.ordinal as number;
  let at = i;
  let m = first;
  for (;;) {
    const item = listItem(lines, at, m[0].length);
    p.nested(item.block);
    const j = skipBlank(lines, item.end);
    const next = continues(lines, j, "enumerator");
    if (next) {
      const e2 = parseEnumerator(next, enumtype);
      const sameList =
        e2.format === e.format &&
        (e2.sequence === "#" || (e2.sequence === enumtype && !auto && e2.ordinal === last + 1)) &&
        isEnumeratedItem(lines, j, e2);
      if (sameList) {
        if (e2.sequence === "#") auto = true;
        last = e2.ordinal as number;
        at = j;
        m = next;
        continue;
      }
    }
    p.add(ctx, { kind: "enumerated_list" });
    if (!item.blankFinish) unindentWarning("Enumerated list", lines, item.end);
    return j;
  }
}

export function fieldList(
  p: Parser,
  lines: readonly Line[],
  i: number,
  ctx: Ctx,
  first: RegExpExecArray,
): number {
  const fields: NonNullable<Elem["fields"]> = [];
  let at = i;
  let m = first;
  for (;;) {
    const marker = m[0].slice(1);
    const name = marker.slice(0, marker.lastIndexOf(":"));
    const body = getIndented(lines, at, { firstIndent: m[0].length });
    p.inliner.parse(name, (lines[at] as Line).n);
    const elems = body.block.length > 0 ? p.nested(body.block) : [];
    fields.push({
      name,
      body: elems,
      line: (lines[at] as Line).n,
      singleLine: body.block.length <= 1,
    });
    const j = skipBlank(lines, body.end);
    const next = continues(lines, j, "field_marker");
    if (next) {
      at = j;
      m = next;
      continue;
    }
    p.add(ctx, { kind: "field_list", fields });
    if (!body.blankFinish) unindentWarning("Field list", lines, body.end);
    return j;
  }
}

export function optionList(
  p: Parser,
  lines: readonly Line[],
  i: number,
  ctx: Ctx,
  first: RegExpExecArray,
): number {
  let desc = getIndented(lines, i, { firstIndent: first[0].length });
  if (desc.block.length === 0) return p.text(lines, i, ctx);
  for (;;) {
    p.nested(desc.block);
    const j = skipBlank(lines, desc.end);
    const next = continues(lines, j, "option_marker");
    const nextDesc = next ? getIndented(lines, j, { firstIndent: next[0].length }) : undefined;
    if (nextDesc && nextDesc.block.length > 0) {
      desc = nextDesc;
      continue;
    }
    p.add(ctx, { kind: "option_list" });
    if (!desc.blankFinish) unindentWarning("Option list", lines, desc.end);
    return j;
  }
}

export function lineBlock(p: Parser, lines: readonly Line[], i: number, ctx: Ctx): number {
  let j = i;
  let blankFinish = false;
  for (;;) {
    const marker = /^\|(?: +|$)/.exec((lines[j] as Line).t) as RegExpExecArray;
    const r = getIndented(lines, j, { firstIndent: marker[0].length, untilBlank: true });
    p.inliner.parse(r.block.map((l) => l.t).join("\n"), (lines[j] as Line).n);
    blankFinish = r.blankFinish;
    j = r.end;
    if (blankFinish || !continues(lines, j, "line_block")) break;
  }
  p.add(ctx, { kind: "line_block" });
  if (!blankFinish) fail(2, "Line block ends without a blank line.", lines[j]?.n);
  return j;
}
