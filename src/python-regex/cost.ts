/**
 * How much work a translated pattern can cost a backtracking engine, and which patterns can never
 * match a whole project name. Both read the parse tree (ast.ts).
 *
 * The bound counts the distinct choice sequences a backtracking matcher may try against a subject
 * of length n: a sequence multiplies its parts' counts, an alternation adds its branches', a
 * repeat of a body with b choices, taken between min and K times, tries at most
 * b^min * (1 + b + ... + b^(K - min)), where K = min(max, n / w + 1) for a body that consumes at
 * least w >= 1 characters (an iteration that consumes nothing ends the loop, so w counts as 1).
 * Look-arounds are atomic in JavaScript; multiplying their count in is an over-estimate, which is
 * the safe direction. Each choice sequence costs at most one pass over subject and pattern.
 * Patterns whose bound stays small are matched inline; the others only under a deadline.
 */
import type { ClassItem, Node } from "./ast.js";

/** The fewest characters a match of `node` consumes (0 when unknown, e.g. a back-reference). */
function minWidth(node: Node): number {
  switch (node.type) {
    case "seq":
      return node.items.reduce((acc, item) => acc + minWidth(item), 0);
    case "alt":
      return Math.min(...node.branches.map(minWidth));
    case "group":
      return minWidth(node.body);
    case "repeat":
      return node.min * minWidth(node.body);
    case "char":
    case "any":
    case "class":
    case "category":
      return 1;
    default:
      return 0;
  }
}

function repeatPaths(body: number, width: number, min: number, max: number, n: number): number {
  // Each iteration that consumes something consumes at least `width` characters.
  const k = Math.min(max, Math.floor(n / Math.max(width, 1)) + 1);
  const mandatory = body ** Math.min(min, n + 1);
  if (k <= min) return mandatory;
  const optional = body === 1 ? k - min + 1 : (body ** (k - min + 1) - 1) / (body - 1);
  return mandatory * optional;
}

function paths(node: Node, n: number): number {
  switch (node.type) {
    case "seq":
      return node.items.reduce((acc, item) => acc * paths(item, n), 1);
    case "alt":
      return node.branches.reduce((acc, branch) => acc + paths(branch, n), 0);
    case "group":
    case "look":
      return paths(node.body, n);
    case "repeat":
      return repeatPaths(paths(node.body, n), minWidth(node.body), node.min, node.max, n);
    default:
      return 1;
  }
}

function size(node: Node): number {
  switch (node.type) {
    case "seq":
      return node.items.reduce((acc, item) => acc + size(item), 1);
    case "alt":
      return node.branches.reduce((acc, branch) => acc + size(branch), 1);
    case "group":
    case "look":
    case "repeat":
      return 1 + size(node.body);
    default:
      return 1;
  }
}

/** Upper bound on the steps a backtracking match of `tree` costs against `length` characters. */
export function backtrackBound(tree: Node, length: number): number {
  return paths(tree, length) * (length + size(tree));
}

const SEPARATORS = new Set([0x2d, 0x2e, 0x5f]); // - . _

function classChars(items: ClassItem[]): Set<number> | undefined {
  const out = new Set<number>();
  for (const item of items) {
    if (item.kind !== "range" || item.to - item.from > 3) return undefined;
    for (let cp = item.from; cp <= item.to; cp++) out.add(cp);
  }
  return out;
}

/**
 * The characters a match must start (or end) with, when the tree says so plainly; undefined when
 * it could be anything (or nothing).
 */
function edgeChars(node: Node, end: "first" | "last"): Set<number> | undefined {
  switch (node.type) {
    case "char":
      return new Set([node.cp]);
    case "class":
      return node.negated ? undefined : classChars(node.items);
    case "group":
      return edgeChars(node.body, end);
    case "repeat":
      return node.min >= 1 ? edgeChars(node.body, end) : undefined;
    case "alt": {
      const all = new Set<number>();
      for (const branch of node.branches) {
        const chars = edgeChars(branch, end);
        if (!chars) return undefined;
        for (const cp of chars) all.add(cp);
      }
      return all;
    }
    case "seq": {
      const items = node.items.filter((item) => item.type !== "at" && item.type !== "look");
      const edge = end === "first" ? items[0] : items[items.length - 1];
      return edge ? edgeChars(edge, end) : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * "first" / "last" when every match begins / ends with `-`, `.` or `_`, which no valid project
 * name does (names start and end with a letter or digit): a pattern written for
 * collective.releaser's match-anywhere rule, such as `Products\.`.
 */
export function separatorEdge(tree: Node): "first" | "last" | undefined {
  for (const end of ["last", "first"] as const) {
    const chars = edgeChars(tree, end);
    if (chars && chars.size > 0 && [...chars].every((cp) => SEPARATORS.has(cp))) return end;
  }
  return undefined;
}
