/**
 * An sdist's tar, read once from end to end: its top-level PKG-INFO (following a link inside the
 * archive to the member it names, as Python's tarfile and so twine do) and the members Python's
 * `tarfile` `data` filter (the default for extraction from Python 3.14) would refuse: names
 * leaving the folder (`../`, absolute), links pointing outside it, device and FIFO members.
 */
import { createReadStream } from "node:fs";
import { posix } from "node:path";
import type { Readable, Transform } from "node:stream";
import { createGunzip } from "node:zlib";
import { DistributionError } from "../errors.js";

/** A member read whole (archive.ts's `Member` has this shape; defined here so the two do not import each other). */
export interface TarMember {
  name: string;
  data: Buffer;
}

/** A scan stops here (a tar bomb must not cost minutes); later members go unchecked. */
export const MAX_SCAN_BYTES = 1024 * 1024 * 1024;

/**
 * The whole archive passes through the scan, and each piece costs a round of stream callbacks
 * on this thread (read, inflate, tar parser): with Node's defaults (64 KiB reads, 16 KiB of
 * inflated output per piece) a 4 MiB sdist took ~130 M instructions to scan, ~45 M in these
 * pieces. Memory stays a few MiB whatever the archive's size.
 */
export const SCAN_READ_BYTES = 1024 * 1024;
export const SCAN_INFLATE_BYTES = 256 * 1024;

export interface SdistScan {
  /** The top-level PKG-INFO's content (followed through links), or undefined when missing. */
  member: TarMember | undefined;
  /** One line per unsafe member (the first few), for a warning. */
  unsafe: string[];
  /** The archive was larger than MAX_SCAN_BYTES uncompressed: the rest was not checked. */
  truncated: boolean;
}

interface TarHeader {
  name: string;
  type: string | null;
  linkname?: string | null;
  size?: number;
}

const TOP_PKG_INFO = /^[^/]+\/PKG-INFO$/;
const clean = (name: string): string => name.replace(/^(\.\/)+/, "");

const leavesRoot = (path: string): boolean => {
  const normal = posix.normalize(path);
  return normal === ".." || normal.startsWith("../");
};

/**
 * Why Python's `tarfile.data_filter` would refuse this member, or undefined. Paths are judged as
 * Python judges them, against the folder the archive is extracted into: a leading `/` is dropped
 * (not refused), `pkg-1.0/../x` stays inside, `pkg-1.0/../../x` does not.
 */
export function unsafeMember(header: TarHeader): string | undefined {
  const name = clean(header.name).replace(/^\/+/, "");
  if (leavesRoot(name)) return `${name}: leaves the folder it is extracted into (..)`;
  if (header.type === "symlink" || header.type === "link") {
    const target = header.linkname ?? "";
    if (target.startsWith("/")) return `${name}: link to an absolute path (${target})`;
    // A symbolic link is relative to its own folder; a hard link names a member of the archive.
    const resolved = header.type === "symlink" ? posix.join(posix.dirname(name), target) : target;
    if (leavesRoot(resolved))
      return `${name}: link leaving the folder it is extracted into (-> ${target})`;
  }
  if (["character-device", "block-device", "fifo"].includes(header.type ?? "")) {
    return `${name}: special file (${header.type})`;
  }
  return undefined;
}

/** The member a link named `name` points to, as a member name. */
function linkTarget(header: TarHeader): string {
  const target = header.linkname ?? "";
  return clean(
    header.type === "symlink"
      ? posix.normalize(posix.join(posix.dirname(clean(header.name)), target))
      : posix.normalize(target),
  );
}

async function readCapped(
  stream: Readable,
  maxSize: number,
  tooLarge: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    total += (chunk as Buffer).length;
    if (total > maxSize) throw tooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, total);
}

interface ScanOptions {
  format: "tar.gz" | "tar.bz2";
  maxSize: number;
  display: string;
  tooLarge: (member: string) => Error;
  corrupt: (cause: unknown) => Error;
}

/** One pass; `wanted` (a link's target seen earlier) is read when met. */
async function scanOnce(
  path: string,
  options: ScanOptions,
  wanted: string | undefined,
): Promise<SdistScan & { link?: string }> {
  const tarStream = await import("tar-stream");
  const tar = ("default" in tarStream ? tarStream.default : tarStream) as typeof tarStream;
  const decompress: Transform =
    options.format === "tar.gz"
      ? createGunzip({ chunkSize: SCAN_INFLATE_BYTES })
      : ((await import("unbzip2-stream")).default() as Transform);
  const file = createReadStream(path, { highWaterMark: SCAN_READ_BYTES });
  const extract = tar.extract();
  let fsError: unknown;
  let scanned = 0;
  file.on("error", (err) => {
    fsError = err;
    extract.destroy(err);
  });
  decompress.on("error", (err: Error) => extract.destroy(err));
  file.pipe(decompress).pipe(extract as unknown as NodeJS.WritableStream);
  const result: SdistScan & { link?: string } = { member: undefined, unsafe: [], truncated: false };
  try {
    for await (const entry of extract) {
      const header = entry.header as TarHeader;
      const name = clean(header.name);
      scanned += 512 + (header.size ?? 0);
      const why = unsafeMember(header);
      if (why && result.unsafe.length < 5) result.unsafe.push(why);
      const isFile = header.type === "file" || header.type === "contiguous-file";
      const isLink = header.type === "symlink" || header.type === "link";
      if (!result.member && isFile && (wanted ? name === wanted : TOP_PKG_INFO.test(name))) {
        if ((header.size ?? 0) > options.maxSize) throw options.tooLarge(name);
        const data = await readCapped(entry as unknown as Readable, options.maxSize, () =>
          options.tooLarge(name),
        );
        result.member = { name: wanted ? `${name} (via a link)` : name, data };
        continue;
      }
      if (!wanted && !result.member && !result.link && isLink && TOP_PKG_INFO.test(name)) {
        result.link = linkTarget(header);
        wanted = result.link;
      }
      entry.resume();
      if (scanned > MAX_SCAN_BYTES) {
        result.truncated = true;
        break;
      }
    }
    return result;
  } catch (err) {
    if (err instanceof DistributionError) throw err;
    if (fsError !== undefined) throw fsError;
    throw options.corrupt(err);
  } finally {
    file.destroy();
    decompress.destroy();
    extract.destroy();
  }
}

/**
 * Scans the whole sdist (bounded by MAX_SCAN_BYTES). A top-level PKG-INFO that is a link is
 * followed to the member it names, even when that member came earlier (a second pass).
 */
export async function scanSdistTar(path: string, options: ScanOptions): Promise<SdistScan> {
  const first = await scanOnce(path, options, undefined);
  if (first.member || !first.link) return first;
  const second = await scanOnce(path, options, first.link);
  return { member: second.member, unsafe: first.unsafe, truncated: first.truncated };
}
