import type { ServerConfig } from "../config/types.js";
import { UsageError } from "../errors.js";

/** Hosts whose uploads can never be replaced or re-used (PyPI's file-name reuse rule). */
const PERMANENT_HOSTS = new Set(["upload.pypi.org", "pypi.org", "test.pypi.org"]);

export function isPermanentIndex(url: string): boolean {
  try {
    return PERMANENT_HOSTS.has(new URL(url).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** A server given only by URL (`--repository-url`, or `-r URL` matching no section). */
export function adHocServer(url: string): ServerConfig {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`'${url}' is not a valid repository URL`, {
      hint: "give a full upload URL, e.g. https://upload.pypi.org/legacy/",
    });
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new UsageError(`'${url}': only http and https repository URLs are supported`);
  }
  if (parsed.username || parsed.password) {
    throw new UsageError("repository URLs must not contain credentials", {
      hint: "use -u/-p, PKGPUSH_USERNAME/PKGPUSH_PASSWORD or .pypirc instead",
    });
  }
  return {
    name: url,
    repository: url,
    realm: "pypi",
    releasePackages: [],
    immutable: isPermanentIndex(url),
    allowInsecureHttp: false,
    origin: "url",
    options: {},
  };
}
