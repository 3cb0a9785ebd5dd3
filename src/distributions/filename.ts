/**
 * Distribution file names: which files are upload targets, and what their names say
 * (project, version, filetype, pyversion, archive format). Also a small PEP 440 normaliser,
 * used to match file names against metadata the way Python's `packaging` would.
 */
import { DistributionError } from "../errors.js";
import type { ParsedFilename } from "./types.js";

export const UPLOADABLE_EXTENSIONS = [".whl", ".tar.gz", ".zip", ".tar.bz2", ".egg"] as const;

const EXPECTED = "expected .whl, .tar.gz, .zip, .tar.bz2 or .egg";

/** Side files that travel with a distribution but are never uploaded on their own. */
const SIDECAR_SUFFIXES = [
  ".asc",
  ".sig",
  ".attestation", // also `.publish.attestation` (PEP 740)
  ".sigstore",
  ".sigstore.json",
  ".pem",
  ".crt",
  ".sha256",
  ".sha512",
  ".md5",
];

function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return i < 0 ? path : path.slice(i + 1);
}

/** True when the file name has a distribution extension (.whl, .tar.gz, .zip, .tar.bz2, .egg). */
export function isUploadable(path: string): boolean {
  const name = baseName(path).toLowerCase();
  return UPLOADABLE_EXTENSIONS.some((ext) => name.endsWith(ext) && name.length > ext.length);
}

/** True for signatures, attestations and checksums: skipped silently when collecting files. */
export function isSidecar(path: string): boolean {
  const name = baseName(path).toLowerCase();
  return SIDECAR_SUFFIXES.some((ext) => name.endsWith(ext));
}

/** The message used when a file is neither a distribution nor a side file. */
export function notADistributionMessage(display: string): string {
  return `${display}: not a distribution (${EXPECTED})`;
}

// --- PEP 440 -------------------------------------------------------------------------------

// The canonical pattern from PEP 440 / packaging.version.VERSION_PATTERN.
const PEP440 =
  /^\s*v?(?:(?:(?<epoch>[0-9]+)!)?(?<release>[0-9]+(?:\.[0-9]+)*)(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?)(?:\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?\s*$/i;

const PRE_SPELLINGS: Record<string, string> = {
  alpha: "a",
  a: "a",
  beta: "b",
  b: "b",
  c: "rc",
  pre: "rc",
  preview: "rc",
  rc: "rc",
};

/** Decimal digits without leading zeros (no Number: release segments may exceed 2^53). */
function int(digits: string | undefined): string {
  return (digits ?? "0").replace(/^0+(?=\d)/, "");
}

interface Pep440 {
  epoch: string;
  release: string[];
  suffix: string;
  local: string;
}

function parsePep440(version: string): Pep440 | undefined {
  const g = PEP440.exec(version)?.groups;
  if (!g || g.release === undefined) return undefined;
  let suffix = "";
  if (g.pre_l) suffix += `${PRE_SPELLINGS[g.pre_l.toLowerCase()]}${int(g.pre_n)}`;
  if (g.post) suffix += `.post${int(g.post_n1 ?? g.post_n2)}`;
  if (g.dev) suffix += `.dev${int(g.dev_n)}`;
  const local = g.local
    ? g.local
        .toLowerCase()
        .split(/[-_.]/)
        .map((part) => (/^\d+$/.test(part) ? int(part) : part))
        .join(".")
    : "";
  return { epoch: int(g.epoch), release: g.release.split(".").map(int), suffix, local };
}

/** PEP 440 normal form (`1.0-1` -> `1.0.post1`, `1.0RC1` -> `1.0rc1`), or undefined if invalid. */
export function normalizeVersion(version: string): string | undefined {
  const v = parsePep440(version);
  if (!v) return undefined;
  const epoch = v.epoch === "0" ? "" : `${v.epoch}!`;
  return `${epoch}${v.release.join(".")}${v.suffix}${v.local ? `+${v.local}` : ""}`;
}

/** Equality key as `packaging.version.Version.__eq__` sees it: trailing `.0`s do not count. */
function versionKey(version: string): string | undefined {
  const v = parsePep440(version);
  if (!v) return undefined;
  const release = [...v.release];
  while (release.length > 1 && release[release.length - 1] === "0") release.pop();
  return `${v.epoch}!${release.join(".")}${v.suffix}+${v.local}`;
}

/**
 * The release a version belongs to, as one string: two versions are the same release when their
 * keys are equal (PyPI files `1.0` and `1.0.0` under one release: Warehouse looks releases up by
 * canonical version). Wheel and egg file names escape `-` as `_`, so an unparsable version is
 * retried unescaped; non-PEP 440 (legacy) versions compare case-insensitively.
 */
export function releaseKey(version: string): string {
  return (
    versionKey(version) ??
    versionKey(version.replace(/_/g, "-")) ??
    `legacy:${version.trim().replace(/_/g, "-").toLowerCase()}`
  );
}

/** Whether two versions are the same release (see releaseKey). */
export function versionsEqual(a: string, b: string): boolean {
  return releaseKey(a) === releaseKey(b);
}

// --- File names ----------------------------------------------------------------------------

const WHEEL_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._]*[A-Za-z0-9])?$/;
const SDIST_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const TAG = /^[A-Za-z0-9_.]+$/;

function fail(display: string, what: string): never {
  throw new DistributionError(`${display}: ${what}`);
}

function parseWheel(stem: string, display: string): ParsedFilename {
  const expected = "expected {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl";
  const parts = stem.split("-");
  if (parts.length !== 5 && parts.length !== 6) {
    fail(display, `invalid wheel file name (${parts.length} dash-separated parts; ${expected})`);
  }
  const [name = "", version = "", ...rest] = parts;
  const [python = "", abi = "", platform = ""] = rest.slice(-3);
  const build = parts.length === 6 ? rest[0] : undefined;
  if (!WHEEL_NAME.test(name)) fail(display, `invalid project name "${name}" (${expected})`);
  if (!/^[A-Za-z0-9._+!]+$/.test(version) || !/\d/.test(version)) {
    fail(display, `invalid version "${version}" (${expected})`);
  }
  if (build !== undefined && !/^\d[A-Za-z0-9_.]*$/.test(build)) {
    fail(display, `invalid build tag "${build}" (must start with a digit; ${expected})`);
  }
  for (const tag of [python, abi, platform]) {
    if (!TAG.test(tag)) fail(display, `invalid compatibility tag "${tag}" (${expected})`);
  }
  return {
    kind: "wheel",
    filetype: "bdist_wheel",
    name,
    version,
    pyversion: python,
    archive: "zip",
    platforms: platform.split("."),
  };
}

function parseEgg(stem: string, display: string): ParsedFilename {
  const m = /^(?<name>[^-]+)-(?<version>[^-]+)-py(?<py>\d+(?:\.\d+)?)(?:-(?<platform>.+))?$/.exec(
    stem,
  )?.groups;
  if (!m?.name || !m.version || !m.py || !SDIST_NAME.test(m.name)) {
    fail(display, "invalid egg file name (expected {name}-{version}-py{X.Y}(-{platform})?.egg)");
  }
  return {
    kind: "egg",
    filetype: "bdist_egg",
    name: m.name,
    version: m.version,
    pyversion: m.py,
    archive: "zip",
  };
}

/**
 * Candidate (name, version) splits of an sdist stem, best first: at each `-` followed by a digit
 * (or `v` and a digit), valid PEP 440 remainders before legacy ones, leftmost first (so
 * `foo-1.0-1` is foo 1.0.post1, `demo-pkg-0.1.0` is demo-pkg 0.1.0, `py-3parse-2.0` is py-3parse).
 */
export function sdistSplits(stem: string): Array<{ name: string; version: string }> {
  const valid: Array<{ name: string; version: string }> = [];
  const legacy: Array<{ name: string; version: string }> = [];
  for (let i = stem.indexOf("-"); i > 0; i = stem.indexOf("-", i + 1)) {
    const name = stem.slice(0, i);
    const version = stem.slice(i + 1);
    if (!/^v?\d/i.test(version) || !SDIST_NAME.test(name)) continue;
    (normalizeVersion(version) !== undefined ? valid : legacy).push({ name, version });
  }
  return [...valid, ...legacy];
}

function parseSdist(
  stem: string,
  archive: ParsedFilename["archive"],
  display: string,
): ParsedFilename {
  const split = sdistSplits(stem)[0];
  if (!split) {
    const ext = archive === "zip" ? ".zip" : `.${archive}`;
    fail(display, `invalid sdist file name (expected {name}-{version}${ext}, e.g. foo-1.0${ext})`);
  }
  return {
    kind: "sdist",
    filetype: "sdist",
    name: split.name,
    version: split.version,
    pyversion: "source",
    archive,
  };
}

/**
 * What a distribution's file name says. `filename` may be a path (only its base name is parsed);
 * errors start with `display` (default: `filename`).
 */
export function parseFilename(filename: string, display: string = filename): ParsedFilename {
  const base = baseName(filename);
  const lower = base.toLowerCase();
  if (lower.endsWith(".whl")) return parseWheel(base.slice(0, -4), display);
  if (lower.endsWith(".egg")) return parseEgg(base.slice(0, -4), display);
  if (lower.endsWith(".tar.gz")) return parseSdist(base.slice(0, -7), "tar.gz", display);
  if (lower.endsWith(".tar.bz2")) return parseSdist(base.slice(0, -8), "tar.bz2", display);
  if (lower.endsWith(".zip")) return parseSdist(base.slice(0, -4), "zip", display);
  if (isSidecar(base)) {
    fail(display, `a signature or attestation, not a distribution (${EXPECTED})`);
  }
  return fail(display, `not a distribution (${EXPECTED})`);
}
