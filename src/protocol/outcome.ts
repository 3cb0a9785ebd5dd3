import type { HttpResponse } from "../transport/types.js";
import { htmlToText } from "./html-text.js";

/**
 * `held`: not sent to a permanent index because another server refused the same file.
 * `not-sent`: not sent because this server had refused for good (credentials, wrong URL, TLS).
 * `unknown`: sent, but whether it landed could not be told (interrupted, or an HTML page as answer).
 */
export type OutcomeStatus =
  | "uploaded"
  | "registered"
  | "not-needed"
  | "skipped"
  | "failed"
  | "held"
  | "not-sent"
  | "unknown";

/** How many results have each status (every status present, 0 when none). */
export function countStatuses(statuses: Iterable<OutcomeStatus>): Record<OutcomeStatus, number> {
  const counts: Record<OutcomeStatus, number> = {
    uploaded: 0,
    registered: 0,
    "not-needed": 0,
    skipped: 0,
    failed: 0,
    held: 0,
    "not-sent": 0,
    unknown: 0,
  };
  for (const status of statuses) counts[status]++;
  return counts;
}

/**
 * A held, not-sent or unconfirmed file did not (surely) land where it should: as much a reason
 * for exit 1 as a failure.
 */
export function someNotLanded(counts: Record<OutcomeStatus, number>): boolean {
  return counts.failed + counts.held + counts["not-sent"] + counts.unknown > 0;
}

/** Why, for machines (`reasonCode` in the JSON report); the words are in `reason`. */
export type ReasonCode =
  | "already-exists"
  | "auth"
  | "forbidden"
  | "not-found"
  | "redirect"
  | "invalid-file"
  | "too-large"
  | "rate-limited"
  | "server-error"
  | "http-error"
  | "network"
  | "timeout"
  | "tls"
  | "proxy"
  | "interrupted"
  | "outcome-unknown"
  | "not-confirmed"
  | "held"
  | "different-file"
  | "local-file"
  /** sync: the file was not downloaded from the source (network, status, size)... */
  | "download"
  /** ...or its bytes did not match the source's sha256: it goes nowhere. */
  | "hash-mismatch";

/** What one request to one server achieved, in words a release engineer can act on. */
export interface Outcome {
  status: OutcomeStatus;
  /** Short reason: server's words for failures and skips. */
  reason?: string | undefined;
  httpStatus?: number | undefined;
  code?: ReasonCode | undefined;
}

const MAX_REASON = 300;

/** The run's redaction of server text (secrets a server echoes back); see report/redact.ts. */
export type Redact = (text: string) => string;
const unchanged: Redact = (text) => text;

/** A server's answer as one short line: HTML tags, entities and runs of white space removed. */
export function trimBody(body: string, max = MAX_REASON, redact: Redact = unchanged): string {
  // Redacted before collapsing white space and cutting (either could split an echoed secret), and
  // again after entities are decoded (an entity-encoded secret is whole only then).
  const text = redact(htmlToText(redact(body)));
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Standard reason phrases: a status text equal to one of these carries no server message. */
const STATUS_PHRASES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  410: "Gone",
  413: "Payload Too Large",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/** Escapes a string for use inside a regular expression. */
const literal = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The body's own words: the status line repeated in it (`Error: 409 Conflict`, Warehouse's
 * `400 <message>`), bottle's "Sorry, the requested URL ... caused an error:" and repeated
 * sentences removed.
 */
function messageOf(response: HttpResponse, head: string, redact: Redact): string {
  let text = trimBody(response.body, 4 * MAX_REASON, redact);
  const phrases = [head, `${response.status} ${STATUS_PHRASES[response.status] ?? ""}`.trim()];
  for (const phrase of phrases) {
    text = text.replace(new RegExp(`(Error:\\s*)?${literal(phrase)}[:.]?`, "gi"), " ");
  }
  text = text.replace(/Sorry, the requested URL .*? caused an error:/gi, " ");
  const seen = new Set<string>();
  const sentences = text
    .split(/(?<=[.!?])\s+/)
    .map((part) => part.trim())
    .filter((part) => part !== "" && !seen.has(part) && seen.add(part));
  return trimBody(sentences.join(" "), MAX_REASON, redact);
}

/** "409 Conflict: Package 'x' already exists!", the status text never repeated. */
export function describeResponse(response: HttpResponse, redact: Redact = unchanged): string {
  const head = `${response.status} ${response.statusText}`.trim();
  const body = messageOf(response, head, redact);
  const text = response.statusText.trim();
  // Warehouse repeats its message (status text) in a boilerplate body: the status line says it all.
  if (
    body === "" ||
    (text.length > 0 && body.includes(text) && text !== STATUS_PHRASES[response.status])
  ) {
    return head;
  }
  return `${head}: ${body}`;
}

/**
 * How each server says "this file is already there" (twine's --skip-existing table;
 * docs/protocol.md, "How servers answer an upload").
 * Only consulted with --skip-existing: otherwise a conflict is a failure the user must see.
 */
export function isAlreadyExists(response: HttpResponse): boolean {
  const text = `${response.statusText} ${response.body}`.toLowerCase();
  switch (response.status) {
    case 409:
      return true; // pypiserver and older servers
    case 400:
      return (
        text.includes("already exist") || // PyPI, GitLab, pypiserver (full form)
        text.includes("updating asset") || // Nexus
        text.includes("already been taken") || // older GitLab
        text.includes("filename has already been used") // PyPI, after a deletion
      );
    case 403:
      return text.includes("overwrite artifact"); // Artifactory
    default:
      return false;
  }
}

function redirectReason(response: HttpResponse, requestUrl: string): string {
  const location = response.headers.location;
  const target = Array.isArray(location) ? location[0] : location;
  return `${response.status} ${response.statusText}: the server redirects ${requestUrl} to ${target ?? "(no Location)"}; credentials are not sent across redirects. Set repository to the final upload URL (often it differs only by a trailing slash)`;
}

/** A 403 about one project (owners, maintainers), not about the credentials themselves. */
function isProjectPermission(response: HttpResponse): boolean {
  const text = `${response.statusText} ${response.body}`.toLowerCase();
  return /project/.test(text) && /(allowed|permission|owner|maintainer)/.test(text);
}

/** The machine-readable reason of a non-2xx answer. */
export function answerCode(response: HttpResponse): ReasonCode {
  const { status } = response;
  if (status >= 300 && status < 400) return "redirect";
  if (isAlreadyExists(response)) return "already-exists";
  if (status === 401) return "auth";
  if (status === 403) return isProjectPermission(response) ? "forbidden" : "auth";
  if (status === 404 || status === 405) return "not-found";
  if (status === 413) return "too-large";
  if (status === 429) return "rate-limited";
  if (status === 400 || status === 422) return "invalid-file";
  if (status >= 500) return "server-error";
  return "http-error";
}

/** Where the server is, for hints. */
export interface ServerHints {
  /** The URL the request went to. */
  url: string;
  /** The server's simple index, when known. */
  checkUrl?: string | undefined;
  /** Masks secrets the server echoes back in its answer. */
  redact?: Redact | undefined;
}

export function classifyUpload(
  response: HttpResponse,
  server: ServerHints,
  options: { skipExisting: boolean },
): Outcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { status: "uploaded", httpStatus: status };
  const code = answerCode(response);
  if (options.skipExisting && code === "already-exists") {
    return {
      status: "skipped",
      reason: `already exists (${describeResponse(response, server.redact)})`,
      httpStatus: status,
      code,
    };
  }
  return { status: "failed", reason: failureReason(response, server), httpStatus: status, code };
}

export function classifyRegister(response: HttpResponse, server: ServerHints): Outcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { status: "registered", httpStatus: status };
  // PyPI has refused pre-registration since 2018: uploading creates the project.
  if (status === 410)
    return {
      status: "not-needed",
      reason: describeResponse(response, server.redact),
      httpStatus: status,
    };
  return {
    status: "failed",
    reason: failureReason(response, server),
    httpStatus: status,
    code: answerCode(response),
  };
}

/** `https://host/root/pypi/+simple/` -> `https://host/root/pypi/`: where uploads usually go. */
export function uploadUrlFor(simpleUrl: string): string | undefined {
  const url = new URL(simpleUrl);
  const path = url.pathname.replace(/\/\+?simple\/?$/, "/");
  if (path === url.pathname) return undefined;
  url.pathname = path;
  return url.toString();
}

function wrongUrlHint(server: ServerHints): string {
  const guess = uploadUrlFor(server.url);
  if (guess) {
    return `is ${server.url} the upload URL? It looks like a simple index (where pip reads); uploads usually go to ${guess}`;
  }
  const simple = server.checkUrl ? ` (the simple index is at ${server.checkUrl})` : "";
  return `is ${server.url} the upload URL?${simple} Uploads go to e.g. https://upload.pypi.org/legacy/ or devpi's https://HOST/USER/INDEX/`;
}

function failureReason(response: HttpResponse, server: ServerHints): string {
  const described = describeResponse(response, server.redact);
  switch (answerCode(response)) {
    case "redirect":
      return redirectReason(response, server.url);
    case "not-found":
      return `${described} (${wrongUrlHint(server)})`;
    case "auth":
      return `${described} (check the user name and password or token for this server)`;
    case "already-exists":
      return `${described} (a file name can be used once: ${server.checkUrl ? "--skip-existing treats it as done" : "--skip-existing, or a check-url for this server, skips files already there"})`;
    default:
      return described;
  }
}
