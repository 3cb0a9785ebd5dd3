import { redact } from "../report/redact.js";
import type { HttpResponse } from "../transport/http.js";

/** `held`: not sent to a permanent index because another server refused the same file. */
export type OutcomeStatus =
  | "uploaded"
  | "registered"
  | "not-needed"
  | "skipped"
  | "failed"
  | "held";

/** What one request to one server achieved, in words a release engineer can act on. */
export interface Outcome {
  status: OutcomeStatus;
  /** Short reason: server's words for failures and skips. */
  reason?: string | undefined;
  httpStatus?: number | undefined;
}

const MAX_REASON = 300;

/** A server's answer as one short line: HTML tags and runs of white space removed. */
export function trimBody(body: string, max = MAX_REASON): string {
  // Redacted first: collapsing white space or cutting the text could split an echoed secret.
  const text = redact(body)
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, " ")
    .replace(/<[^>]+>/g, " ")
    .replace(/&nbsp;/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();
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

/** "400 Bad Request: File already exists ..." without repeating the status text in the body. */
export function describeResponse(response: HttpResponse): string {
  const head = `${response.status} ${response.statusText}`.trim();
  const body = trimBody(response.body);
  const text = response.statusText.trim();
  // Warehouse repeats its message (status text) in a boilerplate body: the status line says it all.
  if (
    body === "" ||
    (text.length > 0 && body.includes(text) && text !== STATUS_PHRASES[response.status])
  ) {
    return head;
  }
  if (body.startsWith(head)) return body;
  return `${head}: ${body}`;
}

/**
 * How each server says "this file is already there" (twine's --skip-existing table, PROTOCOL.md).
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

export function classifyUpload(
  response: HttpResponse,
  requestUrl: string,
  options: { skipExisting: boolean },
): Outcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { status: "uploaded", httpStatus: status };
  if (options.skipExisting && isAlreadyExists(response)) {
    return {
      status: "skipped",
      reason: `already exists (${describeResponse(response)})`,
      httpStatus: status,
    };
  }
  return { status: "failed", reason: failureReason(response, requestUrl), httpStatus: status };
}

export function classifyRegister(response: HttpResponse, requestUrl: string): Outcome {
  const { status } = response;
  if (status >= 200 && status < 300) return { status: "registered", httpStatus: status };
  // PyPI has refused pre-registration since 2018: uploading creates the project.
  if (status === 410)
    return { status: "not-needed", reason: describeResponse(response), httpStatus: status };
  return { status: "failed", reason: failureReason(response, requestUrl), httpStatus: status };
}

function failureReason(response: HttpResponse, requestUrl: string): string {
  const { status } = response;
  if (status >= 300 && status < 400) return redirectReason(response, requestUrl);
  const described = describeResponse(response);
  if (status === 405) {
    return `${described} (is ${requestUrl} a simple index URL? Uploads go to the upload URL, e.g. https://upload.pypi.org/legacy/)`;
  }
  if (status === 401 || (status === 403 && !isAlreadyExists(response))) {
    return `${described} (check the user name and password or token for this server)`;
  }
  return described;
}
