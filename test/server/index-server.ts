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
 */ /*
 * This file wires the parts together and routes requests: `plumbing.ts` (request records,
 * answers on the socket, faults carried out), `form-reader.ts` (multipart bodies),
 * `warehouse-rules.ts` (what an upload must satisfy, pure), `simple-pages.ts` (PEP 503/691
 * pages), `storage.ts` (files and projects).
 */

import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Answer, ok, plain, Refusal, redirect, refuse, warehouse } from "./answers.js";
import { isDownloadFault, serveDownload } from "./downloads.js";
import {
  describeFault,
  FaultEngine,
  type FaultPlan,
  type FaultSubject,
  type RequestKind,
} from "./faults.js";
import { type ParsedForm, type ReceivedFile, readBody } from "./form-reader.js";
import { normalizeName } from "./names.js";
import { type Ctx, discardTemps, enact, newRequest, send, Timers } from "./plumbing.js";
import { simplePage } from "./simple-pages.js";
import { hashFile, type SeedContent, Store } from "./storage.js";
import type {
  AppliedFault,
  IndexServer,
  IndexServerOptions,
  ProjectRecord,
  RecordedRequest,
  SeedOptions,
  ServerMode,
  StoredFile,
} from "./types.js";
import {
  authenticate,
  checkAction,
  checkAttestations,
  checkContentPart,
  checkDigests,
  checkExisting,
  checkFileFields,
  checkFormShape,
  checkMetadata,
  checkOwner,
  field,
  type ProjectVersion,
  uploadedAnswer,
} from "./warehouse-rules.js";

export { sanitizeReason } from "./answers.js";
export type { AnswerStream, FaultAction, FaultPlan, FaultRule, RequestKind } from "./faults.js";
export { wantsJson } from "./simple-pages.js";
export type * from "./types.js";

export async function startIndexServer(options: IndexServerOptions = {}): Promise<IndexServer> {
  const server = new TestIndexServer(options);
  await server.start();
  return server;
}

class TestIndexServer implements IndexServer {
  readonly requests: RecordedRequest[] = [];
  readonly faultsApplied: AppliedFault[] = [];
  url = "";
  uploadUrl = "";
  simpleUrl = "";
  filesUrl = "";
  port = 0;

  private readonly opts: IndexServerOptions;
  private readonly mode: ServerMode;
  private readonly uploadPath: string;
  private readonly simplePath: string;
  private readonly filesPath: string;
  private readonly faults: FaultEngine;
  private readonly http: http.Server;
  private readonly store = new Store();
  private readonly timers = new Timers();
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

  get storeDir(): string {
    return this.store.storeDir;
  }

  async start(): Promise<void> {
    await this.store.open(this.opts.storeDir);
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
    return this.store.files();
  }

  projects(): ProjectRecord[] {
    return this.store.projects();
  }

  setFaults(plan: FaultPlan): void {
    this.faults.set(plan);
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  seed(filename: string, content: SeedContent, options: SeedOptions = {}): Promise<StoredFile> {
    return this.store.seed(filename, content, options);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.timers.stop();
      const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
      this.http.closeAllConnections();
      await closed;
      // Handlers notice their destroyed sockets quickly; do not hang a test run if one does not.
      await Promise.race([this.idle(), new Promise((r) => setTimeout(r, 5000).unref())]);
      await this.store.close();
    })();
    return this.closing;
  }

  // --- request handling ---------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    const ctx = newRequest(req, res, this.nextId++);
    const { rec } = ctx;
    this.requests.push(rec);
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
      await discardTemps(ctx);
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

  private send(ctx: Ctx, answer: Answer): Promise<void> {
    return send(ctx, answer, this.timers);
  }

  /** Carries out the request's fault when it ends the request (true then). */
  private enactFault(ctx: Ctx): Promise<boolean> {
    return ctx.fault ? enact(ctx, ctx.fault.action, this.timers) : Promise.resolve(false);
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
    // A download names its file: `match.filename` narrows a `files` rule to it.
    this.classify(ctx, kinds, kinds.includes("files") ? { filename: this.fileOf(pathname) } : {});
    // Whatever the method, read the body a client may have sent before answering.
    ctx.req.resume();
    const refused = isGet ? this.readRefusal(ctx, pathname) : undefined;
    if (refused) {
      await this.send(ctx, refused);
      return;
    }
    // Download faults are carried out while the file is served (serveFile).
    if (!isDownloadFault(ctx.fault?.action) && (await this.enactFault(ctx))) return;
    if (!isGet) {
      const allow = pathname === this.uploadPath ? "POST" : "GET, HEAD";
      await this.send(ctx, { ...plain(405), headers: { Allow: allow } });
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

  private answerGet(ctx: Ctx, pathname: string): Answer {
    if (pathname === this.uploadPath) return { ...plain(405), headers: { Allow: "POST" } };
    if (pathname === this.simplePath.slice(0, -1))
      return redirect(301, this.simplePath + ctx.url.search);
    if (!pathname.startsWith(this.simplePath)) return plain(404);
    const rest = pathname.slice(this.simplePath.length);
    if (this.opts.redirectSimpleTo !== undefined) {
      const location = this.opts.redirectSimpleTo + rest + ctx.url.search;
      return redirect(this.opts.redirectStatus ?? 307, location);
    }
    const site = {
      simplePath: this.simplePath,
      filesPath: this.filesPath,
      filesUrl: this.opts.filesBaseUrl ?? this.filesUrl,
      absoluteLinks: this.opts.filesBaseUrl !== undefined,
    };
    // `simpleFormats: "html"`: a PEP 503 server that never heard of PEP 691.
    const accept = this.opts.simpleFormats === "html" ? "text/html" : ctx.req.headers.accept;
    const request = { rest, search: ctx.url.search, accept };
    return simplePage(this.store, site, request);
  }

  private fileOf(pathname: string): string | undefined {
    try {
      return decodeURIComponent(pathname.slice(this.filesPath.length));
    } catch {
      return undefined;
    }
  }

  /** Streams a stored file (or a download fault); false when there is no such file. */
  private async serveFile(ctx: Ctx, rest: string): Promise<boolean> {
    let filename: string;
    try {
      filename = decodeURIComponent(rest);
    } catch {
      return false;
    }
    const entry = this.store.downloadable(filename);
    if (entry === undefined) return false;
    await serveDownload(ctx, entry, ctx.fault?.action, this.timers);
    return true;
  }

  /**
   * `readAuth`: the simple index and the files need valid credentials too (a private index):
   * none answers 401 with a Basic challenge, wrong ones 403. Undefined when the request may go on.
   */
  private readRefusal(ctx: Ctx, pathname: string): Answer | undefined {
    if (!this.opts.readAuth) return undefined;
    const simple =
      pathname === this.simplePath.slice(0, -1) || pathname.startsWith(this.simplePath);
    if (!simple && !pathname.startsWith(this.filesPath)) return undefined;
    try {
      const user = authenticate(ctx.req.headers.authorization, {
        users: this.opts.users ?? {},
        authChallenge: true,
        realm: this.opts.realm,
      });
      if (user !== undefined) ctx.rec.user = user;
      return undefined;
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      return err.answer;
    }
  }

  // --- POST --------------------------------------------------------------------------------

  private async handlePost(ctx: Ctx): Promise<void> {
    this.classify(ctx, ["post"]);
    const form = await readBody(ctx, {
      onContentStart: (filename, fields) => {
        const register = field(fields, ":action") === "submit";
        this.classifyPost(ctx, register ? "register" : "upload", fields, filename);
      },
      enact: (action) => enact(ctx, action, this.timers),
      incomingPath: () => this.store.incomingPath(),
      maxFileSize: this.opts.maxFileSize ?? Number.POSITIVE_INFINITY,
    });
    if (form === undefined) return; // aborted, reset or stalled: nothing to answer

    const actionField = field(form.fields, ":action");
    if (actionField !== undefined) ctx.rec.action = actionField;
    const kind =
      actionField === "submit"
        ? "register"
        : actionField === "file_upload" || form.contentParts
          ? "upload"
          : undefined;
    this.classifyPost(ctx, kind, form.fields);
    const fault = ctx.fault?.action;
    const afterCommit = fault !== undefined && "afterCommit" in fault && fault.afterCommit;
    const early = fault !== undefined && "status" in fault && fault.early;
    if (fault && !afterCommit && !early && (await this.enactFault(ctx))) return;

    let answer: Answer;
    try {
      answer = await this.processPost(ctx, form);
    } catch (err) {
      if (!(err instanceof Refusal)) throw err;
      answer = err.answer;
    }
    if (afterCommit) {
      await this.enactFault(ctx);
      return;
    }
    await this.send(ctx, answer);
  }

  /**
   * Classifies a POST once, as an upload or a registration (or neither): when its file part
   * starts (so a fault can act while the file is arriving), else when the body has been read.
   */
  private classifyPost(
    ctx: Ctx,
    kind: "upload" | "register" | undefined,
    fields: Array<[string, string]>,
    filename?: string,
  ): void {
    if (ctx.classified) return;
    ctx.classified = true;
    if (kind === undefined) return;
    const name = field(fields, "name");
    this.classify(ctx, [kind], {
      ...(filename !== undefined ? { filename } : {}),
      project: name === undefined ? undefined : normalizeName(name),
    });
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
    return this.processForm(ctx, form);
  }

  /** Warehouse's checks on a well-formed upload form, in its order; then the action. */
  private async processForm(ctx: Ctx, form: ParsedForm): Promise<Answer> {
    const action = checkAction(form.fields, this.mode);
    const user = authenticate(ctx.req.headers.authorization, this.opts);
    if (user !== undefined) ctx.rec.user = user;
    checkFormShape(form.fields);
    const meta = checkMetadata(form.fields, this.mode, action !== "file_upload");
    checkOwner(this.opts.owners, meta.name, user);
    if (action === "verify") return ok("OK\n");
    if (action === "submit") {
      this.store.register(meta.name, meta.version, form.fields);
      return ok(`Registered ${meta.name} ${meta.version}.\n`);
    }
    return this.upload(ctx, form, meta, user);
  }

  private async upload(
    ctx: Ctx,
    form: ParsedForm,
    meta: ProjectVersion,
    user: string | undefined,
  ): Promise<Answer> {
    const { filetype, pyversion } = checkFileFields(form.fields, this.mode);
    const limits = { mode: this.mode, maxFileSize: this.opts.maxFileSize ?? 0 };
    const file = checkContentPart(form, meta, filetype, limits);
    await this.completeMd5(ctx, form, file);
    checkDigests(form.fields, file, this.mode);
    checkAttestations(form.fields, this.mode);
    // From here on no await until the file is reserved: the checks and the reservation are
    // atomic with respect to concurrent uploads of the same file name.
    const policy = {
      mode: this.mode,
      uploadUrl: this.uploadUrl,
      user,
      ...(this.opts.existsStyle ? { existsStyle: this.opts.existsStyle } : {}),
    };
    const settled = checkExisting(this.store, file, meta, filetype, policy);
    if (settled) return settled;
    if (file.tempPath === undefined) throw new Error("upload has no stored data");
    const requiresPython = field(form.fields, "requires_python");
    const attestations = field(form.fields, "attestations");
    const entry = this.store.reserve({
      filename: file.filename,
      project: meta.name,
      normalizedName: normalizeName(meta.name),
      version: meta.version,
      filetype,
      pyversion,
      size: file.size,
      sha256: file.sha256,
      blake2_256: file.blake2_256,
      md5: file.md5,
      uploadedAt: new Date(),
      fields: [...form.fields],
      ...(requiresPython ? { requiresPython } : {}),
      ...(user !== undefined ? { uploader: user } : {}),
      ...(form.signature ? { signature: form.signature } : {}),
      ...(attestations !== undefined ? { attestations } : {}),
    });
    await this.store.commit(entry, file.tempPath);
    ctx.tempFiles.delete(file.tempPath);
    return uploadedAnswer(this.mode, file.filename);
  }

  /** A `md5_digest` sent after the file: the md5 is computed from the stored temporary file. */
  private async completeMd5(ctx: Ctx, form: ParsedForm, file: ReceivedFile): Promise<void> {
    if (!field(form.fields, "md5_digest") || file.md5 !== "" || file.tempPath === undefined) return;
    file.md5 = await hashFile(file.tempPath, "md5");
    if (ctx.rec.file) ctx.rec.file.md5 = file.md5;
  }
}

/** `/legacy` -> `/legacy/`; paths always start with `/`. */
function slashed(p: string, trailing: boolean): string {
  let out = p.startsWith("/") ? p : `/${p}`;
  if (trailing && !out.endsWith("/")) out += "/";
  return out;
}
