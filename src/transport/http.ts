import { readFileSync } from "node:fs";
import type { Readable } from "node:stream";
// First: the V8 flag must be set before undici compiles its WebAssembly parser.
import "./v8-flags.js";
import type { Dispatcher } from "undici";
import undiciApi from "undici/lib/api/index.js";
import DispatcherBase from "undici/lib/dispatcher/dispatcher.js";
// The agent's own module, not undici's index (which loads fetch, WebSocket, caches: vendor.d.ts).
import EnvHttpProxyAgent from "undici/lib/dispatcher/env-http-proxy-agent.js";

// What undici's index does first: dispatchers get request/connect/... (the proxy agent opens its
// CONNECT tunnels with `connect`). test/e2e/transport-proxy.test.ts covers the tunnel.
Object.assign(DispatcherBase.prototype, undiciApi);

import { ConfigError } from "../errors.js";
import type { HttpResponse, TraceEvent } from "./types.js";

export type { HttpResponse, TraceEvent } from "./types.js";

/** A failure before a complete HTTP answer arrived (connect, TLS, reset, stall, abort). */
export class TransportError extends Error {
  readonly code: string;
  /** The whole request body had been handed to the socket: the server may have acted on it. */
  bodySent = false;
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
 * One dispatcher per distinct TLS setting. Proxies come from HTTP(S)_PROXY / NO_PROXY (and their
 * lower-case forms) through undici's EnvHttpProxyAgent, which is why undici is used rather than
 * node:http. Its NO_PROXY rules: entries are host names or IP addresses (optionally `:port`),
 * matched exactly or as a domain suffix (`example.org` covers `a.example.org`); `*` disables the
 * proxy; there are no CIDR ranges, and loopback is NOT exempt by default: with HTTPS_PROXY set,
 * requests to 127.0.0.1 go through the proxy unless NO_PROXY lists `127.0.0.1` (`localhost` does
 * not cover it; IPv6 needs the bracketed form `[::1]`). https:// targets go through a CONNECT
 * tunnel; http:// targets are sent in absolute form (`POST http://host/path`) to an http:// proxy,
 * as twine, pip and curl do: proxies commonly allow CONNECT to port 443 only (Squid's default).
 */
export function createDispatcher(options: ConnectionOptions): Dispatcher {
  const tls: Record<string, unknown> = { timeout: options.connectTimeoutMs };
  if (options.caCert) {
    // An explicit `ca` replaces Node's defaults, so keep the system roots and NODE_EXTRA_CA_CERTS.
    // Loaded here rather than imported: node:tls costs each run ~6 ms, and most runs need none.
    const { rootCertificates } = process.getBuiltinModule("node:tls");
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
  // The connection to an HTTP(S)_PROXY itself: same connect timeout and CA bundle, never our
  // client certificate (that one is for the index server, through the tunnel).
  const proxyTls: Record<string, unknown> = { timeout: options.connectTimeoutMs };
  if (tls.ca) proxyTls.ca = tls.ca;
  return new EnvHttpProxyAgent({
    proxyTunnel: false,
    connect: tls,
    requestTls: tls,
    proxyTls,
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
  /** Keep at most this much of the answer (default 64 KiB: enough for messages); stop there. */
  maxBodyBytes?: number;
  /**
   * The whole answer (status line, headers, body) must arrive within this long after the request
   * body was sent (default: stallTimeoutMs): a server trickling a byte now and then is not progress.
   */
  answerTimeoutMs?: number;
  /** `-v`: told about the request, its answer or failure. */
  trace?: ((event: TraceEvent) => void) | undefined;
}

/** Watches one request: no progress for `stallMs`, or no complete answer `answerMs` after sending. */
class RequestClock {
  private lastProgress = Date.now();
  private answerSince: number | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(stallMs: number, answerMs: number, onTimeout: (error: TransportError) => void) {
    this.timer = setInterval(
      () => {
        const now = Date.now();
        // Silence is reported as a stall; a trickle that never completes, as a slow answer.
        if (now - this.lastProgress > stallMs) {
          onTimeout(
            new TransportError(`no progress for ${seconds(stallMs)} s (server stalled)`, "STALLED"),
          );
        } else if (this.answerSince !== undefined && now - this.answerSince > answerMs) {
          onTimeout(
            new TransportError(
              `no complete answer within ${seconds(answerMs)} s (--timeout) after the request was sent`,
              "ANSWER_TIMEOUT",
            ),
          );
        }
      },
      Math.min(250, Math.max(50, Math.min(stallMs, answerMs) / 4)),
    );
    this.timer.unref();
  }

  progress(): void {
    this.lastProgress = Date.now();
  }

  /** The answer phase starts once: when the body was sent or the answer began, whichever first. */
  answerPhase(): void {
    this.answerSince ??= Date.now();
  }

  get answering(): boolean {
    return this.answerSince !== undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const seconds = (ms: number): number => Math.round(ms / 100) / 10;

/**
 * Sends one request and resolves with the status line, headers and (capped) body. Redirects are
 * never followed: the caller decides, so credentials cannot follow a Location elsewhere. An answer
 * longer than the cap is cut there and its connection closed (never drained).
 */
export function send(dispatcher: Dispatcher, req: SendRequest): Promise<HttpResponse> {
  req.trace?.({ kind: "request", method: req.method, url: req.url, headers: req.headers });
  return new Promise<HttpResponse>((resolve, reject) => {
    new Exchange(req, resolve, reject).start(dispatcher);
  });
}

/** One request's state: its clock, its body, the answer so far, and how it settles (once). */
class Exchange {
  private readonly url: URL;
  private readonly started = Date.now();
  private readonly cap: number;
  private readonly clock: RequestClock;
  private readonly body: string | Readable | undefined;
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private bodySent = false;
  private sentAt: number | undefined;
  private answer: Omit<HttpResponse, "body"> = { status: 0, statusText: "", headers: {} };
  private readonly chunks: Buffer[] = [];
  private kept = 0;

  constructor(
    private readonly req: SendRequest,
    private readonly resolve: (value: HttpResponse) => void,
    private readonly reject: (error: Error) => void,
  ) {
    this.url = new URL(req.url);
    this.cap = req.maxBodyBytes ?? BODY_CAP;
    this.clock = new RequestClock(
      req.stallTimeoutMs,
      req.answerTimeoutMs ?? req.stallTimeoutMs,
      (e) => this.abort(e),
    );
    this.body =
      typeof req.body === "function"
        ? req.body((bytes) => {
            this.clock.progress();
            req.onProgress?.(bytes);
          })
        : req.body;
  }

  private readonly onAbort = (): void =>
    this.abort(new TransportError("aborted", "ABORTED", { cause: this.req.signal?.reason }));

  start(dispatcher: Dispatcher): void {
    const { req, body } = this;
    if (typeof body === "object") {
      body.on("error", (error) =>
        this.abort(new TransportError(error.message, "BODY", { cause: error })),
      );
      body.once("end", () => this.sent());
    } else {
      this.sent();
    }
    if (req.signal?.aborted) {
      this.onAbort();
      return;
    }
    req.signal?.addEventListener("abort", this.onAbort, { once: true });
    const request = {
      origin: this.url.origin,
      path: `${this.url.pathname}${this.url.search}`,
      method: req.method,
      headers: req.headers,
      body: body ?? null,
    };
    dispatcher.dispatch(request, this.handler());
  }

  private sent(): void {
    this.bodySent = true;
    this.sentAt = performance.now();
    this.clock.answerPhase();
  }

  private handler(): Dispatcher.DispatchHandler {
    return {
      onRequestStart: (c) => {
        this.controller = c;
        if (this.settled) c.abort(new TransportError("aborted", "ABORTED"));
      },
      onResponseStart: (_c, statusCode, responseHeaders, statusMessage) => {
        this.clock.progress();
        this.clock.answerPhase();
        const now = performance.now();
        this.answer = {
          status: statusCode,
          statusText: statusMessage ?? "",
          headers: responseHeaders as Record<string, string | string[] | undefined>,
          waitMs: now - (this.sentAt ?? now),
        };
      },
      onResponseData: (c, chunk) => this.data(c, chunk),
      onResponseEnd: () => this.finish(undefined),
      onResponseError: (_c, error) => this.finish(describeNetworkError(error, this.url)),
    };
  }

  private data(c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.clock.progress();
    const room = this.cap - this.kept;
    this.chunks.push(chunk.length > room ? chunk.subarray(0, room) : chunk);
    this.kept += Math.min(room, chunk.length);
    if (chunk.length > room) {
      // Enough for any message or index page: close the connection rather than drain it.
      this.finish(undefined, true);
      c.abort(new TransportError("answer over the size cap", "ANSWER_CAP"));
    }
  }

  private abort(error: Error): void {
    if (this.controller && !this.controller.aborted) this.controller.abort(error);
    this.finish(error);
  }

  private finish(error: Error | undefined, truncated = false): void {
    if (this.settled) return;
    this.settled = true;
    this.clock.stop();
    const { req } = this;
    req.signal?.removeEventListener("abort", this.onAbort);
    const ms = Date.now() - this.started;
    if (error) {
      if (typeof this.body === "object") this.body.destroy();
      if (error instanceof TransportError) error.bodySent = this.bodySent;
      req.trace?.({ kind: "error", method: req.method, url: req.url, message: error.message, ms });
      this.reject(error);
      return;
    }
    const value = { ...this.answer, body: Buffer.concat(this.chunks).toString("utf8"), truncated };
    const preview = this.answer.status >= 300 ? value.body.slice(0, 300) : undefined;
    const bytes = this.kept;
    req.trace?.({
      kind: "response",
      method: req.method,
      url: req.url,
      ...this.answer,
      ms,
      bytes,
      truncated,
      preview,
    });
    this.resolve(value);
  }
}

/** Turns low-level socket/TLS errors into one-line messages that say what to check. */
export function describeNetworkError(error: Error, url: URL): Error {
  if (error instanceof TransportError) return error;
  // OpenSSL 3.2 renamed its alert reasons "sslv3 alert X" to "ssl/tls alert X" (Node 24): one name.
  const code = (
    (error as { code?: string }).code ??
    (error.cause as { code?: string })?.code ??
    ""
  ).replace(/^ERR_SSL_SSL\/TLS_ALERT_/, "ERR_SSL_SSLV3_ALERT_");
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
    SELF_SIGNED_CERT_IN_CHAIN: `TLS: ${host} presented a certificate signed by an unknown CA (use --cert CA.pem, ca_cert in .pypirc, or NODE_EXTRA_CA_CERTS)`,
    DEPTH_ZERO_SELF_SIGNED_CERT: `TLS: ${host} presented a self-signed certificate (use --cert CA.pem, ca_cert in .pypirc, or NODE_EXTRA_CA_CERTS)`,
    UNABLE_TO_VERIFY_LEAF_SIGNATURE: `TLS: cannot verify ${host}'s certificate (use --cert CA.pem, ca_cert in .pypirc, or NODE_EXTRA_CA_CERTS)`,
    UNABLE_TO_GET_ISSUER_CERT_LOCALLY: `TLS: cannot verify ${host}'s certificate (use --cert CA.pem, ca_cert in .pypirc, or NODE_EXTRA_CA_CERTS)`,
    ERR_TLS_CERT_ALTNAME_INVALID: `TLS: ${host}'s certificate does not match its name`,
    CERT_HAS_EXPIRED: `TLS: ${host}'s certificate has expired`,
    // TLS 1.3 servers that require a client certificate say so with alert 116.
    ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: `TLS: ${host} requires a client certificate (use --client-cert or client_cert in .pypirc)`,
    ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: `TLS: ${host} refused our client certificate`,
    ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: `TLS: ${host} does not trust the CA of our client certificate`,
    ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: `TLS: ${host} refused the handshake (client certificate required, or no common protocol)`,
    ERR_SSL_WRONG_VERSION_NUMBER: `TLS: ${host} did not answer in TLS (is the URL http:// rather than https://?)`,
  };
  const proxy = proxyRefusal(error, url);
  if (proxy) return proxy;
  let message = messages[code];
  // Refused or timed out by another peer than the index: the HTTP(S)_PROXY in between.
  type Peer = { address?: string; port?: number } | undefined;
  const peer = (error as Peer)?.address ? (error as Peer) : (error.cause as Peer);
  const defaultPort = url.protocol === "https:" ? 443 : 80;
  if (
    (code === "ECONNREFUSED" || code === "ETIMEDOUT") &&
    peer?.address &&
    peer.port !== undefined &&
    peer.port !== (Number(url.port) || defaultPort)
  ) {
    message = `${code === "ECONNREFUSED" ? "connection refused by" : "timed out connecting to"} proxy ${peer.address}:${peer.port} (on the way to ${host}; see HTTPS_PROXY/HTTP_PROXY and NO_PROXY)`;
  }
  if (message === undefined && code.startsWith("ERR_SSL_")) {
    // OpenSSL's own text is a line of internals; its code says the same in words.
    message = `TLS: ${host}: ${code.slice("ERR_SSL_".length).toLowerCase().replace(/_/g, " ")}`;
  }
  return new TransportError(message ?? `${host}: ${error.message}`, code || "NETWORK", {
    cause: error,
  });
}

/** The proxy said no (407 credentials, or a CONNECT refused): another attempt will not change it. */
function proxyRefusal(error: Error, url: URL): TransportError | undefined {
  const text = `${error.message} ${(error.cause as Error | undefined)?.message ?? ""}`;
  const via = url.protocol === "https:" ? "HTTPS_PROXY" : "HTTP_PROXY";
  if (/Proxy Authentication Required \(407\)|Proxy response \(407\)/.test(text)) {
    return new TransportError(
      `the proxy wants credentials (407) on the way to ${url.host}: put them in ${via} (http://user:password@proxy:port), or list the host in NO_PROXY`,
      "PROXY_AUTH",
      { cause: error },
    );
  }
  const refused = /Proxy response \((\d+)\) !== 200 when HTTP Tunneling/.exec(text);
  if (refused) {
    return new TransportError(
      `the proxy refused a tunnel (CONNECT) to ${url.host} with ${refused[1]}; check ${via} and NO_PROXY`,
      "PROXY_REFUSED",
      { cause: error },
    );
  }
  return undefined;
}

/**
 * Failures that another attempt cannot fix: certificate checks and TLS handshakes refused by
 * either side (a wrong CA, name, client certificate or protocol). Retrying them only adds delay.
 */
export function isPermanentNetworkError(code: string): boolean {
  return (
    code.startsWith("ERR_SSL_") ||
    code.startsWith("ERR_TLS_") ||
    code.includes("CERT") ||
    code.includes("SELF_SIGNED") ||
    code.startsWith("UNABLE_TO_")
  );
}

/** The proxy in between refused (credentials or a tunnel): not retried, the server not tried again. */
export function isProxyRefusal(code: string): boolean {
  return code === "PROXY_AUTH" || code === "PROXY_REFUSED";
}
