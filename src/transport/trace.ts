import type { TraceEvent } from "./types.js";

/** Headers whose values are secrets: shown as their scheme only. */
const SECRET_HEADERS = new Set(["authorization", "proxy-authorization", "cookie", "set-cookie"]);

function headerLine(headers: Record<string, string | string[] | undefined>): string {
  return Object.entries(headers)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => {
      const text = Array.isArray(value) ? value.join(", ") : String(value);
      if (!SECRET_HEADERS.has(name.toLowerCase())) return `${name}: ${text}`;
      const scheme = /^(basic|bearer|token)\s/i.exec(text)?.[1];
      return `${name}: ${scheme ? `${scheme} ` : ""}***`;
    })
    .join("; ");
}

/**
 * `-v`: one line per request, answer, failure and retry decision (as twine's --verbose), with
 * secret headers reduced to their scheme. The lines still pass through the output redaction.
 */
export function formatTrace(server: string, event: TraceEvent): string[] {
  switch (event.kind) {
    case "request":
      return [
        `http: [${server}] > ${event.method} ${event.url}`,
        `http: [${server}]   ${headerLine(event.headers)}`,
      ];
    case "response":
      return [
        `http: [${server}] < ${event.status} ${event.statusText} for ${event.method} ${event.url} in ${(event.ms / 1000).toFixed(2)}s (${event.bytes} B${event.truncated ? ", cut at the cap" : ""})`,
        `http: [${server}]   ${headerLine(event.headers)}`,
        ...(event.preview
          ? [`http: [${server}]   body: ${event.preview.replace(/\s+/g, " ").trim()}`]
          : []),
      ];
    case "error":
      return [
        `http: [${server}] ! ${event.method} ${event.url} failed after ${(event.ms / 1000).toFixed(2)}s: ${event.message}`,
      ];
    case "note":
      return [`http: [${server}]   ${event.text}`];
  }
}
