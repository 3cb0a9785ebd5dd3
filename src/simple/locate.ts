/**
 * Which simple index URL a server uses: the configured one (check-url / simple-url, --check-url),
 * none (`check-url = none`, --no-check), or one derived from the upload URL (derive.ts) that a
 * request has confirmed: the index root answers as a simple index, or (for servers without a
 * root page, such as Gitea) a project page does. An unconfirmed guess is never relied on: the
 * server then has no existence checks, as before, and `checkUrlNote` says why.
 */

import type { Dispatcher } from "undici";
import { deriveSimpleUrl } from "../config/derive-simple-url.js";
import type { ServerConfig } from "../config/types.js";
import { looksLikeHtmlPage } from "../protocol/html-text.js";
import type { HttpResponse, TraceEvent } from "../transport/http.js";
import {
  fetchProjectFiles,
  getSimplePage,
  type SimpleEndpoint,
  type SimpleRequestOptions,
} from "./client.js";
import { SimpleIndexError } from "./errors.js";
import { pageFormat } from "./page.js";

/** What endpointFor needs of a server session (execute/session.ts). */
export interface SessionLike {
  server: ServerConfig;
  dispatcher: Dispatcher;
  authorize(): Promise<string | undefined>;
  trace?: ((event: TraceEvent) => void) | undefined;
}

/** The endpoint of a server's simple index at `simpleUrl`, with the session's credentials. */
export function endpointFor(session: SessionLike, simpleUrl: string): SimpleEndpoint {
  return {
    server: session.server.name,
    simpleUrl,
    credentialOrigin: new URL(session.server.repository).origin,
    dispatcher: session.dispatcher,
    authorize: () => session.authorize(),
    trace: session.trace,
  };
}

/** The root page is read only this far: its start tells whether it is a simple index. */
const ROOT_PEEK_BYTES = 64 * 1024;

/** Whether an answer to the index root looks like a simple index (JSON or a page of links). */
function looksLikeSimpleRoot(response: HttpResponse): boolean {
  const format = pageFormat(String(response.headers["content-type"] ?? ""), response.body);
  if (format === "json") return /"(meta|projects)"\s*:/.test(response.body.slice(0, 4096));
  if (format !== "html") return false;
  const signIn =
    /<form[\s>]/i.test(response.body) && /type\s*=\s*["']?password/i.test(response.body);
  return (
    !signIn &&
    (/<a\s/i.test(response.body) ||
      !looksLikeHtmlPage(response.body) ||
      /pypi:repository-version/i.test(response.body))
  );
}

/** A confirming request's verdict; `unreachable` when no HTTP answer came at all. */
export type Confirmation =
  | { confirmed: true }
  | { confirmed: false; reason: string; unreachable?: boolean };

/**
 * Whether `endpoint.simpleUrl` is a simple index: its root answers as one, or (when the root has
 * no page: 404/405) the page of `probeProject` does.
 */
export async function confirmSimpleUrl(
  endpoint: SimpleEndpoint,
  options: SimpleRequestOptions & { probeProject?: string | undefined },
): Promise<Confirmation> {
  try {
    const { response } = await getSimplePage(endpoint, endpoint.simpleUrl, {
      ...options,
      maxBytes: ROOT_PEEK_BYTES,
      partial: true,
    });
    if (response.status === 200) {
      return looksLikeSimpleRoot(response)
        ? { confirmed: true }
        : { confirmed: false, reason: "the answer is not a simple index page" };
    }
    if (options.probeProject === undefined) {
      return { confirmed: false, reason: `${response.status} ${response.statusText}`.trim() };
    }
    const page = await fetchProjectFiles(endpoint, options.probeProject, options);
    return page.found
      ? { confirmed: true }
      : { confirmed: false, reason: "404 for the index and for the project page" };
  } catch (error) {
    if (!(error instanceof SimpleIndexError) || error.reason === "interrupted") throw error;
    return {
      confirmed: false,
      reason: error.message.replace(`${endpoint.server}: `, ""),
      unreachable: error.reason === "unreachable",
    };
  }
}

/**
 * Settles `checkUrl` of a server that has none configured: derived and confirmed, or left unset
 * with `checkUrlNote` saying why. Servers with a URL or with checks off are left as they are.
 * Resolves with the confirming request's verdict when one was sent.
 */
export async function settleSimpleUrl(
  server: ServerConfig,
  endpoint: (simpleUrl: string) => SimpleEndpoint,
  options: SimpleRequestOptions & { probeProject?: string | undefined },
): Promise<Confirmation | undefined> {
  if (server.checkUrl || server.checkUrlSource === "off") return undefined;
  const derived = deriveSimpleUrl(server.repository);
  if (!derived) {
    server.checkUrlNote =
      "no known layout for this upload URL: set check-url (or check-url = none)";
    return undefined;
  }
  const verdict: Confirmation = derived.certain
    ? { confirmed: true }
    : await confirmSimpleUrl(endpoint(derived.url), options);
  if (!verdict.confirmed) {
    server.checkUrlNote = `${derived.url} (${derived.kind} layout) not confirmed: ${verdict.reason}; set check-url (or check-url = none)`;
    return verdict;
  }
  server.checkUrl = derived.url;
  server.checkUrlSource = "derived";
  server.checkUrlNote = derived.kind;
  return verdict;
}

/** What `pkgpush servers` and dry runs say about a server's simple index, without asking it. */
export function describeSimpleUrl(server: ServerConfig): {
  url: string | null;
  source: "configured" | "derived" | "none";
  note: string;
} {
  if (server.checkUrlSource === "off") {
    return { url: null, source: "none", note: "existence checks off (check-url = none)" };
  }
  if (server.checkUrl) {
    return server.checkUrlSource === "derived"
      ? { url: server.checkUrl, source: "derived", note: `${server.checkUrlNote ?? ""} layout` }
      : { url: server.checkUrl, source: "configured", note: "check-url" };
  }
  const derived = deriveSimpleUrl(server.repository);
  if (!derived) {
    return {
      url: null,
      source: "none",
      note: "no known layout for this upload URL: set check-url (or check-url = none)",
    };
  }
  return {
    url: derived.url,
    source: "derived",
    note: `${derived.kind} layout; confirmed with one request before use`,
  };
}
