/**
 * Which renderer PyPI picks for a Description-Content-Type, as warehouse/utils/readme.py's
 * `render` does: no value means reStructuredText; otherwise the MIME type the e-mail
 * library parses out of the value (lower-cased; anything unparsable counts as text/plain),
 * mapped to reST, Markdown or plain text, plain text for any other type. Whether PyPI
 * accepts the value at all (the three types, charset UTF-8, variant GFM or CommonMark) is
 * a metadata rule, judged before the description is rendered.
 */

export type Renderer = "rst" | "markdown" | "plain";

export interface ContentType {
  /** The MIME type, lower-cased ("text/plain" when unparsable, as Python's e-mail library says). */
  type: string;
  /** Parameters by lower-cased name, values unquoted and as written. */
  params: Record<string, string>;
  renderer: Renderer;
}

function unquote(v: string): string {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"')
    ? t.slice(1, -1).replace(/\\(.)/g, "$1")
    : t;
}

export function parseContentType(value: string | undefined): ContentType {
  if (!value) return { type: "text/x-rst", params: {}, renderer: "rst" };
  const [head = "", ...rest] = value.split(";");
  let type = head.trim().toLowerCase();
  if (type.split("/").length !== 2) type = "text/plain";
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf("=");
    if (eq > 0) params[p.slice(0, eq).trim().toLowerCase()] = unquote(p.slice(eq + 1));
  }
  const renderer: Renderer =
    type === "text/x-rst" ? "rst" : type === "text/markdown" ? "markdown" : "plain";
  return { type, params, renderer };
}
