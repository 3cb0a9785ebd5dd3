/**
 * PyPI's description-rendering verdict, offline: would Warehouse's upload endpoint refuse
 * this description as "The description failed to render ..."? (warehouse/forklift/legacy.py
 * renders `meta.description` with warehouse/utils/readme.py and refuses when the result is
 * None.) reST is judged by the validator in ./rst (docutils' behaviour under
 * readme_renderer's settings), Markdown fails only when it renders to nothing, plain text
 * never fails. Pure and bounded: linear in the text's length.
 */
import { parseContentType } from "./content-type.js";
import { markdownRendersEmpty } from "./markdown.js";
import { findRstProblem } from "./rst/index.js";

export { type ContentType, parseContentType, type Renderer } from "./content-type.js";

const HELP = "See https://pypi.org/help/#description-content-type for more information.";

export type DescriptionVerdict =
  | { ok: true }
  | {
      ok: false;
      /** Warehouse's refusal message, word for word. */
      message: string;
      /** Why it fails: docutils' first system message (with its level), or the empty result. */
      reason: string;
      /** 1-based line of the description the reason points at, when known. */
      line?: number;
    };

/** Warehouse's message for a description that does not render with this content type. */
export function refusalMessage(contentType: string | undefined): string {
  const what = contentType
    ? `The description failed to render for '${contentType}'.`
    : "The description failed to render in the default format of reStructuredText.";
  return `${what} ${HELP}`;
}

export function checkDescription(
  text: string | undefined,
  contentType?: string,
): DescriptionVerdict {
  if (!text) return { ok: true }; // Warehouse renders nothing when there is no description
  const { renderer } = parseContentType(contentType);
  if (renderer === "plain") return { ok: true };
  if (renderer === "markdown") {
    if (!markdownRendersEmpty(text)) return { ok: true };
    return {
      ok: false,
      message: refusalMessage(contentType),
      reason: "The Markdown renders to nothing.",
    };
  }
  const problem = findRstProblem(text);
  if (!problem) return { ok: true };
  const level = ["", "", "WARNING", "ERROR", "SEVERE"][problem.level];
  const reason = problem.message.startsWith("No content rendered")
    ? problem.message
    : `(${level}/${problem.level}) ${problem.message.replace(/\n/g, " ")}`;
  const verdict: DescriptionVerdict = { ok: false, message: refusalMessage(contentType), reason };
  if (problem.line !== undefined) verdict.line = problem.line;
  return verdict;
}
