import type { Job } from "../plan/plan.js";
import { htmlTitle, looksLikeHtmlPage } from "../protocol/html-text.js";
import type { Outcome } from "../protocol/outcome.js";
import type { HttpResponse } from "../transport/http.js";
import { ExistenceChecker } from "./existence.js";

/** How long an interrupted run may spend asking the check URL: exit 130 stays within a second. */
export const INTERRUPT_CHECK_MS = 600;

/**
 * A 2xx answer that is an HTML page comes from a proxy or login page more often than from an
 * index (indexes answer with an empty or plain-text body). It counts only once the check URL
 * lists the file; without one, the outcome is `unknown`.
 */
export async function confirmHtmlAnswer(
  job: Job,
  response: HttpResponse,
  checker: ExistenceChecker,
  sha256: string | undefined,
): Promise<Outcome | undefined> {
  if (job.action !== "upload" || !looksLikeHtmlPage(response.body)) return undefined;
  const title = htmlTitle(response.body);
  const page = `the server answered ${response.status} with an HTML page${title ? ` ("${title}")` : ""}, not an upload answer (a proxy or login page?)`;
  if (sha256 === undefined || !ExistenceChecker.canCheck(job.server)) {
    return {
      status: "unknown",
      reason: `${page}; not confirmed: no check URL for this server (set check-url to confirm uploads)`,
      httpStatus: response.status,
      code: "not-confirmed",
    };
  }
  const after = await checker.presence(job.server, job.dist, sha256, { fresh: true });
  if (after.state === "same") {
    return {
      status: "uploaded",
      reason: `confirmed by the check URL (${page})`,
      httpStatus: response.status,
    };
  }
  return {
    status: after.state === "unknown" ? "unknown" : "failed",
    reason: `${page}; the check URL ${after.state === "unknown" ? `cannot tell (${after.reason})` : "does not list the file"}`,
    httpStatus: response.status,
    code: "not-confirmed",
  };
}

/**
 * Interrupted after the whole file was sent: the server may have stored it. Where a check URL is
 * known, ask it (briefly); otherwise say so rather than call it failed.
 */
export async function interruptedAfterSending(
  job: Job,
  checker: ExistenceChecker,
  sha256: string | undefined,
): Promise<Outcome> {
  const unknown: Outcome = {
    status: "unknown",
    reason: "sent, outcome unknown (interrupted while waiting for the answer)",
    code: "outcome-unknown",
  };
  if (job.action !== "upload" || sha256 === undefined || !ExistenceChecker.canCheck(job.server)) {
    return unknown;
  }
  const after = await checker.presence(job.server, job.dist, sha256, {
    fresh: true,
    signal: AbortSignal.timeout(INTERRUPT_CHECK_MS),
  });
  if (after.state === "same") {
    return {
      status: "uploaded",
      reason:
        "interrupted while waiting for the answer; the check URL lists the file (same sha256)",
    };
  }
  if (after.state === "absent") {
    return {
      status: "failed",
      reason: "interrupted while waiting for the answer; the check URL does not list the file",
      code: "interrupted",
    };
  }
  return unknown;
}
