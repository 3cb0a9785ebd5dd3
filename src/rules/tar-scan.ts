/**
 * One pass over a `.tar.gz` sdist for Warehouse's checks: every member name as Python's tarfile
 * lists it (`getnames`), sparse members, and the content of the members Warehouse's YARA rules
 * scan. Streamed through the decompressor once; bounded by MAX_SCAN_BYTES.
 */
import { createReadStream } from "node:fs";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";

export const MAX_SCAN_BYTES = 1024 * 1024 * 1024;

export interface TarScan {
  /** Python's `tarfile.is_tarfile` verdict. */
  isTar: boolean;
  /** The archive opens as gzip-compressed tar (`tarfile.open(name, "r:gz")`). */
  isGzipTar: boolean;
  /** Reading it failed part-way (tarfile.ReadError, EOFError, zlib.error). */
  broken: boolean;
  names: string[];
  sparse: boolean;
  /** Members whose content was kept (`keep` said yes), in archive order. */
  kept: Array<{ name: string; data: Buffer }>;
}

const SPARSE_KEYS = ["GNU.sparse.major", "GNU.sparse.map", "GNU.sparse.size", "GNU.sparse.name"];

/** A ustar/GNU/v7 header block: its checksum holds. */
function looksLikeTarHeader(block: Buffer): boolean {
  if (block.length < 512) return false;
  const stored = Number.parseInt(
    block.subarray(148, 156).toString("latin1").replace(/\0.*$/s, "").trim(),
    8,
  );
  if (Number.isNaN(stored)) return false;
  let sum = 8 * 32;
  for (let i = 0; i < 512; i++) if (i < 148 || i >= 156) sum += block[i] as number;
  return sum === stored;
}

async function firstBytes(path: string, n: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of createReadStream(path, { start: 0, end: n - 1 })) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
  }
  return Buffer.concat(chunks, total);
}

export async function scanTar(
  path: string,
  keep: (name: string, size: number) => boolean,
): Promise<TarScan> {
  const scan: TarScan = {
    isTar: false,
    isGzipTar: false,
    broken: false,
    names: [],
    sparse: false,
    kept: [],
  };
  const head = await firstBytes(path, 512);
  if (head[0] !== 0x1f || head[1] !== 0x8b) {
    scan.isTar = looksLikeTarHeader(head);
    return scan;
  }
  const tarStream = await import("tar-stream");
  const tar = ("default" in tarStream ? tarStream.default : tarStream) as typeof tarStream;
  const file = createReadStream(path);
  const gunzip = createGunzip();
  const extract = tar.extract();
  let inflated = 0;
  let sawHeader = false;
  gunzip.on("data", (d: Buffer) => {
    inflated += d.length;
    if (inflated > MAX_SCAN_BYTES) extract.destroy(new Error("too large"));
  });
  file.on("error", (e) => extract.destroy(e));
  gunzip.on("error", (e) => extract.destroy(e));
  file.pipe(gunzip).pipe(extract as unknown as NodeJS.WritableStream);
  try {
    for await (const entry of extract) {
      sawHeader = true;
      const h = entry.header as {
        name: string;
        type: string | null;
        size?: number;
        pax?: Record<string, string>;
      };
      const name = h.type === "directory" ? h.name.replace(/\/+$/, "") : h.name;
      scan.names.push(name);
      if (h.type === null || SPARSE_KEYS.some((k) => h.pax?.[k] !== undefined)) scan.sparse = true;
      const isFile = h.type === "file" || h.type === "contiguous-file";
      if (isFile && keep(name, h.size ?? 0)) {
        const chunks: Buffer[] = [];
        for await (const c of entry as unknown as Readable) chunks.push(c as Buffer);
        scan.kept.push({ name, data: Buffer.concat(chunks) });
      } else entry.resume();
    }
    scan.isTar = true;
    scan.isGzipTar = true;
  } catch {
    // A gzip stream whose first block is a tar header is a tar file to Python, broken later on.
    scan.isTar = sawHeader;
    scan.isGzipTar = sawHeader;
    scan.broken = sawHeader;
  } finally {
    file.destroy();
    gunzip.destroy();
  }
  return scan;
}
