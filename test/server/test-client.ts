/**
 * A raw HTTP client for the index server's tests: node:http with no connection pool, so every
 * request is on its own connection and faults (resets, stalls) cannot leak into the next one.
 */
import http, { type IncomingHttpHeaders } from "node:http";
import { buildMultipart, type FormPart } from "./multipart.js";

export interface HttpResult {
  status: number;
  reason: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string | number>;
  /** A complete body, or a writer that streams it (and ends the request). */
  body?: Buffer | ((req: http.ClientRequest) => Promise<void>);
}

export function httpRequest(url: string, options: RequestOptions = {}): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", reject);
        res.on("end", () => {
          const body = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? "",
            headers: res.headers,
            body,
            text: body.toString("utf8"),
          });
        });
      },
    );
    req.on("error", reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else body(req).catch(reject);
  });
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;
}

/** POSTs a form with a Content-Length, as every well-behaved upload client does. */
export function postForm(
  url: string,
  parts: FormPart[],
  options: { auth?: [string, string]; headers?: Record<string, string | number> } = {},
): Promise<HttpResult> {
  const { body, contentType } = buildMultipart(parts);
  return httpRequest(url, {
    method: "POST",
    headers: {
      "Content-Type": contentType,
      "Content-Length": body.length,
      ...(options.auth ? { Authorization: basicAuth(...options.auth) } : {}),
      ...options.headers,
    },
    body,
  });
}

/** Writes a chunk, waiting for the socket when its buffer is full. */
export async function writeChunk(req: http.ClientRequest, chunk: Buffer): Promise<void> {
  if (!req.write(chunk)) {
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        req.off("error", onError);
        resolve();
      };
      const onError = (err: Error) => {
        req.off("drain", onDrain);
        reject(err);
      };
      req.once("drain", onDrain);
      req.once("error", onError);
    });
  }
}
