/**
 * Markdown descriptions: readme_renderer renders them with comrak (GFM, whatever variant is
 * declared: Warehouse calls `render(value)` without one) and refuses only an empty result.
 * The output is empty when the text holds no block at all: only blank lines (space, tab,
 * line breaks) or link reference definitions. Anything else renders something, so it passes;
 * constructs whose output is uncertain (footnote definitions, multi-line definitions) pass too.
 */

const BLANK = /^[ \t]*$/;
/** A one-line link reference definition: `[label]: destination "optional title"`. */
const LINK_DEFINITION =
  /^ {0,3}\[((?:[^\]\\[]|\\.)+)\]:[ \t]*(?:<[^<>\n]*>|[^\s<]\S*)(?:[ \t]+(?:"[^"]*"|'[^']*'|\([^()]*\)))?[ \t]*$/;

export function markdownRendersEmpty(text: string): boolean {
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (BLANK.test(line)) continue;
    if (line.length > 4096 || /^ {0,3}\[\^/.test(line)) return false;
    const m = LINK_DEFINITION.exec(line);
    if (!m || (m[1] as string).trim() === "") return false;
  }
  return true;
}
