/**
 * The parse tree of a Python `re` pattern, as `parser.ts` builds it and `emitter.ts`, `cost.ts`
 * and the routing code read it. Code points, not UTF-16 units.
 */

/** sre's MAXREPEAT: an unbounded repeat's maximum. */
export const MAXREPEAT = 2 ** 32 - 1;

export type ClassItem =
  | { kind: "range"; from: number; to: number }
  | { kind: "category"; name: string; ascii: boolean };

export type Node =
  | { type: "seq"; items: Node[] }
  | { type: "alt"; branches: Node[] }
  | { type: "char"; cp: number }
  | { type: "any"; dotall: boolean }
  | { type: "class"; negated: boolean; items: ClassItem[] }
  | { type: "category"; name: string; ascii: boolean }
  | { type: "at"; name: "^" | "$" | "A" | "Z" | "b" | "B"; multiline: boolean; ascii: boolean }
  | { type: "group"; index: number | undefined; name: string | undefined; body: Node }
  | { type: "look"; behind: boolean; negative: boolean; body: Node }
  | { type: "repeat"; min: number; max: number; lazy: boolean; body: Node }
  | { type: "ref"; index: number; name: string | undefined };
