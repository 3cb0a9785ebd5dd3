/**
 * Command line of the test index server (test/server/main.ts, bundled as build/index-server.js).
 *
 * One server from top-level options:
 *   index-server --port 0 --mode devpi --user alice:secret --name plone
 * Several in one process, each from a `--server` spec; top-level options are every spec's
 * defaults. A spec is `key=value` pairs separated by commas (keys as the long options, `user`,
 * `owner` and `fault` repeatable), or a JSON object of IndexServerOptions plus `name`:
 *   index-server --host 127.0.0.1 \
 *     --server name=pypi,mode=pypi,user=__token__:pypi-abc \
 *     --server name=plone,mode=devpi,user=alice:secret,exists-style=pypiserver \
 *     --server '{"name":"flaky","faults":[{"on":"upload","action":{"status":503}}]}'
 */
import { parseArgs } from "node:util";
import { type FaultRule, validateFaultPlan } from "./faults.js";
import type {
  ExistsStyle,
  IndexServerOptions,
  RedirectStatus,
  ServerMode,
} from "./index-server.js";

export interface ServerSpec {
  name: string;
  options: IndexServerOptions;
}

export interface CliConfig {
  servers: ServerSpec[];
  /** Log one line per finished request on stderr. */
  log: boolean;
  /** Exit when standard input ends (the parent died or closed the pipe). */
  exitOnStdinEnd: boolean;
  help: boolean;
}

export const USAGE = `Usage: index-server [options] [--server SPEC]...

Starts test package indexes (legacy upload API, PEP 503/691 simple index) and prints one JSON
line per server, {"name","url","uploadUrl","simpleUrl","filesUrl"}, once all are listening.
Stops on SIGTERM/SIGINT.

Options (also the keys of a --server spec, without the dashes):
  --name NAME                 server name (default "index", or "index<N>" for specs)
  --host HOST                 default 127.0.0.1 (::1 works)
  --port N                    default 0 (ephemeral)
  --mode pypi|devpi           default pypi
  --user NAME:PASSWORD        required credentials (repeatable); none: anonymous uploads
  --auth-challenge            401 + WWW-Authenticate when no credentials are sent
  --realm REALM               realm of that challenge (default pypi)
  --owner PROJECT=USER        restrict a project to users (repeatable)
  --upload-path PATH          default /legacy/
  --simple-path PATH          default /simple/
  --simple-format FORMAT      negotiate (PEP 691 JSON or PEP 503 HTML, default) | html (HTML only)
  --private-simple            simple pages and downloads need --user credentials too
  --files-path PATH           default /files/
  --exists-style STYLE        pypi|pypiserver|nexus|artifactory|gitlab (default pypi)
  --max-file-size SIZE        bytes, or with K/KB/KiB/M/MB/MiB/G/GB/GiB
  --store-dir DIR             keep files there (default: a temporary directory)
  --fault JSON                a fault rule, e.g. '{"on":"upload","action":{"status":503}}'
  --redirect-upload-to URL    answer uploads with a redirect there
  --redirect-simple-to URL    answer simple index GETs with a redirect there
  --redirect-status N         301|302|303|307|308 (default 307)
Process options:
  --server SPEC               add a server: key=value,... or a JSON object (repeatable)
  --log                       one line per request on stderr
  --exit-on-stdin-end         exit when standard input closes
  --help`;

const MODES: ServerMode[] = ["pypi", "devpi"];
const EXISTS: ExistsStyle[] = ["pypi", "pypiserver", "nexus", "artifactory", "gitlab"];
const REDIRECTS: RedirectStatus[] = [301, 302, 303, 307, 308];

/** Option names (kebab-case) that a spec may repeat. */
const REPEATABLE = new Set(["user", "owner", "fault"]);
const FLAGS = new Set(["auth-challenge", "private-simple"]);
const VALUED = [
  "name",
  "host",
  "port",
  "mode",
  "user",
  "realm",
  "owner",
  "upload-path",
  "simple-path",
  "simple-format",
  "files-path",
  "exists-style",
  "max-file-size",
  "store-dir",
  "fault",
  "redirect-upload-to",
  "redirect-simple-to",
  "redirect-status",
];

export class CliError extends Error {}

/** `100MB` -> 100_000_000, `1MiB` -> 1_048_576, `512` -> 512. */
export function parseSize(text: string): number {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([kmg]?)(i?)b?\s*$/i.exec(text);
  if (!m) throw new CliError(`invalid size ${JSON.stringify(text)}`);
  const power = { "": 0, k: 1, m: 2, g: 3 }[(m[2] ?? "").toLowerCase() as "" | "k" | "m" | "g"];
  const base = m[3] ? 1024 : 1000;
  return Math.round(Number(m[1]) * base ** power);
}

type Raw = Map<string, string[]>;

/** Turns option values (kebab-case keys, strings) into server options. */
function toOptions(raw: Raw, where: string): { name?: string; options: IndexServerOptions } {
  const options: IndexServerOptions = {};
  const one = (key: string): string | undefined => raw.get(key)?.at(-1);
  for (const key of raw.keys()) {
    if (!VALUED.includes(key) && !FLAGS.has(key))
      throw new CliError(`${where}: unknown option '${key}'`);
  }
  const host = one("host");
  if (host !== undefined) options.host = host.replace(/^\[(.*)\]$/, "$1");
  const port = one("port");
  if (port !== undefined) {
    if (!/^[0-9]+$/.test(port) || Number(port) > 65535)
      throw new CliError(`${where}: invalid port ${port}`);
    options.port = Number(port);
  }
  const mode = one("mode");
  if (mode !== undefined) {
    if (!MODES.includes(mode as ServerMode))
      throw new CliError(`${where}: mode must be pypi or devpi`);
    options.mode = mode as ServerMode;
  }
  for (const user of raw.get("user") ?? []) {
    const colon = user.indexOf(":");
    if (colon <= 0)
      throw new CliError(`${where}: --user wants NAME:PASSWORD, got ${JSON.stringify(user)}`);
    options.users = { ...options.users, [user.slice(0, colon)]: user.slice(colon + 1) };
  }
  if (raw.has("auth-challenge")) options.authChallenge = one("auth-challenge") !== "false";
  if (raw.has("private-simple")) options.readAuth = one("private-simple") !== "false";
  const format = one("simple-format");
  if (format !== undefined) {
    if (format !== "negotiate" && format !== "html")
      throw new CliError(`${where}: simple-format must be negotiate or html`);
    options.simpleFormats = format === "html" ? "html" : "both";
  }
  const realm = one("realm");
  if (realm !== undefined) options.realm = realm;
  for (const owner of raw.get("owner") ?? []) {
    const eq = owner.indexOf("=");
    if (eq <= 0)
      throw new CliError(`${where}: --owner wants PROJECT=USER, got ${JSON.stringify(owner)}`);
    const project = owner.slice(0, eq);
    options.owners = {
      ...options.owners,
      [project]: [...(options.owners?.[project] ?? []), owner.slice(eq + 1)],
    };
  }
  const paths = [
    ["upload-path", "uploadPath"],
    ["simple-path", "simplePath"],
    ["files-path", "filesPath"],
    ["store-dir", "storeDir"],
    ["redirect-upload-to", "redirectUploadTo"],
    ["redirect-simple-to", "redirectSimpleTo"],
  ] as const;
  for (const [key, prop] of paths) {
    const value = one(key);
    if (value !== undefined) options[prop] = value;
  }
  const exists = one("exists-style");
  if (exists !== undefined) {
    if (!EXISTS.includes(exists as ExistsStyle))
      throw new CliError(`${where}: exists-style must be one of ${EXISTS.join(", ")}`);
    options.existsStyle = exists as ExistsStyle;
  }
  const size = one("max-file-size");
  if (size !== undefined) options.maxFileSize = parseSize(size);
  const status = one("redirect-status");
  if (status !== undefined) {
    if (!REDIRECTS.includes(Number(status) as RedirectStatus))
      throw new CliError(`${where}: invalid redirect status ${status}`);
    options.redirectStatus = Number(status) as RedirectStatus;
  }
  const faults = raw.get("fault");
  if (faults !== undefined) {
    const rules = faults.map((json) => {
      try {
        return JSON.parse(json) as FaultRule;
      } catch {
        throw new CliError(`${where}: --fault is not JSON: ${json}`);
      }
    });
    try {
      options.faults = validateFaultPlan(rules);
    } catch (err) {
      throw new CliError(`${where}: ${(err as Error).message}`);
    }
  }
  const name = one("name");
  return name === undefined ? { options } : { name, options };
}

/** `name=plone,mode=devpi,user=alice:secret` -> option map (kebab or camelCase keys). */
function parseSpec(spec: string, where: string): Raw {
  const raw: Raw = new Map();
  for (const item of spec.split(",")) {
    if (item.trim() === "") continue;
    const eq = item.indexOf("=");
    const key = kebab((eq < 0 ? item : item.slice(0, eq)).trim());
    const value = eq < 0 ? (FLAGS.has(key) ? "true" : undefined) : item.slice(eq + 1);
    if (value === undefined) throw new CliError(`${where}: '${item}' is not key=value`);
    if (raw.has(key) && !REPEATABLE.has(key)) throw new CliError(`${where}: '${key}' given twice`);
    raw.set(key, [...(raw.get(key) ?? []), value]);
  }
  return raw;
}

function kebab(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/** A JSON spec: IndexServerOptions plus `name`. */
function parseJsonSpec(
  spec: string,
  where: string,
): { name?: string; options: IndexServerOptions } {
  let value: unknown;
  try {
    value = JSON.parse(spec);
  } catch {
    throw new CliError(`${where}: not valid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw new CliError(`${where}: not a JSON object`);
  const { name, ...options } = value as IndexServerOptions & { name?: unknown };
  if (name !== undefined && typeof name !== "string")
    throw new CliError(`${where}: name must be a string`);
  if (options.faults !== undefined) {
    try {
      validateFaultPlan(options.faults);
    } catch (err) {
      throw new CliError(`${where}: ${(err as Error).message}`);
    }
  }
  return name === undefined ? { options } : { name, options };
}

export function parseCli(argv: string[]): CliConfig {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(VALUED.map((k) => [k, { type: "string", multiple: true }] as const)),
        ...Object.fromEntries([...FLAGS].map((k) => [k, { type: "boolean" }] as const)),
        server: { type: "string", multiple: true },
        log: { type: "boolean" },
        "exit-on-stdin-end": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    throw new CliError((err as Error).message);
  }
  const values = parsed.values as Record<string, string[] | boolean | undefined>;
  const top: Raw = new Map();
  for (const key of [...VALUED, ...FLAGS]) {
    const v = values[key];
    if (v === undefined) continue;
    const list = Array.isArray(v) ? v : [String(v)];
    if (list.length > 1 && !REPEATABLE.has(key))
      throw new CliError(`--${key} given more than once`);
    top.set(key, list);
  }
  const defaults = toOptions(top, "options");
  const specs = (values.server as string[] | undefined) ?? [];
  const servers: ServerSpec[] = [];
  if (specs.length === 0) {
    servers.push({ name: defaults.name ?? "index", options: defaults.options });
  } else {
    specs.forEach((spec, i) => {
      const where = `--server #${i + 1}`;
      const own = spec.trim().startsWith("{")
        ? parseJsonSpec(spec, where)
        : toOptions(parseSpec(spec, where), where);
      servers.push({
        name: own.name ?? `index${i + 1}`,
        options: { ...defaults.options, ...own.options },
      });
    });
  }
  const names = servers.map((s) => s.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new CliError(`two servers are named ${JSON.stringify(dup)}`);
  const ports = servers.map((s) => s.options.port ?? 0).filter((p) => p !== 0);
  if (new Set(ports).size !== ports.length) throw new CliError("two servers ask for the same port");
  const stores = servers.map((s) => s.options.storeDir).filter((d) => d !== undefined);
  if (new Set(stores).size !== stores.length)
    throw new CliError("two servers share a store directory");
  return {
    servers,
    log: values.log === true,
    exitOnStdinEnd: values["exit-on-stdin-end"] === true,
    help: values.help === true,
  };
}
