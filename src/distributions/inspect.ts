/**
 * Inspect distribution files: parse the file name, read and check the core metadata, find the
 * signature and attestations next to the file. Every problem becomes a one-line
 * DistributionError that starts with the file's name and says what to do.
 */
import { statSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { AggregateInputError, DistributionError, PkgpushError } from "../errors.js";
import { regularFileProblem } from "../io/regular-file.js";
import { readMetadataFile, wheelDistInfoDirs } from "./archive.js";
import { parseFilename, sdistSplits, versionsEqual } from "./filename.js";
import { decodeMetadata, getField, parseMetadata } from "./metadata.js";
import { normalizeName } from "./names.js";
import type { Distribution, ParsedFilename } from "./types.js";

export const KNOWN_METADATA_VERSIONS = [
  "1.0",
  "1.1",
  "1.2",
  "2.0",
  "2.1",
  "2.2",
  "2.3",
  "2.4",
  "2.5",
] as const;

/** How to name a file in messages: relative to the working directory when it is inside it. */
export function displayPath(path: string, cwd: string = process.cwd()): string {
  const rel = relative(cwd, path);
  return rel && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

/**
 * Check a Metadata-Version value. A newer 2.x is accepted as is (readers must accept unknown minor
 * versions); anything else unknown is refused, since its format cannot be trusted.
 */
export function checkMetadataVersion(value: string | undefined, display: string): string {
  if (value === undefined || value === "") {
    throw new DistributionError(
      `${display}: the metadata has no Metadata-Version field; rebuild the distribution with a current build backend`,
    );
  }
  if ((KNOWN_METADATA_VERSIONS as readonly string[]).includes(value)) return value;
  if (/^2\.\d+$/.test(value)) return value;
  throw new DistributionError(
    `${display}: unsupported Metadata-Version ${value} (known: 1.0 to 2.5); ` +
      "rebuild the distribution with a build backend that writes a supported version, or upgrade pkgpush",
  );
}

/** Whether the file name and the metadata name the same project and version. */
function filenameAgrees(parsed: ParsedFilename, filename: string, name: string, version: string) {
  const same = (n: string, v: string) =>
    normalizeName(n) === normalizeName(name) && versionsEqual(v, version);
  if (same(parsed.name, parsed.version)) return true;
  if (parsed.kind !== "sdist") return false;
  // Sdist names are ambiguous (`foo-2-1.0`?): accept any split the metadata confirms.
  const stem = filename.replace(/\.(tar\.gz|tar\.bz2|zip)$/i, "");
  return sdistSplits(stem).some((s) => same(s.name, s.version));
}

/** An ASCII-armoured signature is a few KiB; a PEP 740 attestation a few tens of KiB. */
export const MAX_SIGNATURE_BYTES = 1024 * 1024;
export const MAX_ATTESTATION_BYTES = 4 * 1024 * 1024;

/** A sidecar is sent as is: a regular file of bounded size, checked now rather than mid-upload. */
async function checkSidecar(path: string, maxBytes: number, display: string): Promise<void> {
  const problem = await regularFileProblem(path, maxBytes);
  if (problem) {
    throw new DistributionError(`${display}: ${basename(path)} ${problem}`, {
      hint: "remove it or replace it with the real file next to the distribution",
    });
  }
}

/** Directory listings, sorted, read once per folder for a whole batch of files. */
export type Listings = Map<string, Promise<string[]>>;

/** `<file>.asc` and `<file>.*.attestation` next to the file. */
async function findSidecars(
  path: string,
  display: string,
  listings: Listings = new Map(),
): Promise<{ signature?: string; attestations: string[] }> {
  const dir = dirname(path);
  const base = basename(path);
  let listing = listings.get(dir);
  if (!listing) {
    listing = readdir(dir).then((entries) => entries.sort());
    listings.set(dir, listing);
  }
  const entries = await listing;
  // The names starting with `<file>.` are adjacent in the sorted listing: find the first one.
  const prefix = `${base}.`;
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((entries[mid] as string) < prefix) lo = mid + 1;
    else hi = mid;
  }
  let signature: string | undefined;
  const attestations: string[] = [];
  for (let i = lo; i < entries.length && (entries[i] as string).startsWith(prefix); i++) {
    const e = entries[i] as string;
    if (e === `${base}.asc`) signature = join(dir, e);
    else if (e.endsWith(".attestation")) attestations.push(join(dir, e));
  }
  if (signature) await checkSidecar(signature, MAX_SIGNATURE_BYTES, display);
  for (const attestation of attestations) {
    await checkSidecar(attestation, MAX_ATTESTATION_BYTES, display);
  }
  return { signature, attestations };
}

function fsProblem(err: NodeJS.ErrnoException, display: string): DistributionError {
  const what: Record<string, string> = {
    ENOENT: "no such file",
    EACCES: "cannot read the file (permission denied)",
    EPERM: "cannot read the file (permission denied)",
    EISDIR: "is a directory, not a distribution file",
  };
  const text = (err.code && what[err.code]) ?? `cannot read the file (${err.message})`;
  return new DistributionError(`${display}: ${text}`, { cause: err });
}

async function inspectOne(
  path: string,
  display: string,
  listings?: Listings,
): Promise<Distribution> {
  const absolute = resolve(path);
  const filename = basename(absolute);
  const parsed = parseFilename(filename, display);
  // Synchronous like the zip reads (zip-directory.ts): a thread-pool round trip per file cost
  // more CPU than the stat itself when inspecting thousands of files.
  const info = statSync(absolute);
  if (!info.isFile()) {
    throw new DistributionError(`${display}: not a regular file`);
  }
  if (info.size === 0) {
    throw new DistributionError(`${display}: the file is empty; rebuild the distribution`);
  }
  const member = await readMetadataFile(absolute, parsed, { display });
  if (parsed.kind === "wheel") {
    // pip refuses to install such a wheel, and indexes disagree on which METADATA is the one.
    const dirs = member.distInfoDirs ?? (await wheelDistInfoDirs(absolute, display));
    if (dirs.length > 1)
      throw new DistributionError(
        `${display}: ${dirs.length} .dist-info directories (${dirs.join(", ")}); a wheel has exactly one (pip refuses to install it); rebuild the wheel with a current build backend`,
      );
  }
  const dist = distributionFromMember(absolute, parsed, info.size, member, display);
  const sidecars = await findSidecars(absolute, display, listings);
  return { ...dist, signaturePath: sidecars.signature, attestationPaths: sidecars.attestations };
}

/**
 * A distribution from its metadata file, read by the caller: the metadata parsed, its version
 * known, its name and version present and agreeing with the file name. No sidecars.
 */
export function distributionFromMember(
  absolute: string,
  parsed: ParsedFilename,
  size: number,
  member: { name: string; data: Buffer; warnings?: string[] | undefined },
  display: string,
): Distribution {
  const filename = basename(absolute);
  const metadata = parseMetadata(decodeMetadata(member.data));
  const metadataVersion = checkMetadataVersion(getField(metadata, "Metadata-Version"), display);
  // Values are kept as written (metadata.ts); surrounding blanks never belong to a name or version.
  const name = getField(metadata, "Name")?.trim();
  const version = getField(metadata, "Version")?.trim();
  if (!name) {
    throw new DistributionError(
      `${display}: ${member.name} has no Name field; rebuild the distribution`,
    );
  }
  if (!version) {
    throw new DistributionError(
      `${display}: ${member.name} has no Version field; rebuild the distribution`,
    );
  }
  if (!filenameAgrees(parsed, filename, name, version)) {
    throw new DistributionError(
      `${display}: the file name says ${parsed.name} ${parsed.version} but ${member.name} says ` +
        `${name} ${version}; rename the file or rebuild the distribution`,
    );
  }
  return {
    path: absolute,
    filename,
    size,
    parsed,
    name,
    version,
    normalizedName: normalizeName(name),
    metadataVersion,
    metadata,
    attestationPaths: [],
    ...(member.warnings?.length ? { warnings: member.warnings } : {}),
  };
}

/** Inspect and validate one distribution file. */
export async function inspectDistribution(
  path: string,
  listings?: Listings,
): Promise<Distribution> {
  const display = displayPath(resolve(path));
  try {
    return await inspectOne(path, display, listings);
  } catch (err) {
    if (err instanceof PkgpushError) throw err;
    if ((err as NodeJS.ErrnoException)?.code)
      throw fsProblem(err as NodeJS.ErrnoException, display);
    const detail = err instanceof Error ? err.message : String(err);
    throw new DistributionError(`${display}: cannot be inspected (${detail})`, { cause: err });
  }
}

/**
 * Inspect every file (a few at a time) and keep the input order. Throws one AggregateInputError
 * listing every bad file, so users fix them all in one go.
 */
export async function inspectAll(
  paths: string[],
  concurrency = 4,
  // One listing per folder for the sidecar files (.asc, .attestation), not one per file. A caller
  // that knows a folder's listing (sync's private folder holds no sidecars) gives it here.
  listings: Listings = new Map(),
): Promise<Distribution[]> {
  const results: Array<Distribution | undefined> = new Array(paths.length);
  const errors: Array<PkgpushError | undefined> = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      try {
        results[i] = await inspectDistribution(paths[i] as string, listings);
      } catch (err) {
        errors[i] =
          err instanceof PkgpushError
            ? err
            : new DistributionError(`${paths[i]}: ${String(err)}`, { cause: err });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  const bad = errors.filter((e): e is PkgpushError => e !== undefined);
  if (bad.length > 0) throw new AggregateInputError(bad);
  return results as Distribution[];
}
