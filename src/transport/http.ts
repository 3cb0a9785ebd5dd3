import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import { type Dispatcher, EnvHttpProxyAgent } from "undici";
import { ConfigError } from "../errors.js";

/** The answer to one HTTP request; the body is kept only up to a small cap (it is for messages). */
export interface HttpResponse {
  status: number;
  statusText: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A failure before a complete HTTP answer arrived (connect, TLS, reset, stall, abort). */
export class TransportError extends Error {
  readonly code: string;
  constructor(message: string, code: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "TransportError";
    this.code = code;
  }
}

export interface ConnectionOptions {
  /** CA bundle (PEM) trusted in addition to the system's and NODE_EXTRA_CA_CERTS. */
  caCert?: string | undefined;
  /** Client certificate (PEM with certificate and private key, as twine's client_cert). */
  clientCert?: string | undefined;
  connectTimeoutMs: number;
  /** No progress (bytes sent or received) for this long aborts the request. */
  stallTimeoutMs: number;
}

const BODY_CAP = 64 * 1024;

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(error as Error).message}`, {
      hint: `check the path given to --${what === "CA bundle" ? "cert" : "client-cert"} or in .pypirc`,
    });
  }
}

/**
 * One dispatcher per distinct TLS setting. Proxies come from HTTP(S)_PROXY / NO_PROXY through
 * undici's EnvHttpProxyAgent, which is why undici is used rather than node:http.
 */
export function createDispatcher(options: ConnectionOptions): Dispatcher {
  const tls: Record<string, unknown> = { timeout: options.connectTimeoutMs };
  if (options.caCert) {
    // An explicit `ca` replaces Node's defaults, so keep the system roots and NODE_EXTRA_CA_CERTS.
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    tls.ca = [
      ...rootCertificates,
      ...(extra ? [readPem(extra, "CA bundle")] : []),
      readPem(options.caCert, "CA bundle"),
    ];
  }
  if (options.clientCert) {
    const pem = readPem(options.clientCert, "client certificate");
    tls.cert = pem;
    tls.key = pem;
  }
  return new EnvHttpProxyAgent({
    connect: tls,
    requestTls: tls,
    // Our own stall watchdog covers slow uploads; undici's timers start before the body is sent.
    headersTimeout: 0,
    bodyTimeout: options.stallTimeoutMs,
    keepAliveTimeout: 4_000,
  });
}

export interface SendRequest {
  method: "GET" | "POST";
  url: string;
  headers: Record<string, string>;
  /** A string, or a factory given a callback to call for every chunk the socket takes. */
  body?: string | ((onChunk: (bytes: number) => void) => Readable) | undefined;
  signal?: AbortSignal | undefined;
  stallTimeoutMs: number;
  /** Called with the size of every chunk of request body handed to the socket. */
  onProgress?: (bytes: number) => void;
  /** Keep at most this much of the answer (default 64 KiB: enough for messages). */
  maxBodyBytes?: number;
}

/**
 * Sends one request and resolves with the status line, headers and (capped) body. Redirects are
 * never followed: the caller decides, so credentials cannot follow a Location elsewhere.
 */
export function send(dispatcher: Dispatcher, req: SendRequest): Promise<HttpResponse> {
  const url = new URL(req.url);
  return new Promise<HttpResponse>((resolve, reject) => {
    let controller: Dispatcher.DispatchController | undefined;
    let settled = false;
    let status = 0;
    let statusText = "";
    let headers: Record<string, string | string[] | undefined> = {};
    const chunks: Buffer[] = [];
    let kept = 0;
    let lastProgress = Date.now();
    const cap = req.maxBodyBytes ?? BODY_CAP;

    const finish = (error: Error | undefined, value?: HttpResponse): void => {
      if (settled) return;
      settled = true;
      clearInterval(watchdog);
      req.signal?.removeEventListener("abort", onAbort);
      if (error) {
        if (typeof body === "object") body.destroy();
        reject(error);
      } else resolve(value as HttpResponse);
    };
    const abort = (error: Error): void => {
      if (controller && !controller.aborted) controller.abort(error);
      finish(error);
    };
    const onAbort = (): void =>
      abort(new TransportError("aborted", "ABORTED", { cause: req.signal?.reason }));
    const progress = (): void => {
      lastProgress = Date.now();
    };

    const body =
      typeof req.body === "function"
        ? req.body((bytes) => {
            progress();
            req.onProgress?.(bytes);
          })
        : req.body;

    const watchdog = setInterval(
      () => {
        if (Date.now() - lastProgress > req.stallTimeoutMs) {
          abort(
            new TransportError(
              `no progress for ${Math.round(req.stallTimeoutMs / 1000)} s (server stalled)`,
              "STALLED",
            ),
          );
        }
      },
      Math.min(1000, Math.max(50, req.stallTimeoutMs / 4)),
    );
    watchdog.unref();
    if (req.signal?.aborted) return onAbort();
    req.signal?.addEventListener("abort", onAbort, { once: true });

    if (typeof body === "object") {
      body.on("error", (error) =>
        abort(new TransportError(error.message, "BODY", { cause: error })),
      );
    }

    dispatcher.dispatch(
      {
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: req.method,
        headers: req.headers,
        body: body ?? null,
      },
      {
        onRequestStart(c) {
          controller = c;
          if (settled) c.abort(new TransportError("aborted", "ABORTED"));
        },
        onResponseStart(_c, statusCode, responseHeaders, statusMessage) {
          progress();
          status = statusCode;
          statusText = statusMessage ?? "";
          headers = responseHeaders as Record<string, string | string[] | undefined>;
        },
        onResponseData(_c, chunk) {
          progress();
          if (kept < cap) {
            chunks.push(chunk);
            kept += chunk.length;
          }
        },
        onResponseEnd() {
          finish(undefined, {
            status,
            statusText,
            headers,
            body: Buffer.concat(chunks).subarray(0, cap).toString("utf8"),
          });
        },
        onResponseError(_c, error) {
          finish(describeNetworkError(error, url));
        },
      },
    );
  });
}

/** Turns low-level socket/TLS errors into one-line messages that say what to check. */
export function describeNetworkError(error: Error, url: URL): Error {
  if (error instanceof TransportError) return error;
  const code = (error as { code?: string }).code ?? (error.cause as { code?: string })?.code ?? "";
  const host = url.host;
  const messages: Record<string, string> = {
    ECONNREFUSED: `connection refused by ${host}`,
    ECONNRESET: `connection reset by ${host}`,
    ENOTFOUND: `host ${url.hostname} not found`,
    EAI_AGAIN: `host ${url.hostname} could not be resolved (DNS)`,
    ETIMEDOUT: `timed out connecting to ${host}`,
    UND_ERR_CONNECT_TIMEOUT: `timed out connecting to ${host}`,
    UND_ERR_SOCKET: `connection to ${host} closed unexpectedly`,
    UND_ERR_BODY_TIMEOUT: `${host} stopped sending its answer`,
    EPIPE: `connection to ${host} closed while sending`,
    SELF_SIGNED_CERT_IN_CHAIN: `TLS: ${host} presented a certificate signed by an unknown CA (use --cert)`,
    DEPTH_ZERO_SELF_SIGNED_CERT: `TLS: ${host} presented a self-signed certificate (use --cert)`,
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: `TLS: cannot verify ${host}'s certificate (use --cert)`,
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `TLS: cannot verify ${host}'s certificate (use --cert)`,
    ERR_TLS_CERT_ALTNAME_INVALID: `TLS: ${host}'s certificate does not match its name`,
    CERT_HAS_EXPIRED: `TLS: ${host}'s certificate has expired`,
  };
  const message = messages[code] ?? `${host}: ${error.message}`;
  return new TransportError(message, code || "NETWORK", { cause: error });
}
