/**
 * Shell-style globs with Python's `fnmatch.fnmatchcase` meaning (collective.releaser's
 * `glob-style = true`), turned into Python regular-expression source so index.ts translates
 * them with the same machinery as `release-packages` regexes.
 *
 * fnmatch's rules, as Python implements them:
 * - `*` matches any run of characters (newlines included), `?` any one character;
 * - `[seq]` matches one character of seq, `[!seq]` one not in it; a `]` right after `[` or `[!`
 *   belongs to the set; a `[` without a closing `]` is a literal `[`;
 * - in a set, `a-z` is a range; a `-` first in the set, last in it, or right after a range's end
 *   is literal; a range whose end sorts before its start is dropped with both end points, so a set
 *   left empty never matches and `[!]`-like sets left with only `!` match any character;
 * - nothing else is special: a backslash is a literal character, case is never folded.
 */

const BANG = 0x21;
const HYPHEN = 0x2d;

/** One code point as a Python escape that means that character inside and outside sets. */
function pyChar(cp: number): string {
  if (cp <= 0xff) return `\\x${cp.toString(16).padStart(2, "0")}`;
  if (cp <= 0xffff) return `\\u${cp.toString(16).padStart(4, "0")}`;
  return `\\U${cp.toString(16).padStart(8, "0")}`;
}

/**
 * The set between `[` and `]` (without them) as Python regex text, or undefined when the set can
 * match nothing (Python writes such a set as a pattern that never matches). Chunks are the runs between range hyphens; a range joins the last character of
 * one chunk to the first of the next.
 */
function setToRegex(set: number[]): string | undefined {
  const negated = set[0] === BANG;
  const chunks: number[][] = [];
  let start = 0;
  let from = negated ? 2 : 1;
  for (;;) {
    let k = -1;
    for (let q = from; q < set.length; q++) {
      if (set[q] === HYPHEN) {
        k = q;
        break;
      }
    }
    if (k < 0) break;
    chunks.push(set.slice(start, k));
    start = k + 1;
    from = k + 3;
  }
  const rest = set.slice(start);
  if (rest.length > 0) chunks.push(rest);
  else (chunks[chunks.length - 1] as number[]).push(HYPHEN);
  // Drop reversed ranges from the end backwards, as Python does (merging the chunks around them).
  for (let k = chunks.length - 1; k > 0; k--) {
    const left = chunks[k - 1] as number[];
    const right = chunks[k] as number[];
    if (left.length === 0 || right.length === 0) {
      throw new Error("a set whose ranges cancel out entirely is an error in Python's fnmatch");
    }
    if ((left[left.length - 1] as number) > (right[0] as number)) {
      chunks[k - 1] = [...left.slice(0, -1), ...right.slice(1)];
      chunks.splice(k, 1);
    }
  }
  const flat = chunks.flat();
  if (flat.length === 0) return undefined;
  // Like Python, the negation is read after the ranges are settled.
  if (flat[0] !== BANG) return `[${chunks.map(escapeChunk).join("-")}]`;
  if (flat.length === 1) return ".";
  chunks[0] = (chunks[0] as number[]).slice(1);
  return `[^${chunks.map(escapeChunk).join("-")}]`;
}

const escapeChunk = (chunk: number[]): string => chunk.map(pyChar).join("");

/** Python regex source (for translatePythonPattern) equivalent to `fnmatch.fnmatchcase(name, glob)`. */
export function globToPythonRegex(glob: string): string {
  const chars = Array.from(glob, (c) => c.codePointAt(0) as number);
  let out = "(?s)";
  let lastStar = false;
  for (let i = 0; i < chars.length; ) {
    const c = chars[i++] as number;
    const star = c === 0x2a;
    if (star) {
      if (!lastStar) out += ".*";
    } else if (c === 0x3f) {
      out += ".";
    } else if (c === 0x5b) {
      let j = i;
      if (chars[j] === 0x21) j++;
      if (chars[j] === 0x5d) j++;
      while (j < chars.length && chars[j] !== 0x5d) j++;
      if (j >= chars.length) {
        out += pyChar(c);
      } else {
        const set = setToRegex(chars.slice(i, j));
        out += set === undefined ? "(?!)" : `(?:${set})`;
        i = j + 1;
      }
    } else {
      out += pyChar(c);
    }
    lastStar = star;
  }
  return out;
}
