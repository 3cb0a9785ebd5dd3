import { loadPypirc } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import { keyringEnabled, keyringSource } from "../credentials/keyring.js";
import { resolveCredentials } from "../credentials/resolve.js";
import { environmentSource, pypircSource } from "../credentials/sources.js";
import type { CredentialSource } from "../credentials/types.js";
import { ExitCode, InterruptedError } from "../errors.js";
import { err, out, redactedJson } from "../report/redact.js";

interface ServerRow {
  name: string;
  url: string;
  inIndexServers: boolean;
  releasePackages: string[];
  username: string | null;
  usernameFrom: string | null;
  passwordFrom: string | null;
  permanent: boolean;
}

/**
 * `pkgpush servers`: what is configured and where credentials would come from, never secrets.
 * The keyring is asked too (bounded in time, skipped after the first failure, `--no-keyring` to
 * skip it); trusted publishing and the prompt are upload-time sources and are not tried here.
 */
export async function listServers(
  opts: { configFile?: string; json?: boolean; keyring?: boolean; verbose?: boolean },
  ctx: { env: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<number> {
  const config = await loadPypirc({ path: opts.configFile, env: ctx.env });
  for (const warning of config.warnings) err(`warning: ${warning}\n`);
  const debug = (line: string): void => {
    if (opts.verbose) err(`debug: ${line}\n`);
  };
  const sources: CredentialSource[] = [environmentSource(ctx.env), pypircSource()];
  if (keyringEnabled(opts.keyring, ctx.env))
    sources.push(
      keyringSource({
        debug,
        warn: (line) => err(`warning: ${line}\n`),
        signal: ctx.signal,
      }),
    );
  const rows: ServerRow[] = [];
  for (const server of config.servers.values() as Iterable<ServerConfig>) {
    if (ctx.signal?.aborted) throw new InterruptedError();
    const c = await resolveCredentials(server, sources);
    rows.push({
      name: server.name,
      url: server.repository,
      inIndexServers: config.indexServers.includes(server.name),
      releasePackages: server.releasePackages.map((p) => p.source),
      username: c.username ?? null,
      usernameFrom: c.usernameSource ?? null,
      passwordFrom: c.passwordSource ?? null,
      permanent: server.immutable,
    });
  }
  if (opts.json) {
    out(
      redactedJson({
        config: config.path,
        exists: config.exists,
        servers: rows,
        missingSections: config.missingSections,
      }),
    );
    return ExitCode.ok;
  }
  out(`Config: ${config.path}${config.exists ? "" : " (not found: built-in servers only)"}\n`);
  for (const row of rows) {
    out(
      `\n${row.name}${row.inIndexServers ? "" : " (not in index-servers)"}${row.permanent ? " [permanent uploads]" : ""}\n`,
    );
    out(`  url:      ${row.url}\n`);
    out(
      `  routes:   ${row.releasePackages.length > 0 ? row.releasePackages.join("  ") : "(no release-packages)"}\n`,
    );
    out(`  user:     ${row.username ? `${row.username} (from ${row.usernameFrom})` : "(none)"}\n`);
    out(`  password: ${row.passwordFrom ? `from ${row.passwordFrom}` : "(none found)"}\n`);
  }
  for (const name of config.missingSections) {
    out(`\n${name}: listed in [distutils] index-servers but has no section\n`);
  }
  return ExitCode.ok;
}
