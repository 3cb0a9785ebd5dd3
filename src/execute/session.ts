import type { Dispatcher } from "undici";
import type { ServerConfig } from "../config/types.js";
import type { Credentials } from "../credentials/types.js";
import { type ConnectionOptions, createDispatcher } from "../transport/http.js";

/** Everything needed to talk to one server, settled before the first request is sent. */
export interface ServerSession {
  server: ServerConfig;
  credentials: Credentials;
  dispatcher: Dispatcher;
  /** `Basic ...`; kept out of anything printed. */
  authorization: string | undefined;
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
    sessions.set(server.name, { server, credentials, dispatcher, authorization });
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
