import { compileReleasePattern } from "../../src/config/release-pattern.js";
import type { ServerConfig } from "../../src/config/types.js";
import type { DistKind, Distribution } from "../../src/distributions/types.js";

/** A server config for unit tests; patterns are release-packages lines (Python regexes). */
export function server(
  name: string,
  overrides: Partial<ServerConfig> & { patterns?: string[] } = {},
): ServerConfig {
  const { patterns = [], ...rest } = overrides;
  return {
    name,
    repository: `https://${name}.example/legacy/`,
    realm: "pypi",
    releasePackages: patterns.map((source, i) =>
      compileReleasePattern(source, { file: "test.pypirc", section: name, line: i + 1 }),
    ),
    immutable: false,
    allowInsecureHttp: false,
    origin: "pypirc",
    options: {},
    ...rest,
  };
}

/**
 * A JWT-looking token (header.payload.signature) with these claims; the signature is never
 * checked, only its text matters (e.g. to prove it is not printed).
 */
export function fakeJwt(
  claims: Record<string, unknown>,
  signature = "c2lnbmF0dXJlLW5vdC1jaGVja2Vk",
): string {
  const part = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${part({ alg: "RS256", typ: "JWT" })}.${part(claims)}.${signature}`;
}

const filetypes = { wheel: "bdist_wheel", sdist: "sdist", egg: "bdist_egg" } as const;

export function dist(name: string, version: string, kind: DistKind = "wheel"): Distribution {
  const filename =
    kind === "wheel"
      ? `${name.replace(/[-.]/g, "_")}-${version}-py3-none-any.whl`
      : kind === "sdist"
        ? `${name}-${version}.tar.gz`
        : `${name}-${version}-py3.11.egg`;
  return {
    path: `/dist/${filename}`,
    filename,
    size: 1234,
    parsed: {
      kind,
      filetype: filetypes[kind],
      name,
      version,
      pyversion: kind === "wheel" ? "py3" : kind === "sdist" ? "source" : "3.11",
      archive: kind === "sdist" ? "tar.gz" : "zip",
    },
    name,
    version,
    normalizedName: name.toLowerCase().replace(/[-_.]+/g, "-"),
    metadataVersion: "2.1",
    metadata: {
      fields: [
        ["Metadata-Version", "2.1"],
        ["Name", name],
        ["Version", version],
      ],
    },
    attestationPaths: [],
  };
}
