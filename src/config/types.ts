/** Where a configuration value came from, for error messages ("~/.pypirc, section [plone], line 7"). */
export interface ConfigLocation {
  file: string;
  section: string;
  line?: number;
}

/** One compiled `release-packages` line. */
export interface ReleasePattern {
  /** The pattern as the user wrote it (Python `re` syntax). */
  source: string;
  /** Anchored JavaScript translation, matched against the whole project name. */
  regex: RegExp;
  /** 1-based line in the config file. */
  line: number;
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
  /** PEP 503/691 simple index URL used to check for existing files. */
  checkUrl?: string | undefined;
  caCert?: string | undefined;
  clientCert?: string | undefined;
  /** Uploads to this server can never be replaced (pypi.org, test.pypi.org, or `immutable = true`). */
  immutable: boolean;
  /** Allow credentials over plain http to a non-loopback host (`allow-insecure-http = true`). */
  allowInsecureHttp: boolean;
  /** Send `md5_digest` too (`md5-digest = true`), for servers that still read it (Artifactory). */
  md5Digest?: boolean | undefined;
  /** Where it was defined; undefined for built-in defaults and ad-hoc URLs. */
  origin: "pypirc" | "builtin" | "url";
  location?: ConfigLocation | undefined;
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
