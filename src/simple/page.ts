/**
 * A project page of a simple repository, read from either of its two forms (pure functions):
 * PEP 691 JSON (`application/vnd.pypi.simple.v1+json`) and PEP 503 HTML. File URLs are resolved
 * against the page's own URL (PEP 503: "relative to the URL of the page"; an HTML `<base href>`
 * is honoured, as pip does), hashes come from JSON `hashes` or the URL fragment `#algo=hex`.
 */
import { decodeEntities } from "../protocol/html-text.js";

/** One file a simple index lists for a project. */
export interface SimpleFile {
  filename: string;
  /** Absolute URL, fragment removed. */
  url: string;
  /** Lower-case algorithm name -> lower-case hex digest (`sha256`, `md5`, `blake2b_256`...). */
  hashes: Record<string, string>;
  /** Bytes, when the index says (PEP 700, JSON only). */
  size?: number | undefined;
  /** PEP 592: `true`, or the reason given; absent when not yanked. */
  yanked?: string | true | undefined;
}

export type PageFormat = "json" | "html";

export const JSON_TYPE = "application/vnd.pypi.simple.v1+json";
/** PEP 691's recommended header: JSON first, the versioned HTML, then any HTML. */
export const SIMPLE_ACCEPT = `${JSON_TYPE}, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01`;
/** For a server that answers 406 to the header above: plain PEP 503. */
export const HTML_ACCEPT = "text/html";

/** `<simple-url>/<normalised name>/` (PEP 503). */
export function projectPageUrl(simpleUrl: string, normalizedName: string): string {
  return `${simpleUrl.replace(/\/*$/, "/")}${encodeURIComponent(normalizedName)}/`;
}

/** Which form an answer is in, from its Content-Type (and, when that is vague, its first byte). */
export function pageFormat(contentType: string, body: string): PageFormat | undefined {
  const type = contentType.split(";")[0]?.trim().toLowerCase() ?? "";
  if (type === JSON_TYPE || type === "application/vnd.pypi.simple.latest+json") return "json";
  if (type === "text/html" || type === "application/vnd.pypi.simple.v1+html") return "html";
  if (type === "application/vnd.pypi.simple.latest+html") return "html";
  // Some servers label pages loosely (application/json, text/plain, nothing): look at them.
  const start = body.trimStart()[0];
  if (start === "{" && type.includes("json")) return "json";
  if (start === "<") return "html";
  return undefined;
}

export class PageParseError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function hexHashes(raw: unknown): Record<string, string> {
  const hashes: Record<string, string> = {};
  if (!isRecord(raw)) return hashes;
  for (const [algo, value] of Object.entries(raw)) {
    if (typeof value === "string" && /^[0-9a-f]+$/i.test(value)) {
      hashes[algo.toLowerCase()] = value.toLowerCase();
    }
  }
  return hashes;
}

function absolute(href: string, base: string): string | undefined {
  try {
    const url = new URL(href, base);
    if (url.protocol !== "https:" && url.protocol !== "http:") return undefined;
    url.hash = "";
    return url.toString();
  } catch {
    return undefined;
  }
}

/** PEP 691 JSON: `files[]` with `filename`, `url`, `hashes`, optional `size` and `yanked`. */
export function parseJsonPage(body: string, pageUrl: string): SimpleFile[] {
  let data: unknown;
  try {
    data = JSON.parse(body);
  } catch (error) {
    throw new PageParseError(`invalid JSON (${(error as Error).message})`);
  }
  if (!isRecord(data) || !Array.isArray(data.files)) {
    throw new PageParseError("JSON without a files list (not a PEP 691 project page)");
  }
  const files: SimpleFile[] = [];
  for (const entry of data.files) {
    if (!isRecord(entry) || typeof entry.filename !== "string") continue;
    const url = typeof entry.url === "string" ? absolute(entry.url, pageUrl) : undefined;
    const yanked = entry.yanked;
    files.push({
      filename: entry.filename,
      url: url ?? "",
      hashes: hexHashes(entry.hashes),
      size: typeof entry.size === "number" && entry.size >= 0 ? entry.size : undefined,
      yanked: typeof yanked === "string" ? yanked || true : yanked === true ? true : undefined,
    });
  }
  return files;
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}\\s*=\\s*(?:"([^"]*)"|'([^']*)'|([^\\s"'>]+))`, "i").exec(
    tag,
  );
  if (!match) return undefined;
  return decodeEntities(match[1] ?? match[2] ?? match[3] ?? "");
}

/**
 * PEP 503 HTML: every anchor is a file; its text is the file name (the URL's last segment when
 * the text is empty) and its fragment may carry `#<algo>=<hex>`. A small scanner suffices: the
 * pages are machine-written and flat; anything unparsable is skipped, never guessed.
 */
export function parseHtmlPage(body: string, pageUrl: string): SimpleFile[] {
  const baseTag = /<base\s[^>]*>/i.exec(body)?.[0];
  const baseHref = baseTag ? attribute(baseTag, "href") : undefined;
  const base = (baseHref && absolute(baseHref, pageUrl)) ?? pageUrl;
  const files: SimpleFile[] = [];
  for (const match of body.matchAll(/<a(\s[^>]*)?>([\s\S]*?)<\/a\s*>/gi)) {
    const tag = match[1] ?? "";
    const href = attribute(tag, "href");
    if (href === undefined) continue;
    const url = absolute(href, base);
    if (url === undefined) continue;
    const path = new URL(url).pathname;
    let fromPath: string;
    try {
      fromPath = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
    } catch {
      fromPath = path.slice(path.lastIndexOf("/") + 1);
    }
    const text = decodeEntities((match[2] ?? "").replace(/<[^>]*>/g, "")).trim();
    const filename = text || fromPath;
    if (filename === "") continue;
    const hashes: Record<string, string> = {};
    const fragment = /#([^#]*)$/.exec(href)?.[1] ?? "";
    for (const part of fragment.split("&")) {
      const kv = /^([A-Za-z0-9_]+)=([0-9a-fA-F]+)$/.exec(part);
      if (kv) hashes[(kv[1] as string).toLowerCase()] = (kv[2] as string).toLowerCase();
    }
    // PEP 592: `data-yanked` present (with a reason or empty) marks the file yanked.
    const yanked = /\sdata-yanked(?=[\s=]|$)/i.test(tag)
      ? attribute(tag, "data-yanked") || true
      : undefined;
    files.push({ filename, url, hashes, yanked });
  }
  return files;
}

/** One project's page as read from an index (the client's answer; no HTTP types, see below). */
export interface ProjectFiles {
  /** PEP 503 normalised name. */
  project: string;
  /** The page that was read (after redirects within the origin). */
  url: string;
  /** false: the index answered 404 (no such project, so no files). */
  found: boolean;
  format: PageFormat | undefined;
  files: SimpleFile[];
}
