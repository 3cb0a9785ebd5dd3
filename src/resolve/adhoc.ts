import { isPypiHost } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import { UsageError } from "../errors.js";

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
    // PyPI's file-name reuse rule: an upload there can never be replaced.
    immutable: isPypiHost(url),
    allowInsecureHttp: false,
    origin: "url",
    options: {},
  };
}
