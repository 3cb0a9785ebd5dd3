/**
 * Which servers `status` asks, and with which credentials (never prompted: status only reads).
 * Files mode: the servers each file routes to, as for `upload` (release-packages, or -r). Names
 * mode: the -r servers, else every server in index-servers that has a simple index.
 */

import { deriveSimpleUrl } from "../config/derive-simple-url.js";
import type { PypircConfig, ServerConfig } from "../config/types.js";
import { keyringEnabled, keyringSource } from "../credentials/keyring.js";
import { resolveCredentials } from "../credentials/resolve.js";
import { environmentSource, pypircSource } from "../credentials/sources.js";
import { checkCredentialTransport } from "../credentials/transport-safety.js";
import type { CredentialSource, Credentials } from "../credentials/types.js";
import { ResolutionError } from "../errors.js";
import { serverLookup } from "../resolve/lookup.js";
import { selectServer } from "../resolve/targets.js";

/** A server whose simple index can be asked: configured, or derived from its upload URL. */
export function hasSimpleIndex(server: ServerConfig): boolean {
  if (server.checkUrlSource === "off") return false;
  return Boolean(server.checkUrl) || deriveSimpleUrl(server.repository) !== undefined;
}

/** Names mode: -r servers in the order given, else the listed servers with a simple index. */
export function serversForProjects(config: PypircConfig, repositories: string[]): ServerConfig[] {
  if (repositories.length > 0) {
    const chosen = repositories.map((value) => selectServer(config, value, serverLookup()));
    return [...new Map(chosen.map((s) => [s.name, s])).values()];
  }
  const listed = config.indexServers
    .map((name) => config.servers.get(name))
    .filter((s): s is ServerConfig => s !== undefined && hasSimpleIndex(s));
  if (listed.length === 0) {
    throw new ResolutionError(
      `no server in ${config.path}'s index-servers has a simple index to ask`,
      { hint: "name servers with -r NAME (pypi, testpypi, or a section), or set check-url" },
    );
  }
  return listed;
}

/**
 * Each server's credentials from the environment, .pypirc and the keyring (as `pkgpush servers`
 * finds them); none is fine (public indexes). Plain http to another host than loopback with a
 * password is refused as for uploads.
 */
export async function readCredentials(
  servers: ServerConfig[],
  options: {
    env: NodeJS.ProcessEnv;
    keyring?: boolean | undefined;
    allowInsecureHttp?: boolean | undefined;
    signal?: AbortSignal | undefined;
    warn: (line: string) => void;
    debug: (line: string) => void;
  },
): Promise<Map<string, Credentials>> {
  const sources: CredentialSource[] = [environmentSource(options.env), pypircSource()];
  if (keyringEnabled(options.keyring, options.env)) {
    sources.push(
      keyringSource({ debug: options.debug, warn: options.warn, signal: options.signal }),
    );
  }
  const found = new Map<string, Credentials>();
  for (const server of servers) {
    const credentials = await resolveCredentials(server, sources);
    if (credentials.password !== undefined) {
      checkCredentialTransport(server, options.allowInsecureHttp ?? false);
      credentials.username ??= "__token__";
    }
    found.set(server.name, credentials);
  }
  return found;
}
