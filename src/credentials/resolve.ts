import type { ServerConfig } from "../config/types.js";
import { CredentialsError } from "../errors.js";
import { sectionEnvPrefix } from "./sources.js";
import type { CredentialSource, Credentials } from "./types.js";

/** Asks each source in turn; each half of the pair comes from the first source that has it. */
export async function resolveCredentials(
  server: ServerConfig,
  sources: CredentialSource[],
): Promise<Credentials> {
  const found: Credentials = {};
  for (const source of sources) {
    if (found.username !== undefined && found.password !== undefined) break;
    const hit = await source.lookup(server, found);
    if (!hit) continue;
    if (hit.pair && hit.password !== undefined) {
      const from = source.describe(server);
      return {
        username: hit.username,
        password: hit.password,
        usernameSource: from,
        passwordSource: from,
        ...(hit.renew ? { renew: hit.renew, expiresAt: hit.expiresAt, issuedAt: Date.now() } : {}),
      };
    }
    if (found.username === undefined && hit.username !== undefined && hit.username !== "") {
      found.username = hit.username;
      found.usernameSource = hit.usernameFrom ?? source.describe(server);
    }
    if (found.password === undefined && hit.password !== undefined && hit.password !== "") {
      found.password = hit.password;
      found.passwordSource = hit.passwordFrom ?? source.describe(server);
    }
  }
  return found;
}

/** Credentials that can be sent, or an error that lists every source tried for this server. */
export async function requireCredentials(
  server: ServerConfig,
  sources: CredentialSource[],
): Promise<Credentials & { username: string; password: string }> {
  const found = await resolveCredentials(server, sources);
  if (found.password === undefined) {
    // The list is in the message itself: with several servers, messages are printed without hints.
    const tried = sources.map((s) => s.describe(server)).join("; ");
    throw new CredentialsError(
      `no password for server '${server.name}' (${server.repository}); tried: ${tried}`,
      {
        hint:
          server.origin === "url"
            ? `set one of them, e.g. -p, PKGPUSH_PASSWORD, or pkgpush login -r ${server.repository}`
            : `set one of them, e.g. password in the [${server.name}] section of .pypirc, ${sectionEnvPrefix(server)}PASSWORD, or pkgpush login -r ${server.name}`,
      },
    );
  }
  // A token-only password works with the conventional user name, as twine and PyPI expect.
  return { ...found, username: found.username ?? "__token__", password: found.password };
}
