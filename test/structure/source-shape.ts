/**
 * Reads the shape of `src/` with the TypeScript compiler API (already the project's type checker,
 * so no extra dependency and the same parser that compiles the code): which file imports which,
 * and how long each function is. Used by import-cycles.test.ts and function-length.test.ts
 * (`npm run shape` runs just those).
 */

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";

export const ROOT = resolve(import.meta.dirname, "../..");
export const SRC = join(ROOT, "src");

/** Source files under `src/`, relative to it with `/` separators, sorted. */
export function sourceFiles(dir = SRC): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|js|mjs)$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(full);
  }
  return dir === SRC ? out.map((f) => relative(SRC, f).split("\\").join("/")).sort() : out;
}

function parse(file: string): ts.SourceFile {
  const text = readFileSync(join(SRC, file), "utf8");
  return ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
}

/** Relative module specifiers of a file: static imports and re-exports (type-only too), `import()`. */
function specifiers(source: ts.SourceFile): string[] {
  const out: string[] = [];
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      out.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      out.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  // Data files (`./data/*.json`) import nothing: they cannot close a cycle.
  return out.filter((s) => s.startsWith(".") && !s.endsWith(".json"));
}

/** The import graph of `src/`: file -> the `src/` files it imports (`x.js` resolves to `x.ts`). */
export function importGraph(): Map<string, string[]> {
  const files = sourceFiles();
  const known = new Set(files);
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const targets = specifiers(parse(file)).map((spec) => {
      const target = join(dirname(file), spec).split("\\").join("/");
      const candidates = [target, target.replace(/\.js$/, ".ts"), `${target}.ts`];
      const found = candidates.find((c) => known.has(c));
      if (!found) throw new Error(`${file}: cannot resolve import '${spec}'`);
      return found;
    });
    graph.set(file, [...new Set(targets)]);
  }
  return graph;
}

/** A file's layer: its top folder under `src/` (`resolve/route-match.ts` -> `resolve`), or itself. */
export function layerOf(file: string): string {
  const slash = file.indexOf("/");
  return slash < 0 ? file : file.slice(0, slash);
}

/** The layer graph: an edge for every import that crosses layers. */
export function layerGraph(files: Map<string, string[]>): Map<string, string[]> {
  const layers = new Map<string, Set<string>>();
  for (const [file, targets] of files) {
    const from = layerOf(file);
    const set = layers.get(from) ?? new Set<string>();
    for (const t of targets) if (layerOf(t) !== from) set.add(layerOf(t));
    layers.set(from, set);
  }
  return new Map([...layers].map(([k, v]) => [k, [...v].sort()]));
}

/**
 * Cycles of a directed graph: its strongly connected components with more than one node, or a
 * node importing itself (Tarjan's algorithm). Each cycle is listed as one path through it.
 */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string): void => {
    indices.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v) ?? 0, low.get(w) ?? 0));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) ?? 0, indices.get(w) ?? 0));
    }
    if (low.get(v) !== indices.get(v)) return;
    const component: string[] = [];
    for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
      onStack.delete(w);
      component.push(w);
      if (w === v) break;
    }
    if (component.length > 1 || (graph.get(v) ?? []).includes(v))
      found.push(pathThrough(graph, new Set(component)));
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) connect(v);
  return found;
}

/** One cycle inside a strongly connected component, as `a -> b -> ... -> a`. */
function pathThrough(graph: Map<string, string[]>, component: Set<string>): string[] {
  const start = [...component].sort()[0] as string;
  const previous = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    for (const w of graph.get(v) ?? []) {
      if (!component.has(w)) continue;
      if (w === start) {
        const path = [v];
        for (let p = previous.get(v); p !== undefined; p = previous.get(p)) path.unshift(p);
        return [...path, start];
      }
      if (!previous.has(w)) {
        previous.set(w, v);
        queue.push(w);
      }
    }
  }
  return [...component];
}

export interface FunctionSpan {
  file: string;
  /** `name`, `Class.method`, or `<anonymous>` with the enclosing name. */
  name: string;
  line: number;
  lines: number;
}

/** Functions and methods of one source file, with their length in lines (nested ones too). */
export function functionSpans(file: string): FunctionSpan[] {
  const source = parse(file);
  const out: FunctionSpan[] = [];
  const lineOf = (pos: number): number => source.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node, owner: string): void => {
    let name = owner;
    if (ts.isClassDeclaration(node) && node.name) name = node.name.text;
    if (ts.isFunctionLike(node) && "body" in node && node.body) {
      name = functionName(node, owner);
      const first = lineOf(node.getStart(source));
      out.push({ file, name, line: first, lines: lineOf(node.getEnd()) - first + 1 });
    }
    ts.forEachChild(node, (child) => visit(child, name));
  };
  visit(source, "");
  return out;
}

function functionName(node: ts.SignatureDeclaration, owner: string): string {
  const prefix = owner ? `${owner}.` : "";
  if (node.name && (ts.isIdentifier(node.name) || ts.isPrivateIdentifier(node.name)))
    return `${prefix}${node.name.text}`;
  if (ts.isConstructorDeclaration(node)) return `${prefix}constructor`;
  const parent = node.parent;
  if (parent && ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name))
    return `${prefix}${parent.name.text}`;
  if (parent && ts.isPropertyAssignment(parent) && ts.isIdentifier(parent.name))
    return `${prefix}${parent.name.text}`;
  return `${prefix}<anonymous>`;
}

/** The project's limit: "no functions much over ~80 lines". */
export const MAX_FUNCTION_LINES = 80;

/**
 * Whether a file declares, in its header comment, that it ports a reference implementation line
 * by line: the one documented exception to the length limit.
 */
export function isLineByLinePort(file: string): boolean {
  const text = readFileSync(join(SRC, file), "utf8");
  const header = /^\s*\/\*\*([\s\S]*?)\*\//.exec(text)?.[1] ?? "";
  return /\bline by line\b/i.test(header.replace(/\s*\*\s*/g, " "));
}

/** Functions over the limit, longest first. */
export function longFunctions(limit = MAX_FUNCTION_LINES): FunctionSpan[] {
  return sourceFiles()
    .flatMap(functionSpans)
    .filter((f) => f.lines > limit)
    .sort((a, b) => b.lines - a.lines);
}
