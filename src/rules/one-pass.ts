/**
 * `check` reads each archive once: the zip's central directory (or the tar stream) gives both
 * the metadata file that inspection needs and everything PyPI's content rules look at. Anything
 * unusual (a corrupt archive, a PKG-INFO behind a link, a .tar.bz2) returns undefined and the
 * caller inspects the file the ordinary way, for pkgpush's own message.
 */
import { closeSync, openSync, statSync } from "node:fs";
import { basename, resolve } from "node:path";
import { parseFilename, versionsEqual } from "../distributions/filename.js";
import { displayPath, distributionFromMember } from "../distributions/inspect.js";
import { normalizeName } from "../distributions/names.js";
import type { Distribution, ParsedFilename } from "../distributions/types.js";
import { keepForRules, type OpenZip } from "./archive-rules.js";
import { scanTar, type TarScan } from "./tar-scan.js";
import { readCentralDirectory, readEntry, WindowReader, type ZipEntry } from "./zip-scan.js";

/** Metadata files are a few KiB; inspection's bound (archive.ts) applies here too. */
const MAX_METADATA = 10 * 1024 * 1024;
const TOP_METADATA = /^([^/]+)\.dist-info\/METADATA$/;
const TOP_PKG_INFO = /^[^/]+\/PKG-INFO$/;

export interface OnePass {
  dist: Distribution;
  pre: { zip?: OpenZip; tar?: TarScan };
  close(): Promise<void>;
}

/** The member inspection would read as the metadata (archive.ts `readMetadataFile`'s choice). */
function metadataEntry(entries: ZipEntry[], parsed: ParsedFilename): ZipEntry | undefined {
  const files = entries.filter((e) => !e.name.endsWith("/"));
  if (parsed.kind === "egg") return files.find((e) => e.name === "EGG-INFO/PKG-INFO");
  if (parsed.kind === "sdist") return files.find((e) => TOP_PKG_INFO.test(e.name));
  const own = files.find((e) => {
    const stem = TOP_METADATA.exec(e.name)?.[1];
    const dash = stem?.lastIndexOf("-") ?? -1;
    return (
      stem !== undefined &&
      dash > 0 &&
      normalizeName(stem.slice(0, dash)) === normalizeName(parsed.name) &&
      versionsEqual(stem.slice(dash + 1), parsed.version)
    );
  });
  if (own) return own;
  const top = files.filter((e) => TOP_METADATA.test(e.name));
  return top.length === 1 ? top[0] : undefined;
}

async function zipPass(
  absolute: string,
  parsed: ParsedFilename,
  size: number,
): Promise<OnePass | undefined> {
  const fd = openSync(absolute, "r");
  const reader = new WindowReader(fd, size);
  try {
    const entries = readCentralDirectory(reader, size);
    const entry = metadataEntry(entries, parsed);
    if (!entry || entry.size > MAX_METADATA) throw new Error("inspect the ordinary way");
    if (parsed.kind === "wheel") {
      const dirs = new Set(
        entries.filter((e) => /^[^/]+\.dist-info\//.test(e.name)).map((e) => e.name.split("/")[0]),
      );
      if (dirs.size > 1) throw new Error("inspect the ordinary way");
    }
    const data = readEntry(reader, entry, MAX_METADATA);
    if (!data) throw new Error("inspect the ordinary way");
    const dist = distributionFromMember(
      absolute,
      parsed,
      size,
      { name: entry.name, data },
      displayPath(absolute),
    );
    // Scans on check's thread read from the file: it is closed once they are answered.
    const scans: Array<Promise<unknown>> = [];
    const keepOpenFor = (scan: Promise<unknown>) => void scans.push(scan);
    const close = async () => {
      reader.release();
      if (scans.length === 0) closeSync(fd);
      else
        void Promise.allSettled(scans)
          .then(() => closeSync(fd))
          .catch(() => undefined);
    };
    return { dist, pre: { zip: { reader, entries, keepOpenFor } }, close };
  } catch {
    reader.release();
    closeSync(fd);
    return undefined;
  }
}

async function tarPass(
  absolute: string,
  parsed: ParsedFilename,
  size: number,
): Promise<OnePass | undefined> {
  const scan = await scanTar(absolute, (name, n) => {
    const clean = name.replace(/^(\.\/)+/, "");
    return keepForRules(name, n) || (TOP_PKG_INFO.test(clean) && n <= MAX_METADATA);
  });
  if (!scan.isGzipTar || scan.broken) return undefined;
  const member = scan.kept.find((k) => TOP_PKG_INFO.test(k.name.replace(/^(\.\/)+/, "")));
  if (!member) return undefined;
  const name = member.name.replace(/^(\.\/)+/, "");
  const dist = distributionFromMember(
    absolute,
    parsed,
    size,
    { name, data: member.data },
    displayPath(absolute),
  );
  return { dist, pre: { tar: scan }, close: async () => undefined };
}

/** The distribution and its archive, read once; undefined when the ordinary way must decide. */
export async function readOnce(path: string): Promise<OnePass | undefined> {
  const absolute = resolve(path);
  try {
    const parsed = parseFilename(basename(absolute), displayPath(absolute));
    const info = statSync(absolute);
    if (!info.isFile() || info.size === 0) return undefined;
    if (parsed.archive === "zip") return await zipPass(absolute, parsed, info.size);
    if (parsed.archive === "tar.gz") return await tarPass(absolute, parsed, info.size);
    return undefined;
  } catch {
    return undefined;
  }
}
