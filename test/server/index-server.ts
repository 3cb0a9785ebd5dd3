/**
 * A real HTTP package index for end-to-end tests and the demo: the distutils/Warehouse "legacy"
 * upload API, a PEP 503/691 simple index and file downloads, as strict as Warehouse.
 *
 * Decisions (see also test/server/README.md):
 * - Every refusal is answered after the whole request body was read (as WSGI servers do), so a
 *   client always gets to read the answer; only the `early` status fault answers mid-body.
 * - Warehouse-style refusals carry the reason in the HTTP status text *and* the body. The
 *   pypiserver/Nexus/Artifactory/GitLab "file exists" answers imitate those servers instead.
 * - Auth: with `users`, every POST needs valid Basic credentials. A missing or wrong Authorization
 *   header answers 403 "Invalid or non-existent authentication information..." like Warehouse;
 *   with `authChallenge` a missing header answers 401 + `WWW-Authenticate: Basic realm=...`
 *   instead (pypiserver, devpi). Without `users`, uploads are anonymous. Pre-registration under
 *   `mode: "pypi"` answers 410 before any auth check, as Warehouse does.
 * - Uploaded files stream to `<storeDir>/.incoming/` while sha256 and blake2b-256 (and md5, when
 *   the form sent `md5_digest` before the file, as every client does) are computed, and are
 *   renamed into `<storeDir>/` only after the whole body arrived and every check passed: an
 *   interrupted or refused upload never stores anything.
 */

import { createHash, randomUUID } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import { mkdir, mkdtemp, rename, rm, writeFile } from "node:fs/promises";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { type Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { createBLAKE2b } from "hash-wasm";
import {
  type AnswerStream,
  describeFault,
  type FaultAction,
  FaultEngine,
  type FaultPlan,
  type FaultSubject,
  type RequestKind,
} from "./faults.js";
import { fieldTooNew, PACKAGING_METADATA_VERSIONS } from "./field-versions.js";
import {
  canonicalVersion,
  checkDistributionFilename,
  FILE_TYPES,
  FilenameError,
  type FileType,
  guessFromFilename,
  isValidProjectName,
  normalizeName,
} from "./names.js";

export type { AnswerStream, FaultAction, FaultPlan, FaultRule, RequestKind } from "./faults.js";

export type ServerMode = "pypi" | "devpi";
export type ExistsStyle = "pypi" | "pypiserver" | "nexus" | "artifactory" | "gitlab";
export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

export interface IndexServerOptions {
  /** Default 127.0.0.1; `::1` works too. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /**
   * `pypi` (default): Warehouse. `devpi`: a devpi/PloneSoftwareCenter-like index that accepts
   * `:action=submit` (register), eggs, more sdist formats, legacy versions and uploads without
   * sha256/blake2 digests.
   */
  mode?: ServerMode;
  /** username -> password. Without it, POSTs need no credentials. */
  users?: Record<string, string>;
  /** Answer a POST without Authorization with 401 + WWW-Authenticate instead of 403. */
  authChallenge?: boolean;
  /** Realm of the 401 challenge; default `pypi`. */
  realm?: string;
  /** project -> users allowed to upload/register it; projects not listed are open to all users. */
  owners?: Record<string, string[]>;
  /** Default `/legacy/`. */
  uploadPath?: string;
  /** Default `/simple/`. */
  simplePath?: string;
  /** Default `/files/`. */
  filesPath?: string;
  /** How a re-upload of a file name with other content is refused; default `pypi`. */
  existsStyle?: ExistsStyle;
  /** Largest accepted file, in bytes (413 over it); default unlimited. */
  maxFileSize?: number;
  faults?: FaultPlan;
  /** Where files are stored; default a temporary directory removed by close(). */
  storeDir?: string;
  /** Answer every POST to the upload path with a redirect to this URL. */
  redirectUploadTo?: string;
  /** Answer every GET under the simple index with a redirect to this URL + the rest of the path. */
  redirectSimpleTo?: string;
  /** Status of both redirects; default 307. */
  redirectStatus?: RedirectStatus;
  /** Called once per request when it is finished (answered, aborted, reset...). */
  onRequest?: (request: RecordedRequest) => void;
}

export type RequestOutcome = "pending" | "answered" | "aborted" | "reset" | "stalled" | "dropped";

export interface RecordedRequest {
  /** 1-based, in arrival order. */
  id: number;
  method: string;
  /** Path and query as requested. */
  path: string;
  /** Lower-case names; `authorization` reduced to scheme and user name (`Basic alice`). */
  headers: Record<string, string>;
  /** The form's `:action`, for POSTs that have one. */
  action?: string;
  /** Every non-file form field, in order, repeated ones repeated. */
  fields: Array<[string, string]>;
  /** The `content` file part as received (also when the upload was refused). */
  file?: {
    filename: string;
    size: number;
    sha256: string;
    blake2_256: string;
    md5: string;
    contentType: string;
  };
  /** The `gpg_signature` file part, when sent. */
  signature?: { filename: string; size: number };
  /** User name of valid credentials. */
  user?: string;
  /** 0 when no answer was sent (see outcome). */
  status: number;
  reason: string;
  /** Response body as text, trimmed to 4 KiB. */
  body: string;
  /** Answer body bytes written (a `stream` fault: how much the client took before it left). */
  answerBytes?: number;
  contentLength?: number;
  chunked: boolean;
  /** Request body bytes received. */
  bodyBytes: number;
  outcome: RequestOutcome;
  /** Faults applied, described (`status 503`, `reset after 10000 bytes`, ...). */
  faults: string[];
}

export interface StoredFile {
  filename: string;
  /** Project name as the uploading form (or seed) spelled it. */
  project: string;
  normalizedName: string;
  version: string;
  filetype: FileType;
  pyversion: string;
  size: number;
  sha256: string;
  blake2_256: string;
  /** Empty unless the upload sent `md5_digest` (or the seed had bytes). */
  md5: string;
  requiresPython?: string;
  uploadedAt: Date;
  uploader?: string;
  /** Absolute path on disk; absent for a file seeded by digest only. */
  path?: string;
  /** The upload's non-file form fields. */
  fields: Array<[string, string]>;
  signature?: { filename: string; size: number };
  /** The `attestations` field, as sent. */
  attestations?: string;
}

export interface ReleaseRecord {
  version: string;
  files: string[];
  /** Form fields of each accepted `:action=submit` for this release, in order. */
  registrations: Array<Array<[string, string]>>;
}

export interface ProjectRecord {
  /** Name as first spelled by an upload or registration. */
  name: string;
  normalizedName: string;
  releases: ReleaseRecord[];
}

export interface AppliedFault {
  requestId: number;
  rule: number;
  description: string;
}

export interface SeedOptions {
  name?: string;
  version?: string;
  filetype?: FileType;
  pyversion?: string;
  requiresPython?: string;
}

export interface IndexServer {
  /** Origin, without a trailing slash: `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly uploadUrl: string;
  readonly simpleUrl: string;
  readonly filesUrl: string;
  readonly port: number;
  readonly storeDir: string;
  /** Every request so far, in arrival order (live array). */
  readonly requests: RecordedRequest[];
  readonly faultsApplied: AppliedFault[];
  files(): StoredFile[];
  projects(): ProjectRecord[];
  /** Adds a file as if uploaded: with its bytes, or only its digests (then not downloadable). */
  seed(
    filename: string,
    content: Uint8Array | string | { sha256: string; blake2_256?: string; size?: number },
    options?: SeedOptions,
  ): Promise<StoredFile>;
  /** Replaces the fault plan and its counters. */
  setFaults(plan: FaultPlan): void;
  /** Resolves once no request is being handled. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startIndexServer(options: IndexServerOptions = {}): Promise<IndexServer> {
  const server = new TestIndexServer(options);
  await server.start();
  return server;
}

/** A refusal or answer; `warehouse` puts the message into the status text too. */
interface Answer {
  status: number;
  reason?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/** Thrown by validation steps; carries the complete answer. */
class Refusal extends Error {
  constructor(readonly answer: Answer) {
    super(answer.reason ?? String(answer.status));
  }
}

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
function warehouse(status: number, message: string, headers?: Record<string, string>): Answer {
  const reason = sanitizeReason(message);
  const explanation = EXPLANATIONS[status] ?? "";
  return {
    status,
    reason,
    body: `${status} ${reason}\n\n${explanation}\n\n\n${message}\n\n`,
    contentType: "text/plain; charset=UTF-8",
    ...(headers ? { headers } : {}),
  };
}

function refuse(status: number, message: string, headers?: Record<string, string>): never {
  throw new Refusal(warehouse(status, message, headers));
}

/** A plain answer with the standard reason phrase. */
function plain(status: number, body?: string, contentType = "text/plain; charset=UTF-8"): Answer {
  return { status, body: body ?? `${status} ${http.STATUS_CODES[status] ?? ""}\n`, contentType };
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

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const KNOWN_METADATA_VERSIONS = ["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5"];
/** Fields that may appear once in an upload form; a repeat is a client bug. */
const SINGLE_FIELDS = [
  ":action",
  "protocol_version",
  "metadata_version",
  "name",
  "version",
  "filetype",
  "pyversion",
  "sha256_digest",
  "blake2_256_digest",
  "md5_digest",
];
const METADATA_HELP =
  "See https://packaging.python.org/specifications/core-metadata for more information.";
const AUTH_MESSAGE =
  "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.";
const JSON_TYPE = "application/vnd.pypi.simple.v1+json";

/** The `content` part as received. */
interface ReceivedFile {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  blake2_256: string;
  md5: string;
  /** Temporary file; absent when the data was discarded (over the size limit). */
  tempPath?: string;
  tooLarge: boolean;
}

interface ParsedForm {
  fields: Array<[string, string]>;
  contentParts: number;
  content?: ReceivedFile;
  signature?: { filename: string; size: number };
  /** A malformed multipart body (busboy's message), or a content part that failed to store. */
  error?: string;
}

interface FileEntry extends StoredFile {
  /** `committing` while the rename into place runs: downloads wait for `stored`. */
  state: "committing" | "stored";
}

interface ProjectEntry {
  name: string;
  releases: Map<string, ReleaseRecord>;
}

/** Per-request state. */
interface Ctx {
  req: IncomingMessage;
  res: ServerResponse;
  rec: RecordedRequest;
  url: URL;
  /** Rules that already counted this request. */
  seenRules: Set<number>;
  classified: boolean;
  delayMs: number;
  fault?: { index: number; action: FaultAction };
  tempFiles: Set<string>;
}

class TestIndexServer implements IndexServer {
  readonly requests: RecordedRequest[] = [];
  readonly faultsApplied: AppliedFault[] = [];
  url = "";
  uploadUrl = "";
  simpleUrl = "";
  filesUrl = "";
  port = 0;
  storeDir = "";

  private readonly opts: IndexServerOptions;
  private readonly mode: ServerMode;
  private readonly uploadPath: string;
  private readonly simplePath: string;
  private readonly filesPath: string;
  private readonly faults: FaultEngine;
  private readonly http: http.Server;
  private readonly fileMap = new Map<string, FileEntry>();
  private readonly projectMap = new Map<string, ProjectEntry>();
  private readonly timers = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private ownsStoreDir = false;
  private incomingDir = "";
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private closing: Promise<void> | undefined;
  private nextId = 1;

  constructor(options: IndexServerOptions) {
    this.opts = options;
    this.mode = options.mode ?? "pypi";
    this.uploadPath = slashed(options.uploadPath ?? "/legacy/", false);
    this.simplePath = slashed(options.simplePath ?? "/simple/", true);
    this.filesPath = slashed(options.filesPath ?? "/files/", true);
    for (const [a, b] of [
      [this.uploadPath, this.simplePath],
      [this.uploadPath, this.filesPath],
      [this.simplePath, this.filesPath],
    ] as const) {
      if (a === b) throw new Error(`index server: paths must differ (${a})`);
    }
    this.faults = new FaultEngine(options.faults ?? []);
    // No request timeout: uploads of 512 MiB and stall faults must not be cut by Node.
    this.http = http.createServer({ requestTimeout: 0 }, (req, res) => {
      void this.handle(req, res);
    });
  }

  async start(): Promise<void> {
    if (this.opts.storeDir) {
      this.storeDir = path.resolve(this.opts.storeDir);
      await mkdir(this.storeDir, { recursive: true });
    } else {
      this.storeDir = await mkdtemp(path.join(os.tmpdir(), "pkgpush-index-"));
      this.ownsStoreDir = true;
    }
    this.incomingDir = path.join(this.storeDir, ".incoming");
    await mkdir(this.incomingDir, { recursive: true });
    const host = this.opts.host ?? "127.0.0.1";
    await new Promise<void>((resolve, reject) => {
      this.http.once("error", reject);
      this.http.listen(this.opts.port ?? 0, host, () => {
        this.http.off("error", reject);
        resolve();
      });
    });
    this.port = (this.http.address() as AddressInfo).port;
    this.url = `http://${host.includes(":") ? `[${host}]` : host}:${this.port}`;
    this.uploadUrl = this.url + this.uploadPath;
    this.simpleUrl = this.url + this.simplePath;
    this.filesUrl = this.url + this.filesPath;
  }

  files(): StoredFile[] {
    return [...this.fileMap.values()]
      .filter((f) => f.state === "stored")
      .map(({ state: _state, ...f }) => f);
  }

  projects(): ProjectRecord[] {
    return [...this.projectMap.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([normalizedName, p]) => ({
        name: p.name,
        normalizedName,
        releases: [...p.releases.values()].map((r) => ({
          version: r.version,
          files: [...r.files],
          registrations: r.registrations.map((fields) => [...fields]),
        })),
      }));
  }

  setFaults(plan: FaultPlan): void {
    this.faults.set(plan);
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async seed(
    filename: string,
    content: Uint8Array | string | { sha256: string; blake2_256?: string; size?: number },
    options: SeedOptions = {},
  ): Promise<StoredFile> {
    const guess = guessFromFilename(filename);
    const name = options.name ?? guess?.name;
    const version = options.version ?? guess?.version;
    if (
      name === undefined ||
      version === undefined ||
      filename.includes("/") ||
      filename.startsWith(".")
    ) {
      throw new Error(`seed: cannot tell project and version from ${JSON.stringify(filename)}`);
    }
    const filetype = options.filetype ?? guess?.filetype ?? "sdist";
    let digests: { sha256: string; blake2_256: string; md5: string; size: number };
    let filePath: string | undefined;
    if (typeof content === "string" || content instanceof Uint8Array) {
      const bytes = typeof content === "string" ? Buffer.from(content) : content;
      const blake = await createBLAKE2b(256);
      blake.init();
      blake.update(bytes);
      digests = {
        sha256: createHash("sha256").update(bytes).digest("hex"),
        blake2_256: blake.digest("hex"),
        md5: createHash("md5").update(bytes).digest("hex"),
        size: bytes.length,
      };
      filePath = path.join(this.storeDir, filename);
      await writeFile(filePath, bytes);
    } else {
      digests = {
        sha256: content.sha256,
        blake2_256: content.blake2_256 ?? "",
        md5: "",
        size: content.size ?? 0,
      };
    }
    const entry: FileEntry = {
      state: "stored",
      filename,
      project: name,
      normalizedName: normalizeName(name),
      version,
      filetype,
      pyversion: options.pyversion ?? (filetype === "sdist" ? "source" : ""),
      ...digests,
      uploadedAt: new Date(),
      fields: [],
      ...(options.requiresPython !== undefined ? { requiresPython: options.requiresPython } : {}),
      ...(filePath !== undefined ? { path: filePath } : {}),
    };
    this.fileMap.set(filename, entry);
    this.release(name, version).files.push(filename);
    const { state: _state, ...stored } = entry;
    return stored;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      for (const t of this.timers) {
        clearTimeout(t.timer);
        t.resolve();
      }
      this.timers.clear();
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeAllConnections();
      await closed;
      // Handlers notice their destroyed sockets quickly; do not hang a test run if one does not.
      await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
      if (this.ownsStoreDir) await rm(this.storeDir, { recursive: true, force: true });
      else await rm(this.incomingDir, { recursive: true, force: true });
    })();
    return this.closing;
  }

  // --- request handling ---------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    const transferEncoding = String(req.headers["transfer-encoding"] ?? "");
    const declared = req.headers["content-length"];
    const rec: RecordedRequest = {
      id: this.nextId++,
      method: req.method ?? "GET",
      path: req.url ?? "/",
      headers: recordHeaders(req),
      fields: [],
      status: 0,
      reason: "",
      body: "",
      chunked: /\bchunked\b/i.test(transferEncoding),
      bodyBytes: 0,
      outcome: "pending",
      faults: [],
      ...(declared !== undefined && /^[0-9]+$/.test(declared)
        ? { contentLength: Number(declared) }
        : {}),
    };
    this.requests.push(rec);
    const ctx: Ctx = {
      req,
      res,
      rec,
      url: new URL(req.url ?? "/", "http://index.invalid"),
      seenRules: new Set(),
      classified: false,
      delayMs: 0,
      tempFiles: new Set(),
    };
    try {
      if (rec.method === "POST") await this.handlePost(ctx);
      else await this.handleOther(ctx);
    } catch (err) {
      if (!res.headersSent && !res.destroyed) {
        await this.send(ctx, plain(500, `500 Internal Server Error\n\n${String(err)}\n`));
      } else {
        req.socket.destroy();
      }
    } finally {
      await this.discardTemps(ctx);
      if (rec.outcome === "pending") rec.outcome = res.writableEnded ? "answered" : "aborted";
      this.opts.onRequest?.(rec);
      if (--this.inFlight === 0) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    }
  }

  /** Applies the fault plan to one classification of the request. */
  private classify(ctx: Ctx, kinds: RequestKind[], extra: Omit<FaultSubject, "kinds"> = {}): void {
    if (ctx.fault) return;
    const selected = this.faults.select(
      { ...extra, kinds: new Set([...kinds, "any"]) },
      ctx.seenRules,
    );
    for (const index of selected.applied) {
      const rule = this.faults.rules[index];
      if (!rule) continue;
      const description = describeFault(rule.action);
      ctx.rec.faults.push(description);
      this.faultsApplied.push({ requestId: ctx.rec.id, rule: index, description });
    }
    ctx.delayMs += selected.delayMs;
    if (selected.rule) ctx.fault = selected.rule;
  }

  /** Writes an answer, after the request's injected latency. */
  private async send(ctx: Ctx, answer: Answer): Promise<void> {
    const { res, rec } = ctx;
    const faultDelay =
      ctx.fault && "delayMs" in ctx.fault.action ? (ctx.fault.action.delayMs ?? 0) : 0;
    await this.sleep(ctx.delayMs + faultDelay);
    // Temporary files go before the answer: once a client has it, the store is settled.
    await this.discardTemps(ctx);
    if (res.headersSent || res.destroyed || this.closing) return;
    const body = Buffer.from(answer.body ?? "", "utf8");
    rec.status = answer.status;
    rec.reason = answer.reason ?? http.STATUS_CODES[answer.status] ?? "";
    rec.body = body.subarray(0, 4096).toString("utf8");
    rec.outcome = "answered";
    res.statusCode = answer.status;
    res.statusMessage = rec.reason;
    for (const [k, v] of Object.entries(answer.headers ?? {})) res.setHeader(k, v);
    if (answer.contentType) res.setHeader("Content-Type", answer.contentType);
    res.setHeader("Content-Length", body.length);
    res.end(body);
  }

  /** Carries out a fault that ends the request; false when the action is not terminal. */
  private async enact(ctx: Ctx, action: FaultAction): Promise<boolean> {
    if ("status" in action) {
      const reason = action.reason ?? http.STATUS_CODES[action.status] ?? "";
      const headers: Record<string, string> = { ...action.headers };
      if (action.retryAfter !== undefined) headers["Retry-After"] = String(action.retryAfter);
      if (action.stream) {
        await this.streamAnswer(ctx, action.status, sanitizeReason(reason), action.stream, headers);
        return true;
      }
      await this.send(ctx, {
        status: action.status,
        reason: sanitizeReason(reason),
        body: action.body ?? `${action.status} ${reason}\n`,
        // A fault's own Content-Type (an HTML login page) wins over the plain-text default.
        ...(Object.keys(headers).some((k) => k.toLowerCase() === "content-type")
          ? {}
          : { contentType: "text/plain; charset=UTF-8" }),
        headers,
      });
      return true;
    }
    if ("drop" in action) {
      await this.sleep(ctx.delayMs + (action.delayMs ?? 0));
      ctx.rec.outcome = "dropped";
      ctx.req.socket.destroy();
      return true;
    }
    if ("resetAfterBytes" in action) {
      await this.sleep(ctx.delayMs + (action.delayMs ?? 0));
      this.reset(ctx);
      return true;
    }
    if ("stallMs" in action) {
      ctx.rec.outcome = "stalled";
      await this.sleep(action.stallMs);
      ctx.req.socket.destroy();
      return true;
    }
    return false;
  }

  /** A hostile answer: a huge, endless or trickled body, written with back-pressure. */
  private async streamAnswer(
    ctx: Ctx,
    status: number,
    reason: string,
    stream: AnswerStream,
    headers: Record<string, string>,
  ): Promise<void> {
    const { res, rec } = ctx;
    await this.sleep(ctx.delayMs);
    await this.discardTemps(ctx);
    if (res.headersSent || res.destroyed || this.closing) return;
    Object.assign(rec, { status, reason, outcome: "answered", answerBytes: 0 });
    res.statusCode = status;
    res.statusMessage = reason;
    res.setHeader("Content-Type", "text/plain; charset=UTF-8");
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (stream.bytes !== "endless") res.setHeader("Content-Length", stream.bytes);
    res.flushHeaders();
    const piece = Buffer.alloc(stream.chunk ?? 65_536, "x");
    let left = stream.bytes === "endless" ? Number.POSITIVE_INFINITY : stream.bytes;
    while (left > 0 && !res.destroyed && !this.closing) {
      const out = piece.subarray(0, Math.min(piece.length, left));
      left -= out.length;
      rec.answerBytes = (rec.answerBytes ?? 0) + out.length;
      if (!res.write(out)) {
        await new Promise<void>((resolve) => {
          const done = (): void => {
            res.off("drain", done);
            res.off("close", done);
            resolve();
          };
          res.on("drain", done);
          res.on("close", done);
        });
      }
      if (stream.everyMs) await this.sleep(stream.everyMs);
    }
    if (!res.destroyed) res.end();
  }

  private async discardTemps(ctx: Ctx): Promise<void> {
    const paths = [...ctx.tempFiles];
    ctx.tempFiles.clear();
    await Promise.all(paths.map((p) => rm(p, { force: true })));
  }

  private reset(ctx: Ctx): void {
    ctx.rec.outcome = "reset";
    const socket = ctx.req.socket as Socket & { resetAndDestroy?: () => void };
    // A TCP RST, like a crashed proxy; plain destroy() (FIN) where the platform lacks it.
    if (typeof socket.resetAndDestroy === "function") socket.resetAndDestroy();
    else socket.destroy();
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0 || this.closing) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        resolve: () => resolve(),
        timer: setTimeout(() => {
          this.timers.delete(entry);
          resolve();
        }, ms),
      };
      this.timers.add(entry);
    });
  }

  // --- GET, HEAD and the rest -----------------------------------------------------------------

  private async handleOther(ctx: Ctx): Promise<void> {
    const { rec } = ctx;
    const pathname = ctx.url.pathname;
    const isGet = rec.method === "GET" || rec.method === "HEAD";
    const kinds: RequestKind[] = [];
    if (isGet) {
      kinds.push("get");
      if (pathname === this.simplePath.slice(0, -1) || pathname.startsWith(this.simplePath))
        kinds.push("simple");
      if (pathname.startsWith(this.filesPath)) kinds.push("files");
    }
    this.classify(ctx, kinds);
    // Whatever the method, read the body a client may have sent before answering.
    ctx.req.resume();
    if (ctx.fault && (await this.enact(ctx, ctx.fault.action))) return;
    if (!isGet) {
      await this.send(ctx, { ...plain(405), headers: { Allow: this.allowFor(pathname) } });
      return;
    }
    if (
      pathname.startsWith(this.filesPath) &&
      (await this.serveFile(ctx, pathname.slice(this.filesPath.length)))
    ) {
      return;
    }
    await this.send(ctx, this.answerGet(ctx, pathname));
  }

  private allowFor(pathname: string): string {
    return pathname === this.uploadPath ? "POST" : "GET, HEAD";
  }

  private answerGet(ctx: Ctx, pathname: string): Answer {
    if (pathname === this.uploadPath) return { ...plain(405), headers: { Allow: "POST" } };
    if (pathname === this.simplePath.slice(0, -1))
      return redirect(301, this.simplePath + ctx.url.search);
    if (pathname.startsWith(this.simplePath)) {
      if (this.opts.redirectSimpleTo !== undefined) {
        const rest = pathname.slice(this.simplePath.length) + ctx.url.search;
        return redirect(this.opts.redirectStatus ?? 307, this.opts.redirectSimpleTo + rest);
      }
      return this.simplePage(ctx, pathname.slice(this.simplePath.length));
    }
    return plain(404);
  }

  private simplePage(ctx: Ctx, rest: string): Answer {
    const json = wantsJson(ctx.req.headers.accept);
    if (rest === "") {
      const names = [...this.projectMap.keys()].sort();
      if (json) {
        return jsonAnswer({
          meta: { "api-version": "1.1" },
          projects: names.map((name) => ({ name })),
        });
      }
      const links = names.map(
        (n) => `    <a href="${escapeHtml(encodeURIComponent(n))}/">${escapeHtml(n)}</a><br/>`,
      );
      return htmlAnswer("Simple index", links);
    }
    let raw: string;
    try {
      raw = decodeURIComponent(rest.replace(/\/$/, ""));
    } catch {
      return plain(400);
    }
    if (raw === "" || raw.includes("/")) return plain(404);
    const normalized = normalizeName(raw);
    // PyPI redirects non-normalised names (and a missing trailing slash) to the canonical page.
    if (raw !== normalized || !rest.endsWith("/")) {
      return redirect(301, `${this.simplePath}${encodeURIComponent(normalized)}/${ctx.url.search}`);
    }
    const project = this.projectMap.get(normalized);
    if (!project) return plain(404, "404 Not Found\n");
    const files = [...project.releases.values()]
      .flatMap((r) => r.files)
      .map((f) => this.fileMap.get(f))
      .filter((f): f is FileEntry => f?.state === "stored")
      .sort((a, b) => a.filename.localeCompare(b.filename));
    if (json) {
      return jsonAnswer({
        meta: { "api-version": "1.1" },
        name: normalized,
        versions: [...project.releases.values()].map((r) => r.version),
        files: files.map((f) => ({
          filename: f.filename,
          url: `${this.filesUrl}${encodeURIComponent(f.filename)}`,
          hashes: f.sha256 ? { sha256: f.sha256 } : {},
          ...(f.requiresPython ? { "requires-python": f.requiresPython } : {}),
          size: f.size,
          "upload-time": f.uploadedAt.toISOString(),
          yanked: false,
        })),
      });
    }
    // Relative links, as PyPI's pages have: from <simple>/<name>/ to <files>/<file>.
    const pageDir = `${this.simplePath}${normalized}/`;
    const toFiles = path.posix.relative(pageDir, this.filesPath);
    const links = files.map((f) => {
      const href = `${toFiles}/${encodeURIComponent(f.filename)}${f.sha256 ? `#sha256=${f.sha256}` : ""}`;
      const rp = f.requiresPython ? ` data-requires-python="${escapeHtml(f.requiresPython)}"` : "";
      return `    <a href="${escapeHtml(href)}"${rp}>${escapeHtml(f.filename)}</a><br/>`;
    });
    return htmlAnswer(`Links for ${normalized}`, links);
  }

  /** Streams a stored file; false when there is no such (downloadable) file. */
  private async serveFile(ctx: Ctx, rest: string): Promise<boolean> {
    let filename: string;
    try {
      filename = decodeURIComponent(rest);
    } catch {
      return false;
    }
    const entry = this.fileMap.get(filename);
    if (entry?.state !== "stored" || entry.path === undefined) return false;
    await this.sleep(ctx.delayMs);
    const { res, rec } = ctx;
    rec.status = 200;
    rec.reason = "OK";
    rec.outcome = "answered";
    res.writeHead(200, {
      "Content-Type": "application/octet-stream",
      "Content-Length": entry.size,
      "Content-Disposition": `attachment; filename="${entry.filename}"`,
    });
    if (rec.method === "HEAD") res.end();
    else await pipeline(createReadStream(entry.path), res);
    return true;
  }

  // --- POST --------------------------------------------------------------------------------

  private async handlePost(ctx: Ctx): Promise<void> {
    const { rec } = ctx;
    this.classify(ctx, ["post"]);
    const form = await this.readBody(ctx);
    if (form === undefined) return; // aborted, reset or stalled: nothing to answer

    const actionField = form.fields.find(([k]) => k === ":action")?.[1];
    if (actionField !== undefined) rec.action = actionField;
    if (!ctx.classified) {
      ctx.classified = true;
      const kind =
        actionField === "submit"
          ? "register"
          : actionField === "file_upload" || form.contentParts
            ? "upload"
            : undefined;
      if (kind) this.classify(ctx, [kind], { project: projectOf(form.fields) });
    }
    const fault = ctx.fault?.action;
    if (
      fault &&
      !("afterCommit" in fault && fault.afterCommit) &&
      !("status" in fault && fault.early)
    ) {
      if (await this.enact(ctx, fault)) return;
    }

    let answer: Answer;
    try {
      answer = await this.processPost(ctx, form);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      answer = err.answer;
    }
    if (fault && "afterCommit" in fault && fault.afterCommit) {
      await this.enact(ctx, fault);
      return;
    }
    await this.send(ctx, answer);
  }

  /**
   * Reads the whole body through the multipart parser, streaming the `content` part to a
   * temporary file. Returns undefined when the request ended without a complete body (client
   * gone, or a reset/stall fault), after recording why.
   */
  private async readBody(ctx: Ctx): Promise<ParsedForm | undefined> {
    const { req, rec } = ctx;
    const form: ParsedForm = { fields: [], contentParts: 0 };
    rec.fields = form.fields; // live: an aborted request still shows what arrived
    const contentType = String(req.headers["content-type"] ?? "");
    const bodyOk = !rec.chunked && rec.contentLength !== undefined;
    let bb: busboy.Busboy | undefined;
    let bbClosed: Promise<void> = Promise.resolve();
    const parts: Array<Promise<void>> = [];
    if (bodyOk && /^multipart\/form-data\s*(;|$)/i.test(contentType)) {
      try {
        bb = busboy({
          headers: req.headers,
          defParamCharset: "utf8",
          // Keep the file name as sent: a path in it must be refused, not silently cut.
          preservePath: true,
          limits: {
            fieldSize: 16 * 1024 * 1024,
            fields: 10_000,
            parts: 10_010,
            fieldNameSize: 200,
          },
        });
      } catch (err) {
        form.error = errorMessage(err);
      }
    }
    if (bb) {
      const parser = bb;
      bbClosed = new Promise((resolve) => parser.once("close", () => resolve()));
      parser.on("error", (err: unknown) => {
        form.error ??= errorMessage(err);
      });
      parser.on("field", (name, value, info) => {
        form.fields.push([name, value]);
        if (info.valueTruncated) form.error ??= `Form field '${name}' is too large.`;
      });
      parser.on("file", (name, stream, info) => {
        if (name === "content") {
          form.contentParts++;
          if (!ctx.classified) {
            // Classify now, so a fault can act while the file is still arriving.
            ctx.classified = true;
            const submit = form.fields.find(([k]) => k === ":action")?.[1] === "submit";
            this.classify(ctx, [submit ? "register" : "upload"], {
              ...(info.filename !== undefined ? { filename: info.filename } : {}),
              project: projectOf(form.fields),
            });
          }
          if (form.contentParts === 1 && info.filename) {
            parts.push(this.receiveContent(ctx, form, stream, info.filename, info.mimeType));
            return;
          }
        } else if (name === "gpg_signature") {
          parts.push(receiveSignature(ctx.rec, form, stream, info.filename ?? ""));
          return;
        }
        stream.resume(); // other file parts are read and ignored, as Warehouse does
      });
    }

    let received = 0;
    let parserFailed = bb === undefined;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        received += chunk.length;
        rec.bodyBytes = received;
        if (!parserFailed && bb) {
          if (form.error !== undefined) parserFailed = true;
          else if (!bb.write(chunk)) parserFailed = !(await drained(bb));
        }
        const action = ctx.fault?.action;
        if (action && "resetAfterBytes" in action && received >= action.resetAfterBytes) {
          await this.enact(ctx, action);
          break;
        }
        if (action && "stallMs" in action) {
          await this.enact(ctx, action);
          break;
        }
        if (action && "status" in action && action.early) {
          // Answer now, then close the connection, as a proxy refusing a body does (Node would
          // close it after an answer to an unread body anyway).
          await this.enact(ctx, action);
          if (!ctx.res.writableFinished)
            await new Promise((resolve) => ctx.res.once("close", resolve));
          break;
        }
      }
    } catch {
      // The client went away (or our own reset/stall destroyed the socket).
    }
    const complete = req.complete && rec.outcome === "pending";
    if (!complete) {
      if (rec.outcome === "pending") rec.outcome = "aborted";
      bb?.destroy();
      await bbClosed;
      await Promise.allSettled(parts);
      return undefined;
    }
    if (bb) {
      if (!parserFailed) bb.end();
      else bb.destroy();
      await bbClosed;
      await Promise.allSettled(parts);
    }
    if (rec.contentLength !== undefined && received !== rec.contentLength) {
      form.error ??= `Body has ${received} bytes, Content-Length said ${rec.contentLength}.`;
    }
    return form;
  }

  /** Streams the file part to disk, hashing it on the way. */
  private async receiveContent(
    ctx: Ctx,
    form: ParsedForm,
    stream: Readable,
    filename: string,
    contentType: string,
  ): Promise<void> {
    const blake = await createBLAKE2b(256);
    blake.init();
    const sha256 = createHash("sha256");
    // md5 costs a third of the hashing time and only old servers check it: hash it on the way
    // only when the form asked for it before the file (a late md5_digest is checked from disk).
    const md5 = form.fields.some(([k]) => k === "md5_digest") ? createHash("md5") : undefined;
    const max = this.opts.maxFileSize ?? Number.POSITIVE_INFINITY;
    const tempPath = path.join(this.incomingDir, `${randomUUID()}.part`);
    ctx.tempFiles.add(tempPath);
    let size = 0;
    let tooLarge = false;
    const tap = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        size += chunk.length;
        if (size > max) tooLarge = true;
        if (tooLarge) {
          callback(); // keep reading to the end of the part, store no more
          return;
        }
        sha256.update(chunk);
        md5?.update(chunk);
        blake.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(stream, tap, createWriteStream(tempPath));
    } catch (err) {
      form.error ??= `Upload of '${filename}' was interrupted: ${errorMessage(err)}`;
      return;
    }
    const received: ReceivedFile = {
      filename,
      contentType,
      size,
      sha256: sha256.digest("hex"),
      blake2_256: blake.digest("hex"),
      md5: md5?.digest("hex") ?? "",
      tooLarge,
      ...(tooLarge ? {} : { tempPath }),
    };
    form.content = received;
    ctx.rec.file = {
      filename,
      size,
      sha256: received.sha256,
      blake2_256: received.blake2_256,
      md5: received.md5,
      contentType,
    };
  }

  /** Validates a complete POST and carries it out; throws Refusal. */
  private async processPost(ctx: Ctx, form: ParsedForm): Promise<Answer> {
    const { rec } = ctx;
    const pathname = ctx.url.pathname;
    if (pathname !== this.uploadPath) {
      // A simple index or file URL configured as the upload URL answers 405, like real servers.
      if (pathname.startsWith(this.simplePath) || pathname.startsWith(this.filesPath)) {
        return { ...plain(405), headers: { Allow: "GET, HEAD" } };
      }
      return plain(404);
    }
    if (this.opts.redirectUploadTo !== undefined) {
      return redirect(this.opts.redirectStatus ?? 307, this.opts.redirectUploadTo);
    }
    // WSGI servers need the length up front: a chunked body (or none at all) is refused.
    if (rec.chunked || rec.contentLength === undefined) {
      return { ...warehouse(411, "Length Required"), headers: { Connection: "close" } };
    }
    const contentType = String(ctx.req.headers["content-type"] ?? "");
    if (!/^multipart\/form-data\s*(;|$)/i.test(contentType)) {
      refuse(
        400,
        `Invalid request: Content-Type must be multipart/form-data, not '${contentType}'.`,
      );
    }
    if (form.error !== undefined) refuse(400, `Invalid multipart/form-data body: ${form.error}`);

    const get = (name: string): string | undefined => form.fields.find(([k]) => k === name)?.[1];
    const action = get(":action");
    if (action === undefined) refuse(400, "Missing ':action' field.");
    if (action === "doc_upload") {
      refuse(
        410,
        "Uploading documentation is no longer supported, we recommend using https://readthedocs.org/.",
      );
    }
    if ((action === "submit" || action === "verify") && this.mode === "pypi") {
      refuse(
        410,
        "Project pre-registration is no longer required or supported, upload your files instead.",
      );
    }
    if (action !== "file_upload" && action !== "submit" && action !== "verify") {
      refuse(400, `Unknown :action '${action}'.`);
    }

    const user = this.authenticate(ctx);
    if (get("protocol_version") !== "1") refuse(400, "Unknown protocol version.");
    for (const name of SINGLE_FIELDS) {
      if (form.fields.filter(([k]) => k === name).length > 1)
        refuse(400, `Field '${name}' was sent more than once.`);
    }
    const meta = this.checkMetadata(form, action !== "file_upload");
    this.checkOwner(meta.name, user);

    if (action === "verify")
      return { status: 200, body: "OK\n", contentType: "text/plain; charset=UTF-8" };
    if (action === "submit") {
      const release = this.release(meta.name, meta.version);
      release.registrations.push([...form.fields]);
      return {
        status: 200,
        body: `Registered ${meta.name} ${meta.version}.\n`,
        contentType: "text/plain; charset=UTF-8",
      };
    }
    return this.upload(ctx, form, meta, user);
  }

  private authenticate(ctx: Ctx): string | undefined {
    const header = ctx.req.headers.authorization;
    const credentials = parseBasic(header);
    const users = this.opts.users;
    if (users === undefined) {
      if (credentials) ctx.rec.user = credentials.user;
      return credentials?.user;
    }
    if (header === undefined && this.opts.authChallenge) {
      throw new Refusal({
        ...warehouse(401, "Unauthorized"),
        headers: { "WWW-Authenticate": `Basic realm="${this.opts.realm ?? "pypi"}"` },
      });
    }
    if (
      !credentials ||
      !Object.hasOwn(users, credentials.user) ||
      users[credentials.user] !== credentials.password
    ) {
      refuse(403, AUTH_MESSAGE);
    }
    ctx.rec.user = credentials.user;
    return credentials.user;
  }

  private checkOwner(name: string, user: string | undefined): void {
    const owners = this.opts.owners;
    if (!owners) return;
    const key = Object.keys(owners).find((k) => normalizeName(k) === normalizeName(name));
    if (key === undefined) return;
    if (user === undefined || !owners[key]?.includes(user)) {
      refuse(
        403,
        `The user '${user ?? ""}' isn't allowed to upload to project '${name}'. See https://pypi.org/help/#project-name for more information.`,
      );
    }
  }

  /** pypi mode: packaging's Metadata-Version rules on the form, with Warehouse's messages. */
  private checkFieldVersions(form: ParsedForm, metadataVersion: string): void {
    if (!PACKAGING_METADATA_VERSIONS.includes(metadataVersion))
      refuse(400, `'${metadataVersion}' is not a valid metadata version. ${METADATA_HELP}`);
    const tooNew = fieldTooNew(form.fields, metadataVersion);
    if (tooNew) refuse(400, `${tooNew}. ${METADATA_HELP}`);
  }

  /** Core metadata fields every upload and registration needs. */
  private checkMetadata(form: ParsedForm, register: boolean): { name: string; version: string } {
    const get = (name: string): string | undefined => form.fields.find(([k]) => k === name)?.[1];
    const invalid = (value: string | undefined, field: string, error: string): never =>
      refuse(
        400,
        `'${value ?? ""}' is an invalid value for ${field}. Error: ${error} ${METADATA_HELP}`,
      );
    const metadataVersion = get("metadata_version");
    // distutils' register sent Metadata-Version too; devpi tolerates its absence there.
    if (!(register && this.mode === "devpi" && metadataVersion === undefined)) {
      if (metadataVersion === undefined || metadataVersion === "") {
        invalid(metadataVersion, "Metadata-Version", "This field is required.");
      }
      if (!KNOWN_METADATA_VERSIONS.includes(metadataVersion ?? "")) {
        invalid(metadataVersion, "Metadata-Version", "Use a known metadata version.");
      }
      if (this.mode === "pypi") this.checkFieldVersions(form, metadataVersion ?? "");
    }
    const name = get("name");
    if (name === undefined || name === "") return invalid(name, "Name", "This field is required.");
    if (!isValidProjectName(name)) {
      invalid(
        name,
        "Name",
        "Start and end with a letter or numeral containing only ASCII numeric and '.', '_' and '-'.",
      );
    }
    const version = get("version");
    if (version === undefined || version === "")
      return invalid(version, "Version", "This field is required.");
    if (this.mode === "pypi" && canonicalVersion(version) === undefined) {
      invalid(version, "Version", "Must be a valid PEP 440 version.");
    }
    if (this.mode === "devpi" && /[\s/]/.test(version))
      invalid(version, "Version", "Must not contain spaces or '/'.");
    const summary = get("summary");
    if (summary !== undefined && /[\r\n]/.test(summary))
      invalid(summary, "Summary", "Use a single line only.");
    if (summary !== undefined && summary.length > 512)
      invalid(summary, "Summary", "Use 512 characters or fewer.");
    return { name, version };
  }

  private async upload(
    ctx: Ctx,
    form: ParsedForm,
    meta: { name: string; version: string },
    user: string | undefined,
  ): Promise<Answer> {
    const get = (name: string): string | undefined => form.fields.find(([k]) => k === name)?.[1];
    const filetype = get("filetype");
    if (filetype === undefined || filetype === "")
      refuse(400, `'' is an invalid value for Filetype. Error: This field is required.`);
    if (!FILE_TYPES.includes(filetype as FileType)) {
      refuse(400, `'${filetype}' is an invalid value for Filetype. Error: Use a known file type.`);
    }
    const type = filetype as FileType;
    if (type === "bdist_egg" && this.mode === "pypi") {
      refuse(400, "Invalid distribution file. .egg uploads are no longer supported.");
    }
    const pyversion = get("pyversion") ?? "";
    if (type === "sdist" && pyversion !== "" && pyversion !== "source") {
      refuse(
        400,
        `'${pyversion}' is an invalid value for Python version. Error: Use 'source' as Python version for an sdist.`,
      );
    }
    if (type !== "sdist" && pyversion === "") {
      refuse(
        400,
        "'' is an invalid value for Python version. Error: Python version is required for binary distribution uploads.",
      );
    }

    if (form.contentParts === 0 || form.content === undefined)
      refuse(400, "Upload payload does not have a file.");
    if (form.contentParts > 1) refuse(400, "Upload payload has more than one 'content' file.");
    const file = form.content;
    if (file.tooLarge) {
      const limitMb = Math.floor((this.opts.maxFileSize ?? 0) / (1024 * 1024));
      refuse(
        413,
        `File too large. Limit for project '${meta.name}' is ${limitMb} MB. See https://pypi.org/help/#file-size-limit for more information.`,
      );
    }
    try {
      checkDistributionFilename(
        file.filename,
        type,
        meta.name,
        meta.version,
        this.mode === "devpi",
      );
    } catch (err) {
      if (err instanceof FilenameError) refuse(400, err.message);
      throw err;
    }

    const sha256 = get("sha256_digest")?.toLowerCase();
    const blake = get("blake2_256_digest")?.toLowerCase();
    const md5 = get("md5_digest")?.toLowerCase();
    if (md5 && file.md5 === "" && file.tempPath !== undefined) {
      file.md5 = await hashFile(file.tempPath, "md5");
      if (ctx.rec.file) ctx.rec.file.md5 = file.md5;
    }
    if (this.mode === "pypi" && !sha256 && !blake)
      refuse(400, "Include at least one message digest.");
    if (
      (sha256 && sha256 !== file.sha256) ||
      (blake && blake !== file.blake2_256) ||
      (md5 && md5 !== file.md5)
    ) {
      refuse(400, "The digest supplied does not match a digest calculated from the uploaded file.");
    }
    const attestations = get("attestations");
    if (attestations !== undefined && this.mode === "pypi") {
      let ok = false;
      try {
        ok = Array.isArray(JSON.parse(attestations));
      } catch {
        ok = false;
      }
      if (!ok) refuse(400, "Invalid attestations supplied during upload: expected a JSON array.");
    }

    // From here on no await until the file is reserved: the checks and the reservation are atomic
    // with respect to concurrent uploads of the same file name.
    const existing = this.fileMap.get(file.filename);
    if (existing) {
      if (
        existing.sha256 === file.sha256 &&
        (!existing.blake2_256 || existing.blake2_256 === file.blake2_256)
      ) {
        // Warehouse (and devpi for non-volatile indexes) accept the very same file again.
        return this.mode === "devpi"
          ? {
              status: 200,
              body: "Upload of identical file to non volatile index.\n",
              contentType: "text/plain; charset=UTF-8",
            }
          : { status: 200, body: "", contentType: "text/plain; charset=UTF-8" };
      }
      throw new Refusal(this.existsAnswer(file, meta, user));
    }
    if (this.mode === "pypi") {
      // Warehouse also refuses the same bytes under another name.
      const sameBytes = [...this.fileMap.values()].find(
        (f) => f.blake2_256 !== "" && f.blake2_256 === file.blake2_256,
      );
      if (sameBytes) throw new Refusal(this.existsAnswer(file, meta, user));
      const release = this.projectMap
        .get(normalizeName(meta.name))
        ?.releases.get(releaseKey(meta.version));
      if (
        type === "sdist" &&
        release?.files.some((f) => this.fileMap.get(f)?.filetype === "sdist")
      ) {
        refuse(400, "Only one sdist may be uploaded per release.");
      }
    }
    const finalPath = path.join(this.storeDir, file.filename);
    const requiresPython = get("requires_python");
    const signature = form.signature;
    const entry: FileEntry = {
      state: "committing",
      filename: file.filename,
      project: meta.name,
      normalizedName: normalizeName(meta.name),
      version: meta.version,
      filetype: type,
      pyversion,
      size: file.size,
      sha256: file.sha256,
      blake2_256: file.blake2_256,
      md5: file.md5,
      uploadedAt: new Date(),
      path: finalPath,
      fields: [...form.fields],
      ...(requiresPython ? { requiresPython } : {}),
      ...(user !== undefined ? { uploader: user } : {}),
      ...(signature ? { signature } : {}),
      ...(attestations !== undefined ? { attestations } : {}),
    };
    this.fileMap.set(file.filename, entry);
    try {
      if (file.tempPath === undefined) throw new Error("upload has no stored data");
      await rename(file.tempPath, finalPath);
      ctx.tempFiles.delete(file.tempPath);
    } catch (err) {
      this.fileMap.delete(file.filename);
      throw err;
    }
    entry.state = "stored";
    this.release(meta.name, meta.version).files.push(file.filename);
    return this.mode === "devpi"
      ? {
          status: 200,
          body: `Upload of ${file.filename} succeeded.\n`,
          contentType: "text/plain; charset=UTF-8",
        }
      : { status: 200, body: "", contentType: "text/plain; charset=UTF-8" };
  }

  /** The answer for a file name already taken by other content, per the configured server. */
  private existsAnswer(
    file: ReceivedFile,
    meta: { name: string; version: string },
    user: string | undefined,
  ): Answer {
    switch (this.opts.existsStyle ?? "pypi") {
      case "pypi":
        return warehouse(
          400,
          `File already exists ('${file.filename}', with blake2_256 hash '${file.blake2_256}'). See https://pypi.org/help/#file-name-reuse for more information.`,
        );
      case "pypiserver":
        // bottle's error page, as pypiserver sends it.
        return plain(
          409,
          `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html>\n<head>\n<title>Error: 409 Conflict</title>\n</head>\n<body>\n<h1>Error: 409 Conflict</h1>\n<p>Sorry, the requested URL <tt>&#39;${escapeHtml(this.uploadUrl)}&#39;</tt> caused an error:</p>\n<pre>${escapeHtml(`Package '${file.filename}' already exists!`)}</pre>\n</body>\n</html>\n`,
          "text/html; charset=UTF-8",
        );
      case "nexus": {
        // Nexus puts its message in the status line.
        const message = "Repository does not allow updating assets: pypi-hosted";
        return {
          status: 400,
          reason: message,
          body: `${message}\n`,
          contentType: "text/plain; charset=UTF-8",
        };
      }
      case "artifactory": {
        const target = `pypi-local:${normalizeName(meta.name)}/${meta.version}/${file.filename}`;
        const message = `Not enough permissions to overwrite artifact '${target}' (user '${user ?? "anonymous"}' needs DELETE permission).`;
        return plain(
          403,
          `${JSON.stringify({ errors: [{ status: 403, message }] }, null, 2)}\n`,
          "application/json",
        );
      }
      case "gitlab":
        return plain(
          400,
          `${JSON.stringify({ message: "Validation failed: File name has already been taken" })}\n`,
          "application/json",
        );
    }
  }

  /** The release record for a project and version, created on first use. */
  private release(name: string, version: string): ReleaseRecord {
    const key = normalizeName(name);
    let project = this.projectMap.get(key);
    if (!project) {
      project = { name, releases: new Map() };
      this.projectMap.set(key, project);
    }
    const vkey = releaseKey(version);
    let release = project.releases.get(vkey);
    if (!release) {
      release = { version, files: [], registrations: [] };
      project.releases.set(vkey, release);
    }
    return release;
  }
}

// --- helpers -----------------------------------------------------------------------------------

/** `/legacy` -> `/legacy/`; paths always start with `/`. */
function slashed(p: string, trailing: boolean): string {
  let out = p.startsWith("/") ? p : `/${p}`;
  if (trailing && !out.endsWith("/")) out += "/";
  return out;
}

/** Release identity: PEP 440 equal versions share a release. */
function releaseKey(version: string): string {
  return canonicalVersion(version, { stripTrailingZeros: true }) ?? version.toLowerCase();
}

function projectOf(fields: Array<[string, string]>): string | undefined {
  const name = fields.find(([k]) => k === "name")?.[1];
  return name === undefined ? undefined : normalizeName(name);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function redirect(status: number, location: string): Answer {
  return {
    ...plain(status, `${status} ${http.STATUS_CODES[status] ?? ""}\n\nLocation: ${location}\n`),
    headers: { Location: location },
  };
}

function jsonAnswer(value: unknown): Answer {
  return { status: 200, body: JSON.stringify(value), contentType: JSON_TYPE };
}

function htmlAnswer(title: string, lines: string[]): Answer {
  const body = [
    "<!DOCTYPE html>",
    "<html>",
    "  <head>",
    '    <meta name="pypi:repository-version" content="1.1">',
    `    <title>${escapeHtml(title)}</title>`,
    "  </head>",
    "  <body>",
    `    <h1>${escapeHtml(title)}</h1>`,
    ...lines,
    "  </body>",
    "</html>",
    "",
  ].join("\n");
  return { status: 200, body, contentType: "text/html; charset=utf-8" };
}

/**
 * PEP 691 content negotiation: JSON when the client ranks the v1 (or latest) JSON type at least
 * as high as any HTML type it accepts; HTML otherwise (also for a missing Accept header).
 */
export function wantsJson(accept: string | undefined): boolean {
  if (!accept) return false;
  let json = 0;
  let html = 0;
  for (const item of accept.split(",")) {
    const [type = "", ...params] = item
      .trim()
      .split(";")
      .map((s) => s.trim());
    const qParam = params.find((p) => /^q=/i.test(p));
    const q = qParam === undefined ? 1 : Number(qParam.slice(2));
    if (!Number.isFinite(q)) continue;
    const t = type.toLowerCase();
    if (t === JSON_TYPE || t === "application/vnd.pypi.simple.latest+json")
      json = Math.max(json, q);
    else if (t === "text/html" || t.startsWith("application/vnd.pypi.simple.") || t === "*/*")
      html = Math.max(html, q);
  }
  return json > 0 && json >= html;
}

/** `Basic <base64(user:password)>`, decoded as UTF-8. */
function parseBasic(header: string | undefined): { user: string; password: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? "");
  if (!m?.[1]) return undefined;
  const decoded = Buffer.from(m[1], "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Request headers for the record, with secrets reduced to what a test may assert on. */
function recordHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(", ") : value;
  }
  const auth = out.authorization;
  if (auth !== undefined) {
    const scheme = auth.split(/\s+/)[0] ?? "";
    const basic = parseBasic(auth);
    out.authorization = basic ? `${scheme} ${basic.user}` : `${scheme} <redacted>`;
  }
  if (out["proxy-authorization"] !== undefined) out["proxy-authorization"] = "<redacted>";
  if (out.cookie !== undefined) out.cookie = "<redacted>";
  return out;
}

/** Resolves true on 'drain', false when the parser failed or closed instead. */
function drained(stream: busboy.Busboy): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (ok: boolean) => () => {
      stream.off("drain", onDrain);
      stream.off("error", onFail);
      stream.off("close", onFail);
      resolve(ok);
    };
    const onDrain = done(true);
    const onFail = done(false);
    stream.once("drain", onDrain);
    stream.once("error", onFail);
    stream.once("close", onFail);
  });
}

async function hashFile(file: string, algorithm: string): Promise<string> {
  const hash = createHash(algorithm);
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest("hex");
}

/** Collects a (small) signature part; only its name and size are kept. */
async function receiveSignature(
  rec: RecordedRequest,
  form: ParsedForm,
  stream: Readable,
  filename: string,
): Promise<void> {
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) size += chunk.length;
  } catch {
    return;
  }
  form.signature = { filename, size };
  rec.signature = { filename, size };
}
