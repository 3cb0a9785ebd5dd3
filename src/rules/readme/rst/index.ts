/**
 * reST description check: would docutils, run the way readme_renderer 45 runs it for PyPI
 * (halt_level 2, report_level 5, file insertion and raw disabled, doctitle and subtitle
 * promotion on), stop with a system message of level WARNING or above, or render nothing?
 * Returns the first such problem (docutils halts at the first), or undefined.
 *
 * Where the validator cannot follow docutils (content it does not parse, converters it does
 * not model), it says nothing: a false "fails" would block a release that PyPI accepts.
 */
import { BodyParser } from "./body.js";
import { DocState, Halt, type RstProblem } from "./document.js";
import { pyLen, toLines } from "./text.js";
import { applyTransforms } from "./transforms.js";

export type { RstProblem } from "./document.js";

/** docutils' default line_length_limit. */
const LINE_LENGTH_LIMIT = 10_000;

export function findRstProblem(text: string): RstProblem | undefined {
  const doc = new DocState();
  try {
    const lines = toLines(text);
    const long = lines.find(
      (l) => l.t.length > LINE_LENGTH_LIMIT && pyLen(l.t) > LINE_LENGTH_LIMIT,
    );
    if (long)
      return { level: 3, message: `Line ${long.n} exceeds the line-length-limit.`, line: long.n };
    new BodyParser(doc).parseDocument(lines);
    applyTransforms(doc);
    return undefined;
  } catch (e) {
    if (e instanceof Halt) return e.problem;
    throw e;
  }
}
