/**
 * No function in src/ much over 80 lines (the developers' guide). The one exception: a file
 * whose header says it ports a reference implementation line by line (e.g. config/configparser.ts,
 * Python's configparser._read), where following the reference statement by statement is what
 * makes it checkable. `npm run shape` runs these checks alone; a failure lists the offenders.
 */
import { describe, expect, it } from "vitest";
import {
  functionSpans,
  isLineByLinePort,
  longFunctions,
  MAX_FUNCTION_LINES,
} from "./source-shape.js";

describe("function length in src/", () => {
  it(`no function over ${MAX_FUNCTION_LINES} lines outside documented line-by-line ports`, () => {
    const offenders = longFunctions()
      .filter((f) => !isLineByLinePort(f.file))
      .map((f) => `${f.file}:${f.line} ${f.name} (${f.lines} lines)`);
    expect(offenders).toEqual([]);
  });

  it("measures functions, methods and arrow functions", () => {
    const spans = functionSpans("python-regex/index.ts").map((f) => f.name);
    expect(spans).toContain("translatePythonPattern");
    const parser = functionSpans("python-regex/parser.ts").map((f) => f.name);
    expect(parser).toContain("Parser.parseSeq");
  });

  it("the exception is declared in the file header", () => {
    expect(isLineByLinePort("config/configparser.ts")).toBe(true);
    expect(isLineByLinePort("python-regex/parser.ts")).toBe(false);
  });
});
