/**
 * An existence checker over real sessions to one server, for the tests that read its index
 * pages (test/execute): 5 s timeouts, no credentials. Close the sessions when done.
 */
import type { ServerConfig } from "../../src/config/types.js";
import { ExistenceChecker } from "../../src/execute/existence.js";
import { openSessions } from "../../src/execute/session.js";

export function checkerFor(
  target: ServerConfig,
  perServer: number,
): { sessions: ReturnType<typeof openSessions>; checker: ExistenceChecker } {
  const sessions = openSessions([{ server: target, credentials: {} }], {
    connectTimeoutMs: 5000,
    stallTimeoutMs: 5000,
  });
  const checker = new ExistenceChecker(sessions, {
    userAgent: "test",
    stallTimeoutMs: 5000,
    perServer,
  });
  return { sessions, checker };
}
