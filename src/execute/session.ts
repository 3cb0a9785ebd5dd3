import type { Dispatcher } from "undici";
import type { ServerConfig } from "../config/types.js";
import type { Credentials } from "../credentials/types.js";
import { type ConnectionOptions, createDispatcher, type TraceEvent } from "../transport/http.js";

/** Everything needed to talk to one server, settled before the first request is sent. */
export interface ServerSession {
  server: ServerConfig;
  credentials: Credentials;
  dispatcher: Dispatcher;
  /** `Basic ...`, the current one; kept out of anything printed. */
  authorization: string | undefined;
  /** The Authorization value for the next request: a short-lived token is renewed in time. */
  authorize(): Promise<string | undefined>;
  /** `-v`: every request and answer of this server. */
  trace?: ((event: TraceEvent) => void) | undefined;
}

/**
 * Renew once most of a token's life is gone: 5 minutes before it expires (PyPI's tokens live 15
 * minutes, so after 10, as twine does), or in its last third when it lives shorter than that.
 */
export function needsRenewal(issuedAt: number, expiresAt: number, now: number): boolean {
  const margin = Math.min(5 * 60_000, (expiresAt - issuedAt) / 3);
  return now >= expiresAt - margin;
}

/** The session's `authorize()`: renews an expiring token once, however many uploads ask. */
function authorizer(session: Omit<ServerSession, "authorize">): () => Promise<string | undefined> {
  let renewing: Promise<void> | undefined;
  const renew = async (): Promise<void> => {
    const c = session.credentials;
    if (!c.renew) return;
    try {
      const fresh = await c.renew();
      Object.assign(c, {
        password: fresh.password,
        expiresAt: fresh.expiresAt,
        issuedAt: Date.now(),
      });
      session.authorization = basicAuth(c.username ?? "", fresh.password);
    } catch (error) {
      // The old token still works for a while: use it, and try again on the next request.
      if (c.expiresAt === undefined || Date.now() >= c.expiresAt) throw error;
    }
  };
  return async () => {
    const c = session.credentials;
    if (
      c.renew &&
      c.expiresAt !== undefined &&
      needsRenewal(c.issuedAt ?? 0, c.expiresAt, Date.now())
    ) {
      renewing ??= renew().finally(() => {
        renewing = undefined;
      });
      await renewing;
    }
    return session.authorization;
  };
}

export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** Dispatchers are shared between servers with the same TLS settings (connection reuse). */
export function openSessions(
  entries: Array<{ server: ServerConfig; credentials: Credentials }>,
  connection: Omit<ConnectionOptions, "caCert" | "clientCert"> & {
    caCert?: string | undefined;
    clientCert?: string | undefined;
  },
  trace?: (server: ServerConfig, event: TraceEvent) => void,
): Map<string, ServerSession> {
  const dispatchers = new Map<string, Dispatcher>();
  const sessions = new Map<string, ServerSession>();
  for (const { server, credentials } of entries) {
    const caCert = connection.caCert ?? server.caCert;
    const clientCert = connection.clientCert ?? server.clientCert;
    const key = `${caCert ?? ""}\0${clientCert ?? ""}`;
    let dispatcher = dispatchers.get(key);
    if (!dispatcher) {
      dispatcher = createDispatcher({ ...connection, caCert, clientCert });
      dispatchers.set(key, dispatcher);
    }
    const authorization =
      credentials.password !== undefined
        ? basicAuth(credentials.username ?? "", credentials.password)
        : undefined;
    const session: Omit<ServerSession, "authorize"> = {
      server,
      credentials,
      dispatcher,
      authorization,
      trace: trace && ((event) => trace(server, event)),
    };
    sessions.set(server.name, Object.assign(session, { authorize: authorizer(session) }));
  }
  return sessions;
}

/**
 * Closes idle keep-alive connections. close() waits for requests still in flight; after an
 * interrupt none should be left, but a peer that never finishes must not hold the exit: after
 * `graceMs` the connections are destroyed.
 */
export async function closeSessions(
  sessions: Map<string, ServerSession>,
  graceMs = 2_000,
): Promise<void> {
  const unique = new Set([...sessions.values()].map((s) => s.dispatcher));
  await Promise.all(
    [...unique].map(async (d) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<"late">((resolve) => {
        timer = setTimeout(() => resolve("late"), graceMs);
        timer.unref();
      });
      const closed = await Promise.race([d.close().then(() => "closed" as const), late]).catch(
        () => "closed" as const,
      );
      clearTimeout(timer);
      if (closed === "late") await d.destroy().catch(() => undefined);
    }),
  );
}
