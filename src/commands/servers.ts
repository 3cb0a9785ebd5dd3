import { loadPypirc } from "../config/pypirc.js";
import { separatorRewrite, showPattern } from "../config/release-pattern.js";
import type { PypircConfig, ServerConfig } from "../config/types.js";
import { keyringEnabled, keyringSource } from "../credentials/keyring.js";
import { resolveCredentials } from "../credentials/resolve.js";
import { environmentSource, pypircSource } from "../credentials/sources.js";
import type { CredentialSource, Credentials } from "../credentials/types.js";
import { ExitCode, InterruptedError } from "../errors.js";
import { unroutedServerNote } from "../resolve/targets.js";
import { describeSimpleUrl } from "../simple/locate.js";
import { cliRedactor, err, out } from "./output.js";

/** One server as `pkgpush servers --json` lists it. */
export interface ServerRow {
  name: string;
  url: string;
  inIndexServers: boolean;
  releasePackages: string[];
  /** `regex` (Python re, whole name) or `glob` (`glob-style = true`). */
  patternStyle: "regex" | "glob";
  /** What routing does with this server that users may not expect (see routingNotes). */
  notes: string[];
  /** A problem in this server's section; the other servers are still listed. */
  error: string | null;
  username: string | null;
  usernameFrom: string | null;
  passwordFrom: string | null;
  permanent: boolean;
  /** The simple index asked for existing files (and by status/sync), and where it came from. */
  simpleUrl: string | null;
  simpleUrlSource: "configured" | "derived" | "none";
  simpleUrlNote: string;
}

/**
 * `pkgpush servers`: what is configured and where credentials would come from, never secrets.
 * The keyring is asked too (bounded in time, skipped after the first failure, `--no-keyring` to
 * skip it); trusted publishing and the prompt are upload-time sources and are not tried here.
 * A section with a problem (e.g. an invalid pattern) is shown with its error, the others are
 * listed as usual, and the exit code is 2.
 */
export async function listServers(
  opts: { configFile?: string; json?: boolean; keyring?: boolean; verbose?: boolean },
  ctx: { env: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<number> {
  const config = await loadPypirc({ path: opts.configFile, env: ctx.env, keepServerErrors: true });
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
    const c: Credentials = server.error ? {} : await resolveCredentials(server, sources);
    rows.push({
      name: server.name,
      url: server.repository,
      inIndexServers: config.indexServers.includes(server.name),
      releasePackages: server.releasePackages.map((p) => p.source),
      patternStyle: server.releasePackages[0]?.kind ?? "regex",
      notes: routingNotes(config, server),
      error: server.error ? server.error.message : null,
      username: c.username ?? null,
      usernameFrom: c.usernameSource ?? null,
      passwordFrom: c.passwordSource ?? null,
      permanent: server.immutable,
      ...simpleRow(server),
    });
  }
  const broken = rows.filter((row) => row.error).length;
  if (opts.json) {
    out(
      cliRedactor.json({
        config: config.path,
        exists: config.exists,
        servers: rows,
        missingSections: config.missingSections,
      }),
    );
  } else {
    printRows(config, rows);
  }
  if (broken > 0) {
    err(
      `pkgpush: error: ${broken} server${broken === 1 ? " has" : "s have"} a configuration problem (shown in its entry); uploads stop on it until it is fixed\n`,
    );
    return ExitCode.usage;
  }
  return ExitCode.ok;
}

function simpleRow(
  server: ServerConfig,
): Pick<ServerRow, "simpleUrl" | "simpleUrlSource" | "simpleUrlNote"> {
  const simple = describeSimpleUrl(server);
  return { simpleUrl: simple.url, simpleUrlSource: simple.source, simpleUrlNote: simple.note };
}

function printRows(config: PypircConfig, rows: ServerRow[]): void {
  out(`Config: ${config.path}${config.exists ? "" : " (not found: built-in servers only)"}\n`);
  for (const row of rows) {
    out(
      `\n${row.name}${row.inIndexServers ? "" : " (not in index-servers)"}${row.permanent ? " [permanent uploads]" : ""}\n`,
    );
    if (row.error) {
      out(`  error:    ${row.error}\n`);
      continue;
    }
    out(`  url:      ${row.url}\n`);
    const style = row.patternStyle === "glob" ? " (globs)" : "";
    out(
      `  routes:   ${row.releasePackages.length > 0 ? `${row.releasePackages.join("  ")}${style}` : "(no release-packages)"}\n`,
    );
    for (const note of row.notes) out(`  note:     ${note}\n`);
    const simple = row.simpleUrl ? `${row.simpleUrl} ` : "";
    out(`  simple:   ${simple}(${row.simpleUrlSource}: ${row.simpleUrlNote})\n`);
    out(`  user:     ${row.username ? `${row.username} (from ${row.usernameFrom})` : "(none)"}\n`);
    out(`  password: ${row.passwordFrom ? `from ${row.passwordFrom}` : "(none found)"}\n`);
  }
  for (const name of config.missingSections) {
    out(`\n${name}: listed in [distutils] index-servers but has no section\n`);
  }
}

/**
 * Routing surprises worth saying without any project at hand: a listed server without patterns
 * once others have some, lines that can never match a whole project name (written for
 * collective.releaser's match-anywhere rule), globs that only exclude.
 */
function routingNotes(config: PypircConfig, server: ServerConfig): string[] {
  const notes: string[] = [];
  const listed = config.indexServers
    .map((name) => config.servers.get(name))
    .filter((s): s is ServerConfig => s !== undefined);
  if (
    config.indexServers.includes(server.name) &&
    !server.error &&
    server.releasePackages.length === 0 &&
    listed.some((s) => s.releasePackages.length > 0)
  ) {
    notes.push(unroutedServerNote(server.name));
  }
  for (const pattern of server.releasePackages) {
    if (!pattern.separatorEdge) continue;
    const rewrite = separatorRewrite(pattern);
    notes.push(
      `line ${pattern.line}: ${showPattern(pattern.source)} can never match a whole project name (names start and end with a letter or digit); collective.releaser matched it anywhere in the name${rewrite ? `: write ${showPattern(rewrite)}` : ""}`,
    );
  }
  const globs = server.releasePackages.filter((p) => p.kind === "glob");
  if (globs.length > 0 && globs.every((p) => p.exclude)) {
    notes.push(
      "only ! exclusions, no line that routes: receives nothing unless named with -r (add a line such as *)",
    );
  }
  return notes;
}
