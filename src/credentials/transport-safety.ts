import type { ServerConfig } from "../config/types.js";
import { CredentialsError } from "../errors.js";
import { isShortSecret, SAFE_SECRET_LENGTH } from "./short-secret.js";
import type { Credentials } from "./types.js";

export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, "").toLowerCase();
  // IPv4-mapped loopback arrives normalised by the URL parser: [::ffff:7f00:1].
  return (
    host === "localhost" ||
    host === "::1" ||
    /^127\.\d+\.\d+\.\d+$/.test(host) ||
    /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host)
  );
}

/**
 * Basic credentials over plain http can be read by anyone on the path; allowed only to loopback
 * or with an explicit opt-in (command line or the section's allow-insecure-http).
 */
export function checkCredentialTransport(server: ServerConfig, allowInsecureHttp: boolean): void {
  const url = new URL(server.repository);
  if (url.protocol !== "http:" || isLoopbackHost(url.hostname)) return;
  if (allowInsecureHttp || server.allowInsecureHttp) return;
  throw new CredentialsError(
    `refusing to send credentials for '${server.name}' over plain http to ${url.host}`,
    {
      hint:
        server.origin === "url"
          ? "use an https:// repository URL, or opt in with --allow-insecure-http"
          : `use an https:// repository URL, or opt in with --allow-insecure-http (or allow-insecure-http = true in [${server.name}])`,
    },
  );
}

/** PyPI accepts API tokens only (since 2024): say so before a doomed upload. */
export function passwordOnPypiWarning(
  server: ServerConfig,
  credentials: { username?: string | undefined; password?: string | undefined },
): string | undefined {
  const host = new URL(server.repository).hostname;
  if (!/(^|\.)pypi\.org$/.test(host) || credentials.password === undefined) return undefined;
  // No user name means __token__ (requireCredentials' default), as twine does.
  if (credentials.username === undefined || credentials.username === "__token__") return undefined;
  return `${server.name}: ${host} accepts API tokens only, not passwords; use user name __token__ and a pypi- token (user '${credentials.username}' will be refused)`;
}

/** Before sending: things about these credentials the user should know. */
export function credentialWarnings(server: ServerConfig, credentials: Credentials): string[] {
  const warnings: string[] = [];
  const pypi = passwordOnPypiWarning(server, credentials);
  if (pypi) warnings.push(pypi);
  if (credentials.password !== undefined && isShortSecret(credentials.password)) {
    warnings.push(
      `${server.name}: the password is shorter than ${SAFE_SECRET_LENGTH} characters, too short to be masked everywhere in output without masking ordinary words; it is masked only where it stands as a credential (user:password, key=password, "password": ...). Use a longer password or an API token`,
    );
  }
  return warnings;
}

/** A password without a user name is sent as `__token__` (as requireCredentials does): say so. */
export function withTokenUser(found: Credentials): Credentials {
  if (found.password === undefined || found.username !== undefined) return found;
  return {
    ...found,
    username: "__token__",
    usernameSource: "default for a password without user name",
  };
}
