/**
 * Answers the test index server gives, as plain values: Warehouse's plain-text refusals, plain
 * status pages, redirects. Every rule module returns or throws these; only `plumbing.ts` writes
 * them to a socket.
 */

import http from "node:http";

/** A refusal or answer; `warehouse` puts the message into the status text too. */
export interface Answer {
  status: number;
  reason?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Thrown by validation steps; carries the complete answer. */
export class Refusal extends Error {
  constructor(readonly answer: Answer) {
    super(answer.reason ?? String(answer.status));
  }
}

export const TEXT_PLAIN = "text/plain; charset=UTF-8";

/** Pyramid's explanations, which Warehouse's plain-text error bodies carry. */
const EXPLANATIONS: Record<number, string> = {
  400: "The server could not comply with the request since it is either malformed or otherwise incorrect.",
  401: "This server could not verify that you are authorized to access the document you requested.",
  403: "Access was denied to this resource.",
  404: "The resource could not be found.",
  405: "The method is not allowed for this resource.",
  410: "This resource is no longer available.  No forwarding address is given.",
  411: "Content-Length header required.",
  413: "The request is larger than the server is willing or able to process.",
};

/** A Warehouse-style answer: `HTTP/1.1 400 <message>`, and the message in a Pyramid body. */
export function warehouse(
  status: number,
  message: string,
  headers?: Record<string, string>,
): Answer {
  const reason = sanitizeReason(message);
  const explanation = EXPLANATIONS[status] ?? "";
  return {
    status,
    reason,
    body: `${status} ${reason}\n\n${explanation}\n\n\n${message}\n\n`,
    contentType: TEXT_PLAIN,
    ...(headers ? { headers } : {}),
  };
}

/** Ends a validation step with a Warehouse-style refusal. */
export function refuse(status: number, message: string, headers?: Record<string, string>): never {
  throw new Refusal(warehouse(status, message, headers));
}

/** A plain answer with the standard reason phrase. */
export function plain(status: number, body?: string, contentType = TEXT_PLAIN): Answer {
  return { status, body: body ?? `${status} ${http.STATUS_CODES[status] ?? ""}\n`, contentType };
}

/** A 200 with a plain-text body (empty, as Warehouse answers a successful upload). */
export function ok(body = ""): Answer {
  return { status: 200, body, contentType: TEXT_PLAIN };
}

export function redirect(status: number, location: string): Answer {
  return {
    ...plain(status, `${status} ${http.STATUS_CODES[status] ?? ""}\n\nLocation: ${location}\n`),
    headers: { Location: location },
  };
}

/**
 * Makes a message usable as an HTTP reason phrase: Node refuses anything outside tab and
 * printable latin-1, so line breaks become spaces and other characters `?`.
 */
export function sanitizeReason(message: string): string {
  const oneLine = message
    .replace(/[\r\n\t]+/g, " ")
    .replace(/[^\x20-\x7e\xa0-\xff]/g, "?")
    .trim();
  return oneLine.length > 1024 ? `${oneLine.slice(0, 1021)}...` : oneLine;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
