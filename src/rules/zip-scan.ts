/**
 * One pass over a zip archive (wheel or .zip sdist) for Warehouse's checks: the central
 * directory as Python's `zipfile` reads it (zip64 included), Warehouse's record-framing walk
 * (`warehouse.utils.zipfiles.validate_zipfile`: local headers against the central directory,
 * no data descriptors, no comments, no trailing data) and the members the later checks read.
 * Headers are read where they are; member data is read only for the members asked for, each
 * once, and bounded.
 *
 * `framingProblem` ports Warehouse's `_validate_zipfile` line by line (its checks, order and
 * messages), so it stays one long function that reads side by side with the original.
 */
import { isUtf8 } from "node:buffer";
import { readSync } from "node:fs";
import { inflateRawSync } from "node:zlib";

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

export class BadZip extends Error {}
/** A framing problem in Warehouse's words (`ZIP archive not accepted: <reason>`). */
export class ZipFraming extends Error {}

/**
 * Reads through a window of the file: the walk over local headers and the member reads go
 * forward through the file, so each byte is read from disk about once, in large reads. A file
 * no larger than the window is read whole by the first read, and a read near the end takes the
 * whole last window (the central directory, METADATA, RECORD and entry_points.txt are there).
 * The reads are synchronous, like zip-directory.ts's: each is one bounded pread of a local file,
 * and the thread pool's hand-offs cost more CPU than the reads (futex wake-ups, a promise each).
 */
export class WindowReader {
  private start = 0;
  private window = Buffer.alloc(0);
  constructor(
    readonly fd: number,
    readonly size: number,
    private readonly span = 1024 * 1024,
  ) {}

  /** The bytes when the window holds them (no I/O), else undefined. */
  cached(position: number, length: number): Buffer | undefined {
    const end = Math.min(position + length, this.size);
    if (position >= this.start && end <= this.start + this.window.length)
      return this.window.subarray(position - this.start, end - this.start);
    return undefined;
  }

  read(position: number, length: number): Buffer {
    const hit = this.cached(position, length);
    if (hit) return hit;
    const end = Math.min(position + length, this.size);
    if (position >= this.size || end <= position) return Buffer.alloc(0);
    // Start early enough that the window reaches the end of the file when it can.
    const start = Math.max(0, Math.min(position, this.size - this.span));
    const want = Math.max(end, Math.min(start + this.span, this.size)) - start;
    // A new buffer each time: earlier windows may still be referenced (stored members).
    const buf = Buffer.allocUnsafe(want);
    let done = 0;
    while (done < want) {
      const bytesRead = readSync(this.fd, buf, done, want - done, start + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    this.start = start;
    this.window = buf.subarray(0, done);
    return this.window.subarray(position - start, Math.min(end - start, done));
  }
}

const EOCD = 0x06054b50;
const CD = 0x02014b50;
const LOCAL = 0x04034b50;
const EOCD64 = 0x06064b50;
const LOCATOR64 = 0x07064b50;

/** Python's `_EndRecData`: the end record in the last 22 bytes, or within a trailing comment. */
function endRecord(fh: WindowReader, size: number) {
  const tail = fh.read(Math.max(0, size - 22 - 65535), Math.min(size, 22 + 65535));
  const base = size - tail.length;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) !== EOCD) continue;
    const commentLength = tail.readUInt16LE(i + 20);
    if (i === tail.length - 22 || i + 22 + commentLength <= tail.length) {
      return {
        offset: base + i,
        entries: tail.readUInt16LE(i + 10),
        cdSize: tail.readUInt32LE(i + 12),
        cdOffset: tail.readUInt32LE(i + 16),
      };
    }
  }
  return undefined;
}

/** Whether Python's `zipfile.is_zipfile` says yes (an end record can be found). */
export function isZipFile(fh: WindowReader, size: number): boolean {
  return size >= 22 && endRecord(fh, size) !== undefined;
}

function decodeName(raw: Buffer, utf8: boolean): string {
  if (utf8 || !raw.some((b) => b >= 0x80)) return raw.toString(utf8 ? "utf8" : "latin1");
  // cp437 for the printable ASCII range is ASCII; other bytes are rare in wheels.
  return [...raw].map((b) => (b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80])).join("");
}
const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

/** The central directory, as `zipfile.ZipFile` reads it. */
export function readCentralDirectory(fh: WindowReader, size: number): ZipEntry[] {
  const end = endRecord(fh, size);
  if (!end) throw new BadZip("File is not a zip file");
  let { cdOffset, cdSize, entries: count } = end;
  if (end.offset >= 20) {
    const loc = fh.read(end.offset - 20, 20);
    if (loc.readUInt32LE(0) === LOCATOR64) {
      const rec = fh.read(Number(loc.readBigUInt64LE(8)), 56);
      if (rec.length < 56 || rec.readUInt32LE(0) !== EOCD64)
        throw new BadZip("Corrupt zip64 end of central directory record");
      count = Number(rec.readBigUInt64LE(32));
      cdSize = Number(rec.readBigUInt64LE(40));
      cdOffset = Number(rec.readBigUInt64LE(48));
    }
  }
  if (cdOffset + cdSize > size) throw new BadZip("Bad offset for central directory");
  const cd = fh.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  while (p + 46 <= cd.length) {
    if (cd.readUInt32LE(p) !== CD) throw new BadZip("Bad magic number for central directory");
    const flags = cd.readUInt16LE(p + 8);
    const nameLength = cd.readUInt16LE(p + 28);
    const extraLength = cd.readUInt16LE(p + 30);
    const commentLength = cd.readUInt16LE(p + 32);
    const entry: ZipEntry = {
      name: decodeName(cd.subarray(p + 46, p + 46 + nameLength), (flags & 0x800) !== 0),
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    zip64Sizes(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    entries.push(entry);
    p += 46 + nameLength + extraLength + commentLength;
  }
  if (entries.length !== count && count !== 0xffff) throw new BadZip("Truncated central directory");
  return entries;
}

function zip64Sizes(entry: ZipEntry, extra: Buffer): void {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const length = extra.readUInt16LE(i + 2);
    if (id === 0x0001) {
      let q = i + 4;
      const next = () => {
        const v = q + 8 <= i + 4 + length ? Number(extra.readBigUInt64LE(q)) : undefined;
        q += 8;
        return v;
      };
      if (entry.size === 0xffffffff) entry.size = next() ?? entry.size;
      if (entry.compressedSize === 0xffffffff)
        entry.compressedSize = next() ?? entry.compressedSize;
      if (entry.localOffset === 0xffffffff) entry.localOffset = next() ?? entry.localOffset;
    }
    i += 4 + length;
  }
}

function unprintable(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/** The local header's extras as validate_zipfile checks them; returns the data size to skip. */
function localExtras(extra: Buffer, method: number, sizes: [number, number]): [number, number] {
  let [compressed, size] = sizes;
  const seen = new Set<number>();
  let rest = extra;
  while (rest.length > 0) {
    if (rest.length < 4) throw new ZipFraming("Malformed zip file");
    const id = rest.readUInt16LE(0);
    const length = rest.readUInt16LE(2);
    if (length + 4 > rest.length) throw new ZipFraming("Malformed zip file");
    if (seen.has(id) && (id === 0x0001 || id === 0x7075))
      throw new ZipFraming("Invalid duplicate extra in local file");
    seen.add(id);
    if (id === 0x0001) {
      if (![0, 8, 16, 24, 28].includes(length)) throw new ZipFraming("Malformed zip file");
      if (length === 0) {
        if (compressed === 0xffffffff || size === 0xffffffff)
          throw new ZipFraming("Malformed zip file");
      } else if (length === 8) {
        if (method !== 0) throw new ZipFraming("Malformed zip file");
        const uncompressed = Number(rest.readBigUInt64LE(4));
        compressed = uncompressed;
        if (size === 0xffffffff) size = uncompressed;
      } else {
        if (size === 0xffffffff) size = Number(rest.readBigUInt64LE(4));
        compressed = Number(rest.readBigUInt64LE(12));
      }
    } else if (id === 0x7075) {
      const unicode = rest.subarray(9, 4 + length);
      if (unprintable(unicode)) throw new ZipFraming("Invalid character in filename");
      if (!isUtf8(unicode)) throw new ZipFraming("Filename not valid UTF-8");
    }
    rest = rest.subarray(length + 4);
  }
  return [compressed, size];
}

/**
 * Warehouse's `validate_zipfile`: walk every record from the start of the file. Returns the
 * reason it refuses the archive, or undefined.
 */
export function framingProblem(
  fh: WindowReader,
  size: number,
  entries: ZipEntry[],
): string | undefined {
  const sizes = new Map(entries.map((e) => [e.name, [e.compressedSize, e.size] as const]));
  const local = new Set<string>();
  const central = new Set<string>();
  let pos = 0;
  let cdOffset: number | undefined;
  let cdRecords = 0;
  let cdSize = 0;
  let expected64: number | undefined;
  let actual64: number | undefined;
  let eocd: [number, number, number] | undefined;
  const get = (p: number, n: number): Buffer => fh.read(p, n);
  try {
    for (;;) {
      const sig = get(pos, 4);
      if (sig.length !== 4) throw new ZipFraming("Malformed zip file");
      const signature = sig.readUInt32LE(0);
      pos += 4;
      if (signature === EOCD && expected64 !== undefined && actual64 === undefined)
        return "Malformed zip file";
      if (signature === CD) {
        cdOffset ??= pos - 4;
        cdRecords++;
        const head = get(pos, 42);
        if (head.length !== 42) throw new ZipFraming("Malformed zip file");
        const nameLength = head.readUInt16LE(24);
        const extraLength = head.readUInt16LE(26);
        if (head.readUInt16LE(28) !== 0) throw new ZipFraming("Comment in central directory");
        const name = get(pos + 42, nameLength);
        if (
          name.length !== nameLength ||
          get(pos + 42 + nameLength, extraLength).length !== extraLength
        )
          throw new ZipFraming("Malformed zip file");
        if (unprintable(name)) throw new ZipFraming("Invalid character in filename");
        pos += 42 + nameLength + extraLength;
        cdSize += 46 + nameLength + extraLength;
        const key = name.toString("latin1");
        if (central.has(key)) throw new ZipFraming("Duplicate filename in central directory");
        if (!local.has(key)) throw new ZipFraming("Missing filename in local headers");
        central.add(key);
      } else if (signature === LOCAL) {
        const head = get(pos, 26);
        if (head.length !== 26) throw new ZipFraming("Malformed zip file");
        const flags = head.readUInt16LE(2);
        const method = head.readUInt16LE(4);
        const nameLength = head.readUInt16LE(22);
        const extraLength = head.readUInt16LE(24);
        const name = get(pos + 26, nameLength);
        const extra = get(pos + 26 + nameLength, extraLength);
        if (name.length !== nameLength || extra.length !== extraLength)
          throw new ZipFraming("Malformed zip file");
        if (unprintable(name)) throw new ZipFraming("Invalid character in filename");
        const [compressed, fileSize] = localExtras(extra, method, [
          head.readUInt32LE(14),
          head.readUInt32LE(18),
        ]);
        if (flags & 0x08) throw new ZipFraming("ZIP contains a data descriptor");
        if (!isUtf8(name)) throw new ZipFraming("Filename not unicode");
        const expected = sizes.get(name.toString("utf8"));
        if (!expected) throw new ZipFraming("Filename not in central directory");
        if (expected[0] !== compressed) throw new ZipFraming("Mis-matched data size");
        if (expected[1] !== fileSize) throw new ZipFraming("Mis-matched file size");
        pos += 26 + nameLength + extraLength + compressed;
        const key = name.toString("latin1");
        if (local.has(key)) throw new ZipFraming("Duplicate filename in local headers");
        local.add(key);
      } else if (signature === EOCD) {
        cdOffset ??= pos - 4;
        const body = get(pos, 18);
        if (body.length !== 18) throw new ZipFraming("Malformed zip file");
        if (body.readUInt16LE(4) !== body.readUInt16LE(6))
          throw new ZipFraming("Malformed zip file");
        const record: [number, number, number] = [
          body.readUInt16LE(6),
          body.readUInt32LE(8),
          body.readUInt32LE(12),
        ];
        pos += 18 + body.readUInt16LE(16);
        if (!(actual64 !== undefined && eocd !== undefined)) eocd = record;
        const [records, size32, offset] = eocd;
        if (records !== cdRecords) throw new ZipFraming("Mismatched central directory records");
        if (offset !== cdOffset) throw new ZipFraming("Mismatched central directory offset");
        if (size32 !== cdSize) throw new ZipFraming("Mismatched central directory size");
        break;
      } else if (signature === EOCD64) {
        expected64 = pos - 4;
        const body = get(pos, 52);
        if (body.length !== 52) throw new ZipFraming("Malformed zip file");
        const recordSize = Number(body.readBigUInt64LE(0));
        if (body.readBigUInt64LE(16) !== body.readBigUInt64LE(24))
          throw new ZipFraming("Malformed zip file");
        if (recordSize !== 44) throw new ZipFraming("ZIP64 extensible data not allowed");
        eocd = [
          Number(body.readBigUInt64LE(24)),
          Number(body.readBigUInt64LE(32)),
          Number(body.readBigUInt64LE(40)),
        ];
        pos += 52;
      } else if (signature === LOCATOR64) {
        const body = get(pos, 16);
        if (body.length !== 16) throw new ZipFraming("Malformed zip file");
        actual64 = Number(body.readBigUInt64LE(4));
        pos += 16;
      } else return "Unknown record signature";
    }
  } catch (error) {
    if (error instanceof ZipFraming) return error.message;
    throw error;
  }
  if (central.size !== local.size) return "Mis-matched local headers and central directory";
  return pos !== size ? "Trailing data" : undefined;
}

/** A member's bytes (stored or deflated), at most `max` bytes uncompressed; undefined above. */
export function readEntry(fh: WindowReader, entry: ZipEntry, max: number): Buffer | undefined {
  if (entry.size > max) return undefined;
  const head = fh.read(entry.localOffset, 30);
  if (head.length !== 30 || head.readUInt32LE(0) !== LOCAL)
    throw new BadZip("Bad magic number for file header");
  const start = entry.localOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  const data = fh.read(start, entry.compressedSize);
  if (entry.method === 0) return data;
  if (entry.method !== 8) throw new BadZip(`compression method ${entry.method} not supported`);
  // Synchronous: members are small, and the thread pool's hand-offs cost more than they save.
  return inflateRawSync(data, { maxOutputLength: Math.max(1, max) });
}
