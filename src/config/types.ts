import type { ConfigError } from "../errors.js";

/** Where a configuration value came from, for error messages ("~/.pypirc, section [plone], line 7"). */
export interface ConfigLocation {
  file: string;
  section: string;
  line?: number;
}

/** One compiled `release-packages` line. */
export interface ReleasePattern {
  /** The line as the user wrote it (Python `re` syntax, or a glob with `glob-style = true`). */
  source: string;
  /** `regex`: Python `re` syntax; `glob`: `fnmatch.fnmatchcase` syntax (`glob-style = true`). */
  kind: "regex" | "glob";
  /** A glob line starting with `!`: a project it matches is never routed to this server. */
  exclude: boolean;
  /** Anchored JavaScript translation, matched against the whole project name. */
  regex: RegExp;
  /** Regex lines only: the unanchored form, collective.releaser's match-anywhere rule. */
  search?: RegExp | undefined;
  /** Upper bound on the backtracking steps of one match against a name of `length` characters. */
  cost: (length: number) => number;
  /** Every match starts or ends with `-`, `.` or `_`: it can never match a whole project name. */
  separatorEdge?: "first" | "last" | undefined;
  /** 1-based line in the config file. */
  line: number;
  /** File and section, for errors found while matching (a pattern that runs too long). */
  location: ConfigLocation;
}

/** A server as configured (one .pypirc section, a built-in default, or an ad-hoc URL). */
export interface ServerConfig {
  /** Section name (`pypi`, `plone`), or the URL for an ad-hoc `--repository-url` server. */
  name: string;
  /** Legacy upload URL. */
  repository: string;
  username?: string | undefined;
  /** Secret: never print it. */
  password?: string | undefined;
  realm: string;
  releasePackages: ReleasePattern[];
  /** PEP 503/691 simple index URL used to check for existing files (and by status/sync). */
  checkUrl?: string | undefined;
  /**
   * Where `checkUrl` comes from: `configured` (check-url / simple-url, --check-url), `derived`
   * (from the upload URL's layout: src/config/derive-simple-url.ts), `off` (`check-url = none`,
   * --no-check). Unset: not settled yet (a derived URL is confirmed before use) or unknown.
   */
  checkUrlSource?: "configured" | "derived" | "off" | undefined;
  /** The server kind a derived URL follows, or why no URL is used (`pkgpush servers`). */
  checkUrlNote?: string | undefined;
  caCert?: string | undefined;
  clientCert?: string | undefined;
  /** Uploads to this server can never be replaced (pypi.org, test.pypi.org, or `immutable = true`). */
  immutable: boolean;
  /** Allow credentials over plain http to a non-loopback host (`allow-insecure-http = true`). */
  allowInsecureHttp: boolean;
  /** Send `md5_digest` too (`md5-digest = true`), for servers that still read it (Artifactory). */
  md5Digest?: boolean | undefined;
  /**
   * The upload rules the server applies: `pypi` (Warehouse's; files are checked against them
   * before anything is sent) or `basic`. `rules =` in the section; default pypi for PyPI's hosts.
   */
  rules?: "pypi" | "basic" | undefined;
  /** Where it was defined; undefined for built-in defaults and ad-hoc URLs. */
  origin: "pypirc" | "builtin" | "url";
  location?: ConfigLocation | undefined;
  /**
   * A problem in this section (e.g. an invalid pattern). Set only when the config was loaded with
   * `keepServerErrors` (`pkgpush servers` lists the other servers); otherwise loading throws it.
   */
  error?: ConfigError | undefined;
  /** Every option of the section as read (lower-case keys), unknown ones included. */
  options: Record<string, string>;
}

/** The result of loading a .pypirc file. */
export interface PypircConfig {
  /** Absolute path that was (or would have been) read. */
  path: string;
  exists: boolean;
  /** Server names from `[distutils] index-servers`, in order (empty for the old format / no file). */
  indexServers: string[];
  /** Configured servers by section name, built-in `pypi`/`testpypi` included. */
  servers: Map<string, ServerConfig>;
  /** Names listed in index-servers without a section; an error only when such a server is used. */
  missingSections: string[];
  /** Sections present in the file but not servers (not in index-servers): named in errors. */
  unlistedSections?: string[];
  /** Non-fatal problems (e.g. group-readable file with passwords). */
  warnings: string[];
}
