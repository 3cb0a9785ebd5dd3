import type { ServerConfig } from "../config/types.js";
import { InterruptedError } from "../errors.js";
import type { Plan } from "../plan/plan.js";
import { send } from "../transport/http.js";
import { type ExistenceChecker, simpleUrlToSettle } from "./existence.js";
import { PreflightError } from "./preflight-error.js";
import type { ServerSession } from "./session.js";

export { PreflightError } from "./preflight-error.js";

/**
 * Before the first byte goes anywhere: every server answers (DNS, TCP, TLS), and no server with a
 * known simple index already has a different file under a planned file name.
 */
export async function preflight(
  plan: Plan,
  sessions: Map<string, ServerSession>,
  checker: ExistenceChecker,
  digestOf: (path: string) => Promise<{ sha256: string }>,
  options: {
    userAgent: string;
    timeoutMs: number;
    signal?: AbortSignal | undefined;
    /**
     * Confirms a server's derived simple index URL; that request also proves the connection, so
     * it replaces the plain probe. Resolves with the transport failure, if any.
     */
    settle?: ((server: ServerConfig) => Promise<string | undefined>) | undefined;
  },
): Promise<void> {
  const problems: string[] = [];
  await Promise.all(
    plan.servers.map(async (server) => {
      const session = sessions.get(server.name) as ServerSession;
      if (options.settle && simpleUrlToSettle(server)) {
        const failure = await options.settle(server);
        if (failure) problems.push(`${server.name} (${server.repository}): ${failure}`);
        return;
      }
      try {
        // Any HTTP answer proves DNS, TCP and TLS; no credentials are needed for that.
        await send(session.dispatcher, {
          method: "GET",
          url: server.repository,
          headers: { "user-agent": options.userAgent },
          stallTimeoutMs: options.timeoutMs,
          signal: options.signal,
          // Only the status line matters: an answer's body is not read beyond this.
          maxBodyBytes: 4096,
          trace: session.trace,
        });
      } catch (error) {
        problems.push(`${server.name} (${server.repository}): ${(error as Error).message}`);
      }
    }),
  );
  if (plan.action === "upload" && !options.signal?.aborted) {
    await Promise.all(
      plan.jobs.map(async (job) => {
        if (!job.server.checkUrl) return;
        // The page is read while the file is hashed.
        checker.prefetch(job.server, job.dist);
        let sha256: string;
        try {
          ({ sha256 } = await digestOf(job.dist.path));
        } catch (error) {
          if (!options.signal?.aborted) {
            problems.push(`${job.dist.filename}: cannot be read: ${(error as Error).message}`);
          }
          return;
        }
        const presence = await checker.presence(job.server, job.dist, sha256);
        if (presence.state === "conflict") {
          problems.push(
            `${job.dist.filename} on ${job.server.name}: the server already has a different file with this name (sha256 ${presence.sha256 ?? "?"}, ours ${sha256}); a file name can only be used once: bump the version or build number`,
          );
        }
      }),
    );
  }
  // Ctrl-C during the checks: the aborted requests are not the servers' fault.
  if (options.signal?.aborted) {
    throw new InterruptedError("interrupted during the preflight checks; nothing was uploaded");
  }
  if (problems.length > 0) throw new PreflightError(problems.sort());
}
