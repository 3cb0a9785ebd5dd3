/**
 * Directives, following docutils.parsers.rst.states Body.run_directive /
 * parse_directive_block / parse_directive_options / parse_extension_options and the
 * directive classes' run() checks that can fail in a README: unknown directive types,
 * argument counts, unknown/duplicate/invalid options (the converters of
 * docutils.parsers.rst.directives), content where none is permitted or none where it is
 * required, "include"/"raw" disabled (readme_renderer turns off file insertion and raw),
 * image/figure alignment, figure captions, table/list-table content, topic/sidebar/contents
 * inside body elements, replace/unicode/date outside substitutions, role/default-role.
 * Directive names, argument counts and option converters come from docutils-data.ts.
 */
import { getIndented, isBlank } from "./blocks-extract.js";
import { type Elem, fail } from "./document.js";
import { DOCUTILS_DATA } from "./docutils-data.js";
import { roleKind, SIMPLENAME } from "./inline.js";
import { BODY_PATTERNS, type Ctx, type Parser } from "./patterns.js";
import {
  escapeToNull,
  type Line,
  normalizeName,
  unescapeText,
  whitespaceNormalize,
} from "./text.js";

interface Spec {
  required: number;
  optional: number;
  finalWhitespace: boolean;
  content: boolean;
  options: Record<string, string>;
}

interface Parsed {
  args: string[];
  options: Map<string, string | undefined>;
  content: Line[];
}

const FIELD_MARKER = BODY_PATTERNS[2][1];
const ADMONITIONS = new Set([
  "attention",
  "caution",
  "danger",
  "error",
  "hint",
  "important",
  "note",
  "tip",
  "warning",
]);
const NEEDS_CONTENT = new Set([
  ...ADMONITIONS,
  "admonition",
  "topic",
  "sidebar",
  "math",
  "line-block",
  "parsed-literal",
  "code",
  "compound",
  "container",
  "epigraph",
  "highlights",
  "pull-quote",
  "table",
  "list-table",
  "replace",
  "header",
  "footer",
]);
const RST_CONTENT = new Set([
  ...ADMONITIONS,
  "admonition",
  "topic",
  "sidebar",
  "compound",
  "container",
  "epigraph",
  "highlights",
  "pull-quote",
  "table",
  "list-table",
  "header",
  "footer",
  "class",
  "figure",
]);
/** Directives whose argument is a title, parsed as inline markup. */
const TITLED = new Set([
  "admonition",
  "topic",
  "sidebar",
  "rubric",
  "contents",
  "table",
  "list-table",
  "csv-table",
]);
/** Directives that put nothing into the HTML body (settings, header/footer decorations). */
const SILENT = new Set(["role", "default-role", "title", "header", "footer", "sectnum", "meta"]);
const SUBSTITUTION_ONLY = new Set(["replace", "unicode", "date"]);
const INLINE_RESULT = new Set(["image", "replace", "unicode", "date"]);
const CSS_UNITS = [
  "em",
  "ex",
  "ch",
  "rem",
  "vw",
  "vh",
  "vmin",
  "vmax",
  "cm",
  "mm",
  "Q",
  "in",
  "pt",
  "pc",
  "px",
];

class MarkupError extends Error {}

export interface DirectiveResult {
  end: number;
  blankFinish: boolean;
  /** The directive yields inline content (usable in a substitution definition). */
  inline: boolean;
}

export function runDirective(
  p: Parser,
  lines: readonly Line[],
  i: number,
  ctx: Ctx,
  typeName: string,
  markEnd: number,
  substitution: boolean,
): DirectiveResult {
  const n = (lines[i] as Line).n;
  const names: Record<string, string> = DOCUTILS_DATA.directiveNames;
  const canonical = names[typeName.toLowerCase()] ?? typeName.toLowerCase();
  const specs: Record<string, Spec> = DOCUTILS_DATA.directives;
  const spec = specs[canonical];
  if (!spec) fail(3, `Unknown directive type "${typeName}".`, n);
  const ind = getIndented(lines, i, { firstIndent: markEnd, keepTop: true });
  let parsed: Parsed;
  try {
    parsed = parseBlock(
      ind.block,
      spec,
      (name, line) => p.inliner.detached().parse(name, line).text,
    );
  } catch (e) {
    if (e instanceof MarkupError) fail(3, `Error in "${typeName}" directive:\n${e.message}.`, n);
    throw e;
  }
  checkRun(p, ctx, canonical, typeName, parsed, substitution, n);
  const name = parsed.options.get("name");
  if (name && "name" in spec.options) p.doc.noteTarget(normalizeName(name), true, {}, n);
  if (!substitution) p.add(ctx, { kind: `directive:${canonical}`, silent: SILENT.has(canonical) });
  const blankFinish = ind.blankFinish || lines[ind.end] === undefined || isBlank(lines[ind.end]);
  return { end: ind.end, blankFinish, inline: INLINE_RESULT.has(canonical) };
}

/** The text of an option's field name: docutils parses it as inline markup (`alt_` is "alt"). */
type NameText = (name: string, line: number) => string;

function parseBlock(block: Line[], spec: Spec, nameText: NameText): Parsed {
  let ind = block.slice();
  if (ind.length > 0 && (ind[0] as Line).t.trim() === "") ind = ind.slice(1);
  while (ind.length > 0 && (ind[ind.length - 1] as Line).t.trim() === "") ind.pop();
  const takesArgs = spec.required > 0 || spec.optional > 0;
  const hasOptions = Object.keys(spec.options).length > 0;
  let argBlock: Line[] = [];
  let content = ind;
  let split = ind.length;
  if (ind.length > 0 && (takesArgs || hasOptions)) {
    split = ind.findIndex((l) => l.t.trim() === "");
    if (split < 0) split = ind.length;
    argBlock = ind.slice(0, split);
    content = ind.slice(split + 1);
  }
  const options = new Map<string, string | undefined>();
  if (hasOptions) {
    const at = argBlock.findIndex((l) => FIELD_MARKER.test(l.t));
    if (at >= 0) {
      parseOptions(argBlock.slice(at), spec, options, nameText);
      argBlock = argBlock.slice(0, at);
    }
  }
  if (argBlock.length > 0 && !takesArgs) {
    content = [...argBlock, ...ind.slice(split)];
    argBlock = [];
  }
  while (content.length > 0 && (content[0] as Line).t.trim() === "") content = content.slice(1);
  let args: string[] = [];
  if (takesArgs) {
    const text = argBlock.map((l) => l.t).join("\n");
    args = text.split(/\s+/).filter(Boolean);
    if (args.length < spec.required) {
      throw new MarkupError(`${spec.required} argument(s) required, ${args.length} supplied`);
    }
    if (args.length > spec.required + spec.optional) {
      if (!spec.finalWhitespace) {
        throw new MarkupError(
          `maximum ${spec.required + spec.optional} argument(s) allowed, ${args.length} supplied`,
        );
      }
      args = splitArgs(text, spec.required + spec.optional);
    }
  }
  if (content.length > 0 && !spec.content) throw new MarkupError("no content permitted");
  return { args, options, content };
}

function splitArgs(text: string, count: number): string[] {
  const out: string[] = [];
  let rest = text.trimStart();
  while (out.length < count - 1) {
    const m = /\s+/.exec(rest);
    if (!m) break;
    out.push(rest.slice(0, m.index));
    rest = rest.slice(m.index + m[0].length);
  }
  out.push(rest.trimEnd());
  return out;
}

/** parse_extension_options: the option lines must form a field list, one paragraph per value. */
function parseOptions(
  lines: Line[],
  spec: Spec,
  out: Map<string, string | undefined>,
  nameText: NameText,
): void {
  let k = 0;
  while (k < lines.length) {
    const m = FIELD_MARKER.exec((lines[k] as Line).t);
    if (!m) throw new MarkupError("invalid option block");
    const body = getIndented(lines, k, { firstIndent: m[0].length });
    const marker = m[0].slice(1);
    const name = nameText(
      marker.slice(0, marker.lastIndexOf(":")),
      (lines[k] as Line).n,
    ).toLowerCase();
    const valueLines = body.block.map((l) => l.t);
    if (valueLines.some((t) => t.trim() === "")) {
      throw new MarkupError(
        `invalid option data: extension option field body may contain\na single paragraph only (option "${name}")`,
      );
    }
    const value = valueLines.length > 0 ? valueLines.join("\n") : undefined;
    if (name.trim().split(/\s+/).length !== 1)
      throw new MarkupError(
        "invalid option data: extension option field name may not contain multiple words",
      );
    const conv = spec.options[name];
    if (conv === undefined) throw new MarkupError(`unknown option: "${name}"`);
    if (out.has(name)) throw new MarkupError(`invalid option data: duplicate option "${name}"`);
    checkValue(conv, value);
    out.set(name, value);
    k = body.end;
  }
}

function rstripChars(v: string, chars: string): string {
  let end = v.length;
  while (end > 0 && chars.includes(v[end - 1] as string)) end--;
  return v.slice(0, end);
}

/** int() also takes digit separators and non-ASCII digits: no verdict on those. */
function pythonIntExtras(v: string): boolean {
  return /\d_\d/.test(v) || [...v].some((c) => (c.codePointAt(0) as number) > 127);
}

function measure(value: string | undefined, units: string[]): boolean {
  if (value === undefined) return false;
  const m = /^(-?[0-9.]+) *([a-zA-Z\u00b5]*|%?)$/.exec(value);
  if (!m || !/^-?(?:\d+\.?\d*|\.\d+)$/.test(m[1] as string)) return false;
  return Number(m[1]) >= 0 && units.includes(m[2] as string);
}

function choice(value: string | undefined, values: string[]): boolean {
  return value !== undefined && values.includes(value.toLowerCase().trim());
}

/** The option converters; values they reject make docutils refuse the directive. */
function checkValue(conv: string, value: string | undefined): void {
  let ok = true;
  switch (conv) {
    case "flag":
      ok = value === undefined || value.trim() === "";
      break;
    case "unchanged_required":
    case "path":
    case "uri":
    case "class_option":
      ok = value !== undefined;
      break;
    case "nonnegative_int":
    case "builtins.int":
      ok =
        value !== undefined &&
        /^\s*[+-]?\d+\s*$/.test(value) &&
        (conv === "builtins.int" || !/^\s*-\s*0*[1-9]/.test(value));
      if (!ok && value !== undefined && pythonIntExtras(value)) ok = true; // no verdict
      break;
    case "percentage":
      ok = value !== undefined && /^\s*\+?\d+\s*$/.test(rstripChars(value, " %"));
      if (!ok && value !== undefined && pythonIntExtras(value)) ok = true;
      break;
    case "length_or_unitless":
      ok = measure(value, [...CSS_UNITS, ""]);
      break;
    case "length_or_percentage_or_unitless":
      ok = measure(value, [...CSS_UNITS, "%", ""]);
      break;
    case "images.figwidth_value":
      ok = value === "image" || measure(value, [...CSS_UNITS, "%", ""]);
      break;
    case "images.align":
      ok = choice(value, ["top", "middle", "bottom", "left", "center", "right"]);
      break;
    case "images.loading":
      ok = choice(value, ["embed", "link", "lazy"]);
      break;
    case "tables.align":
      ok = choice(value, ["left", "center", "right"]);
      break;
    case "parts.backlinks":
      ok = choice(value, ["top", "entry", "none"]);
      break;
    default:
      ok = true; // converters not modelled here (encodings, characters...): no verdict
  }
  if (!ok)
    throw new MarkupError(
      `invalid option value: (option: "${conv}"; value: ${JSON.stringify(value ?? null)})`,
    );
}

const ROLE_ARGUMENT = new RegExp(
  `^(${SIMPLENAME})\\s*(?:\\(\\s*(${SIMPLENAME})\\s*\\)\\s*)?$`,
  "u",
);
const IMAGE_TARGET_REF = new RegExp(
  `^(?:(?<simple>${SIMPLENAME})_|\`(?! )(?<phrase>.+?)\`_)$`,
  "u",
);

/** The run() checks of the standard directives that a README can trip over. */
function checkRun(
  p: Parser,
  ctx: Ctx,
  canonical: string,
  typeName: string,
  d: Parsed,
  substitution: boolean,
  n: number,
): void {
  if (canonical === "include" || canonical === "raw")
    fail(2, `"${typeName}" directive disabled.`, n);
  if (SUBSTITUTION_ONLY.has(canonical) && !substitution) {
    fail(
      3,
      `Invalid context: the "${typeName}" directive can only be used within a substitution definition.`,
      n,
    );
  }
  if (["topic", "sidebar", "contents"].includes(canonical) && !ctx.matchTitles) {
    fail(3, `The "${typeName}" directive may not be used within topics or body elements.`, n);
  }
  if (NEEDS_CONTENT.has(canonical) && d.content.length === 0) {
    fail(3, `Content block expected for the "${typeName}" directive; none found.`, n);
  }
  if (canonical === "image" || canonical === "figure")
    checkImage(p, canonical, typeName, d, substitution, n);
  if (TITLED.has(canonical) && d.args[0]) p.inliner.parse(d.args[0], n);
  if (canonical === "role") defineRole(p, d, n);
  if (canonical === "default-role") {
    const name = d.args[0];
    const kind = name ? roleKind(name, p.doc) : "ok";
    if (kind === "unknown") fail(3, `Unknown interpreted text role "${name}".`, n);
    p.doc.defaultRole = kind === "raw" ? "raw" : "ok";
  }
  if (canonical === "csv-table") {
    if (d.options.has("file") || d.options.has("url"))
      fail(2, `"${typeName}" directive disabled.`, n);
    p.doc.uncertain = true; // cells are reST, not parsed here
  }
  if (canonical === "meta") p.doc.uncertain = true;
  if (canonical === "parsed-literal" || canonical === "line-block") {
    p.inliner.parse(d.content.map((l) => l.t).join("\n"), n);
  }
  if (canonical === "replace") checkReplace(p, d, n);
  if (RST_CONTENT.has(canonical) && d.content.length > 0)
    checkContent(p, canonical, typeName, d, n);
}

function checkImage(
  p: Parser,
  canonical: string,
  typeName: string,
  d: Parsed,
  substitution: boolean,
  n: number,
): void {
  const align = d.options.get("align")?.toLowerCase().trim();
  if (align !== undefined && canonical === "image") {
    const valid = substitution ? ["top", "middle", "bottom"] : ["left", "center", "right"];
    if (!valid.includes(align)) {
      fail(
        3,
        `Error in "${typeName}" directive: "${align}" is not a valid value for the "align" option.  Valid values for "align" are: "${valid.join('", "')}".`,
        n,
      );
    }
  }
  if (
    align !== undefined &&
    canonical === "figure" &&
    !["left", "center", "right"].includes(align)
  ) {
    fail(
      3,
      `Error in "${typeName}" directive:\ninvalid option value: (option: "align"; value: '${align}')`,
      n,
    );
  }
  const target = d.options.get("target");
  if (target?.trim().endsWith("_")) {
    const m = IMAGE_TARGET_REF.exec(
      whitespaceNormalize(
        escapeToNull(target)
          .split("\n")
          .map((l) => l.trim())
          .join(" "),
      ),
    );
    if (m)
      p.doc.noteRef(normalizeName(unescapeText(m.groups?.simple ?? m.groups?.phrase ?? "")), n);
  }
}

function defineRole(p: Parser, d: Parsed, n: number): void {
  // the role's name is the first content line (Role.run reads self.content[0])
  const first = d.content[0]?.t ?? "";
  if (!first) fail(3, '"role" directive requires arguments on the first line.', n);
  const m = ROLE_ARGUMENT.exec(first.trim());
  if (!m) fail(3, `"role" directive arguments not valid role names: "${first}".`, n);
  const base = m[2];
  let kind: "ok" | "raw" = "ok";
  if (base) {
    const bk = roleKind(base, p.doc);
    if (bk === "unknown") fail(3, `Unknown interpreted text role "${base}".`, n);
    kind = bk === "raw" ? "raw" : "ok";
  }
  p.doc.localRoles.set((m[1] as string).toLowerCase(), kind);
}

function checkReplace(p: Parser, d: Parsed, n: number): void {
  const elems = p.nested(d.content);
  if (elems.length !== 1 || elems[0]?.kind !== "paragraph") {
    fail(3, 'Error in "replace" directive:\nmay contain a single paragraph only.', n);
  }
  const sum = elems[0].inline;
  if (sum?.anonymousRefs)
    fail(3, "Anonymous references are not supported in a substitution definition.", n);
  if (sum?.autoFootnoteRefs) {
    fail(
      3,
      "References to auto-numbered and auto-symbol footnotes are not supported in a substitution definition.",
      n,
    );
  }
  if (sum?.targets)
    fail(3, "Targets (names and identifiers) are not supported in a substitution definition.", n);
}

function checkContent(p: Parser, canonical: string, typeName: string, d: Parsed, n: number): void {
  const elems: Elem[] = p.nested(d.content);
  if (canonical === "figure") {
    const first = elems[0];
    if (first && first.kind !== "paragraph" && !(first.kind === "comment" && first.empty)) {
      fail(3, "Figure caption must be a paragraph or empty comment.", n);
    }
  }
  if (canonical === "table" && (elems.length !== 1 || elems[0]?.kind !== "table")) {
    fail(
      3,
      `Error parsing content block for the "${typeName}" directive: exactly one table expected.`,
      n,
    );
  }
  if (canonical === "list-table") checkListTable(typeName, elems, d, n);
}

/** ListTable.check_list_content and the widths/header-rows/stub-columns dimension checks. */
function checkListTable(typeName: string, elems: Elem[], d: Parsed, n: number): void {
  const error: (detail: string) => never = (detail) =>
    fail(3, `Error parsing content block for the "${typeName}" directive: ${detail}`, n);
  const list = elems[0];
  if (elems.length !== 1 || list?.kind !== "bullet_list")
    error("exactly one bullet list expected.");
  const rows = list.items ?? [];
  let cols = 0;
  rows.forEach((row, k) => {
    const inner = row[0];
    if (row.length !== 1 || inner?.kind !== "bullet_list") {
      error(
        `two-level bullet list expected, but row ${k + 1} does not contain a second-level bullet list.`,
      );
    }
    const width = inner.items?.length ?? 0;
    if (k === 0) cols = width;
    else if (width !== cols) {
      error(
        `uniform two-level bullet list expected, but row ${k + 1} does not contain the same number of items as row 1 (${width} vs ${cols}).`,
      );
    }
  });
  const widths = d.options.get("widths")?.trim();
  if (widths && widths !== "auto" && widths !== "grid") {
    const count = (widths.includes(",") ? widths.split(",") : widths.split(/\s+/)).length;
    if (count !== cols)
      fail(3, `"${typeName}" widths do not match the number of columns in table (${cols}).`, n);
  }
  const header = Number(d.options.get("header-rows") ?? 0);
  if (Number.isInteger(header) && rows.length < header) {
    fail(
      3,
      `${header} header row(s) specified but only ${rows.length} row(s) of data supplied ("${typeName}" directive).`,
      n,
    );
  }
}
