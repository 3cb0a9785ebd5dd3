/**
 * PEP 440 versions and specifiers, PEP 508 dependency specifiers: accepted or refused exactly as
 * packaging (26) parses them, because PyPI and pip >= 24.1 refuse what packaging refuses. Written
 * here (no maintained npm package follows packaging's grammar): a recursive-descent parser over
 * context-sensitive tokens, the grammar and the error texts being packaging's.
 */

const PRE = "(?:[-_.]?(?:alpha|beta|preview|pre|a|b|c|rc)[-_.]?[0-9]*)?";
const POST = "(?:-[0-9]+|[-_.]?(?:post|rev|r)[-_.]?[0-9]*)?";
const DEV = "(?:[-_.]?dev[-_.]?[0-9]*)?";
const LOCAL = String.raw`(?:\+[a-z0-9]+(?:[-_.][a-z0-9]+)*)?`;
const RELEASE = String.raw`v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)*`;

const VERSION = new RegExp(String.raw`^\s*${RELEASE}${PRE}${POST}${DEV}${LOCAL}\s*$`, "i");

/** One specifier (`>=1.0`, `==2.*`, `~=1.4.2`, `===foo`), alternatives in packaging's order. */
const SPECIFIER = [
  String.raw`===\s*[^\s;)]*`,
  String.raw`(?:==|!=)\s*${RELEASE}(?:\.\*|${PRE}${POST}${DEV}${LOCAL})?`,
  String.raw`~=\s*v?(?:[0-9]+!)?[0-9]+(?:\.[0-9]+)+${PRE}${POST}${DEV}`,
  String.raw`(?:<=|>=|<|>)\s*${RELEASE}${PRE}${POST}${DEV}`,
]
  .map((alt) => `(?:${alt})`)
  .join("|");
const FULL_SPECIFIER = new RegExp(String.raw`^\s*(?:${SPECIFIER})\s*$`, "i");

/** A PEP 440 version, as `packaging.version.Version` accepts it. */
export function isValidVersion(value: string): boolean {
  return VERSION.test(value);
}

/** Why a Requires-Python value (a specifier set) is invalid, or undefined when it is valid. */
export function specifierSetProblem(value: string): string | undefined {
  for (const part of value.split(",")) {
    const spec = part.trim();
    if (spec !== "" && !FULL_SPECIFIER.test(spec)) return `Invalid specifier: '${spec}'`;
  }
  return undefined;
}

const TOKENS = {
  LEFT_PARENTHESIS: /\(/y,
  RIGHT_PARENTHESIS: /\)/y,
  LEFT_BRACKET: /\[/y,
  RIGHT_BRACKET: /\]/y,
  SEMICOLON: /;/y,
  COMMA: /,/y,
  QUOTED_STRING: /'[^']*'|"[^"]*"/y,
  OP: /===|==|~=|!=|<=|>=|<|>/y,
  BOOLOP: /\b(?:or|and)\b/y,
  IN: /\bin\b/y,
  NOT: /\bnot\b/y,
  VARIABLE:
    /\b(?:python_version|python_full_version|os[._]name|sys[._]platform|platform_(?:release|system)|platform[._](?:version|machine|python_implementation)|python_implementation|implementation_(?:name|version)|extras?|dependency_groups)\b/y,
  SPECIFIER: new RegExp(SPECIFIER, "iy"),
  AT: /@/y,
  URL: /[^ \t]+/y,
  IDENTIFIER: /\b[a-zA-Z0-9][a-zA-Z0-9._-]*\b/y,
  VERSION_PREFIX_TRAIL: /\.\*/y,
  VERSION_LOCAL_LABEL_TRAIL: /\+[a-z0-9]+(?:[-_.][a-z0-9]+)*/y,
  WS: /[ \t]+/y,
  END: /$/y,
} as const;
type TokenName = keyof typeof TOKENS;

/** packaging's ParserSyntaxError: the message and the span of the source it points at. */
class SyntaxProblem extends Error {
  constructor(
    message: string,
    readonly span: [number, number] = [0, 0],
  ) {
    super(message);
  }
}

/** packaging's context-sensitive tokenizer: the caller says which token it expects next. */
class Tokens {
  position = 0;
  constructor(readonly source: string) {}

  /** The text of token `name` at the current position, without consuming it. */
  peek(name: TokenName): string | undefined {
    const re = TOKENS[name];
    re.lastIndex = this.position;
    return re.exec(this.source)?.[0];
  }
  /** Consume token `name` when it is next; its text, or undefined. */
  take(name: TokenName): string | undefined {
    const text = this.peek(name);
    if (text !== undefined) this.position += text.length;
    return text;
  }
  expect(name: TokenName, expected: string): string {
    const text = this.take(name);
    if (text === undefined) throw this.fail(`Expected ${expected}`);
    return text;
  }
  /** An error spanning `start` (default: here) to here, as packaging's tokenizer reports it. */
  fail(message: string, start: number = this.position): SyntaxProblem {
    return new SyntaxProblem(message, [start, this.position]);
  }
  /** Parse `inner`, enclosed in `open`/`close` tokens when `open` comes first. */
  enclosed(open: TokenName, close: TokenName, around: string, inner: () => void): void {
    const openPosition = this.position;
    const opened = this.take(open) !== undefined;
    inner();
    if (opened && this.take(close) === undefined)
      throw this.fail(`Expected matching ${close} for ${open}, after ${around}`, openPosition);
  }
}

function versionMany(t: Tokens): string {
  let specifiers = "";
  for (let spec = t.take("SPECIFIER"); spec !== undefined; spec = t.take("SPECIFIER")) {
    specifiers += spec;
    if (t.peek("VERSION_PREFIX_TRAIL") !== undefined)
      throw t.fail(".* suffix can only be used with `==` or `!=` operators");
    if (t.peek("VERSION_LOCAL_LABEL_TRAIL") !== undefined)
      throw t.fail("Local version label can only be used with `==` or `!=` operators");
    t.take("WS");
    if (t.take("COMMA") === undefined) break;
    specifiers += ",";
    t.take("WS");
  }
  return specifiers;
}

function markerVar(t: Tokens): void {
  if (t.take("VARIABLE") === undefined && t.take("QUOTED_STRING") === undefined)
    throw t.fail("Expected a marker variable or quoted string");
}

function markerOp(t: Tokens): void {
  if (t.take("IN") !== undefined) return;
  if (t.take("NOT") !== undefined) {
    t.expect("WS", "whitespace after 'not'");
    t.expect("IN", "'in' after 'not'");
    return;
  }
  if (t.take("OP") === undefined)
    throw t.fail("Expected marker operator, one of <=, <, !=, ==, >=, >, ~=, ===, in, not in");
}

function markerAtom(t: Tokens): void {
  t.take("WS");
  if (t.peek("LEFT_PARENTHESIS") !== undefined) {
    t.enclosed("LEFT_PARENTHESIS", "RIGHT_PARENTHESIS", "marker expression", () => {
      t.take("WS");
      marker(t);
      t.take("WS");
    });
  } else {
    markerVar(t);
    t.take("WS");
    markerOp(t);
    t.take("WS");
    markerVar(t);
    t.take("WS");
  }
  t.take("WS");
}

function marker(t: Tokens): void {
  markerAtom(t);
  while (t.take("BOOLOP") !== undefined) markerAtom(t);
}

function requirementMarker(t: Tokens, expected: string, spanStart: number): void {
  if (t.take("SEMICOLON") === undefined) throw t.fail(`Expected ${expected} or end`, spanStart);
  marker(t);
  t.take("WS");
}

function extras(t: Tokens): void {
  if (t.peek("LEFT_BRACKET") === undefined) return;
  t.enclosed("LEFT_BRACKET", "RIGHT_BRACKET", "extras", () => {
    t.take("WS");
    if (t.take("IDENTIFIER") !== undefined) {
      for (;;) {
        t.take("WS");
        if (t.peek("IDENTIFIER") !== undefined) throw t.fail("Expected comma between extra names");
        if (t.take("COMMA") === undefined) break;
        t.take("WS");
        t.expect("IDENTIFIER", "extra name after comma");
      }
    }
    t.take("WS");
  });
}

function details(t: Tokens): void {
  if (t.take("AT") !== undefined) {
    t.take("WS");
    const urlStart = t.position;
    t.expect("URL", "URL after @");
    if (t.peek("END") !== undefined) return;
    t.expect("WS", "whitespace after URL");
    if (t.peek("END") !== undefined) return;
    requirementMarker(t, "semicolon (after URL and whitespace)", urlStart);
    return;
  }
  let specifier = "";
  const specifierStart = t.position;
  t.enclosed("LEFT_PARENTHESIS", "RIGHT_PARENTHESIS", "version specifier", () => {
    t.take("WS");
    specifier = versionMany(t);
    t.take("WS");
  });
  t.take("WS");
  if (t.peek("END") !== undefined) return;
  requirementMarker(
    t,
    specifier
      ? "comma (within version specifier), semicolon (after version specifier)"
      : "semicolon (after name with no version specifier)",
    specifierStart,
  );
}

/** Why a Requires-Dist value is not a valid PEP 508 requirement, or undefined when it is. */
export function requirementProblem(value: string): string | undefined {
  return requirementError(value)?.split("\n")[0];
}

/**
 * packaging's full `InvalidRequirement` text: the reason, the requirement and a marker line
 * under the part at fault (Warehouse quotes it for Provides-Dist and Obsoletes-Dist).
 */
export function requirementError(value: string): string | undefined {
  const t = new Tokens(value);
  try {
    t.take("WS");
    t.expect("IDENTIFIER", "package name at the start of dependency specifier");
    t.take("WS");
    extras(t);
    t.take("WS");
    details(t);
    t.expect("END", "end of dependency specifier");
    return undefined;
  } catch (error) {
    if (error instanceof SyntaxProblem) {
      const [start, end] = error.span;
      return `${error.message}\n    ${value}\n    ${" ".repeat(start)}${"~".repeat(end - start)}^`;
    }
    throw error;
  }
}
