/**
 * What the Node API's `loadConfig()` and `inspect()` return: plain data (no RegExp, Map or
 * secret), stable to serialise.
 */
import type { PypircConfig, ServerConfig } from "../config/types.js";
import type { Distribution } from "../distributions/types.js";

export interface ServerInfo {
  name: string;
  /** Upload URL. */
  url: string;
  /** Simple index asked for files already there; null when none is known. */
  checkUrl: string | null;
  /** `release-packages` lines as written. */
  releasePackages: string[];
  patternStyle: "regex" | "glob";
  /** Listed in `[distutils] index-servers`. */
  inIndexServers: boolean;
  /** Uploads can never be replaced (pypi.org, test.pypi.org, `immutable = true`). */
  permanent: boolean;
  username: string | null;
  /** The section has a password (it is never returned). */
  hasPassword: boolean;
  origin: ServerConfig["origin"];
}

export interface ConfigInfo {
  /** The file read (or that would have been). */
  path: string;
  exists: boolean;
  servers: ServerInfo[];
  /** Names in index-servers without a section. */
  missingSections: string[];
  warnings: string[];
}

export function configInfo(config: PypircConfig): ConfigInfo {
  return {
    path: config.path,
    exists: config.exists,
    servers: [...config.servers.values()].map((server) => ({
      name: server.name,
      url: server.repository,
      checkUrl: server.checkUrl || null,
      releasePackages: server.releasePackages.map((p) => p.source),
      patternStyle: server.releasePackages[0]?.kind ?? "regex",
      inIndexServers: config.indexServers.includes(server.name),
      permanent: server.immutable,
      username: server.username ?? null,
      hasPassword: server.password !== undefined && server.password !== "",
      origin: server.origin,
    })),
    missingSections: config.missingSections,
    warnings: config.warnings,
  };
}

export interface DistributionInfo {
  /** Absolute path. */
  path: string;
  filename: string;
  size: number;
  kind: Distribution["parsed"]["kind"];
  /** Project name and version from the metadata. */
  project: string;
  version: string;
  /** PEP 503 normalised name. */
  normalizedName: string;
  metadataVersion: string;
  /** Core metadata fields in file order (repeated fields repeated). */
  metadata: Array<[name: string, value: string]>;
  /** `<file>.asc` next to it, or null. */
  signature: string | null;
  attestations: string[];
  warnings: string[];
}

export function distributionInfo(dist: Distribution): DistributionInfo {
  return {
    path: dist.path,
    filename: dist.filename,
    size: dist.size,
    kind: dist.parsed.kind,
    project: dist.name,
    version: dist.version,
    normalizedName: dist.normalizedName,
    metadataVersion: dist.metadataVersion,
    metadata: dist.metadata.fields.map(([name, value]) => [name, value]),
    signature: dist.signaturePath ?? null,
    attestations: [...dist.attestationPaths],
    warnings: [...(dist.warnings ?? [])],
  };
}
