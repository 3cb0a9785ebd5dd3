/**
 * `release-packages` patterns: Python `re` syntax (what collective.releaser users wrote) compiled
 * to JavaScript RegExps with Python's meaning, matched against the WHOLE project name like
 * `re.fullmatch`.
 *
 * The pattern is parsed the way CPython 3.11's sre_parse does (same syntax errors: bad escapes,
 * unbalanced parentheses, "nothing to repeat", forward group references, variable-width
 * look-behind, ...) into a small tree, then printed as a `v`-flag RegExp in which every construct
 * whose meaning differs between the engines is spelled out:
 * - `.` is `[^\n]` (JS's `.` also stops at \r, U+2028, U+2029); `$` is `(?=\n?$)`; `\Z` is `$`.
 * - `\d \w \s \b` are Unicode-aware like Python's str patterns (`\p{Nd}`, `[\p{L}\p{N}_]`, and
 *   str.isspace()'s set), ASCII under `(?a)`. Unicode tables are the JS engine's version.
 * - literals are escaped uniformly, so `\_`, `\-` or a lone `{` need no special casing.
 * Constructs JavaScript cannot express faithfully are refused with a clear message: scoped case
 * flags `(?i:...)`, `(?a)` with `(?i)` (ASCII-only folding), conditionals `(?(1)..)`, atomic
 * groups, possessive quantifiers, `\N{name}`, and back-references to a group that may not take
 * part in the match (Python fails such a reference, JavaScript matches it as empty).
 *
 * Which name forms a line is matched against, and how: config/release-pattern.ts and
 * resolve/route-match.ts.
 *
 * Files: `ast.ts` (the tree), `parser.ts` (Python syntax -> tree), `emitter.ts` (tree -> JavaScript
 * source), `cost.ts` (backtracking bound of a tree), `fnmatch.ts` (globs -> Python syntax); this
 * file is the public API.
 */

import type { Node } from "./ast.js";
import { checkReferences, emit } from "./emitter.js";
import { Parser } from "./parser.js";

export type { ClassItem, Node } from "./ast.js";
export { backtrackBound, separatorEdge } from "./cost.js";
export { globToPythonRegex } from "./fnmatch.js";

/** A Python pattern translated: whole-name and anywhere (re.search) forms, and its parse tree. */
export interface TranslatedPattern {
  /** Anchored: `re.fullmatch`. */
  whole: RegExp;
  /** Unanchored: `re.search` (collective.releaser's `re.findall` routes when this matches). */
  search: RegExp;
  tree: Node;
}

/** Translate a Python pattern to JavaScript RegExps; throws Error with the reason. */
export function translatePythonPattern(source: string): TranslatedPattern {
  const parser = new Parser(source);
  const tree = parser.parse();
  const flags = parser.globalFlags;
  if (flags.i && parser.asciiUsed) {
    throw new Error(
      "(?a) together with (?i) has no JavaScript equivalent (ASCII-only case folding)",
    );
  }
  checkReferences(tree);
  const body = emit(tree);
  const jsFlags = flags.i ? "iv" : "v";
  try {
    return {
      whole: new RegExp(`^(?:${body})$`, jsFlags),
      search: new RegExp(body, jsFlags),
      tree,
    };
  } catch (e) {
    throw new Error(
      `cannot be expressed as a JavaScript regular expression (${(e as Error).message})`,
    );
  }
}

/** Translate a Python pattern to an anchored JavaScript RegExp (`re.fullmatch`). */
export function translatePattern(source: string): RegExp {
  return translatePythonPattern(source).whole;
}
