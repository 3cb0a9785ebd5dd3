import { ExitCode, PkgpushError } from "../errors.js";

/**
 * Why a simple index could not say what it holds (machine-readable):
 * `unreachable` (network, TLS, timeouts, after the retries), `auth` (401/403), `status` (another
 * HTTP status), `redirect` (to another origin, or too many), `too-large` (over the size cap),
 * `not-an-index` (an answer that is no simple page: a login page, broken JSON), `interrupted`.
 */
export type SimpleIndexFailure =
  | "unreachable"
  | "auth"
  | "status"
  | "redirect"
  | "too-large"
  | "not-an-index"
  | "interrupted";

/** A simple index (PEP 503/691) gave no usable answer for a page; the message names the URL. */
export class SimpleIndexError extends PkgpushError {
  readonly reason: SimpleIndexFailure;
  readonly url: string;
  readonly httpStatus: number | undefined;
  constructor(
    message: string,
    details: { reason: SimpleIndexFailure; url: string; httpStatus?: number; cause?: unknown },
  ) {
    super(message, {
      exitCode: details.reason === "interrupted" ? ExitCode.interrupted : ExitCode.failed,
      cause: details.cause,
    });
    this.reason = details.reason;
    this.url = details.url;
    this.httpStatus = details.httpStatus;
  }
}
