/**
 * Downloads one file from a simple index into the private folder: streamed to disk while its
 * digests are computed (never whole in memory), bounded in size and time, retried from the start
 * when the connection breaks mid-file, and kept only when the bytes hash to what the index said.
 * The source's credentials go only to the source's own origin: a file on another host (a CDN),
 * or a redirect there, gets no Authorization header.
 */
import { rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { Dispatcher } from "undici";
import { type Digests, digestAccumulator } from "../distributions/digests.js";
import { describeNetworkError, type TraceEvent, TransportError } from "../transport/http.js";
import {
  backoffDelay,
  isRetryableError,
  isRetryableStatus,
  parseRetryAfter,
  type RetryPolicy,
} from "../transport/retry.js";
import type { Downloaded } from "./download-types.js";
import type { ListedFile } from "./types.js";
import { writeBody } from "./write-body.js";

/** Why a download failed; `final` ones are not retried (another try gives the same answer). */
export class DownloadError extends TransportError {
  constructor(
    message: string,
    code: string,
    readonly final: boolean,
  ) {
    super(message, code);
    this.name = "DownloadError";
  }
}

export interface DownloadOptions {
  dispatcher: Dispatcher;
  /** Folder to write into (the private temporary folder). */
  dir: string;
  /** The source's Authorization value, sent only to `credentialOrigin`. */
  authorization?: string | undefined;
  /** Origin (scheme://host:port) the credentials belong to: the source index's. */
  credentialOrigin: string;
  /**
   * Compute md5 too (a target asks for it: `md5-digest = true`). sha256 and BLAKE2b-256 are
   * always computed in the same pass: the upload form carries them, so the files are not read and
   * hashed a second time before they are sent.
   */
  md5?: boolean | undefined;
  /** Refuse a file larger than this (the index's `size`, when given, is the tighter bound). */
  maxBytes: number;
  /** No bytes for this long aborts the attempt. */
  stallTimeoutMs: number;
  /** After the first stallTimeoutMs, the average rate must stay above this (a slow trickle). */
  minBytesPerSecond: number;
  retry: RetryPolicy;
  userAgent: string;
  signal?: AbortSignal | undefined;
  onProgress?: ((bytes: number) => void) | undefined;
  onRetry?: ((attempt: number, delayMs: number, reason: string) => void) | undefined;
  trace?: ((event: TraceEvent) => void) | undefined;
}

export type { Downloaded } from "./download-types.js";

const MAX_REDIRECTS = 5;

/** A file name from an index becomes a path in our folder: it must be one plain name. */
export function safeFileName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= 255 &&
    name !== "." &&
    name !== ".." &&
    !name.startsWith(".") &&
    !/[/\\\0]/.test(name)
  );
}

export async function downloadFile(
  file: ListedFile & { sha256: string },
  options: DownloadOptions,
): Promise<Downloaded> {
  if (!safeFileName(file.filename)) {
    throw new DownloadError(
      `the index lists an unsafe file name (${JSON.stringify(file.filename)})`,
      "BAD_NAME",
      true,
    );
  }
  const target = join(options.dir, file.filename);
  const partial = `${target}.part`;
  for (let attempt = 1; ; attempt++) {
    try {
      const { size, digests } = await fetchOnce(file, partial, options);
      await rename(partial, target);
      return { path: target, size, ...digests, attempts: attempt };
    } catch (caught) {
      await rm(partial, { force: true });
      const error = asDownloadError(caught, file.url);
      const retryable = !error.final && isRetryableError(error);
      if (!retryable || attempt > options.retry.retries || options.signal?.aborted) {
        if (options.signal?.aborted) throw new DownloadError("interrupted", "ABORTED", true);
        if (attempt > 1) error.message += ` (after ${attempt} attempts)`;
        throw error;
      }
      const delayMs = error.retryAfterMs ?? backoffDelay(attempt, options.retry);
      options.onRetry?.(attempt, delayMs, error.message);
      await sleep(delayMs, undefined, { signal: options.signal }).catch(() => undefined);
    }
  }
}

type Hasher = Awaited<ReturnType<typeof digestAccumulator>>;

type Failure = DownloadError & { retryAfterMs?: number };

function asDownloadError(error: unknown, url: string): Failure {
  if (error instanceof DownloadError) return error;
  const described =
    error instanceof TransportError ? error : describeNetworkError(error as Error, new URL(url));
  const code = (described as TransportError).code ?? "NETWORK";
  return new DownloadError(described.message, code, false);
}

/** One attempt: follow redirects (credentials stay on their origin), stream, hash, check. */
async function fetchOnce(
  file: ListedFile & { sha256: string },
  partial: string,
  options: DownloadOptions,
): Promise<{ size: number; digests: Digests }> {
  const watchdog = new Watchdog(options);
  try {
    // Ready before the request: nothing is awaited between the answer and reading its body.
    const hash = await digestAccumulator(options.md5 === true);
    let url = file.url;
    let authorization = options.authorization;
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      // Once the chain has left the credentials' origin, it never gets them back.
      if (new URL(url).origin !== options.credentialOrigin) authorization = undefined;
      const headers: Record<string, string> = {
        "user-agent": options.userAgent,
        // The bytes as stored: a transparent gzip would change what is hashed and sized.
        "accept-encoding": "identity",
      };
      if (authorization) headers.authorization = authorization;
      options.trace?.({ kind: "request", method: "GET", url, headers });
      const started = Date.now();
      const parsed = new URL(url);
      const response = await options.dispatcher.request({
        origin: parsed.origin,
        path: `${parsed.pathname}${parsed.search}`,
        method: "GET",
        headers,
        signal: watchdog.signal,
      });
      watchdog.progress(0);
      const { statusCode: status } = response;
      options.trace?.({
        kind: "response",
        method: "GET",
        url,
        status,
        statusText: "",
        headers: response.headers,
        ms: Date.now() - started,
        bytes: 0,
        truncated: false,
      });
      if (status >= 300 && status < 400 && response.headers.location) {
        discard(response.body);
        url = new URL(String(response.headers.location), url).toString();
        continue;
      }
      if (status !== 200) {
        discard(response.body);
        throw statusError(status, response.headers["retry-after"], authorization !== undefined);
      }
      return await save(file, partial, { response, hash, watchdog }, options);
    }
    throw new DownloadError(`more than ${MAX_REDIRECTS} redirects`, "REDIRECTS", true);
  } catch (error) {
    throw watchdog.reason ?? error;
  } finally {
    watchdog.stop();
  }
}

/** An answer body not wanted: closed without reading it (its abort error has a listener). */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.on("error", () => undefined);
  body.destroy();
}

function statusError(
  status: number,
  retryAfter: string | string[] | undefined,
  withCredentials: boolean,
): Failure {
  const retryable = isRetryableStatus(status);
  const hint =
    status === 401 || status === 403
      ? withCredentials
        ? ": the source's credentials were refused"
        : ": the source wants credentials (set them for the --from server)"
      : "";
  const error: Failure = new DownloadError(
    `the source answered ${status}${hint}`,
    `HTTP_${status}`,
    !retryable,
  );
  // Retryable failures go back through isRetryableError, which wants a TransportError code.
  const asked = parseRetryAfter(retryAfter);
  if (asked !== undefined) error.retryAfterMs = Math.min(asked, 60_000);
  return error;
}

/**
 * Streams the body to `partial` through a size counter and the digests (sha256, BLAKE2b-256, md5
 * when asked); checks length and sha256.
 */
async function save(
  file: ListedFile & { sha256: string },
  partial: string,
  {
    response,
    hash,
    watchdog,
  }: { response: Dispatcher.ResponseData; hash: Hasher; watchdog: Watchdog },
  options: DownloadOptions,
): Promise<{ size: number; digests: Digests }> {
  const announced = Number(response.headers["content-length"] ?? Number.NaN);
  const limit = Math.min(options.maxBytes, file.size ?? Number.POSITIVE_INFINITY);
  if (announced > limit) {
    discard(response.body);
    throw tooLarge(announced, file, options);
  }
  let size = 0;
  await writeBody(response.body, partial, (chunk) => {
    size += chunk.length;
    if (size > limit) throw tooLarge(size, file, options);
    hash.update(chunk);
    watchdog.progress(chunk.length);
    options.onProgress?.(chunk.length);
  });
  const expected = Number.isFinite(announced) ? announced : file.size;
  if (expected !== undefined && size < expected) {
    // The connection ended early without an error: a truncated file, worth another try.
    throw new DownloadError(
      `the download ended after ${size} of ${expected} bytes`,
      "TRUNCATED",
      false,
    );
  }
  const digests = hash.digest();
  const { sha256 } = digests;
  if (sha256 !== file.sha256) {
    throw new DownloadError(
      `sha256 mismatch: the source's index says ${file.sha256}, the downloaded bytes are ${sha256}; not uploaded anywhere`,
      "HASH_MISMATCH",
      true,
    );
  }
  return { size, digests };
}

function tooLarge(bytes: number, file: ListedFile, options: DownloadOptions): DownloadError {
  const bound =
    file.size !== undefined && file.size < options.maxBytes
      ? `the ${file.size} bytes the index lists`
      : `--max-download-size (${options.maxBytes} bytes)`;
  return new DownloadError(
    `the download is larger than ${bound} (${bytes} bytes)`,
    "TOO_LARGE",
    true,
  );
}

/**
 * Bounds one attempt in time: no bytes for stallTimeoutMs, or (after that long) an average rate
 * below minBytesPerSecond, aborts it. Also forwards the run's signal (Ctrl-C).
 */
class Watchdog {
  private readonly controller = new AbortController();
  private readonly started = Date.now();
  private last = Date.now();
  private bytes = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly onAbort: () => void;
  reason: DownloadError | undefined;

  constructor(private readonly options: DownloadOptions) {
    this.onAbort = () => this.fail(new DownloadError("interrupted", "ABORTED", true));
    options.signal?.addEventListener("abort", this.onAbort, { once: true });
    if (options.signal?.aborted) this.onAbort();
    const every = Math.min(250, Math.max(20, options.stallTimeoutMs / 4));
    this.timer = setInterval(() => this.check(), every);
    this.timer.unref();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  progress(bytes: number): void {
    this.bytes += bytes;
    this.last = Date.now();
  }

  private check(): void {
    const now = Date.now();
    const { stallTimeoutMs, minBytesPerSecond } = this.options;
    if (now - this.last > stallTimeoutMs) {
      this.fail(
        new DownloadError(
          `no data for ${Math.round(stallTimeoutMs / 100) / 10} s (source stalled)`,
          "STALLED",
          false,
        ),
      );
    } else if (
      now - this.started > stallTimeoutMs &&
      this.bytes / ((now - this.started) / 1000) < minBytesPerSecond
    ) {
      this.fail(
        new DownloadError(
          `slower than ${Math.round(minBytesPerSecond / 1024)} KiB/s on average (a trickle)`,
          "SLOW",
          false,
        ),
      );
    }
  }

  private fail(error: DownloadError): void {
    if (this.reason) return;
    this.reason = error;
    this.controller.abort(error);
  }

  stop(): void {
    clearInterval(this.timer);
    this.options.signal?.removeEventListener("abort", this.onAbort);
  }
}
