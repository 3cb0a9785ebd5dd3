import type { ServerConfig } from "../config/types.js";
import type { Distribution } from "../distributions/types.js";
import {
  type ProjectFiles,
  parseProjectPage,
  projectPageUrl,
  SIMPLE_ACCEPT,
} from "../protocol/simple-index.js";
import { send } from "../transport/http.js";
import type { ServerSession } from "./session.js";

/** What the server's simple index says about one file. */
export type Presence =
  | { state: "absent" }
  | { state: "same" }
  | { state: "conflict"; sha256: string | undefined }
  | { state: "unknown"; reason: string };

const MAX_PAGE = 32 * 1024 * 1024;

function sameOrigin(a: string, b: string): boolean {
  return new URL(a).origin === new URL(b).origin;
}

/**
 * Asks a server's simple index (PEP 691 JSON, PEP 503 HTML fallback) which files it has, once per
 * project and server unless told to look again. Credentials go along only to the upload URL's
 * own origin; redirects are followed within that origin only.
 */
export class ExistenceChecker {
  private readonly pages = new Map<string, Promise<ProjectFiles | string>>();

  constructor(
    private readonly sessions: Map<string, ServerSession>,
    private readonly options: {
      userAgent: string;
      stallTimeoutMs: number;
      signal?: AbortSignal | undefined;
    },
  ) {}

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
    const key = `${server.name}\0${dist.normalizedName}`;
    if (options.fresh) this.pages.delete(key);
    let page = this.pages.get(key);
    if (!page) {
      const url = projectPageUrl(server.checkUrl, dist.normalizedName);
      page = this.fetchPage(server, url, options.signal ?? this.options.signal);
      this.pages.set(key, page);
    }
    const files = await page;
    if (typeof files === "string") return { state: "unknown", reason: files };
    if (!files.has(dist.filename)) return { state: "absent" };
    const listed = files.get(dist.filename);
    // An index that lists the name without a hash: treat as present, the upload would conflict.
    if (listed === undefined || listed === sha256) return { state: "same" };
    return { state: "conflict", sha256: listed };
  }

  private async fetchPage(
    server: ServerConfig,
    url: string,
    signal: AbortSignal | undefined,
  ): Promise<ProjectFiles | string> {
    const session = this.sessions.get(server.name);
    let target = url;
    try {
      for (let hop = 0; hop < 5; hop++) {
        const headers: Record<string, string> = {
          accept: SIMPLE_ACCEPT,
          "user-agent": this.options.userAgent,
        };
        if (session?.authorization && sameOrigin(target, server.repository)) {
          headers.authorization = session.authorization;
        }
        const response = await send(
          session?.dispatcher as NonNullable<typeof session>["dispatcher"],
          {
            method: "GET",
            url: target,
            headers,
            stallTimeoutMs: this.options.stallTimeoutMs,
            signal,
            maxBodyBytes: MAX_PAGE,
            trace: session?.trace,
          },
        );
        if (response.status >= 300 && response.status < 400 && response.headers.location) {
          const next = new URL(String(response.headers.location), target).toString();
          if (!sameOrigin(next, url)) return `check URL redirects to another origin (${next})`;
          target = next;
          continue;
        }
        if (response.truncated) {
          return `check URL answer is larger than ${MAX_PAGE / 1024 / 1024} MiB; not read further`;
        }
        const files = parseProjectPage(response);
        return files ?? `check URL answered ${response.status} ${response.statusText}`.trim();
      }
      return "check URL redirects too often";
    } catch (error) {
      return `check URL: ${(error as Error).message}`;
    }
  }
}
