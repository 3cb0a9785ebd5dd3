/**
 * The block-level parser, following docutils.parsers.rst.states Body, Text, Line and
 * QuotedLiteralBlock: block quotes (with attributions), paragraphs and the literal blocks
 * that follow "::", definition lists, section titles (underline/overline checks, title
 * style hierarchy, titles where none may be), transitions, and dispatch of the other
 * constructs (lists.ts, explicit.ts, tables.ts). Every docutils diagnostic of level
 * WARNING or above met while parsing throws `Halt` at the point docutils would emit it.
 */
import {
  getIndented,
  getTextBlock,
  isBlank,
  trimTrailingBlank,
  unindentWarning,
} from "./blocks-extract.js";
import { type DocState, type Elem, fail } from "./document.js";
import { explicitMarkup } from "./explicit.js";
import { Inliner } from "./inline.js";
import { bulletList, enumeratedList, fieldList, lineBlock, optionList } from "./lists.js";
import { type Ctx, classify, LINE_PATTERN, type Parser } from "./patterns.js";
import { gridTable, simpleTable } from "./tables.js";
import { columnWidth, type Line, looseKey, normalizeName, pyLen } from "./text.js";

/** Nesting deeper than this is not followed (no verdict on its content). */
const MAX_DEPTH = 48;
const ATTRIBUTION = /^(?:---?(?!-)|\u2014) *(?=[^ \n])/;

export class BodyParser implements Parser {
  readonly inliner: Inliner;
  private depth = 0;
  /** Open sections, outermost first (the document itself at index 0). */
  private readonly sections: Elem[];

  constructor(readonly doc: DocState) {
    this.inliner = new Inliner(doc);
    this.sections = [doc.root];
  }

  parseDocument(lines: Line[]): void {
    this.run(lines, { matchTitles: true, container: this.doc.root });
  }

  nested(lines: Line[]): Elem[] {
    const container: Elem = { kind: "nested", children: [] };
    if (this.depth >= MAX_DEPTH) {
      this.doc.uncertain = true; // docutils itself runs out of Python stack about here
      return [{ kind: "nested" }];
    }
    this.depth++;
    try {
      this.run(lines, { matchTitles: false, container });
    } finally {
      this.depth--;
    }
    return container.children ?? [];
  }

  add(ctx: Ctx, elem: Elem): void {
    const target = ctx.matchTitles
      ? (this.sections[this.sections.length - 1] as Elem)
      : ctx.container;
    target.children?.push(elem);
  }

  private run(lines: Line[], ctx: Ctx): void {
    let i = 0;
    while (i < lines.length) {
      const t = (lines[i] as Line).t;
      if (t === "") i++;
      else if (t.charCodeAt(0) === 32) i = this.blockQuote(lines, i, ctx);
      else i = this.dispatch(lines, i, ctx);
    }
  }

  private dispatch(lines: readonly Line[], i: number, ctx: Ctx): number {
    const line = lines[i] as Line;
    const { kind, m } = classify(line.t);
    switch (kind) {
      case "bullet":
        return bulletList(this, lines, i, ctx, m as RegExpExecArray);
      case "enumerator":
        return enumeratedList(this, lines, i, ctx, m as RegExpExecArray);
      case "field_marker":
        return fieldList(this, lines, i, ctx, m as RegExpExecArray);
      case "option_marker":
        return optionList(this, lines, i, ctx, m as RegExpExecArray);
      case "doctest": {
        this.add(ctx, { kind: "doctest_block" });
        return getTextBlock(lines, i, false).end;
      }
      case "line_block":
        return lineBlock(this, lines, i, ctx);
      case "grid_table_top":
        return gridTable(this, lines, i, ctx);
      case "simple_table_top":
        return simpleTable(this, lines, i, ctx);
      case "explicit_markup":
      case "anonymous":
        return explicitMarkup(this, lines, i, ctx);
      case "line":
        return this.lineStart(lines, i, ctx);
      default:
        return this.text(lines, i, ctx);
    }
  }

  private blockQuote(lines: readonly Line[], i: number, ctx: Ctx): number {
    const { block, blankFinish, end } = getIndented(lines, i);
    let rest = block;
    while (rest.length > 0) {
      const split = splitAttribution(rest);
      this.nested(split.quote);
      if (split.attribution)
        this.inliner.parse(split.attribution.map((l) => l.t).join("\n"), split.line);
      rest = split.rest;
      while (rest.length > 0 && (rest[0] as Line).t.trim() === "") rest = rest.slice(1);
    }
    this.add(ctx, { kind: "block_quote" });
    if (!blankFinish) unindentWarning("Block quote", lines, end);
    return end;
  }

  /** Body.line: an overline or transition marker (Line state), or text where titles are not allowed. */
  private lineStart(lines: readonly Line[], i: number, ctx: Ctx): number {
    const t = (lines[i] as Line).t;
    if (!ctx.matchTitles) {
      const marker = t.trim();
      if (marker === "::" || pyLen(marker) < 4) return this.text(lines, i, ctx);
      fail(3, "Unexpected section title or transition.", (lines[i] as Line).n);
    }
    const next = lines[i + 1];
    const short = pyLen(t.trim()) < 4;
    if (next === undefined || next.t === "") {
      if (short) return this.text(lines, i, ctx);
      this.add(ctx, { kind: "transition", line: (lines[i] as Line).n });
      return i + 1;
    }
    if (next.t.charCodeAt(0) !== 32 && LINE_PATTERN.test(next.t)) {
      if (short) return this.text(lines, i, ctx);
      fail(3, "Invalid section title or transition marker.", (lines[i] as Line).n);
    }
    return this.overlinedTitle(lines, i, ctx, short);
  }

  private overlinedTitle(lines: readonly Line[], i: number, ctx: Ctx, short: boolean): number {
    const overline = (lines[i] as Line).t;
    const title = (lines[i + 1] as Line).t;
    const underline = lines[i + 2];
    const at = (lines[i] as Line).n;
    if (underline === undefined) {
      if (short) return this.text(lines, i, ctx);
      fail(3, "Incomplete section title.", at);
    }
    if (!LINE_PATTERN.test(underline.t)) {
      if (short) return this.text(lines, i, ctx);
      fail(3, "Missing matching underline for section title overline.", at);
    }
    if (overline !== underline.t) {
      if (short) return this.text(lines, i, ctx);
      fail(3, "Title overline & underline mismatch.", at);
    }
    if (columnWidth(title) > pyLen(overline)) {
      if (short) return this.text(lines, i, ctx);
      fail(2, "Title overline too short.", at);
    }
    this.section(
      title.replace(/^ +/, ""),
      `${overline[0]}${underline.t[0]}`,
      (lines[i + 1] as Line).n,
    );
    return i + 3;
  }

  /** Text state: the line after a first text line decides paragraph, definition list or title. */
  text(lines: readonly Line[], i: number, ctx: Ctx): number {
    const next = lines[i + 1];
    if (next === undefined || next.t === "") return this.paragraph(lines, i, i + 1, ctx);
    if (next.t.charCodeAt(0) === 32) return this.definitionList(lines, i, ctx);
    if (LINE_PATTERN.test(next.t)) {
      const title = (lines[i] as Line).t;
      const underline = next.t;
      if (columnWidth(title) > pyLen(underline)) {
        if (pyLen(underline) < 4) return this.multiLineParagraph(lines, i, ctx);
        fail(2, "Title underline too short.", next.n);
      }
      if (!ctx.matchTitles) fail(3, "Unexpected section title.", next.n);
      this.section(title, underline[0] as string, (lines[i] as Line).n);
      return i + 2;
    }
    return this.multiLineParagraph(lines, i, ctx);
  }

  private multiLineParagraph(lines: readonly Line[], i: number, ctx: Ctx): number {
    const tb = getTextBlock(lines, i + 1, true);
    if (tb.indentedAt !== undefined)
      fail(3, "Unexpected indentation.", (lines[tb.indentedAt] as Line).n);
    return this.paragraph(lines, i, tb.end, ctx);
  }

  /** Text.blank / Text.text: a paragraph of lines[from, to), then a literal block after "::". */
  private paragraph(lines: readonly Line[], from: number, to: number, ctx: Ctx): number {
    const data = lines
      .slice(from, to)
      .map((l) => l.t)
      .join("\n")
      .trimEnd();
    const literalNext = endsWithUnescapedColons(data);
    let text = data;
    if (literalNext)
      text =
        data.length === 2
          ? ""
          : " \n".includes(data[data.length - 3] as string)
            ? data.slice(0, -3).trimEnd()
            : data.slice(0, -1);
    if (!(literalNext && data.length === 2)) {
      const inline = this.inliner.parse(text, (lines[from] as Line).n);
      this.add(ctx, { kind: "paragraph", inline });
    }
    return literalNext ? this.literalBlock(lines, to, ctx) : to;
  }

  /** Text.literal_block and QuotedLiteralBlock, starting at lines[at] (blank or end). */
  private literalBlock(lines: readonly Line[], at: number, ctx: Ctx): number {
    const ind = getIndented(lines, at);
    const block = trimTrailingBlank(ind.block);
    if (block.length > 0) {
      this.add(ctx, { kind: "literal_block" });
      if (!ind.blankFinish) unindentWarning("Literal block", lines, ind.end);
      return ind.end;
    }
    let q = at;
    while (q < lines.length && isBlank(lines[q])) q++;
    const first = lines[q];
    if (first === undefined || !/^[!-/:-@[-`{-~]/.test(first.t)) {
      fail(2, "Literal block expected; none found.", first?.n ?? lines[lines.length - 1]?.n);
    }
    const quote = first.t[0] as string;
    let k = q + 1;
    for (; k < lines.length; k++) {
      const t = (lines[k] as Line).t;
      if (t === "") break;
      if (t.charCodeAt(0) === 32) fail(3, "Unexpected indentation.", (lines[k] as Line).n);
      if (t[0] !== quote) fail(3, "Inconsistent literal block quoting.", (lines[k] as Line).n);
    }
    this.add(ctx, { kind: "literal_block" });
    return k;
  }

  /** Text.indent and the DefinitionList/Definition states. */
  private definitionList(lines: readonly Line[], i: number, ctx: Ctx): number {
    let at = i;
    let blankFinish = true;
    for (;;) {
      const def = getIndented(lines, at + 1);
      this.inliner.parse((lines[at] as Line).t, (lines[at] as Line).n);
      this.nested(def.block);
      blankFinish = def.blankFinish;
      let j = def.end;
      while (j < lines.length && isBlank(lines[j])) j++;
      const next = lines[j];
      const after = lines[j + 1];
      if (!next || classify(next.t).kind !== "text" || !after || after.t.charCodeAt(0) !== 32) {
        this.add(ctx, { kind: "definition_list" });
        if (!blankFinish) unindentWarning("Definition list", lines, def.end);
        return j;
      }
      at = j;
    }
  }

  private section(title: string, style: string, line: number): void {
    const styles = this.doc.titleStyles;
    const oldLevel = this.sections.length - 1;
    const found = styles.indexOf(style);
    const newLevel = found >= 0 ? found + 1 : styles.length + 1;
    if (newLevel > oldLevel + 1) {
      fail(3, `Inconsistent title style: skip from level ${oldLevel} to ${newLevel}.`, line);
    }
    this.sections.length = newLevel;
    if (newLevel > styles.length) styles.push(style);
    const sec: Elem = { kind: "section", children: [{ kind: "title" }], line };
    (this.sections[newLevel - 1] as Elem).children?.push(sec);
    this.sections.push(sec);
    const text = this.inliner.parse(title, line).text;
    this.doc.noteTarget(normalizeName(text), false, {}, line);
    this.doc.titleKeys.add(looseKey(normalizeName(text)));
  }
}

/** "::" at the end, not backslash-escaped (an even run of backslashes before it). */
function endsWithUnescapedColons(data: string): boolean {
  if (!data.endsWith("::")) return false;
  let k = data.length - 2;
  while (k > 0 && data[k - 1] === "\\") k--;
  return (data.length - 2 - k) % 2 === 0;
}

/** Body.split_attribution: a block quote's "-- Author" attribution after a blank line. */
function splitAttribution(block: Line[]): {
  quote: Line[];
  attribution?: Line[];
  line: number;
  rest: Line[];
} {
  let blank = -2;
  let nonblankSeen = false;
  for (let i = 0; i < block.length; i++) {
    const t = (block[i] as Line).t;
    if (t.trim() === "") {
      blank = i;
      continue;
    }
    if (nonblankSeen && blank === i - 1) {
      const m = ATTRIBUTION.exec(t);
      if (m) {
        const end = attributionEnd(block, i);
        if (end !== undefined) {
          const attribution = block
            .slice(i, end)
            .map((l, k) => (k === 0 ? { t: l.t.slice(m[0].length), n: l.n } : l));
          return {
            quote: block.slice(0, i),
            attribution,
            line: (block[i] as Line).n,
            rest: block.slice(end),
          };
        }
      }
    }
    nonblankSeen = true;
  }
  return { quote: block, line: 0, rest: [] };
}

function attributionEnd(block: Line[], start: number): number | undefined {
  let indent: number | undefined;
  let i = start + 1;
  for (; i < block.length; i++) {
    const t = (block[i] as Line).t;
    if (t.trim() === "") return i;
    const li = t.length - t.trimStart().length;
    if (indent === undefined) indent = li;
    else if (li !== indent) return undefined;
  }
  return i;
}
