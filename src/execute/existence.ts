import { deriveSimpleUrl } from "../config/derive-simple-url.js";
import type { ServerConfig } from "../config/types.js";
import type { Distribution } from "../distributions/types.js";
import { InterruptedError } from "../errors.js";
import type { Plan } from "../plan/plan.js";
import { fetchProjectFiles, type ProjectFiles } from "../simple/client.js";
import { SimpleIndexError } from "../simple/errors.js";
import { endpointFor, settleSimpleUrl } from "../simple/locate.js";
import type { RetryPolicy } from "../transport/retry.js";
import { PerKeySlots } from "./per-key-slots.js";
import type { ServerSession } from "./session.js";

/** What the server's simple index says about one file. */
export type Presence =
  | { state: "absent" }
  | { state: "same" }
  | { state: "conflict"; sha256: string | undefined }
  | { state: "unknown"; reason: string };

/**
 * Asks a server's simple index (src/simple: PEP 691 JSON, PEP 503 HTML fallback) which files it
 * has, once per project and server unless told to look again.
 */
export class ExistenceChecker {
  private readonly pages = new Map<string, Promise<ProjectFiles | string>>();
  /**
   * The preflight asks for every project's page at once: without a bound, one connection per page
   * (20 projects, 20 connections to each server), more than `--per-server` promises any index.
   */
  private readonly slots: PerKeySlots;

  constructor(
    private readonly sessions: Map<string, ServerSession>,
    private readonly options: {
      userAgent: string;
      stallTimeoutMs: number;
      signal?: AbortSignal | undefined;
      /** Default: the transport's (retries on connection errors, timeouts, 5xx, 408, 429). */
      retry?: RetryPolicy | undefined;
      /** Page reads in flight at once to one server (`--per-server`). */
      perServer: number;
    },
  ) {
    this.slots = new PerKeySlots(options.perServer);
  }

  /**
   * A page the caller has just read (sync reads every target's page to plan): the pre-checks use
   * it instead of asking again. A file that lands meanwhile is still caught: an "already exists"
   * answer makes the re-check look again (`fresh`).
   */
  seed(server: string, project: string, page: ProjectFiles): void {
    this.pages.set(`${server}\0${project}`, Promise.resolve(page));
  }

  static canCheck(server: ServerConfig): boolean {
    return server.checkUrl !== undefined && server.checkUrl !== "";
  }

  async presence(
    server: ServerConfig,
    dist: Distribution,
    sha256: string,
    /** `fresh`: ask again; `signal`: instead of the run's (a last look after an interrupt). */
    options: { fresh?: boolean; signal?: AbortSignal } = {},
  ): Promise<Presence> {
    if (!server.checkUrl) return { state: "unknown", reason: "no check URL" };
    const files = await this.page(server, server.checkUrl, dist, options);
    if (typeof files === "string") return { state: "unknown", reason: files };
    const listed = files.files.find((f) => f.filename === dist.filename);
    if (!listed) return { state: "absent" };
    // An index that lists the name without a hash: treat as present, the upload would conflict.
    const theirs = listed.hashes.sha256;
    if (theirs === undefined || theirs === sha256) return { state: "same" };
    return { state: "conflict", sha256: theirs };
  }

  /**
   * Starts reading the page `presence` will read for this file (the preflight asks for it while
   * the file is being hashed).
   */
  prefetch(server: ServerConfig, dist: Distribution): void {
    if (server.checkUrl) this.page(server, server.checkUrl, dist);
  }

  /** The project's page on this server: read once, unless asked again (`fresh`). */
  private page(
    server: ServerConfig,
    checkUrl: string,
    dist: Distribution,
    options: { fresh?: boolean; signal?: AbortSignal } = {},
  ): Promise<ProjectFiles | string> {
    const key = `${server.name}\0${dist.normalizedName}`;
    let page = options.fresh ? undefined : this.pages.get(key);
    if (!page) {
      page = this.fetchPage(server, checkUrl, dist.normalizedName, options.signal);
      // Read by presence() later, perhaps not at all (the file could not be hashed).
      page.catch(() => undefined);
      this.pages.set(key, page);
    }
    return page;
  }

  private async fetchPage(
    server: ServerConfig,
    checkUrl: string,
    project: string,
    signal: AbortSignal | undefined,
  ): Promise<ProjectFiles | string> {
    const session = this.sessions.get(server.name) as ServerSession;
    try {
      return await this.slots.run(server.name, () =>
        fetchProjectFiles(endpointFor(session, checkUrl), project, {
          userAgent: this.options.userAgent,
          stallTimeoutMs: this.options.stallTimeoutMs,
          retry: this.options.retry,
          signal: signal ?? this.options.signal,
        }),
      );
    } catch (error) {
      if (!(error instanceof SimpleIndexError)) throw error;
      return `check URL: ${error.message.replace(`${server.name}: `, "")}`;
    }
  }
}

/**
 * Before an upload: a server without a configured check URL gets its derived one, confirmed
 * with one request; a server whose derived URL does not answer as a simple index is uploaded to
 * without checks, and one line says so. Preflight runs it in place of its connection probe (the
 * same request proves the connection); with --no-preflight it runs on its own. Resolves with the
 * transport failure when the server did not answer at all.
 */
export async function settleServerSimpleUrl(
  server: ServerConfig,
  plan: Plan,
  sessions: Map<string, ServerSession>,
  options: {
    userAgent: string;
    stallTimeoutMs: number;
    retry: RetryPolicy;
    signal?: AbortSignal | undefined;
    say: (line: string) => void;
  },
): Promise<string | undefined> {
  const session = sessions.get(server.name) as ServerSession;
  const probeProject = plan.jobs.find((job) => job.server === server)?.dist.normalizedName;
  const verdict = await settleSimpleUrl(server, (url) => endpointFor(session, url), {
    ...options,
    probeProject,
  });
  if (options.signal?.aborted) {
    throw new InterruptedError("interrupted while locating simple indexes; nothing was uploaded");
  }
  if (verdict && !verdict.confirmed) {
    if (verdict.unreachable) return verdict.reason;
    options.say(`note: ${server.name}: no existence checks: ${server.checkUrlNote}`);
  }
  return undefined;
}

/** A server whose simple index URL is still to be derived and confirmed. */
export function simpleUrlToSettle(server: ServerConfig): boolean {
  return (
    !server.checkUrl &&
    server.checkUrlSource !== "off" &&
    deriveSimpleUrl(server.repository) !== undefined
  );
}
