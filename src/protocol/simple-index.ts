import type { HttpResponse } from "../transport/http.js";
import { decodeEntities } from "./html-text.js";

/** What a simple index lists for one project: file name -> sha256 (when the index gives one). */
export type ProjectFiles = Map<string, string | undefined>;

export const SIMPLE_ACCEPT = "application/vnd.pypi.simple.v1+json, text/html;q=0.1";

/** `<check-url>/<normalised name>/`, PEP 503. */
export function projectPageUrl(checkUrl: string, normalizedName: string): string {
  return `${checkUrl.replace(/\/*$/, "/")}${encodeURIComponent(normalizedName)}/`;
}

/** PEP 691 JSON: `files[]` with `filename` and `hashes.sha256`. */
export function parseSimpleJson(body: string): ProjectFiles {
  const data = JSON.parse(body) as {
    files?: Array<{ filename?: unknown; hashes?: Record<string, unknown> }>;
  };
  const files: ProjectFiles = new Map();
  for (const file of data.files ?? []) {
    if (typeof file.filename !== "string") continue;
    const sha = file.hashes?.sha256;
    files.set(file.filename, typeof sha === "string" ? sha.toLowerCase() : undefined);
  }
  return files;
}

/**
 * PEP 503 HTML: every anchor is a file; its text is the file name and its URL fragment may carry
 * `#sha256=...`. A small scanner suffices: the format is machine-written and flat.
 */
export function parseSimpleHtml(body: string): ProjectFiles {
  const files: ProjectFiles = new Map();
  for (const match of body.matchAll(/<a\s[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>([\s\S]*?)<\/a>/gi)) {
    const href = decodeEntities(match[2] ?? "");
    const text = decodeEntities((match[3] ?? "").replace(/<[^>]*>/g, "")).trim();
    const path = href.split("#")[0]?.split("?")[0] ?? "";
    const filename = text || decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
    const sha = /#(?:.*&)?sha256=([0-9a-f]{64})/i.exec(href)?.[1];
    files.set(filename, sha?.toLowerCase());
  }
  return files;
}

/** Files listed in a project page answer; a 404 means the project has no files yet. */
export function parseProjectPage(response: HttpResponse): ProjectFiles | undefined {
  if (response.status === 404) return new Map();
  if (response.status !== 200) return undefined;
  const type = String(response.headers["content-type"] ?? "").toLowerCase();
  if (type.includes("json")) return parseSimpleJson(response.body);
  return parseSimpleHtml(response.body);
}
