/**
 * The simple index pages (PEP 503 HTML, PEP 691 JSON with api-version 1.1) as pure functions of
 * what the store holds. Routing (which path is a simple page, redirects configured by options)
 * stays in `index-server.ts`; file downloads are served there too.
 */

import path from "node:path";
import { type Answer, escapeHtml, plain, redirect } from "./answers.js";
import { normalizeName } from "./names.js";
import type { StoredFile } from "./types.js";

export const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

/** What the pages need of the store. */
export interface SimpleSource {
  projectNames(): string[];
  project(normalized: string): { versions: string[]; files: StoredFile[] } | undefined;
}

/** Where pages and files live, as the server is configured. */
export interface SimpleSite {
  /** `/simple/` (leading and trailing slash). */
  simplePath: string;
  /** `/files/` (leading and trailing slash). */
  filesPath: string;
  /** Absolute URL of the files path, for PEP 691 file URLs. */
  filesUrl: string;
  /** HTML links to `filesUrl` as absolute URLs (files on another host), not relative ones. */
  absoluteLinks?: boolean;
}

export interface SimpleRequest {
  /** The path below `simplePath`: `""` for the root, `name/` for a project. */
  rest: string;
  /** The query string, kept on redirects (`?x=1` or `""`). */
  search: string;
  accept: string | undefined;
}

/** The page for a GET below the simple path. */
export function simplePage(source: SimpleSource, site: SimpleSite, request: SimpleRequest): Answer {
  const json = wantsJson(request.accept);
  const { rest } = request;
  if (rest === "") return rootPage(source.projectNames(), json);
  let raw: string;
  try {
    raw = decodeURIComponent(rest.replace(/\/$/, ""));
  } catch {
    return plain(400);
  }
  if (raw === "" || raw.includes("/")) return plain(404);
  const normalized = normalizeName(raw);
  // PyPI redirects non-normalised names (and a missing trailing slash) to the canonical page.
  if (raw !== normalized || !rest.endsWith("/")) {
    return redirect(301, `${site.simplePath}${encodeURIComponent(normalized)}/${request.search}`);
  }
  const project = source.project(normalized);
  if (!project) return plain(404, "404 Not Found\n");
  return json
    ? projectJson(site, normalized, project.versions, project.files)
    : projectHtml(site, normalized, project.files);
}

function rootPage(names: string[], json: boolean): Answer {
  if (json) {
    return jsonAnswer({
      meta: { "api-version": "1.1" },
      projects: names.map((name) => ({ name })),
    });
  }
  const links = names.map(
    (n) => `    <a href="${escapeHtml(encodeURIComponent(n))}/">${escapeHtml(n)}</a><br/>`,
  );
  return htmlAnswer("Simple index", links);
}

function projectJson(
  site: SimpleSite,
  normalized: string,
  versions: string[],
  files: StoredFile[],
): Answer {
  return jsonAnswer({
    meta: { "api-version": "1.1" },
    name: normalized,
    versions,
    files: files.map((f) => ({
      filename: f.filename,
      url: `${site.filesUrl}${encodeURIComponent(f.filename)}`,
      hashes: f.sha256 ? { sha256: f.sha256 } : {},
      ...(f.requiresPython ? { "requires-python": f.requiresPython } : {}),
      size: f.size,
      "upload-time": f.uploadedAt.toISOString(),
      yanked: false,
    })),
  });
}

function projectHtml(site: SimpleSite, normalized: string, files: StoredFile[]): Answer {
  // Relative links, as PyPI's pages have: from <simple>/<name>/ to <files>/<file>.
  const pageDir = `${site.simplePath}${normalized}/`;
  const toFiles = path.posix.relative(pageDir, site.filesPath);
  const base = site.absoluteLinks ? site.filesUrl.replace(/\/$/, "") : toFiles;
  const links = files.map((f) => {
    const href = `${base}/${encodeURIComponent(f.filename)}${f.sha256 ? `#sha256=${f.sha256}` : ""}`;
    const rp = f.requiresPython ? ` data-requires-python="${escapeHtml(f.requiresPython)}"` : "";
    return `    <a href="${escapeHtml(href)}"${rp}>${escapeHtml(f.filename)}</a><br/>`;
  });
  return htmlAnswer(`Links for ${normalized}`, links);
}

function jsonAnswer(value: unknown): Answer {
  return { status: 200, body: JSON.stringify(value), contentType: JSON_TYPE };
}

function htmlAnswer(title: string, lines: string[]): Answer {
  const body = [
    "<!DOCTYPE html>",
    "<html>",
    "  <head>",
    '    <meta name="pypi:repository-version" content="1.1">',
    `    <title>${escapeHtml(title)}</title>`,
    "  </head>",
    "  <body>",
    `    <h1>${escapeHtml(title)}</h1>`,
    ...lines,
    "  </body>",
    "</html>",
    "",
  ].join("\n");
  return { status: 200, body, contentType: "text/html; charset=utf-8" };
}

/**
 * PEP 691 content negotiation: JSON when the client ranks the v1 (or latest) JSON type at least
 * as high as any HTML type it accepts; HTML otherwise (also for a missing Accept header).
 */
export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  let json = 0;
  let html = 0;
  for (const item of accept.split(",")) {
    const [type = "", ...params] = item
      .trim()
      .split(";")
      .map((s) => s.trim());
    const qParam = params.find((p) => /^q=/i.test(p));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    const t = type.toLowerCase();
    if (t === JSON_TYPE || t === "application/vnd.pypi.simple.latest+json")
      json = Math.max(json, q);
    else if (t === "text/html" || t.startsWith("application/vnd.pypi.simple.") || t === "*/*")
      html = Math.max(html, q);
  }
  return json > 0 && json >= html;
}
