/**
 * `release-packages` lines: compiled (regex or glob), and the name forms they are matched against.
 *
 * Regex lines (the default) are Python `re` patterns that must match a WHOLE name form, like
 * `re.fullmatch`. With `glob-style = true` in `[distutils]` the lines are `fnmatch.fnmatchcase`
 * globs, whole-name too, case-sensitive; a line starting with `!` excludes.
 *
 * Name forms: users write what they see in metadata or in `dist/`, so a project is tried as
 * written (`Products.HelloWorld`), in its PEP 503 form (`products-helloworld`, regex lines), and in
 * its file-name form (`[-_.]+` -> `_`: `Products_HelloWorld`, and lower-cased for regex lines, as
 * wheels name it today). Positive glob lines skip the lower-cased forms so that a glob stays
 * case-sensitive as in Python on POSIX; exclusions use every form (excluding more is the safe side).
 */
import { normalizeName } from "../distributions/names.js";
import { ConfigError } from "../errors.js";
import {
  backtrackBound,
  globToPythonRegex,
  type Node,
  separatorEdge,
  translatePythonPattern,
} from "../python-regex/index.js";
import type { ConfigLocation, ReleasePattern } from "./types.js";

/** `[-_.]+` -> `_`: the project part of wheel and (current) sdist file names. */
export function fileNameForm(name: string): string {
  return name.replace(/[-_.]+/g, "_");
}

/** The forms of `name` a pattern is tried against (see the module comment), without repeats. */
export function nameForms(
  name: string,
  pattern: Pick<ReleasePattern, "kind" | "exclude">,
): string[] {
  const file = fileNameForm(name);
  const forms =
    pattern.kind === "glob" && !pattern.exclude
      ? [name, file]
      : [name, normalizeName(name), file, file.toLowerCase()];
  return [...new Set(forms)];
}

/** A pattern in double quotes as written (backslashes stay single); JSON only when it needs escaping. */
export function showPattern(source: string): string {
  return /^[\x20-\x7e]*$/.test(source) && !source.includes('"')
    ? `"${source}"`
    : JSON.stringify(source);
}

export function where(loc: ConfigLocation): string {
  return `${loc.file}, section [${loc.section}]${loc.line === undefined ? "" : `, line ${loc.line}`}`;
}

/** backtrackBound per name length, computed once per length (names of a run share lengths). */
function memoCost(tree: Node): (length: number) => number {
  const known = new Map<number, number>();
  return (length) => {
    let cost = known.get(length);
    if (cost === undefined) {
      cost = backtrackBound(tree, length);
      known.set(length, cost);
    }
    return cost;
  };
}

/** Compile one `release-packages` line; a bad pattern is a ConfigError naming file, section, line. */
export function compileReleasePattern(
  source: string,
  loc: ConfigLocation,
  style: "regex" | "glob" = "regex",
): ReleasePattern {
  const line = loc.line ?? 0;
  const exclude = style === "glob" && source.startsWith("!");
  try {
    if (style === "glob") {
      const glob = exclude ? source.slice(1) : source;
      if (exclude && glob === "") throw new Error("'!' needs a glob after it, such as !*-internal");
      const { whole, tree } = translatePythonPattern(globToPythonRegex(glob));
      const cost = memoCost(tree);
      return { source, kind: "glob", exclude, regex: whole, cost, line, location: loc };
    }
    const { whole, search, tree } = translatePythonPattern(source);
    return {
      source,
      kind: "regex",
      exclude: false,
      regex: whole,
      search,
      cost: memoCost(tree),
      separatorEdge: separatorEdge(tree),
      line,
      location: loc,
    };
  } catch (e) {
    const what = style === "glob" ? "glob (glob-style = true)" : "pattern";
    throw new ConfigError(
      `${where(loc)}: invalid release-packages ${what} ${showPattern(source)}: ${(e as Error).message}`,
      {
        hint:
          style === "glob"
            ? "with glob-style = true, release-packages lines are fnmatch globs (*, ?, [seq], [!seq]); !GLOB excludes"
            : "release-packages lines are Python regular expressions matched against the whole project name",
      },
    );
  }
}

/**
 * Whether `patterns` route `name` (no time bound: for patterns already known to be cheap, and
 * tests; routing goes through route-match.ts). Positive lines route, `!` lines veto.
 */
export function matchesProject(patterns: readonly ReleasePattern[], name: string): boolean {
  const hits = (p: ReleasePattern) => nameForms(name, p).some((form) => p.regex.test(form));
  return patterns.some((p) => !p.exclude && hits(p)) && !patterns.some((p) => p.exclude && hits(p));
}

/** Global flags such as `(?i)` must stay first when a pattern is wrapped. */
const LEADING_FLAGS = /^(?:\(\?[aiLmsux]+\))*/;

/**
 * `pattern` with `.*` added before and/or after (`Products\.` -> `Products\..*`), wrapped in a
 * group when needed (`a|b`); undefined when the rewrite does not compile (e.g. a verbose-mode
 * comment at the end).
 */
export function widenPattern(source: string, before: boolean, after: boolean): string | undefined {
  const flags = LEADING_FLAGS.exec(source)?.[0] ?? "";
  const body = source.slice(flags.length);
  const plain = `${flags}${before ? ".*" : ""}${body}${after ? ".*" : ""}`;
  const grouped = `${flags}${before ? ".*" : ""}(?:${body})${after ? ".*" : ""}`;
  for (const candidate of [plain, grouped]) {
    try {
      const { tree } = translatePythonPattern(candidate);
      // A top-level alternation would attach the .* to one branch only.
      if (tree.type !== "alt") return candidate;
    } catch {
      // try the next form
    }
  }
  return undefined;
}

/** For a line that can never match a whole name (separatorEdge): the whole-name rewrite. */
export function separatorRewrite(pattern: ReleasePattern): string | undefined {
  if (!pattern.separatorEdge) return undefined;
  return widenPattern(
    pattern.source,
    pattern.separatorEdge === "first",
    pattern.separatorEdge === "last",
  );
}
