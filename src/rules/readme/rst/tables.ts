/**
 * Grid and simple tables, following docutils.parsers.rst.states Body.isolate_grid_table /
 * isolate_simple_table / malformed_table and docutils.parsers.rst.tableparser (the grid
 * parser's cell tracing from upper-left corners, the simple parser's column spans and
 * margins): "Malformed table." with the same detail, "Blank line required after table.",
 * and each cell's text parsed as a nested body (cells may hold any body element, and
 * their references and targets count).
 */
import { getTextBlock } from "./blocks-extract.js";
import { fail } from "./document.js";
import type { Ctx, Parser } from "./patterns.js";
import { columnWidth, type Line } from "./text.js";

const GRID_BORDER = /^\+-[-+]+-\+ *$/;
const GRID_HEAD_SEP = /^\+=[=+]+=\+ *$/;
const SIMPLE_BORDER = /^=+[ =]*$/;
/** Tables larger than this are isolated but not traced (no verdict on their structure). */
const MAX_CELLS_AREA = 4_000_000;

class TableMarkupError extends Error {}

function malformed(detail: string, line: number | undefined): never {
  fail(3, `Malformed table.\n${detail}`, line);
}

/** East Asian wide characters take two columns: pad them as docutils does. */
function pad(t: string): string {
  let wide = false;
  for (const ch of t) if (columnWidth(ch) !== 1) wide = true;
  if (!wide) return t;
  let out = "";
  for (const ch of t) {
    const w = columnWidth(ch);
    out += w === 2 ? `${ch}\0` : w === 0 ? "" : ch;
  }
  return out;
}

function cellLines(
  rows: string[],
  first: Line[],
  top: number,
  left: number,
  bottom: number,
  right: number,
): Line[] {
  const out: Line[] = [];
  let indent = right;
  for (let r = top; r < bottom; r++) {
    const t = (rows[r] ?? "").slice(left, right).replace(/\0/g, "").trimEnd();
    if (t) indent = Math.min(indent, t.length - t.trimStart().length);
    out.push({ t, n: (first[r] as Line).n });
  }
  if (indent > 0 && indent < right) return out.map((l) => ({ t: l.t.slice(indent), n: l.n }));
  return out;
}

export function gridTable(p: Parser, lines: readonly Line[], i: number, ctx: Ctx): number {
  const tb = getTextBlock(lines, i, true);
  if (tb.indentedAt !== undefined)
    fail(3, "Unexpected indentation.", (lines[tb.indentedAt] as Line).n);
  const src = lines.slice(i, tb.end);
  let rows = src.map((l) => pad(l.t.trim()));
  const width = rows[0]?.length ?? 0;
  let blankFinish = true;
  const cut = rows.findIndex((r) => !"+|".includes(r[0] ?? ""));
  if (cut >= 0) {
    rows = rows.slice(0, cut);
    blankFinish = false;
  }
  if (!GRID_BORDER.test(rows[rows.length - 1] ?? "")) {
    let k = rows.length - 2;
    while (k > 1 && !GRID_BORDER.test(rows[k] as string)) k--;
    if (k <= 1) malformed("Bottom border missing or corrupt.", src[0]?.n);
    rows = rows.slice(0, k + 1);
    blankFinish = false;
  }
  for (const r of rows) {
    if (r.length !== width || !"+|".includes(r[r.length - 1] as string)) {
      malformed("Right border not aligned or missing.", src[0]?.n);
    }
  }
  if (rows.length * width <= MAX_CELLS_AREA) {
    try {
      for (const c of traceGrid(rows))
        p.nested(cellLines(rows, src, c[0] + 1, c[1] + 1, c[2], c[3]));
    } catch (e) {
      if (e instanceof TableMarkupError) malformed(e.message, src[0]?.n);
      throw e;
    }
  } else p.doc.uncertain = true;
  p.add(ctx, { kind: "table" });
  const end = i + rows.length;
  if (!blankFinish) fail(2, "Blank line required after table.", lines[end]?.n);
  return end;
}

/** GridTableParser.parse_table: the cells as [top, left, bottom, right]. */
function traceGrid(input: string[]): [number, number, number, number][] {
  const block = input.slice();
  const sep = block.findIndex((r, k) => k > 0 && GRID_HEAD_SEP.test(r));
  if (sep >= 0) {
    const again = block.findIndex((r, k) => k > sep && GRID_HEAD_SEP.test(r));
    if (again >= 0)
      throw new TableMarkupError(
        `Multiple head/body row separators (table lines ${sep + 1} and ${again + 1}); only one allowed.`,
      );
    if (sep === block.length - 1)
      throw new TableMarkupError(
        "The head/body row separator may not be the first or last line of the table.",
      );
    block[sep] = block[sep]?.replace(/=/g, "-") as string;
  }
  const bottom = block.length - 1;
  const right = (block[0] as string).length - 1;
  const done = new Array<number>(right + 1).fill(-1);
  const cells: [number, number, number, number][] = [];
  const corners: [number, number][] = [[0, 0]];
  const ch = (r: number, c: number) => (block[r] as string)[c];
  while (corners.length > 0) {
    const [top, left] = corners.shift() as [number, number];
    if (top === bottom || left === right || top <= (done[left] as number)) continue;
    const cell = scanCell(ch, top, left, bottom, right);
    if (!cell) continue;
    const [cb, cr] = cell;
    for (let col = left; col < cr; col++) done[col] = cb - 1;
    cells.push([top, left, cb, cr]);
    corners.push([top, cr], [cb, left]);
    corners.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  }
  for (let col = 0; col < right; col++) {
    if (done[col] !== bottom - 1) throw new TableMarkupError("Malformed table; parse incomplete.");
  }
  return cells;
}

type At = (r: number, c: number) => string | undefined;

function scanCell(
  ch: At,
  top: number,
  left: number,
  bottom: number,
  right: number,
): [number, number] | undefined {
  for (let c = left + 1; c <= right; c++) {
    const x = ch(top, c);
    if (x === "+") {
      const b = scanDown(ch, top, left, c, bottom);
      if (b !== undefined) return [b, c];
    } else if (x !== "-") return undefined;
  }
  return undefined;
}

function scanDown(
  ch: At,
  top: number,
  left: number,
  right: number,
  bottom: number,
): number | undefined {
  for (let r = top + 1; r <= bottom; r++) {
    const x = ch(r, right);
    if (x === "+") {
      if (scanLeft(ch, top, left, r, right)) return r;
    } else if (x !== "|") return undefined;
  }
  return undefined;
}

function scanLeft(ch: At, top: number, left: number, bottom: number, right: number): boolean {
  for (let c = right - 1; c > left; c--) {
    const x = ch(bottom, c);
    if (x !== "+" && x !== "-") return false;
  }
  if (ch(bottom, left) !== "+") return false;
  for (let r = bottom - 1; r > top; r--) {
    const x = ch(r, left);
    if (x !== "+" && x !== "|") return false;
  }
  return true;
}

export function simpleTable(p: Parser, lines: readonly Line[], i: number, ctx: Ctx): number {
  const limit = lines.length - 1;
  const toplen = (lines[i] as Line).t.trim().length;
  let found = 0;
  let foundAt = -1;
  let end = -1;
  for (let k = i + 1; k <= limit; k++) {
    const t = (lines[k] as Line).t;
    if (!SIMPLE_BORDER.test(t)) continue;
    if (t.trim().length !== toplen)
      malformed("Bottom border or header rule does not match top border.", (lines[i] as Line).n);
    found++;
    foundAt = k;
    if (found === 2 || k === limit || (lines[k + 1] as Line).t.trim() === "") {
      end = k;
      break;
    }
  }
  if (end < 0) {
    const detail = found
      ? "No bottom table border found or no blank line after table bottom."
      : "No bottom table border found.";
    void foundAt;
    malformed(detail, (lines[i] as Line).n);
  }
  const src = lines.slice(i, end + 1);
  try {
    for (const cell of parseSimple(src.map((l) => pad(l.t))))
      p.nested(cell.map((c) => ({ t: c.t, n: (src[c.n] as Line).n })));
  } catch (e) {
    if (e instanceof TableMarkupError) malformed(e.message, (lines[i] as Line).n);
    throw e;
  }
  p.add(ctx, { kind: "table" });
  const after = lines[end + 1];
  if (after !== undefined && after.t.trim() !== "")
    fail(2, "Blank line required after table.", after.n);
  return end + 1;
}

interface Cell {
  t: string;
  n: number;
}

/** SimpleTableParser: column spans from the borders, rows, margins; returns the cells' lines. */
function parseSimple(input: string[]): Cell[][] {
  const block = input.slice();
  block[0] = (block[0] as string).replace(/=/g, "-");
  block[block.length - 1] = (block[block.length - 1] as string).replace(/=/g, "-");
  let sep = -1;
  block.forEach((line, k) => {
    if (!/^=[ =]*$/.test(line)) return;
    if (sep >= 0)
      throw new TableMarkupError(
        `Multiple head/body row separators (table lines ${sep + 1} and ${k + 1}); only one allowed.`,
      );
    sep = k;
    block[k] = line.replace(/=/g, "-");
  });
  const columns = spans(block[0] as string);
  const borderEnd = (columns[columns.length - 1] as number[])[1] as number;
  const [firstStart, firstEnd] = columns[0] as number[];
  const cells: Cell[][] = [];
  const row = (start: number, end: number, spanLine?: number) => {
    if (start >= end && spanLine === undefined) return;
    let cols = columns.map((c) => c.slice());
    if (spanLine !== undefined) {
      cols = spans((block[spanLine] as string).trimEnd());
      const last = cols[cols.length - 1] as number[];
      if (last[1] !== borderEnd)
        throw new TableMarkupError(`Column span incomplete in table line ${spanLine + 1}.`);
      last[1] = (columns[columns.length - 1] as number[])[1] as number;
    }
    checkColumns(block, start, end, cols, columns);
    alignSpans(cols, columns, start);
    for (const [a, b] of cols) cells.push(simpleCell(block, start, end, a as number, b as number));
  };
  let start = 1;
  let textFound = false;
  for (let offset = 1; offset < block.length; offset++) {
    const line = block[offset] as string;
    if (/^-[ -]*$/.test(line)) {
      row(start, offset, offset);
      start = offset + 1;
      textFound = false;
    } else if (line.slice(firstStart, firstEnd).trim()) {
      if (textFound && offset !== start) row(start, offset);
      start = offset;
      textFound = true;
    } else if (!textFound) start = offset + 1;
  }
  return cells;
}

function spans(line: string): number[][] {
  const cols: number[][] = [];
  let end = 0;
  for (;;) {
    const begin = line.indexOf("-", end);
    if (begin < 0) break;
    end = line.indexOf(" ", begin);
    if (end < 0) end = line.length;
    cols.push([begin, end]);
  }
  return cols;
}

function checkColumns(
  block: string[],
  start: number,
  end: number,
  cols: number[][],
  main: number[][],
): void {
  const last = cols.length - 1;
  for (let c = 0; c < cols.length; c++) {
    const [a, b] = cols[c] as [number, number];
    const nextStart = c < last ? ((cols[c + 1] as number[])[0] as number) : Number.MAX_SAFE_INTEGER;
    for (let r = start; r < end; r++) {
      const line = block[r] as string;
      if (c === last && line.slice(b).trim()) {
        const newEnd = a + line.slice(a).trimEnd().length;
        const m = main[main.length - 1] as number[];
        cols[c] = [a, Math.max(m[1] as number, newEnd)];
        if (newEnd > (m[1] as number)) m[1] = newEnd;
      } else if (line.slice(b, nextStart).trim()) {
        throw new TableMarkupError(`Text in column margin in table line ${r + 1}.`);
      }
    }
  }
}

function alignSpans(cols: number[][], main: number[][], offset: number): void {
  let k = 0;
  for (const [a, b] of cols) {
    if ((main[k] as number[] | undefined)?.[0] !== a)
      throw new TableMarkupError(`Column span alignment problem in table line ${offset + 2}.`);
    while ((main[k] as number[] | undefined)?.[1] !== b) {
      k++;
      if (k >= main.length)
        throw new TableMarkupError(`Column span alignment problem in table line ${offset + 2}.`);
    }
    k++;
  }
}

function simpleCell(block: string[], start: number, end: number, a: number, b: number): Cell[] {
  const out: Cell[] = [];
  let indent = b;
  for (let r = start; r < end; r++) {
    const t = (block[r] as string).slice(a, b).replace(/\0/g, "").trimEnd();
    if (t) indent = Math.min(indent, t.length - t.trimStart().length);
    out.push({ t, n: r });
  }
  return indent > 0 && indent < b ? out.map((c) => ({ t: c.t.slice(indent), n: c.n })) : out;
}
