/**
 * The simple-repository client: one project's files from a server's simple index, PEP 691 JSON
 * asked first by content negotiation (one request; PEP 503 HTML is what a server without JSON
 * sends back), with the transport's retry and timeout rules, answers read up to a cap, and the
 * server's credentials sent only to its own origin (the upload URL's scheme, host and port).
 * Redirects are followed within that origin only: a Location elsewhere is an error, so neither
 * credentials nor trust move to another host.
 */
import type { Dispatcher } from "undici";
import { normalizeName } from "../distributions/names.js";
import { looksLikeHtmlPage } from "../protocol/html-text.js";
import { type HttpResponse, send, type TraceEvent, TransportError } from "../transport/http.js";
import { defaultRetryPolicy, type RetryPolicy, withRetries } from "../transport/retry.js";
import { SimpleIndexError } from "./errors.js";
import {
  HTML_ACCEPT,
  type PageFormat,
  PageParseError,
  type ProjectFiles,
  pageFormat,
  parseHtmlPage,
  parseJsonPage,
  projectPageUrl,
  SIMPLE_ACCEPT,
  type SimpleFile,
} from "./page.js";

/** Where one server's simple index is and how to talk to it. */
export interface SimpleEndpoint {
  /** The server's name, for messages. */
  server: string;
  /** The simple index root (`https://pypi.org/simple/`). */
  simpleUrl: string;
  /** Credentials go to URLs of this origin only (the upload URL's). */
  credentialOrigin: string;
  dispatcher: Dispatcher;
  /** The Authorization value to send to `credentialOrigin` (none: anonymous). */
  authorize?: (() => Promise<string | undefined>) | undefined;
  trace?: ((event: TraceEvent) => void) | undefined;
}

export interface SimpleRequestOptions {
  userAgent: string;
  /** No progress for this long, or no complete answer within it, aborts an attempt. */
  stallTimeoutMs: number;
  retry?: RetryPolicy | undefined;
  signal?: AbortSignal | undefined;
  /** Default 32 MiB: the largest project pages (thousands of files) stay well below. */
  maxPageBytes?: number | undefined;
}

/** What a simple index lists for one project. */
export type { ProjectFiles } from "./page.js";

export const MAX_PAGE_BYTES = 32 * 1024 * 1024;
const MAX_HOPS = 5;

/** The files one project has on one server's simple index. */
export async function fetchProjectFiles(
  endpoint: SimpleEndpoint,
  project: string,
  options: SimpleRequestOptions,
): Promise<ProjectFiles> {
  const normalized = normalizeName(project);
  const { response, url } = await getSimplePage(
    endpoint,
    projectPageUrl(endpoint.simpleUrl, normalized),
    options,
  );
  if (response.status === 404) {
    return { project: normalized, url, found: false, format: undefined, files: [] };
  }
  return { project: normalized, url, found: true, ...readPage(endpoint, response, url) };
}

/** The files of an answer that is a project page; anything else is `not-an-index`. */
function readPage(
  endpoint: SimpleEndpoint,
  response: HttpResponse,
  url: string,
): { format: PageFormat; files: SimpleFile[] } {
  const type = String(response.headers["content-type"] ?? "");
  const format = pageFormat(type, response.body);
  const notIndex = (why: string) =>
    new SimpleIndexError(`${endpoint.server}: ${url} is not a simple index page (${why})`, {
      reason: "not-an-index",
      url,
      httpStatus: response.status,
    });
  if (format === undefined) throw notIndex(`Content-Type ${type || "missing"}`);
  try {
    if (format === "json") return { format, files: parseJsonPage(response.body, url) };
  } catch (error) {
    if (error instanceof PageParseError) throw notIndex(error.message);
    throw error;
  }
  // A sign-in page answered with 200 has a <form>; a PEP 503 page has only anchors.
  if (/<form[\s>]/i.test(response.body) && /type\s*=\s*["']?password/i.test(response.body)) {
    throw notIndex("a sign-in page");
  }
  return { format, files: parseHtmlPage(response.body, url) };
}

/**
 * GET a page of the simple index: retries as for uploads, redirects within the origin, the
 * Authorization header only to the credential origin. Resolves with a 200 or 404 answer; every
 * other outcome is a SimpleIndexError.
 */
export async function getSimplePage(
  endpoint: SimpleEndpoint,
  pageUrl: string,
  /** `partial`: an answer over `maxBytes` is returned cut (its start is enough), not refused. */
  options: SimpleRequestOptions & { accept?: string; maxBytes?: number; partial?: boolean },
): Promise<{ response: HttpResponse; url: string }> {
  const origin = new URL(pageUrl).origin;
  let url = pageUrl;
  let accept = options.accept ?? SIMPLE_ACCEPT;
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const response = await getWithRetries(endpoint, url, accept, options);
    const location = response.headers.location;
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(String(location), url);
      next.hash = "";
      if (next.origin !== origin) {
        throw new SimpleIndexError(
          `${endpoint.server}: ${url} redirects to another host (${next.origin}); not followed: set check-url to the final URL`,
          { reason: "redirect", url, httpStatus: response.status },
        );
      }
      url = next.toString();
      continue;
    }
    // PEP 691: a server may refuse a header it cannot satisfy; ask once more for plain HTML.
    if (response.status === 406 && accept !== HTML_ACCEPT) {
      accept = HTML_ACCEPT;
      continue;
    }
    if (response.truncated && !options.partial) {
      const cap = options.maxBytes ?? options.maxPageBytes ?? MAX_PAGE_BYTES;
      throw new SimpleIndexError(
        `${endpoint.server}: ${url} is larger than ${Math.round(cap / 1024 / 1024)} MiB; not read further`,
        { reason: "too-large", url, httpStatus: response.status },
      );
    }
    if (response.status === 200 || response.status === 404) return { response, url };
    throw statusError(endpoint, url, response);
  }
  throw new SimpleIndexError(
    `${endpoint.server}: ${pageUrl} redirects more than ${MAX_HOPS} times`,
    {
      reason: "redirect",
      url: pageUrl,
    },
  );
}

function statusError(endpoint: SimpleEndpoint, url: string, response: HttpResponse): Error {
  const status = `${response.status} ${response.statusText}`.trim();
  if (response.status === 401 || response.status === 403) {
    const sent = new URL(url).origin === endpoint.credentialOrigin;
    return new SimpleIndexError(
      `${endpoint.server}: ${url} answered ${status}${sent ? "" : " (no credentials are sent to a host other than the upload URL's)"}`,
      { reason: "auth", url, httpStatus: response.status },
    );
  }
  const page = looksLikeHtmlPage(response.body) ? "" : firstLine(response.body);
  return new SimpleIndexError(`${endpoint.server}: ${url} answered ${status}${page}`, {
    reason: "status",
    url,
    httpStatus: response.status,
  });
}

function firstLine(body: string): string {
  const line = body.trim().split("\n")[0]?.slice(0, 200) ?? "";
  return line ? `: ${line}` : "";
}

async function getWithRetries(
  endpoint: SimpleEndpoint,
  url: string,
  accept: string,
  options: SimpleRequestOptions & { maxBytes?: number },
): Promise<HttpResponse> {
  const headers: Record<string, string> = { accept, "user-agent": options.userAgent };
  if (new URL(url).origin === endpoint.credentialOrigin) {
    const authorization = await endpoint.authorize?.();
    if (authorization) headers.authorization = authorization;
  }
  try {
    return await withRetries(
      () =>
        send(endpoint.dispatcher, {
          method: "GET",
          url,
          headers,
          stallTimeoutMs: options.stallTimeoutMs,
          signal: options.signal,
          maxBodyBytes: options.maxBytes ?? options.maxPageBytes ?? MAX_PAGE_BYTES,
          trace: endpoint.trace,
        }),
      options.retry ?? defaultRetryPolicy,
      {
        signal: options.signal,
        onRetry: (event) =>
          endpoint.trace?.({
            kind: "note",
            text: `retrying GET ${url} in ${(event.delayMs / 1000).toFixed(1)}s (attempt ${event.attempt + 1}): ${event.reason}`,
          }),
        onGiveUp: (why) => endpoint.trace?.({ kind: "note", text: `GET ${url}: ${why}` }),
      },
    );
  } catch (error) {
    if (options.signal?.aborted) {
      throw new SimpleIndexError(`${endpoint.server}: interrupted while reading ${url}`, {
        reason: "interrupted",
        url,
        cause: error,
      });
    }
    const message = error instanceof TransportError ? error.message : String(error);
    throw new SimpleIndexError(`${endpoint.server}: ${url}: ${message}`, {
      reason: "unreachable",
      url,
      cause: error,
    });
  }
}
