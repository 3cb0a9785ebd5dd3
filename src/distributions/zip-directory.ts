/**
 * Read a zip archive's central directory, and single members, with as few reads as possible.
 *
 * Written by hand rather than through yauzl: yauzl reads the directory one entry at a time (two
 * reads per entry, and the archive opened once per question), which made inspecting 2000 small
 * wheels cost ~1 s of CPU in reads alone. Here one bounded read of the archive's tail usually
 * holds the end record, the whole central directory and a wheel's METADATA (the .dist-info files
 * come last in a wheel); a large directory costs one more read, bounded by MAX_DIRECTORY_BYTES.
 * Layout: APPNOTE.TXT 4.3 (end record 4.3.16, zip64 4.3.14-15, directory 4.3.12, local header
 * 4.3.7, zip64 extra field 4.5.3). Names are decoded as Python's zipfile decodes them (UTF-8
 * when flag bit 11 is set, else code page 437).
 *
 * The reads are synchronous on purpose: each is one bounded pread of a local file (a few KiB to
 * at most MAX_DIRECTORY_BYTES), and an open + fstat + read + close through the thread pool cost
 * ~3x the CPU of the same calls made directly (2000 wheels: ~350 ms against ~115 ms, measured
 * side by side). Callers handle one archive per turn of the event loop, so Ctrl-C still lands.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { crc32, inflateRawSync } from "node:zlib";

/** A malformed archive; callers turn it into a message naming the file. */
export class ZipFormatError extends Error {}

export interface ZipEntry {
  name: string;
  isDirectory: boolean;
  method: number;
  encrypted: boolean;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  localHeaderOffset: number;
}

/** First read from the end: the end record's search window (64 KiB comment + 22) and more. */
export const TAIL_BYTES = 128 * 1024;
/** A central directory larger than this is refused (a 100 000-file wheel needs ~10 MiB). */
export const MAX_DIRECTORY_BYTES = 64 * 1024 * 1024;
/** When the directory is read on its own, this much before it comes along (for METADATA). */
const BEFORE_DIRECTORY = 64 * 1024;

const EOCD_SIG = 0x06054b50;
const EOCD_SIZE = 22;
const ZIP64_LOCATOR_SIG = 0x07064b50;
const ZIP64_EOCD_SIG = 0x06064b50;
const CENTRAL_SIG = 0x02014b50;
const CENTRAL_SIZE = 46;
const LOCAL_SIG = 0x04034b50;
const LOCAL_SIZE = 30;

const CP437_HIGH =
  "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0";

function decodeName(bytes: Buffer, utf8: boolean): string {
  if (utf8) return bytes.toString("utf8");
  let ascii = true;
  for (const b of bytes) if (b >= 0x80) ascii = false;
  if (ascii) return bytes.toString("latin1");
  let out = "";
  for (const b of bytes) out += b < 0x80 ? String.fromCharCode(b) : CP437_HIGH[b - 0x80];
  return out;
}

/** Bytes of the file held in memory: `buf` is the file's range [start, start + buf.length). */
interface Window {
  start: number;
  buf: Buffer;
}

function readRange(
  fd: number,
  start: number,
  length: number,
  counter?: ReadCounter,
  into?: Buffer,
): Window {
  if (counter) counter.reads++;
  const buf = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const bytesRead = readSync(fd, buf, got, length - got, start + got);
    if (bytesRead === 0) throw new ZipFormatError("unexpected end of file");
    got += bytesRead;
  }
  return { start, buf };
}

/** The bytes [at, at + length) from the window, or undefined when it does not hold them all. */
function slice(w: Window, at: number, length: number): Buffer | undefined {
  const from = at - w.start;
  if (from < 0 || from + length > w.buf.length) return undefined;
  return w.buf.subarray(from, from + length);
}

/** How many reads an archive took (tests and benchmarks hold the reader to its promise). */
export interface ReadCounter {
  reads: number;
}

interface EndRecord {
  entries: number;
  directorySize: number;
  directoryOffset: number;
  /** Where the directory must end: the zip64 end record, or the end record. */
  directoryLimit: number;
}

function findEndRecord(tail: Window): number {
  const buf = tail.buf;
  for (let i = buf.length - EOCD_SIZE; i >= 0 && buf.length - i <= EOCD_SIZE + 0xffff; i--) {
    if (buf.readUInt32LE(i) !== EOCD_SIG) continue;
    // The comment must fit in the file (a signature inside a comment would not).
    if (i + EOCD_SIZE + buf.readUInt16LE(i + 20) <= buf.length) return i;
  }
  throw new ZipFormatError("end of central directory record signature not found");
}

function readEndRecord(fd: number, tail: Window, counter: ReadCounter): EndRecord {
  const at = findEndRecord(tail);
  const b = tail.buf;
  const disk = b.readUInt16LE(at + 4);
  const directoryDisk = b.readUInt16LE(at + 6);
  // Saturated (0xFFFF) in zip64 archives; the zip64 record then holds the real numbers.
  if ((disk !== 0 && disk !== 0xffff) || (directoryDisk !== 0 && directoryDisk !== 0xffff)) {
    throw new ZipFormatError("multi-disk zip archives are not supported");
  }
  const end: EndRecord = {
    entries: b.readUInt16LE(at + 10),
    directorySize: b.readUInt32LE(at + 12),
    directoryOffset: b.readUInt32LE(at + 16),
    directoryLimit: tail.start + at,
  };
  const zip64 =
    end.entries === 0xffff ||
    end.directorySize === 0xffffffff ||
    end.directoryOffset === 0xffffffff;
  const locator = slice(tail, tail.start + at - 20, 20);
  if (!locator || locator.readUInt32LE(0) !== ZIP64_LOCATOR_SIG) {
    if (zip64) throw new ZipFormatError("zip64 end of central directory locator not found");
    return end;
  }
  const recordAt = Number(locator.readBigUInt64LE(8));
  if (recordAt + 56 > tail.start + at - 20) {
    throw new ZipFormatError("zip64 end of central directory record out of range");
  }
  const record: Buffer = slice(tail, recordAt, 56) ?? readRange(fd, recordAt, 56, counter).buf;
  if (record.readUInt32LE(0) !== ZIP64_EOCD_SIG) {
    throw new ZipFormatError("zip64 end of central directory record not found");
  }
  return {
    entries: Number(record.readBigUInt64LE(32)),
    directorySize: Number(record.readBigUInt64LE(40)),
    directoryOffset: Number(record.readBigUInt64LE(48)),
    directoryLimit: recordAt,
  };
}

/** Apply a zip64 extended-information extra field (id 1) to the fields saturated at 0xFFFFFFFF. */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  for (let i = 0; i + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(i);
    const size = extra.readUInt16LE(i + 2);
    const data = extra.subarray(i + 4, i + 4 + size);
    i += 4 + size;
    if (id !== 1) continue;
    let p = 0;
    const next = () => {
      if (p + 8 > data.length) throw new ZipFormatError("zip64 extra field too short");
      const v = Number(data.readBigUInt64LE(p));
      p += 8;
      return v;
    };
    if (entry.uncompressedSize === 0xffffffff) entry.uncompressedSize = next();
    if (entry.compressedSize === 0xffffffff) entry.compressedSize = next();
    if (entry.localHeaderOffset === 0xffffffff) entry.localHeaderOffset = next();
    return;
  }
}

function parseDirectory(dir: Buffer, count: number): ZipEntry[] {
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let n = 0; n < count; n++) {
    if (p + CENTRAL_SIZE > dir.length || dir.readUInt32LE(p) !== CENTRAL_SIG) {
      throw new ZipFormatError(`invalid central directory file header signature (entry ${n})`);
    }
    const flags = dir.readUInt16LE(p + 8);
    const nameLength = dir.readUInt16LE(p + 28);
    const extraLength = dir.readUInt16LE(p + 30);
    const commentLength = dir.readUInt16LE(p + 32);
    const nameAt = p + CENTRAL_SIZE;
    const next = nameAt + nameLength + extraLength + commentLength;
    if (next > dir.length) throw new ZipFormatError("central directory entry runs past its end");
    const name = decodeName(dir.subarray(nameAt, nameAt + nameLength), (flags & 0x800) !== 0);
    const entry: ZipEntry = {
      name,
      isDirectory: name.endsWith("/"),
      method: dir.readUInt16LE(p + 10),
      encrypted: (flags & 1) !== 0,
      crc32: dir.readUInt32LE(p + 16),
      compressedSize: dir.readUInt32LE(p + 20),
      uncompressedSize: dir.readUInt32LE(p + 24),
      localHeaderOffset: dir.readUInt32LE(p + 42),
    };
    applyZip64Extra(entry, dir.subarray(nameAt + nameLength, nameAt + nameLength + extraLength));
    entries.push(entry);
    p = next;
  }
  return entries;
}

/**
 * The buffer the tail is read into, kept between archives: a new one per archive was most of the
 * garbage when inspecting thousands of wheels. Taken by an open archive, given back on close.
 */
let spareTail: Buffer | undefined;

/** An open zip archive: its directory, and the bytes already read (reused for members). */
export class ZipArchive {
  private constructor(
    private readonly fd: number,
    readonly size: number,
    readonly entries: ZipEntry[],
    private readonly window: Window,
    /** Reads made so far, the directory's included. */
    readonly counter: ReadCounter,
    private readonly scratch: Buffer,
  ) {}

  private closed = false;

  /** Open `path` and read its central directory (one read, two for a large directory). */
  static open(path: string): ZipArchive {
    const fd = openSync(path, "r");
    const scratch = spareTail ?? Buffer.allocUnsafe(TAIL_BYTES);
    spareTail = undefined;
    try {
      const { size } = fstatSync(fd);
      const counter: ReadCounter = { reads: 0 };
      if (size < EOCD_SIZE) throw new ZipFormatError("file too small to be a zip archive");
      const tailLength = Math.min(size, TAIL_BYTES);
      let window = readRange(fd, size - tailLength, tailLength, counter, scratch);
      const end = readEndRecord(fd, window, counter);
      const { directoryOffset: at, directorySize: length } = end;
      if (at + length > end.directoryLimit || length < end.entries * CENTRAL_SIZE) {
        throw new ZipFormatError("central directory offset or size out of range");
      }
      if (length > MAX_DIRECTORY_BYTES) {
        throw new ZipFormatError(
          `central directory of ${length} bytes is larger than ${MAX_DIRECTORY_BYTES >> 20} MiB`,
        );
      }
      if (!slice(window, at, length)) {
        const from = Math.max(0, at - BEFORE_DIRECTORY);
        window = readRange(fd, from, at + length - from, counter);
      }
      const entries = parseDirectory(slice(window, at, length) as Buffer, end.entries);
      return new ZipArchive(fd, size, entries, window, counter, scratch);
    } catch (err) {
      spareTail = scratch;
      closeSync(fd);
      throw err;
    }
  }

  /**
   * A member's uncompressed bytes, checked against its size and CRC-32. The caller bounds the
   * size first (`entry.uncompressedSize`); the compressed bytes are read in one read, or none when
   * they were in the tail already.
   */
  read(entry: ZipEntry): Buffer {
    // The tail buffer goes to the next archive on close: reading after it would read its bytes.
    if (this.closed) throw new Error("ZipArchive.read after close");
    if (entry.encrypted) throw new ZipFormatError(`${entry.name} is encrypted`);
    if (entry.method !== 0 && entry.method !== 8) {
      throw new ZipFormatError(`${entry.name}: unsupported compression method ${entry.method}`);
    }
    const headerAt = entry.localHeaderOffset;
    // Deflate never grows data by more than ~0.03% + a few bytes; more is not a real member.
    const bound = entry.uncompressedSize + (entry.uncompressedSize >> 10) + 64;
    if (entry.compressedSize > bound || headerAt + LOCAL_SIZE > this.size) {
      throw new ZipFormatError(`${entry.name}: sizes in the central directory out of range`);
    }
    const header =
      slice(this.window, headerAt, LOCAL_SIZE) ??
      readRange(this.fd, headerAt, LOCAL_SIZE, this.counter).buf;
    if (header.readUInt32LE(0) !== LOCAL_SIG) {
      throw new ZipFormatError(`${entry.name}: invalid local file header signature`);
    }
    const dataAt = headerAt + LOCAL_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
    if (dataAt + entry.compressedSize > this.size) {
      throw new ZipFormatError(`${entry.name}: member data runs past the end of the file`);
    }
    const raw =
      slice(this.window, dataAt, entry.compressedSize) ??
      readRange(this.fd, dataAt, entry.compressedSize, this.counter).buf;
    let data: Buffer;
    if (entry.method === 0) data = raw;
    else {
      try {
        data = inflateRawSync(raw, { maxOutputLength: Math.max(1, entry.uncompressedSize) });
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        throw new ZipFormatError(`${entry.name}: cannot be inflated (${why})`);
      }
    }
    if (data.length !== entry.uncompressedSize) {
      throw new ZipFormatError(`${entry.name}: size does not match the central directory`);
    }
    if (crc32(data) >>> 0 !== entry.crc32) {
      throw new ZipFormatError(`${entry.name}: CRC-32 does not match (the file is damaged)`);
    }
    // A stored member is a view of the window: copy it, so the window can be freed.
    return entry.method === 0 ? Buffer.from(data) : data;
  }

  /** Close the file; the entries and the members read before stay valid. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    spareTail = this.scratch;
    closeSync(this.fd);
  }
}
