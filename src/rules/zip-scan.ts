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
import { inflateMember } from "./inflate-member.js";

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

/** The window of a WindowReader, unless it is given another size. */
const SPAN = 1024 * 1024;
/**
 * Window buffers of released readers, for the next archive: a fresh 1 MiB buffer per archive
 * costs an mmap, a page fault per 4 KiB touched and a munmap (with its TLB flush), more than
 * reading a small wheel does. `check` has up to 8 archives open at once (check-file.ts).
 */
const spare: Buffer[] = [];
const MAX_SPARE = 8;

/**
 * Reads through a window of the file: the walk over local headers and the member reads go
 * forward through the file, so each byte is read from disk about once, in large reads. A file
 * no larger than the window is read whole by the first read, and a read near the end takes the
 * whole last window (the central directory, METADATA, RECORD and entry_points.txt are there).
 * The reads are synchronous, like zip-directory.ts's: each is one bounded pread of a local file,
 * and the thread pool's hand-offs cost more CPU than the reads (futex wake-ups, a promise each).
 * A read that misses the window reuses its buffer: a view returned earlier is valid only until
 * the next read, and none after `release()`.
 */
export class WindowReader {
  private start = 0;
  private window: Buffer = Buffer.alloc(0);
  private own: Buffer | undefined;
  constructor(
    readonly fd: number,
    readonly size: number,
    private readonly span = SPAN,
  ) {}

  /** The window (valid until the next read that misses it). */
  get bytes(): Buffer {
    return this.window;
  }

  /**
   * Where [position, position + length) starts in `bytes`, reading it in if needed; -1 when the
   * file ends before. For walks over many small records: no view is made per field.
   */
  at(position: number, length: number): number {
    if (position + length > this.size) return -1;
    if (position < this.start || position + length > this.start + this.window.length)
      this.read(position, length);
    const offset = position - this.start;
    return offset + length <= this.window.length ? offset : -1;
  }

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
    const buf = want <= this.span ? this.buffer() : Buffer.allocUnsafe(want);
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

  private buffer(): Buffer {
    if (!this.own) {
      const reused = this.span === SPAN ? spare.pop() : undefined;
      this.own = reused ?? Buffer.allocUnsafeSlow(this.span);
    }
    return this.own;
  }

  /** Done with the file: the window's buffer goes to the next reader. */
  release(): void {
    if (this.own && this.span === SPAN && spare.length < MAX_SPARE) spare.push(this.own);
    this.own = undefined;
    this.window = Buffer.alloc(0);
    this.start = 0;
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

function decodeName(cd: Buffer, from: number, to: number, utf8: boolean): string {
  if (utf8 || ascii(cd, from, to)) return cd.toString(utf8 ? "utf8" : "latin1", from, to);
  // cp437 for the printable ASCII range is ASCII; other bytes are rare in wheels.
  return [...cd.subarray(from, to)]
    .map((b) => (b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80]))
    .join("");
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
      name: decodeName(cd, p + 46, p + 46 + nameLength, (flags & 0x800) !== 0),
      method: cd.readUInt16LE(p + 10),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    // The zip64 extra replaces only the fields set to 0xffffffff.
    if (
      entry.size === 0xffffffff ||
      entry.compressedSize === 0xffffffff ||
      entry.localOffset === 0xffffffff
    )
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

function unprintable(b: Buffer, from = 0, to = b.length): boolean {
  for (let i = from; i < to; i++) {
    const c = b[i] as number;
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

function ascii(b: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if ((b[i] as number) >= 0x80) return false;
  return true;
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
      const at = fh.at(pos, 4);
      if (at < 0) throw new ZipFraming("Malformed zip file");
      const signature = fh.bytes.readUInt32LE(at);
      pos += 4;
      if (signature === EOCD && expected64 !== undefined && actual64 === undefined)
        return "Malformed zip file";
      if (signature === CD) {
        cdOffset ??= pos - 4;
        cdRecords++;
        let o = fh.at(pos, 42);
        if (o < 0) throw new ZipFraming("Malformed zip file");
        const nameLength = fh.bytes.readUInt16LE(o + 24);
        const extraLength = fh.bytes.readUInt16LE(o + 26);
        if (fh.bytes.readUInt16LE(o + 28) !== 0)
          throw new ZipFraming("Comment in central directory");
        // The name, then the extra field: both must be there.
        o = fh.at(pos + 42, nameLength + extraLength);
        if (o < 0) throw new ZipFraming("Malformed zip file");
        const w = fh.bytes;
        if (unprintable(w, o, o + nameLength))
          throw new ZipFraming("Invalid character in filename");
        pos += 42 + nameLength + extraLength;
        cdSize += 46 + nameLength + extraLength;
        const key = w.toString("latin1", o, o + nameLength);
        if (central.has(key)) throw new ZipFraming("Duplicate filename in central directory");
        if (!local.has(key)) throw new ZipFraming("Missing filename in local headers");
        central.add(key);
      } else if (signature === LOCAL) {
        let o = fh.at(pos, 26);
        if (o < 0) throw new ZipFraming("Malformed zip file");
        let w = fh.bytes;
        const flags = w.readUInt16LE(o + 2);
        const method = w.readUInt16LE(o + 4);
        const nameLength = w.readUInt16LE(o + 22);
        const extraLength = w.readUInt16LE(o + 24);
        const sizes32: [number, number] = [w.readUInt32LE(o + 14), w.readUInt32LE(o + 18)];
        o = fh.at(pos + 26, nameLength + extraLength);
        if (o < 0) throw new ZipFraming("Malformed zip file");
        w = fh.bytes;
        const nameEnd = o + nameLength;
        if (unprintable(w, o, nameEnd)) throw new ZipFraming("Invalid character in filename");
        const [compressed, fileSize] =
          extraLength === 0
            ? sizes32
            : localExtras(w.subarray(nameEnd, nameEnd + extraLength), method, sizes32);
        if (flags & 0x08) throw new ZipFraming("ZIP contains a data descriptor");
        // An ASCII name reads the same as UTF-8 and as Latin-1: one string, no validation.
        const plain = ascii(w, o, nameEnd);
        if (!plain && !isUtf8(w.subarray(o, nameEnd))) throw new ZipFraming("Filename not unicode");
        const key = w.toString("latin1", o, nameEnd);
        const expected = sizes.get(plain ? key : w.toString("utf8", o, nameEnd));
        if (!expected) throw new ZipFraming("Filename not in central directory");
        if (expected[0] !== compressed) throw new ZipFraming("Mis-matched data size");
        if (expected[1] !== fileSize) throw new ZipFraming("Mis-matched file size");
        pos += 26 + nameLength + extraLength + compressed;
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

/**
 * Where a member's bytes are stored (at most up to the file's end) and how they are compressed,
 * after the local header's and the method's checks.
 */
export function storedRange(
  fh: WindowReader,
  entry: ZipEntry,
): { method: 0 | 8; start: number; length: number } {
  const head = fh.read(entry.localOffset, 30);
  if (head.length !== 30 || head.readUInt32LE(0) !== LOCAL)
    throw new BadZip("Bad magic number for file header");
  const start = entry.localOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
  if (entry.method !== 0 && entry.method !== 8)
    throw new BadZip(`compression method ${entry.method} not supported`);
  const length = Math.max(0, Math.min(entry.compressedSize, fh.size - start));
  return { method: entry.method, start, length };
}

/** A member's bytes (stored or deflated), at most `max` bytes uncompressed; undefined above. */
export function readEntry(fh: WindowReader, entry: ZipEntry, max: number): Buffer | undefined {
  if (entry.size > max) return undefined;
  const { method, start, length } = storedRange(fh, entry);
  const data = fh.read(start, length);
  // A copy: the reader's window buffer is reused by its next read.
  return method === 0 ? Buffer.from(data) : inflateMember(data, entry.size, max);
}
