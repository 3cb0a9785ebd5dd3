/**
 * Warehouse's YARA scan of the members it scans (its rules are plain string matches), in two
 * steps so that the inflating can run on check's second thread: `yaraJob` checks each member's
 * local header and notes where its stored bytes are (the main thread, which has the archive
 * open), `scanYara` reads them from the open file, inflates and searches them (either thread; the
 * same function, so the same verdicts and the same errors). No member's bytes are copied between
 * the threads: the file stays open until its scan is answered.
 * Small on purpose: the worker loads it next to the description renderer.
 */
import warehouseData from "./data/warehouse.json" with { type: "json" };
import { inflateMember } from "./inflate-member.js";
import { storedRange, WindowReader, type ZipEntry } from "./zip-scan.js";

/** The largest member Warehouse scans. */
export const SCAN_MAX = 5 * 1024 * 1024;
/**
 * The window of the scan's own reader: the members scanned are sources, mostly small and stored
 * side by side, so a small window reads little else (with 1 MiB, the binaries between them too:
 * 15.7 MB read for the 5.2 MB of sources in the benchmark's 100 wheels, 8.3 MB with 64 KiB).
 */
const SCAN_SPAN = 64 * 1024;

/** The longest substring shared by all of `strings` (they are few and short). */
function sharedPart(strings: string[]): string {
  const [first = "", ...rest] = strings;
  for (let len = first.length; len > 0; len--)
    for (let i = 0; i + len <= first.length; i++) {
      const part = first.slice(i, i + len);
      if (rest.every((s) => s.includes(part))) return part;
    }
  return "";
}

/** Each rule with one string every match must contain: one search rules most files out. */
const YARA = warehouseData.yara.map((rule) => ({
  ...rule,
  needle: rule.all ? (rule.strings[0] ?? "") : sharedPart(rule.strings),
}));

/** Warehouse's YARA rules (plain string matches): the first member matching one, by rule order. */
export function yaraMessage(members: Array<{ data: Uint8Array }>): string | undefined {
  for (const { data } of members) {
    const bytes = Buffer.isBuffer(data)
      ? data
      : Buffer.from(data.buffer, data.byteOffset, data.length);
    for (const rule of YARA) {
      if (!bytes.includes(rule.needle)) continue;
      const hits = rule.strings.map((s) => bytes.includes(s));
      if (rule.all ? hits.every(Boolean) : hits.some(Boolean)) return rule.message;
    }
  }
  return undefined;
}

/** A zip's members to scan: where each one's stored bytes are in the open file. */
export interface YaraJob {
  fd: number;
  /** The file's size (a member's bytes end at the file's end at the latest). */
  size: number;
  members: Array<{ method: 0 | 8; size: number; start: number; length: number }>;
  /** Stored bytes in all. */
  bytes: number;
  /** What reading the next member threw (a bad header): thrown once the members before it are scanned. */
  stop?: unknown;
}

/**
 * The members' places, after their local headers' checks; a member whose header is bad ends the
 * list, and its error is thrown once the members before it are scanned.
 */
export function yaraJob(fh: WindowReader, scanned: ZipEntry[]): YaraJob {
  const job: YaraJob = { fd: fh.fd, size: fh.size, members: [], bytes: 0 };
  for (const e of scanned) {
    let range: ReturnType<typeof storedRange>;
    try {
      range = storedRange(fh, e);
    } catch (error) {
      job.stop = error;
      break;
    }
    job.members.push({
      method: range.method,
      size: e.size,
      start: range.start,
      length: range.length,
    });
    job.bytes += range.length;
  }
  return job;
}

/**
 * Inflates every member (as Warehouse reads them all before its scan: a member that does not
 * inflate fails the same way after a match) and returns the first rule that matches. Reads
 * through `reader` when the caller has the archive's (the main thread), else its own.
 */
export function scanYara(job: YaraJob, reader?: WindowReader): string | undefined {
  const fh = reader ?? new WindowReader(job.fd, job.size, SCAN_SPAN);
  try {
    let first: string | undefined;
    for (const m of job.members) {
      const stored = fh.read(m.start, m.length);
      const data = m.method === 0 ? stored : inflateMember(stored, m.size, SCAN_MAX);
      if (first === undefined) first = yaraMessage([{ data }]);
    }
    if (job.stop !== undefined) throw job.stop;
    return first;
  } finally {
    if (!reader) fh.release();
  }
}
