/**
 * Parses Python `re` syntax into the tree of `ast.ts`, the way CPython 3.11's `sre_parse` does:
 * same syntax errors (bad escapes, unbalanced parentheses, "nothing to repeat", forward group
 * references, variable-width look-behind, ...) and the same reading of inline flags. The methods
 * follow sre_parse's functions (`_parse_sub`, `_parse`, `_escape`, `_class_escape`, `getwidth`)
 * so that each error and corner case can be checked against it (test/python-regex/).
 */

import { type ClassItem, MAXREPEAT, type Node } from "./ast.js";

export interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  x: boolean;
  a: boolean;
}

/** A pattern error, with Python's wording where there is one. */
class PatternError extends Error {}

const FLAG_CHARS = "aiLmsux";
const ASCII_LETTERS = /^[A-Za-z]$/;
const OCT = /^[0-7]$/;
const DEC = /^[0-9]$/;
const HEX = /^[0-9A-Fa-f]$/;
const SIMPLE_ESCAPES: Record<string, number> = { a: 7, f: 12, n: 10, r: 13, t: 9, v: 11, "\\": 92 };
const VERBOSE_SPACE = new Set([" ", "\t", "\n", "\r", "\v", "\f"]);

/** Recursive-descent parser following sre_parse's structure (code points, not UTF-16 units). */
export class Parser {
  private readonly chars: string[];
  private pos = 0;
  /** Groups opened so far + 1, as sre's state.groups. */
  private groups = 1;
  private readonly open = new Set<number>();
  private readonly names = new Map<string, number>();
  private readonly widths = new Map<number, [number, number]>();
  /** state.groups when the innermost look-behind began (references to later groups fail). */
  private lookbehindGroups: number | undefined;
  globalFlags: Flags = { i: false, m: false, s: false, x: false, a: false };
  /** (?a) anywhere: with (?i) Python folds only ASCII letters, JavaScript all of Unicode. */
  asciiUsed = false;

  constructor(source: string) {
    this.chars = Array.from(source);
  }

  parse(): Node {
    const node = this.parseSub(this.globalFlags, 0);
    if (this.pos < this.chars.length) {
      throw new PatternError(`unbalanced parenthesis at position ${this.pos}`);
    }
    return node;
  }

  private peek(): string | undefined {
    return this.chars[this.pos];
  }

  private get(): string | undefined {
    return this.chars[this.pos++];
  }

  private match(ch: string): boolean {
    if (this.chars[this.pos] !== ch) return false;
    this.pos++;
    return true;
  }

  private parseSub(flags: Flags, nested: number): Node {
    const branches: Node[] = [];
    for (;;) {
      branches.push(this.parseSeq(flags, nested + 1, nested === 0 && branches.length === 0));
      if (!this.match("|")) break;
      // sre_parse re-reads the global flags between top-level alternatives ((?x) applies there).
      if (nested === 0) flags = this.globalFlags;
    }
    return branches.length === 1 ? (branches[0] as Node) : { type: "alt", branches };
  }

  private parseSeq(flags: Flags, nested: number, first: boolean): Node {
    const items: Node[] = [];
    for (;;) {
      const next = this.peek();
      if (next === undefined || next === "|" || next === ")") break;
      const start = this.pos;
      const ch = this.get() as string;
      if (flags.x) {
        if (VERBOSE_SPACE.has(ch)) continue;
        if (ch === "#") {
          while (this.pos < this.chars.length && this.get() !== "\n");
          continue;
        }
      }
      if (ch === "\\") {
        items.push(this.escape(flags));
      } else if (ch === "[") {
        items.push(this.charClass(flags));
      } else if (ch === ".") {
        items.push({ type: "any", dotall: flags.s });
      } else if (ch === "^" || ch === "$") {
        items.push({ type: "at", name: ch, multiline: flags.m, ascii: flags.a });
      } else if (ch === "(") {
        const node = this.group(flags, nested, first && items.length === 0);
        if (node === "flags") {
          // Global flags change how the rest of the pattern is read (e.g. verbose).
          flags = this.globalFlags;
          continue;
        }
        if (node) items.push(node);
      } else if (ch === "*" || ch === "+" || ch === "?" || ch === "{") {
        const repeat = this.quantifier(ch, start);
        if (!repeat) {
          items.push({ type: "char", cp: 0x7b });
          continue;
        }
        const last = items[items.length - 1];
        if (!last || last.type === "at") {
          throw new PatternError(`nothing to repeat at position ${start}`);
        }
        if (last.type === "repeat") throw new PatternError(`multiple repeat at position ${start}`);
        if (this.match("+")) {
          throw new PatternError(
            "possessive quantifiers (*+, ++, ?+, {m,n}+) have no JavaScript equivalent",
          );
        }
        const lazy = this.match("?");
        items[items.length - 1] = { type: "repeat", ...repeat, lazy, body: last };
      } else {
        items.push({ type: "char", cp: ch.codePointAt(0) as number });
      }
    }
    return items.length === 1 ? (items[0] as Node) : { type: "seq", items };
  }

  /** `{m,n}` etc.; undefined when `{` is a literal (Python's rule: not followed by a valid repeat). */
  private quantifier(ch: string, start: number): { min: number; max: number } | undefined {
    if (ch === "?") return { min: 0, max: 1 };
    if (ch === "*") return { min: 0, max: MAXREPEAT };
    if (ch === "+") return { min: 1, max: MAXREPEAT };
    if (this.peek() === "}") return undefined;
    let lo = "";
    let hi = "";
    while (DEC.test(this.peek() ?? "")) lo += this.get();
    if (this.match(",")) {
      while (DEC.test(this.peek() ?? "")) hi += this.get();
    } else {
      hi = lo;
    }
    if (!this.match("}")) {
      this.pos = start + 1;
      return undefined;
    }
    const min = lo ? Number(lo) : 0;
    const max = hi ? Number(hi) : MAXREPEAT;
    if (min >= MAXREPEAT || (hi && max >= MAXREPEAT)) {
      throw new PatternError("the repetition number is too large");
    }
    if (max < min)
      throw new PatternError(`min repeat greater than max repeat at position ${start + 1}`);
    return { min, max };
  }

  private group(flags: Flags, nested: number, atStart: boolean): Node | "flags" | undefined {
    const at = this.pos - 1;
    let name: string | undefined;
    if (this.match("?")) {
      const ch = this.get();
      if (ch === undefined) throw new PatternError("unexpected end of pattern");
      if (ch === "P") {
        if (this.match("<")) {
          name = this.groupName(">");
          if (this.names.has(name)) {
            throw new PatternError(`redefinition of group name '${name}'`);
          }
        } else if (this.match("=")) {
          const ref = this.groupName(")");
          const gid = this.names.get(ref);
          if (gid === undefined) throw new PatternError(`unknown group name '${ref}'`);
          this.checkRef(gid);
          return { type: "ref", index: gid, name: ref };
        } else {
          throw new PatternError(`unknown extension ?P${this.peek() ?? ""} at position ${at + 1}`);
        }
      } else if (ch === ":") {
        return this.closeGroup(undefined, undefined, flags, nested);
      } else if (ch === "#") {
        for (;;) {
          const c = this.get();
          if (c === undefined) throw new PatternError("missing ), unterminated comment");
          if (c === ")") return undefined;
        }
      } else if (ch === "=" || ch === "!" || ch === "<") {
        let behind = false;
        let kind = ch;
        if (ch === "<") {
          const c = this.get();
          if (c !== "=" && c !== "!") {
            throw new PatternError(`unknown extension ?<${c ?? ""} at position ${at + 1}`);
          }
          behind = true;
          kind = c;
        }
        const saved = this.lookbehindGroups;
        if (behind && saved === undefined) this.lookbehindGroups = this.groups;
        const body = this.parseSub(flags, nested + 1);
        if (behind && saved === undefined) this.lookbehindGroups = undefined;
        if (!this.match(")")) throw new PatternError("missing ), unterminated subpattern");
        if (behind) {
          const [lo, hi] = this.width(body);
          if (lo !== hi) throw new PatternError("look-behind requires fixed-width pattern");
        }
        return { type: "look", behind, negative: kind === "!", body };
      } else if (ch === "(") {
        throw new PatternError("conditional groups (?(id)yes|no) have no JavaScript equivalent");
      } else if (ch === ">") {
        throw new PatternError("atomic groups (?>...) have no JavaScript equivalent");
      } else if (FLAG_CHARS.includes(ch) || ch === "-") {
        const scoped = this.inlineFlags(ch, flags);
        if (!scoped) {
          if (!atStart) {
            throw new PatternError(
              `global flags not at the start of the expression at position ${at}`,
            );
          }
          return "flags";
        }
        return this.closeGroup(undefined, undefined, scoped, nested);
      } else {
        throw new PatternError(`unknown extension ?${ch} at position ${at + 1}`);
      }
    }
    const index = this.groups++;
    this.open.add(index);
    if (name !== undefined) this.names.set(name, index);
    return this.closeGroup(index, name, flags, nested);
  }

  private closeGroup(
    index: number | undefined,
    name: string | undefined,
    flags: Flags,
    nested: number,
  ): Node {
    const body = this.parseSub(flags, nested + 1);
    if (!this.match(")")) throw new PatternError("missing ), unterminated subpattern");
    if (index !== undefined) {
      this.open.delete(index);
      this.widths.set(index, this.width(body));
    }
    return { type: "group", index, name, body };
  }

  /** `(?aiLmsux)` (global: returns undefined) or `(?flags-flags:` (scoped: returns its flags). */
  private inlineFlags(first: string, flags: Flags): Flags | undefined {
    let add = "";
    let ch: string | undefined = first;
    while (ch !== undefined && FLAG_CHARS.includes(ch)) {
      add += ch;
      ch = this.get();
    }
    if (add.includes("L"))
      throw new PatternError("bad inline flags: cannot use 'L' flag with a str pattern");
    if (add.includes("a") && add.includes("u")) {
      throw new PatternError("bad inline flags: flags 'a', 'u' and 'L' are incompatible");
    }
    if (ch === ")") {
      if (add === "") throw new PatternError("missing flag");
      const g = this.globalFlags;
      this.globalFlags = {
        i: g.i || add.includes("i"),
        m: g.m || add.includes("m"),
        s: g.s || add.includes("s"),
        x: g.x || add.includes("x"),
        a: g.a || add.includes("a"),
      };
      if (this.globalFlags.a) this.asciiUsed = true;
      return undefined;
    }
    let del = "";
    if (ch === "-") {
      ch = this.get();
      while (ch !== undefined && FLAG_CHARS.includes(ch)) {
        del += ch;
        ch = this.get();
      }
      if (del === "") throw new PatternError("missing flag");
      if (/[aLu]/.test(del))
        throw new PatternError("bad inline flags: cannot turn off flags 'a', 'u' and 'L'");
    }
    if (ch !== ":") throw new PatternError(ch === undefined ? "missing -, : or )" : "unknown flag");
    if ([...add].some((f) => del.includes(f))) {
      throw new PatternError("bad inline flags: flag turned on and off");
    }
    const scoped = { ...flags };
    for (const f of "imsxa") {
      const key = f as keyof Flags;
      if (add.includes(f)) scoped[key] = true;
      if (del.includes(f)) scoped[key] = false;
    }
    if (scoped.a) this.asciiUsed = true;
    if (scoped.i !== flags.i) {
      throw new PatternError(
        "scoped case flags (?i:...) have no JavaScript equivalent here; put (?i) at the start of the pattern",
      );
    }
    return scoped;
  }

  private groupName(terminator: string): string {
    let name = "";
    for (;;) {
      const c = this.get();
      if (c === undefined) throw new PatternError("missing group name");
      if (c === terminator) break;
      name += c;
    }
    if (!name) throw new PatternError("missing group name");
    // Python requires str.isidentifier(); JS group names are the same Unicode ID classes.
    if (!/^[\p{ID_Start}_][\p{ID_Continue}]*$/u.test(name)) {
      throw new PatternError(`bad character in group name '${name}'`);
    }
    return name;
  }

  private checkRef(gid: number): void {
    if (this.open.has(gid)) throw new PatternError("cannot refer to an open group");
    if (this.lookbehindGroups !== undefined && gid >= this.lookbehindGroups) {
      throw new PatternError("cannot refer to group defined in the same lookbehind subpattern");
    }
  }

  private hexEscape(kind: string, digits: number): number {
    let hex = "";
    for (let k = 0; k < digits; k++) {
      const c = this.peek();
      if (c === undefined || !HEX.test(c))
        throw new PatternError(`incomplete escape \\${kind}${hex}`);
      hex += this.get();
    }
    const cp = Number.parseInt(hex, 16);
    if (cp > 0x10ffff) throw new PatternError(`bad escape \\${kind}${hex}`);
    return cp;
  }

  /** Escapes valid both inside and outside classes; undefined when not one of them. */
  private commonEscape(c: string, flags: Flags): Node | undefined {
    if (c === "x") return { type: "char", cp: this.hexEscape("x", 2) };
    if (c === "u") return { type: "char", cp: this.hexEscape("u", 4) };
    if (c === "U") return { type: "char", cp: this.hexEscape("U", 8) };
    if (c === "N") {
      throw new PatternError("\\N{name} escapes are not supported; write the character itself");
    }
    const simple = SIMPLE_ESCAPES[c];
    if (simple !== undefined) return { type: "char", cp: simple };
    if ("dDsSwW".includes(c)) return { type: "category", name: c, ascii: flags.a };
    return undefined;
  }

  private escape(flags: Flags): Node {
    const c = this.get();
    if (c === undefined) throw new PatternError("bad escape (end of pattern)");
    const common = this.commonEscape(c, flags);
    if (common) return common;
    if (c === "A" || c === "Z" || c === "b" || c === "B") {
      return { type: "at", name: c, multiline: flags.m, ascii: flags.a };
    }
    if (c === "0") {
      let oct = "";
      while (oct.length < 2 && OCT.test(this.peek() ?? "")) oct += this.get();
      return { type: "char", cp: Number.parseInt(oct || "0", 8) };
    }
    if (DEC.test(c)) {
      let digits = c;
      if (DEC.test(this.peek() ?? "")) {
        digits += this.get();
        if (OCT.test(digits[0] ?? "") && OCT.test(digits[1] ?? "") && OCT.test(this.peek() ?? "")) {
          digits += this.get();
          const cp = Number.parseInt(digits, 8);
          if (cp > 0o377)
            throw new PatternError(`octal escape value \\${digits} outside of range 0-0o377`);
          return { type: "char", cp };
        }
      }
      const gid = Number(digits);
      if (gid >= this.groups) throw new PatternError(`invalid group reference ${gid}`);
      this.checkRef(gid);
      return { type: "ref", index: gid, name: undefined };
    }
    if (ASCII_LETTERS.test(c)) throw new PatternError(`bad escape \\${c}`);
    return { type: "char", cp: c.codePointAt(0) as number };
  }

  private classEscape(flags: Flags): ClassItem | number {
    const c = this.get();
    if (c === undefined) throw new PatternError("bad escape (end of pattern)");
    const common = this.commonEscape(c, flags);
    if (common?.type === "char") return common.cp;
    if (common?.type === "category")
      return { kind: "category", name: common.name, ascii: common.ascii };
    if (c === "b") return 8;
    if (OCT.test(c)) {
      let oct = c;
      while (oct.length < 3 && OCT.test(this.peek() ?? "")) oct += this.get();
      const cp = Number.parseInt(oct, 8);
      if (cp > 0o377)
        throw new PatternError(`octal escape value \\${oct} outside of range 0-0o377`);
      return cp;
    }
    if (DEC.test(c) || ASCII_LETTERS.test(c)) throw new PatternError(`bad escape \\${c}`);
    return c.codePointAt(0) as number;
  }

  private charClass(flags: Flags): Node {
    const items: ClassItem[] = [];
    const negated = this.match("^");
    const classItem = (): ClassItem | number => {
      const c = this.get();
      if (c === undefined) throw new PatternError("unterminated character set");
      if (c === "\\") return this.classEscape(flags);
      return c.codePointAt(0) as number;
    };
    for (;;) {
      if (this.peek() === "]" && items.length > 0) {
        this.pos++;
        break;
      }
      const code1 = classItem();
      if (this.match("-")) {
        if (this.peek() === undefined) throw new PatternError("unterminated character set");
        if (this.peek() === "]") {
          this.pos++;
          items.push(asItem(code1), { kind: "range", from: 0x2d, to: 0x2d });
          break;
        }
        const code2 = classItem();
        if (typeof code1 !== "number" || typeof code2 !== "number") {
          throw new PatternError("bad character range");
        }
        if (code2 < code1) throw new PatternError("bad character range");
        items.push({ kind: "range", from: code1, to: code2 });
      } else {
        items.push(asItem(code1));
      }
    }
    return { type: "class", negated, items };
  }

  /** sre_parse's getwidth (min, max), used to refuse variable-width look-behind like Python. */
  width(node: Node): [number, number] {
    switch (node.type) {
      case "seq": {
        let lo = 0;
        let hi = 0;
        for (const item of node.items) {
          const [l, h] = this.width(item);
          lo += l;
          hi += h;
        }
        return [Math.min(lo, MAXREPEAT - 1), Math.min(hi, MAXREPEAT)];
      }
      case "alt": {
        const ws = node.branches.map((b) => this.width(b));
        return [Math.min(...ws.map((w) => w[0])), Math.max(...ws.map((w) => w[1]))];
      }
      case "char":
      case "any":
      case "class":
      case "category":
        return [1, 1];
      case "group":
        return this.width(node.body);
      case "repeat": {
        const [l, h] = this.width(node.body);
        return [Math.min(l * node.min, MAXREPEAT - 1), Math.min(h * node.max, MAXREPEAT)];
      }
      case "ref":
        return this.widths.get(node.index) ?? [0, 0];
      default:
        return [0, 0];
    }
  }
}

function asItem(code: ClassItem | number): ClassItem {
  return typeof code === "number" ? { kind: "range", from: code, to: code } : code;
}
