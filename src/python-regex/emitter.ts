/**
 * Prints a parse tree (`ast.ts`) as the source of a `v`-flag JavaScript RegExp with Python's
 * meaning: every construct whose meaning differs between the engines is spelled out.
 * - `.` is `[^\n]` (JS's `.` also stops at \r, U+2028, U+2029); `$` is `(?=\n?$)`; `\Z` is `$`.
 * - `\d \w \s \b` are Unicode-aware like Python's str patterns (`\p{Nd}`, `[\p{L}\p{N}_]`, and
 *   str.isspace()'s set), ASCII under `(?a)`. Unicode tables are the JS engine's version.
 * - literals are escaped uniformly, so `\_`, `\-` or a lone `{` need no special casing.
 * `checkReferences` refuses back-references whose meaning differs between the engines.
 */

import { MAXREPEAT, type Node } from "./ast.js";

const PY_SPACE_CLASS =
  "\\t\\n\\x0b\\x0c\\r\\x1c-\\x1f\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

/** A Python category (\d \w \s and negations) as a v-flag class operand. */
function category(name: string, ascii: boolean): string {
  const lower = name.toLowerCase();
  const positive =
    lower === "d"
      ? ascii
        ? "0-9"
        : "\\p{Nd}"
      : lower === "w"
        ? ascii
          ? "A-Za-z0-9_"
          : "\\p{L}\\p{N}_"
        : ascii
          ? "\\t\\n\\x0b\\x0c\\r\\x20"
          : PY_SPACE_CLASS;
  return name === lower ? `[${positive}]` : `[^${positive}]`;
}

function literal(cp: number): string {
  if (/^[A-Za-z0-9]$/.test(String.fromCodePoint(cp))) return String.fromCodePoint(cp);
  if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, "0")}`;
  return `\\u{${cp.toString(16)}}`;
}

export function emit(node: Node): string {
  switch (node.type) {
    case "seq":
      return node.items.map(emit).join("");
    case "alt":
      return node.branches.map(emit).join("|");
    case "char":
      return literal(node.cp);
    case "any":
      // Not [^]: V8 (Node 20) fails a repeated [^] under the v flag (/^[^]*$/v rejects "ab").
      return node.dotall ? "[\\s\\S]" : "[^\\n]";
    case "category":
      return category(node.name, node.ascii);
    case "class": {
      const parts = node.items.map((item) =>
        item.kind === "category"
          ? category(item.name, item.ascii)
          : item.from === item.to
            ? literal(item.from)
            : `${literal(item.from)}-${literal(item.to)}`,
      );
      return `[${node.negated ? "^" : ""}${parts.join("")}]`;
    }
    case "at": {
      if (node.name === "A") return "^";
      if (node.name === "Z") return "$";
      if (node.name === "^") return node.multiline ? "(?<![^\\n])" : "^";
      if (node.name === "$") return node.multiline ? "(?=\\n|$)" : "(?=\\n?$)";
      const w = category("w", node.ascii);
      return node.name === "b"
        ? `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`
        : `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))`;
    }
    case "group": {
      const open = node.index === undefined ? "(?:" : node.name ? `(?<${node.name}>` : "(";
      return `${open}${emit(node.body)})`;
    }
    case "look":
      return `(?${node.behind ? "<" : ""}${node.negative ? "!" : "="}${emit(node.body)})`;
    case "repeat": {
      const { min, max } = node;
      const q =
        min === 0 && max === MAXREPEAT
          ? "*"
          : min === 1 && max === MAXREPEAT
            ? "+"
            : min === 0 && max === 1
              ? "?"
              : max === MAXREPEAT
                ? `{${min},}`
                : min === max
                  ? `{${min}}`
                  : `{${min},${max}}`;
      return `(?:${emit(node.body)})${q}${node.lazy ? "?" : ""}`;
    }
    case "ref":
      // Wrapped so a following digit cannot extend the group number.
      return node.name ? `\\k<${node.name}>` : `(?:\\${node.index})`;
  }
}

/**
 * Python fails a back-reference to a group that did not take part in the match; JavaScript
 * matches it as empty (and resets captures on each repeat iteration). Both agree when the group
 * always matched before the reference is reached: when every conditional scope (alternative,
 * optional repeat, negative look-around) around the group also surrounds the reference.
 */
export function checkReferences(root: Node): void {
  const groupScopes = new Map<number, number[]>();
  const refs: Array<{ index: number; scope: number[] }> = [];
  let nextScope = 0;
  const walk = (node: Node, scope: number[]): void => {
    switch (node.type) {
      case "seq":
        for (const item of node.items) walk(item, scope);
        break;
      case "alt":
        for (const b of node.branches) walk(b, [...scope, nextScope++]);
        break;
      case "group":
        if (node.index !== undefined) groupScopes.set(node.index, scope);
        walk(node.body, scope);
        break;
      case "look":
        walk(node.body, node.negative ? [...scope, nextScope++] : scope);
        break;
      case "repeat":
        walk(node.body, node.min === 0 ? [...scope, nextScope++] : scope);
        break;
      case "ref":
        refs.push({ index: node.index, scope });
        break;
    }
  };
  walk(root, []);
  for (const ref of refs) {
    const scope = groupScopes.get(ref.index) ?? [];
    if (!scope.every((s, k) => ref.scope[k] === s)) {
      throw new Error(
        `the back-reference to group ${ref.index} may meet the group unmatched, which JavaScript treats differently; rewrite it without the back-reference`,
      );
    }
  }
}
