/**
 * ~/.pypirc: which servers exist, their URLs, credentials and release-packages routes.
 *
 * Decisions (see also docs/protocol.md, ".pypirc"):
 * - Multi-server format: the servers are the names in `[distutils] index-servers` (split on any
 *   whitespace, like twine) plus the built-in `pypi` and `testpypi`, whose sections are read even
 *   when not listed (twine always knows them). Other sections not listed are ignored, as distutils
 *   and twine do; naming one with -r gives an error saying to list it.
 * - Old format (`[server-login]` and no `[distutils]`, distutils before Python 2.6): a server named
 *   `server-login` whose repository defaults to PyPI. When it points at PyPI and there is no
 *   `[pypi]` section it also provides the `pypi` server's credentials, so `-r pypi` and the
 *   default target keep working for such files (twine likewise uses server-login's
 *   username/password as defaults). `[server-login]` next to `[distutils]` is an ordinary section.
 * - `[DEFAULT]` applies to every section present in the file (Python semantics), not to built-in
 *   servers that have no section.
 * - Empty `username =` / `password =` count as unset, so other credential sources are asked.
 * - PyPI's retired upload URLs (pypi.python.org, testpypi.python.org) are replaced by the current
 *   ones, with a warning, as distutils did for `[pypi]`.
 */
import { homedir } from "node:os";
import { join, resolve, sep } from "node:path";
import { ConfigError, ResolutionError } from "../errors.js";
import { RegularFileError, readRegularFile } from "../io/regular-file.js";
import {
  DEFAULT_SECTION,
  decodeConfigBytes,
  type ParsedConfig,
  type ParsedOption,
  parseConfig,
  sectionOptions,
} from "./configparser.js";
import { deriveSimpleUrl } from "./derive-simple-url.js";
import { compileReleasePattern } from "./release-pattern.js";
import type { ConfigLocation, PypircConfig, ReleasePattern, ServerConfig } from "./types.js";

export const PYPI_UPLOAD_URL = "https://upload.pypi.org/legacy/";
export const TESTPYPI_UPLOAD_URL = "https://test.pypi.org/legacy/";
export const PYPI_SIMPLE_URL = "https://pypi.org/simple/";
export const TESTPYPI_SIMPLE_URL = "https://test.pypi.org/simple/";

const BUILTIN_UPLOAD: Record<string, string> = {
  pypi: PYPI_UPLOAD_URL,
  testpypi: TESTPYPI_UPLOAD_URL,
};
/** Upload URLs PyPI no longer serves, keyed without trailing slash. */
const RETIRED_URLS: Record<string, string> = {
  "http://pypi.python.org/pypi": PYPI_UPLOAD_URL,
  "https://pypi.python.org/pypi": PYPI_UPLOAD_URL,
  "http://upload.pypi.org/legacy": PYPI_UPLOAD_URL,
  "http://testpypi.python.org/pypi": TESTPYPI_UPLOAD_URL,
  "https://testpypi.python.org/pypi": TESTPYPI_UPLOAD_URL,
  "http://test.pypi.org/legacy": TESTPYPI_UPLOAD_URL,
};
/** Hosts whose uploads can never be replaced, even after deletion. */
/** PyPI's and TestPyPI's hosts: uploads there are permanent, and they offer trusted publishing. */
const PYPI_HOSTS = new Set(["upload.pypi.org", "pypi.org", "test.pypi.org"]);

export function isPypiHost(url: string): boolean {
  try {
    return PYPI_HOSTS.has(new URL(url).hostname.toLowerCase());
  } catch {
    return false;
  }
}
/** Python's RawConfigParser.BOOLEAN_STATES. */
const BOOLEANS: Record<string, boolean> = {
  "1": true,
  yes: true,
  true: true,
  on: true,
  "0": false,
  no: false,
  false: false,
  off: false,
};
const OLD_FORMAT_SECTION = "server-login";
/** A .pypirc is a few hundred bytes; 1 MiB leaves room for any real one and bounds the read. */
export const CONFIG_MAX_BYTES = 1024 * 1024;

export interface LoadPypircOptions {
  /** Explicit path (e.g. --config-file); a missing file is then an error. */
  path?: string | undefined;
  /** Environment for PKGPUSH_CONFIG_FILE (defaults to process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  /**
   * Keep a section's problem (e.g. an invalid pattern) on that server (`error`) instead of
   * throwing, so `pkgpush servers` can list the others.
   */
  keepServerErrors?: boolean | undefined;
}

/** `~/x` for paths under the home directory: what users recognise in messages. */
export function displayPath(path: string, home = homedir()): string {
  if (home && (path === home || path.startsWith(home.endsWith(sep) ? home : home + sep))) {
    return `~${path.slice(home.length)}`;
  }
  return path;
}

function expandHome(path: string): string {
  if (path === "~") return homedir();
  if (path.startsWith("~/") || path.startsWith(`~${sep}`)) return join(homedir(), path.slice(2));
  return path;
}

export async function loadPypirc(options: LoadPypircOptions = {}): Promise<PypircConfig> {
  const env = options.env ?? process.env;
  const given = options.path || env.PKGPUSH_CONFIG_FILE || undefined;
  const path = resolve(expandHome(given ?? join(homedir(), ".pypirc")));
  const display = displayPath(path);

  // The usual way to say "no configuration": the one device accepted, read as an empty file.
  if (path === "/dev/null")
    return buildPypircConfig(parseConfig("", display), { path, display }, options);
  let bytes: Uint8Array;
  let mode: number;
  try {
    ({ bytes, mode } = await readRegularFile(path, CONFIG_MAX_BYTES));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === "ENOENT" || code === "ENOTDIR") && given === undefined) {
      return buildPypircConfig(undefined, { path, display });
    }
    if (code === "ENOENT" || code === "ENOTDIR") {
      throw new ConfigError(`config file ${display} not found`, {
        hint: "check --config-file / PKGPUSH_CONFIG_FILE, or create the file",
      });
    }
    if (e instanceof RegularFileError) {
      throw new ConfigError(`config file ${display} ${e.message}`, {
        hint: "check --config-file / PKGPUSH_CONFIG_FILE",
      });
    }
    throw new ConfigError(`cannot read config file ${display}: ${(e as Error).message}`);
  }
  const parsed = parseConfig(decodeConfigBytes(bytes, display), display);
  const config = buildPypircConfig(parsed, { path, display }, options);
  const warning = permissionWarning(parsed, mode, display);
  if (warning) config.warnings.unshift(warning);
  return config;
}

/** POSIX only: Windows has no meaningful group/other mode bits. */
function permissionWarning(
  parsed: ParsedConfig,
  mode: number,
  display: string,
): string | undefined {
  if (process.platform === "win32" || (mode & 0o077) === 0) return undefined;
  const all = [parsed.defaults, ...[...parsed.sections.values()].map((s) => s.options)];
  if (!all.some((options) => options.get("password")?.value)) return undefined;
  const shown = (mode & 0o777).toString(8).padStart(4, "0");
  const arg = /^[\w~./+-]+$/.test(display) ? display : `'${display.replace(/'/g, `'\\''`)}'`;
  return `${display} contains passwords but its permissions (${shown}) let other users read or change it; run: chmod 600 ${arg}`;
}

/** Build the server table from a parsed file (undefined: no file, built-in servers only). */
export function buildPypircConfig(
  parsed: ParsedConfig | undefined,
  where: { path: string; display: string },
  options: { keepServerErrors?: boolean | undefined } = {},
): PypircConfig {
  const warnings: string[] = [];
  const servers = new Map<string, ServerConfig>();
  const config: PypircConfig = {
    path: where.path,
    exists: parsed !== undefined,
    indexServers: [],
    servers,
    missingSections: [],
    unlistedSections: [],
    warnings,
  };
  if (!parsed) {
    for (const name of ["pypi", "testpypi"]) servers.set(name, builtinServer(name));
    return config;
  }

  const distutils = parsed.sections.has("distutils");
  const oldFormat = !distutils && parsed.sections.has(OLD_FORMAT_SECTION);
  let style: PatternStyle = "regex";
  if (distutils) {
    const options = sectionOptions(parsed, "distutils");
    const list = options.get("index-servers")?.value ?? "";
    config.indexServers = [...new Set(list.split(/\s+/).filter(Boolean))];
    const glob = booleanOption(
      options,
      "glob-style",
      (key) => optionLocation(parsed, "distutils", key),
      false,
    );
    if (glob) style = "glob";
  }
  const names = [...config.indexServers, "pypi", "testpypi"];
  if (oldFormat) names.push(OLD_FORMAT_SECTION);
  for (const name of new Set(names)) {
    if (parsed.sections.has(name)) {
      servers.set(name, sectionServerOrError(parsed, name, { warnings, style }, options));
    } else if (name in BUILTIN_UPLOAD) {
      servers.set(name, builtinServer(name));
    } else {
      config.missingSections.push(name);
    }
  }
  const login = servers.get(OLD_FORMAT_SECTION);
  if (oldFormat && login && !parsed.sections.has("pypi") && login.repository === PYPI_UPLOAD_URL) {
    servers.set("pypi", { ...login, name: "pypi" });
  }
  config.unlistedSections = [...parsed.sections.keys()].filter(
    (name) => name !== "distutils" && !servers.has(name),
  );
  return config;
}

function builtinServer(name: string): ServerConfig {
  const repository = BUILTIN_UPLOAD[name] ?? "";
  return {
    name,
    repository,
    realm: "pypi",
    releasePackages: [],
    ...knownSimpleUrl(repository),
    immutable: true,
    allowInsecureHttp: false,
    origin: "builtin",
    options: {},
  };
}

type PatternStyle = "regex" | "glob";

/** Where an option of a section was set: the section itself or `[DEFAULT]`. */
function optionLocation(parsed: ParsedConfig, name: string, key: string): ConfigLocation {
  const own = parsed.sections.get(name)?.options.has(key) ?? false;
  return {
    file: parsed.file,
    section: own ? name : DEFAULT_SECTION,
    line: sectionOptions(parsed, name).get(key)?.line,
  };
}

/** A section's server; with keepServerErrors, a broken section is kept with its `error`. */
function sectionServerOrError(
  parsed: ParsedConfig,
  name: string,
  context: { warnings: string[]; style: PatternStyle },
  options: { keepServerErrors?: boolean | undefined },
): ServerConfig {
  try {
    return sectionServer(parsed, name, context);
  } catch (error) {
    if (!options.keepServerErrors || !(error instanceof ConfigError)) throw error;
    const section = parsed.sections.get(name);
    return {
      name,
      repository:
        sectionOptions(parsed, name).get("repository")?.value ?? BUILTIN_UPLOAD[name] ?? "",
      realm: "pypi",
      releasePackages: [],
      immutable: false,
      allowInsecureHttp: false,
      origin: "pypirc",
      location: { file: parsed.file, section: name, line: section?.line },
      error,
      options: {},
    };
  }
}

function sectionServer(
  parsed: ParsedConfig,
  name: string,
  context: { warnings: string[]; style: PatternStyle },
): ServerConfig {
  const { warnings } = context;
  const section = parsed.sections.get(name);
  const options = sectionOptions(parsed, name);
  const loc = (key: string): ConfigLocation => optionLocation(parsed, name, key);
  const text = (key: string): string | undefined => options.get(key)?.value || undefined;

  let repository =
    text("repository") ??
    BUILTIN_UPLOAD[name] ??
    (name === OLD_FORMAT_SECTION ? PYPI_UPLOAD_URL : "");
  const current = RETIRED_URLS[repository.replace(/\/+$/, "")];
  if (current) {
    const { file, section, line } = loc("repository");
    warnings.push(
      `${file}, line ${line}: [${section}] repository ${repository} is a retired PyPI upload URL; using ${current}`,
    );
    repository = current;
  }

  const checkUrl = text("check-url");
  const simpleUrl = text("simple-url");
  if (checkUrl && simpleUrl && checkUrl !== simpleUrl) {
    const { file, line } = loc("simple-url");
    throw new ConfigError(
      `${file}, line ${line}: [${name}] sets both check-url and simple-url to different URLs; keep one`,
    );
  }
  const simple = sectionSimpleUrl(checkUrl ? "check-url" : "simple-url", checkUrl ?? simpleUrl, {
    repository,
    location: loc(checkUrl ? "check-url" : "simple-url"),
  });
  const host = hostOf(repository);
  return {
    name,
    repository,
    username: text("username"),
    password: text("password"),
    realm: text("realm") ?? "pypi",
    releasePackages: releasePatterns(options, loc, context.style),
    ...simple,
    caCert: expandPath(text("ca_cert")),
    clientCert: expandPath(text("client_cert")),
    immutable: booleanOption(options, "immutable", loc, host !== undefined && PYPI_HOSTS.has(host)),
    allowInsecureHttp: booleanOption(options, "allow-insecure-http", loc, false),
    md5Digest: booleanOption(options, "md5-digest", loc, false),
    rules: rulesOption(options, loc, host !== undefined && PYPI_HOSTS.has(host)),
    origin: "pypirc",
    location: { file: parsed.file, section: name, line: section?.line },
    options: Object.fromEntries([...options].map(([k, v]) => [k, v.value])),
  };
}

type SimpleUrlFields = Pick<ServerConfig, "checkUrl" | "checkUrlSource" | "checkUrlNote">;

/** PyPI's and TestPyPI's simple indexes are fixed: known without asking. */
function knownSimpleUrl(repository: string): SimpleUrlFields {
  const derived = deriveSimpleUrl(repository);
  if (!derived?.certain) return {};
  return { checkUrl: derived.url, checkUrlSource: "derived", checkUrlNote: derived.kind };
}

/**
 * `check-url` / `simple-url`: a URL (used as given), `none` (no existence checks), or unset (the
 * URL is derived from the upload URL and confirmed before use; see src/simple/locate.ts).
 */
function sectionSimpleUrl(
  key: string,
  value: string | undefined,
  context: { repository: string; location: ConfigLocation },
): SimpleUrlFields {
  if (value === undefined) return knownSimpleUrl(context.repository);
  if (value.trim().toLowerCase() === "none") return { checkUrlSource: "off" };
  if (!/^https?:\/\/[^/\s]+/i.test(value)) {
    const { file, section, line } = context.location;
    throw new ConfigError(
      `${file}, line ${line}: [${section}] ${key} = ${value} is not an http(s) URL; give the simple index URL (https://HOST/simple/) or none`,
    );
  }
  return { checkUrl: value, checkUrlSource: "configured" };
}

function expandPath(value: string | undefined): string | undefined {
  return value === undefined ? undefined : expandHome(value);
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase();
  } catch {
    return undefined;
  }
}

/**
 * One pattern per non-blank value line, each located on its own file line. `packages` is read as
 * an alias (collective.releaser read both); both in one section is ambiguous, so an error.
 */
function releasePatterns(
  options: Map<string, ParsedOption>,
  loc: (key: string) => ConfigLocation,
  style: PatternStyle,
): ReleasePattern[] {
  const main = options.get("release-packages");
  const alias = options.get("packages");
  if (main && alias) {
    const a = loc("release-packages");
    const b = loc("packages");
    throw new ConfigError(
      `${a.file}, line ${b.line}: [${b.section}] sets packages (line ${b.line}) and release-packages (line ${a.line}${a.section === b.section ? "" : `, in [${a.section}]`}); packages is an old name for release-packages: keep one`,
    );
  }
  const option = main ?? alias;
  if (!option) return [];
  const where = loc(main ? "release-packages" : "packages");
  return option.lines
    .filter((l) => l.text !== "")
    .map((l) => compileReleasePattern(l.text, { ...where, line: l.line }, style));
}

function booleanOption(
  options: Map<string, ParsedOption>,
  key: string,
  loc: (key: string) => ConfigLocation,
  fallback: boolean,
): boolean {
  const option = options.get(key);
  if (!option) return fallback;
  const value = BOOLEANS[option.value.toLowerCase()];
  if (value === undefined) {
    const { file, section, line } = loc(key);
    throw new ConfigError(
      `${file}, line ${line}: [${section}] ${key} = ${JSON.stringify(option.value)} is not a boolean; use true or false`,
    );
  }
  return value;
}

/** `rules = pypi|basic`: which upload rules the server applies (default: pypi for PyPI's hosts). */
function rulesOption(
  options: Map<string, ParsedOption>,
  loc: (key: string) => ConfigLocation,
  pypiHost: boolean,
): "pypi" | "basic" {
  const option = options.get("rules");
  if (!option) return pypiHost ? "pypi" : "basic";
  const value = option.value.trim().toLowerCase();
  if (value === "pypi" || value === "basic") return value;
  const { file, section, line } = loc("rules");
  throw new ConfigError(
    `${file}, line ${line}: [${section}] rules = ${JSON.stringify(option.value)} is not a rule set; use pypi (PyPI's upload rules, checked before anything is sent) or basic`,
  );
}

/** Whether files bound for this server must pass PyPI's rules before anything is sent. */
export function hasPypiRules(server: ServerConfig): boolean {
  return server.rules === "pypi" || (server.rules === undefined && isPypiHost(server.repository));
}

function available(config: PypircConfig): string {
  return [...config.servers.keys()].join(", ");
}

/**
 * The server called `name`, ready to use. Errors: unknown name (lists the known ones), listed in
 * index-servers without a section, a section not listed in index-servers, no repository URL.
 */
export function getServer(config: PypircConfig, name: string): ServerConfig {
  const file = displayPath(config.path);
  const server = config.servers.get(name);
  if (!server) {
    if (config.missingSections.includes(name)) {
      throw new ConfigError(
        `[distutils] index-servers lists '${name}' but ${file} has no [${name}] section; add it or remove the name`,
      );
    }
    if (config.unlistedSections?.includes(name)) {
      throw new ConfigError(
        `${file} has a [${name}] section but it is not listed in [distutils] index-servers; add '${name}' there`,
      );
    }
    throw new ResolutionError(`no server named '${name}' (configured: ${available(config)})`, {
      hint: config.exists
        ? `add a [${name}] section to ${file} and list it in [distutils] index-servers, or pass a URL`
        : `${file} does not exist; create it with a [${name}] section, or pass a URL`,
    });
  }
  const where = server.location
    ? `${server.location.file}, section [${server.location.section}]${server.location.line ? ` (line ${server.location.line})` : ""}`
    : `server '${name}'`;
  if (!server.repository) {
    throw new ConfigError(`${where}: no repository URL; add "repository = https://..." to it`);
  }
  const url = parseHttpUrl(server.repository);
  if (!url) {
    throw new ConfigError(
      `${where}: repository ${JSON.stringify(server.repository)} is not an http(s) URL; fix it`,
    );
  }
  return server;
}

function parseHttpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

/** URL identity for `-r URL`: scheme/host case, default ports and trailing slashes ignored. */
function urlKey(value: string): string {
  const url = parseHttpUrl(value.trim());
  return (url ? url.href : value.trim()).replace(/\/+$/, "");
}

/** distutils' rule: `-r X` may name a configured server by its repository URL (first match). */
export function findServerByUrl(config: PypircConfig, url: string): ServerConfig | undefined {
  const key = urlKey(url);
  for (const server of config.servers.values()) {
    if (server.repository && urlKey(server.repository) === key) return server;
  }
  return undefined;
}
