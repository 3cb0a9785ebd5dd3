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

/*
 * Little-endian fields of the records read byte by byte: the walks below (and storedRange, for
 * each member scanned) read a few per member (8693 in the benchmark's 100 wheels), before V8's
 * optimizing compilers are on (bin/jit-policy.cjs), where Buffer's readUInt16LE/readUInt32LE cost
 * two calls each (with their argument checks). The caller has checked that the bytes are there.
 */
const u16 = (b: Buffer, o: number): number => (b[o] as number) | ((b[o + 1] as number) << 8);
const u32 = (b: Buffer, o: number): number =>
  ((b[o] as number) | ((b[o + 1] as number) << 8) | ((b[o + 2] as number) << 16)) +
  (b[o + 3] as number) * 0x1000000;

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

/** Printable ASCII: nearly every member name (one native test instead of a loop per check). */
const PRINTABLE_ASCII = /^[ -~]*$/;

function decodeName(cd: Buffer, from: number, to: number, utf8: boolean): string {
  if (utf8) return cd.toString("utf8", from, to);
  const latin1 = cd.toString("latin1", from, to);
  if (PRINTABLE_ASCII.test(latin1)) return latin1;
  // cp437 for the ASCII range is ASCII; other bytes are rare in wheels.
  return [...latin1].map((c) => (c < "\x80" ? c : CP437_HIGH[c.charCodeAt(0) - 0x80])).join("");
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
    if (u32(cd, p) !== CD) throw new BadZip("Bad magic number for central directory");
    const nameLength = u16(cd, p + 28);
    const extraLength = u16(cd, p + 30);
    const entry: ZipEntry = {
      name: decodeName(cd, p + 46, p + 46 + nameLength, (u16(cd, p + 8) & 0x800) !== 0),
      method: u16(cd, p + 10),
      compressedSize: u32(cd, p + 20),
      size: u32(cd, p + 24),
      localOffset: u32(cd, p + 42),
    };
    // The zip64 extra replaces only the fields set to 0xffffffff.
    if (
      entry.size === 0xffffffff ||
      entry.compressedSize === 0xffffffff ||
      entry.localOffset === 0xffffffff
    )
      zip64Sizes(entry, cd.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength));
    entries.push(entry);
    p += 46 + nameLength + extraLength + u16(cd, p + 32);
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

/** The local header's sizes, after its extras (validate_zipfile's checks of them). */
interface LocalSizes {
  compressed: number;
  size: number;
}

/** The local header's extras as validate_zipfile checks them; updates the sizes they replace. */
function localExtras(extra: Buffer, method: number, sizes: LocalSizes): void {
  const seen = new Set<number>();
  let rest = extra;
  while (rest.length > 0) {
    if (rest.length < 4) throw new ZipFraming("Malformed zip file");
    const id = u16(rest, 0);
    const length = u16(rest, 2);
    if (length + 4 > rest.length) throw new ZipFraming("Malformed zip file");
    if (seen.has(id) && (id === 0x0001 || id === 0x7075))
      throw new ZipFraming("Invalid duplicate extra in local file");
    seen.add(id);
    if (id === 0x0001) {
      if (![0, 8, 16, 24, 28].includes(length)) throw new ZipFraming("Malformed zip file");
      if (length === 0) {
        if (sizes.compressed === 0xffffffff || sizes.size === 0xffffffff)
          throw new ZipFraming("Malformed zip file");
      } else if (length === 8) {
        if (method !== 0) throw new ZipFraming("Malformed zip file");
        const uncompressed = Number(rest.readBigUInt64LE(4));
        sizes.compressed = uncompressed;
        if (sizes.size === 0xffffffff) sizes.size = uncompressed;
      } else {
        if (sizes.size === 0xffffffff) sizes.size = Number(rest.readBigUInt64LE(4));
        sizes.compressed = Number(rest.readBigUInt64LE(12));
      }
    } else if (id === 0x7075) {
      const unicode = rest.subarray(9, 4 + length);
      if (unprintable(unicode)) throw new ZipFraming("Invalid character in filename");
      if (!isUtf8(unicode)) throw new ZipFraming("Filename not valid UTF-8");
    }
    rest = rest.subarray(length + 4);
  }
}

/**
 * Warehouse's `validate_zipfile`: walk every record from the start of the file. Returns the
 * reason it refuses the archive, or undefined.
 * It runs once per member and record before V8 optimizes anything, so it departs from a literal
 * port where that is cheaper for the same answers: fields are read in place (u16, u32), a name is
 * one Latin-1 string (the set key) tested once for printable ASCII, the sizes come from the
 * central directory's entries rather than a map of tuples.
 */
export function framingProblem(
  fh: WindowReader,
  size: number,
  entries: ZipEntry[],
): string | undefined {
  // zipfile_files: the central directory's names (the last of a repeated one), as zipfile
  // decodes them.
  const sizes = new Map<string, ZipEntry>();
  for (const e of entries) sizes.set(e.name, e);
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
      const signature = u32(fh.bytes, at);
      pos += 4;
      if (signature === EOCD && expected64 !== undefined && actual64 === undefined)
        return "Malformed zip file";
      if (signature === CD) {
        cdOffset ??= pos - 4;
        cdRecords++;
        let o = fh.at(pos, 42);
        if (o < 0) throw new ZipFraming("Malformed zip file");
        let w = fh.bytes;
        const nameLength = u16(w, o + 24);
        const extraLength = u16(w, o + 26);
        if (u16(w, o + 28) !== 0) throw new ZipFraming("Comment in central directory");
        // The name, then the extra field: both must be there.
        o = fh.at(pos + 42, nameLength + extraLength);
        if (o < 0) throw new ZipFraming("Malformed zip file");
        w = fh.bytes;
        const key = w.toString("latin1", o, o + nameLength);
        if (!PRINTABLE_ASCII.test(key) && unprintable(w, o, o + nameLength))
          throw new ZipFraming("Invalid character in filename");
        pos += 42 + nameLength + extraLength;
        cdSize += 46 + nameLength + extraLength;
        if (central.has(key)) throw new ZipFraming("Duplicate filename in central directory");
        if (!local.has(key)) throw new ZipFraming("Missing filename in local headers");
        central.add(key);
      } else if (signature === LOCAL) {
        let o = fh.at(pos, 26);
        if (o < 0) throw new ZipFraming("Malformed zip file");
        let w = fh.bytes;
        const flags = u16(w, o + 2);
        const method = u16(w, o + 4);
        const nameLength = u16(w, o + 22);
        const extraLength = u16(w, o + 24);
        const sizes32: LocalSizes = { compressed: u32(w, o + 14), size: u32(w, o + 18) };
        o = fh.at(pos + 26, nameLength + extraLength);
        if (o < 0) throw new ZipFraming("Malformed zip file");
        w = fh.bytes;
        const nameEnd = o + nameLength;
        const key = w.toString("latin1", o, nameEnd);
        // Printable ASCII passes this check, and reads the same as UTF-8 (no validation below).
        const plain = PRINTABLE_ASCII.test(key);
        if (!plain && unprintable(w, o, nameEnd))
          throw new ZipFraming("Invalid character in filename");
        if (extraLength !== 0)
          localExtras(w.subarray(nameEnd, nameEnd + extraLength), method, sizes32);
        if (flags & 0x08) throw new ZipFraming("ZIP contains a data descriptor");
        if (!plain && !isUtf8(w.subarray(o, nameEnd))) throw new ZipFraming("Filename not unicode");
        const expected = sizes.get(plain ? key : w.toString("utf8", o, nameEnd));
        if (!expected) throw new ZipFraming("Filename not in central directory");
        if (expected.compressedSize !== sizes32.compressed)
          throw new ZipFraming("Mis-matched data size");
        if (expected.size !== sizes32.size) throw new ZipFraming("Mis-matched file size");
        pos += 26 + nameLength + extraLength + sizes32.compressed;
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
 * framingProblem from the open file alone, its central directory read again: check's second
 * thread walks the records while the main thread reads the next archives.
 */
export function framingOfFile(fd: number, size: number): string | undefined {
  const fh = new WindowReader(fd, size);
  try {
    return framingProblem(fh, size, readCentralDirectory(fh, size));
  } finally {
    fh.release();
  }
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
  if (head.length !== 30 || u32(head, 0) !== LOCAL)
    throw new BadZip("Bad magic number for file header");
  const start = entry.localOffset + 30 + u16(head, 26) + u16(head, 28);
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
