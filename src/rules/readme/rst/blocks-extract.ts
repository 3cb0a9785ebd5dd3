/**
 * Cutting indented and contiguous blocks out of the line list, with docutils' rules
 * (docutils.statemachine StringList.get_indented / get_text_block and the state machine's
 * get_indented / get_known_indented / get_first_known_indented wrappers): where a block
 * ends, how much indentation is removed, and whether it "finished with a blank line" - the
 * flag behind every "... ends without a blank line; unexpected unindent." warning.
 */
import { fail } from "./document.js";
import { indentOf, type Line } from "./text.js";

export interface Indented {
  /** The block, indentation removed, leading blank lines dropped (unless keepTop). */
  block: Line[];
  indent: number;
  /** The block ended at a blank line or at the end of the input. */
  blankFinish: boolean;
  /** Index of the first line after the block. */
  end: number;
}

interface IndentOptions {
  untilBlank?: boolean;
  stripIndent?: boolean;
  blockIndent?: number;
  firstIndent?: number;
  keepTop?: boolean;
}

function cut(line: Line, from: number): Line {
  return from === 0 ? line : { t: line.t.slice(from), n: line.n };
}

/** StringList.get_indented plus the state machine's leading-blank trimming. */
export function getIndented(
  lines: readonly Line[],
  start: number,
  o: IndentOptions = {},
): Indented {
  const blockIndent = o.blockIndent;
  const firstIndent = o.firstIndent ?? blockIndent;
  let indent: number | undefined = blockIndent;
  let end = firstIndent !== undefined ? start + 1 : start;
  let blankFinish = true;
  while (end < lines.length) {
    const t = (lines[end] as Line).t;
    if (
      t !== "" &&
      (t.charCodeAt(0) !== 32 || (blockIndent !== undefined && indentOf(t) < blockIndent))
    ) {
      blankFinish = end > start && (lines[end - 1] as Line).t.trim() === "";
      break;
    }
    if (t === "") {
      if (o.untilBlank) break;
    } else if (blockIndent === undefined) {
      const li = indentOf(t);
      indent = indent === undefined ? li : Math.min(indent, li);
    }
    end++;
  }
  const stripIndent = o.stripIndent ?? true;
  const block: Line[] = [];
  for (let k = start; k < Math.min(end, lines.length); k++) {
    const line = lines[k] as Line;
    if (k === start && firstIndent !== undefined) block.push(cut(line, firstIndent));
    else block.push(indent && stripIndent ? cut(line, indent) : line);
  }
  if (!o.keepTop) while (block.length > 0 && (block[0] as Line).t.trim() === "") block.shift();
  return { block, indent: indent ?? 0, blankFinish, end: Math.min(end, lines.length) };
}

/**
 * get_text_block: lines up to the next blank line. With flushLeft, an indented line ends the
 * block early and is reported as `indentedAt` (docutils' "Unexpected indentation.").
 */
export function getTextBlock(
  lines: readonly Line[],
  start: number,
  flushLeft: boolean,
): { end: number; indentedAt?: number } {
  let end = start;
  while (end < lines.length) {
    const t = (lines[end] as Line).t;
    if (t.trim() === "") break;
    if (flushLeft && t.charCodeAt(0) === 32) return { end, indentedAt: end };
    end++;
  }
  return { end };
}

export function trimTrailingBlank(block: Line[]): Line[] {
  let end = block.length;
  while (end > 0 && (block[end - 1] as Line).t.trim() === "") end--;
  return end === block.length ? block : block.slice(0, end);
}

export function isBlank(line: Line | undefined): boolean {
  return line !== undefined && line.t.trim() === "";
}

/** Body.unindent_warning: a construct ended at an unindented line instead of a blank one. */
export function unindentWarning(what: string, lines: readonly Line[], end: number): never {
  fail(2, `${what} ends without a blank line; unexpected unindent.`, lines[end]?.n);
}
