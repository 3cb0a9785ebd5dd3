/**
 * Warehouse's checks of the file's content (forklift/legacy.py `_is_valid_dist_file`, then the
 * sdist and wheel checks of `file_upload`), in its order, with its messages, from one pass over
 * the archive (zip-scan.ts, tar-scan.ts).
 */
import { closeSync, openSync } from "node:fs";
import { posix } from "node:path";
import warehouseData from "./data/warehouse.json" with { type: "json" };
import { entryPointsProblem } from "./entry-points.js";
import { scanTar, type TarScan } from "./tar-scan.js";
import { SCAN_MAX, scanYara, type YaraJob, yaraJob, yaraMessage } from "./yara.js";
import {
  BadZip,
  framingProblem,
  isZipFile,
  readCentralDirectory,
  readEntry,
  WindowReader,
  type ZipEntry,
} from "./zip-scan.js";

/**
 * check's second thread, where a zip's YARA members are read from the open file, inflated and
 * searched (they are scanned here without one); `read` is told once the archive is no longer
 * read here (its reader may be released while the scan goes on; the file stays open until the
 * scan settles: OpenZip.keepOpenFor).
 */
export interface ScanThread {
  scan(job: YaraJob): Promise<string | undefined>;
  /** Warehouse's framing walk of the open file (framingOfFile), read there too. */
  framing(fd: number, size: number): Promise<string | undefined>;
  read(): void;
  /** Whether the thread has a backlog: then this thread scans, so both finish together. */
  behind(): boolean;
}

const MIB = 1024 * 1024;
const RATIO_MIN_SIZE = 64 * MIB;
const RATIO = 50;
const MEMBER_MAX = 64 * MIB;
/** Stored bytes left to the thread at most, per archive; a larger one is scanned here. */
const THREAD_JOB_MAX = 16 * MIB;
const EXTENSIONS = new Set(warehouseData.scan_extensions);

/** What the content checks found: a refusal (Warehouse's message) and warnings. */
export interface ContentVerdict {
  refusal?: { rule: string; message: string };
  warnings: Array<{ rule: string; message: string }>;
  /** The archive's member names, for the License-File checks. */
  names?: Set<string>;
}

/** Python's `os.path.commonpath` (posix) of member names; "" for none. */
export function commonPath(names: string[]): string {
  if (names.length === 0) return "";
  const split = names.map((n) => n.split("/").filter((c) => c !== "" && c !== "."));
  const first = split[0] as string[];
  let n = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < n && i < parts.length && parts[i] === first[i]) i++;
    n = i;
  }
  const prefix = names[0]?.startsWith("/") ? "/" : "";
  return prefix + first.slice(0, n).join("/") || (prefix ? "/" : "");
}

/**
 * Whether the member's extension (`posix.extname`) is one Warehouse scans. Without a trailing
 * slash, that extension is the name from its last dot when a character of the last segment comes
 * before that dot, else none (but for a last segment "..": ".", which is not scanned either):
 * read so for every member of an archive, without the call.
 */
function scannable(name: string): boolean {
  if (name.endsWith("/")) return EXTENSIONS.has(posix.extname(name).toLowerCase());
  const dot = name.lastIndexOf(".");
  const extension = dot > name.lastIndexOf("/") + 1 ? name.slice(dot) : "";
  return EXTENSIONS.has(extension.toLowerCase());
}

const invalid = (message: string | null) => ({
  rule: "archive",
  message: `Invalid distribution file. ${message}`,
});

/** A zip already opened and its central directory read (the one-pass check, check-file.ts). */
export interface OpenZip {
  reader: WindowReader;
  entries: ZipEntry[];
  /** Keeps the file open until `scan` settles (the thread reads the members from it). */
  keepOpenFor(scan: Promise<unknown>): void;
}

async function zipVerdict(
  path: string,
  filename: string,
  size: number,
  opened: OpenZip | undefined,
  thread: ScanThread | undefined,
): Promise<ContentVerdict> {
  const fd = opened ? undefined : openSync(path, "r");
  const fh = opened?.reader ?? new WindowReader(fd as number, size);
  try {
    if (!opened && !isZipFile(fh, size))
      return { refusal: invalid("File is not a zipfile"), warnings: [] };
    let entries: ZipEntry[];
    try {
      entries = opened?.entries ?? readCentralDirectory(fh, size);
    } catch (error) {
      if (error instanceof BadZip) return { refusal: invalid(null), warnings: [] };
      throw error;
    }
    // An archive opened here is closed here: only an opened one is scanned on the thread, and
    // stays open until what the thread reads from it has settled.
    const held = <T>(work: Promise<T>): Promise<T> => {
      opened?.keepOpenFor(work);
      return work;
    };
    const scanThread: ScanThread | undefined = opened &&
      thread && {
        scan: (job) => held(thread.scan(job)),
        framing: (fd, size) => held(thread.framing(fd, size)),
        read: () => thread.read(),
        behind: () => thread.behind(),
      };
    return await zipEntriesVerdict(fh, filename, size, entries, scanThread);
  } finally {
    if (fd !== undefined) {
      fh.release();
      closeSync(fd);
    }
  }
}

/** `_is_valid_dist_file` for a zip from its central directory on, then the wheel's checks. */
async function zipEntriesVerdict(
  fh: WindowReader,
  filename: string,
  size: number,
  entries: ZipEntry[],
  thread: ScanThread | undefined,
): Promise<ContentVerdict> {
  const names = entries.map((e) => e.name);
  const byName = new Map(entries.map((e) => [e.name, e]));
  const decompressed = entries.reduce((sum, e) => sum + e.size, 0);
  if (decompressed > RATIO_MIN_SIZE && decompressed / size > RATIO)
    return { refusal: invalid(`File exceeds compression ratio of ${RATIO}`), warnings: [] };
  if (entries.some((e) => e.method !== 0 && e.method !== 8))
    return { refusal: invalid("File does not use a supported compression type"), warnings: [] };
  let prefix = "";
  if (filename.endsWith(".zip")) {
    const top = commonPath(names);
    if ([".", "/", ""].includes(top))
      return {
        refusal: invalid("Incorrect number of top-level directories in sdist"),
        warnings: [],
      };
    if (!byName.has(`${top}/PKG-INFO`))
      return { refusal: invalid(`PKG-INFO not found at ${top}/PKG-INFO`), warnings: [] };
  } else {
    const parts = filename.split("-");
    if (parts.length < 3)
      return {
        refusal: invalid("Unable to parse name and version from wheel filename"),
        warnings: [],
      };
    prefix = `${parts[0]}-${parts[1]}.dist-info/`;
    if (!byName.has(`${prefix}WHEEL`))
      return { refusal: invalid(`WHEEL not found at ${prefix}WHEEL`), warnings: [] };
  }
  const scanned = entries.filter(
    (e) => !e.name.endsWith("/") && scannable(e.name) && e.size <= SCAN_MAX,
  );
  const job = yaraJob(fh, scanned);
  const yara =
    thread && job.stop === undefined && job.bytes <= THREAD_JOB_MAX && !thread.behind()
      ? thread.scan(job)
      : Promise.resolve(scanYara(job, fh));
  // The framing walk reads every record of the file: on the thread too, unless it is behind.
  const framing = thread && !thread.behind() ? thread.framing(fh.fd, size) : undefined;
  // Awaited below only when the YARA scan finds nothing.
  framing?.catch(() => undefined);
  // The rest is read while the members are scanned (on the other thread when there is one);
  // Warehouse's order decides below: a YARA match is the verdict, whatever the rest found, then
  // the framing, whatever the wheel's checks found.
  let rest: ContentVerdict | undefined;
  let failed: { error: unknown } | undefined;
  try {
    rest = afterYara(fh, filename, size, prefix, entries, byName, framing === undefined);
  } catch (error) {
    failed = { error };
  }
  thread?.read();
  const match = await yara;
  if (match) return { refusal: invalid(match), warnings: [] };
  const problem = await framing;
  if (problem) return framingRefusal(problem);
  if (failed) throw failed.error;
  return rest as ContentVerdict;
}

const framingRefusal = (problem: string): ContentVerdict => ({
  refusal: invalid(
    `ZIP archive not accepted: ${problem}. See https://docs.pypi.org/archives for more information`,
  ),
  warnings: [],
});

/**
 * What follows the YARA scan in `_is_valid_dist_file`: the framing (unless the thread walks it),
 * then the wheel's checks.
 */
function afterYara(
  fh: WindowReader,
  filename: string,
  size: number,
  prefix: string,
  entries: ZipEntry[],
  byName: Map<string, ZipEntry>,
  walk: boolean,
): ContentVerdict {
  const framing = walk ? framingProblem(fh, size, entries) : undefined;
  if (framing) return framingRefusal(framing);
  if (!filename.endsWith(".whl"))
    return { warnings: [], names: new Set(entries.map((e) => e.name)) };
  return wheelContent(fh, filename, prefix, entries, byName);
}

/** RECORD (refused when missing, mailed about when it disagrees), entry_points.txt, METADATA. */
function wheelContent(
  fh: WindowReader,
  filename: string,
  prefix: string,
  entries: ZipEntry[],
  byName: Map<string, ZipEntry>,
): ContentVerdict {
  const names = new Set(entries.map((e) => e.name));
  const warnings: ContentVerdict["warnings"] = [];
  const record = byName.get(`${prefix}RECORD`);
  const recordData = record && readEntry(fh, record, MEMBER_MAX);
  const listed = recordData && recordEntries(recordData);
  if (!listed)
    return {
      warnings,
      names,
      refusal: {
        rule: "wheel-record",
        message: `Wheel '${filename}' does not contain the required RECORD file: ${prefix}RECORD`,
      },
    };
  const exempt = new Set([`${prefix}RECORD.jws`, `${prefix}RECORD.p7s`]);
  // The first three of each, in order (the message names no more).
  const missingFromRecord: string[] = [];
  names.forEach((n) => {
    if (missingFromRecord.length === 3 || listed.has(n) || exempt.has(n)) return;
    if (!n.endsWith("/") && !n.endsWith("\\")) missingFromRecord.push(n);
  });
  const missingFromWheel: string[] = [];
  listed.forEach((n) => {
    if (missingFromWheel.length < 3 && (!names.has(n) || exempt.has(n))) missingFromWheel.push(n);
  });
  if (missingFromRecord.length > 0 || missingFromWheel.length > 0)
    warnings.push({
      rule: "wheel-record",
      message: `RECORD does not match the wheel's files (${[
        missingFromRecord.length > 0 ? `not in RECORD: ${missingFromRecord.join(", ")}` : "",
        missingFromWheel.length > 0 ? `missing from the wheel: ${missingFromWheel.join(", ")}` : "",
      ]
        .filter(Boolean)
        .join("; ")}); PyPI accepts the file and e-mails the project's owners`,
    });
  const entryPoints = byName.get(`${prefix}entry_points.txt`);
  if (entryPoints) {
    const data = readEntry(fh, entryPoints, MEMBER_MAX);
    if (!data || entryPointsProblem(data))
      return {
        warnings,
        names,
        refusal: {
          rule: "wheel-entry-points",
          message: `Wheel '${filename}' has invalid entry points defined in the entry_points.txt file`,
        },
      };
  }
  if (!byName.has(`${prefix}METADATA`))
    return {
      warnings,
      names,
      refusal: {
        rule: "wheel-metadata",
        message: `Wheel '${filename}' does not contain the required METADATA file: ${prefix}METADATA`,
      },
    };
  return { warnings, names };
}

/** RECORD's first column (Python's csv reader), or undefined when it is not UTF-8 or not CSV. */
function recordEntries(data: Buffer): Set<string> | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    return undefined;
  }
  const out = new Set<string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line === "") continue;
    let field: string;
    if (line.startsWith('"')) {
      const m = /^"((?:[^"]|"")*)"/.exec(line);
      if (!m) return undefined;
      field = (m[1] as string).replaceAll('""', '"');
    } else {
      const comma = line.indexOf(",");
      field = comma < 0 ? line : line.slice(0, comma);
    }
    out.add(field.includes("\\") ? field.replaceAll("\\", "/") : field);
  }
  return out;
}

async function tarVerdict(path: string, size: number, scanned?: TarScan): Promise<ContentVerdict> {
  const fd = openSync(path, "r");
  let isZip: boolean;
  try {
    isZip = isZipFile(new WindowReader(fd, size, 65557), size);
  } finally {
    closeSync(fd);
  }
  const scan = scanned ?? (await scanTar(path, (name, n) => scannable(name) && n <= SCAN_MAX));
  if (isZip && scan.isTar)
    return { refusal: invalid("File is both a zip and a tar file"), warnings: [] };
  if (!scan.isTar) return { refusal: invalid("File is not a tarfile"), warnings: [] };
  if (!scan.isGzipTar || scan.broken) return { refusal: invalid(null), warnings: [] };
  const top = commonPath(scan.names);
  if (scan.sparse)
    return {
      refusal: invalid(
        "tar archive not accepted: Sparse members are not allowed. See https://docs.pypi.org/archives for more information",
      ),
      warnings: [],
    };
  if ([".", "/", ""].includes(top))
    return { refusal: invalid("Incorrect number of top-level directories in sdist"), warnings: [] };
  const names = new Set(scan.names);
  if (!names.has(`${top}/PKG-INFO`))
    return { refusal: invalid(`PKG-INFO not found at ${top}/PKG-INFO`), warnings: [] };
  const yara = yaraMessage(scan.kept.filter((k) => scannable(k.name)));
  if (yara) return { refusal: invalid(yara), warnings: [] };
  return { warnings: [], names };
}

/** The members the content checks read from a tar (YARA's), for a one-pass scan. */
export const keepForRules = (name: string, size: number) => scannable(name) && size <= SCAN_MAX;

/**
 * The content verdict of a wheel, .zip or .tar.gz (the caller has refused other types), from
 * the archive as already read when the caller has it.
 */
export function contentVerdict(
  path: string,
  filename: string,
  size: number,
  pre: { zip?: OpenZip; tar?: TarScan } = {},
  thread?: ScanThread,
): Promise<ContentVerdict> {
  if (filename.endsWith(".tar.gz")) return tarVerdict(path, size, pre.tar);
  return zipVerdict(path, filename, size, pre.zip, thread);
}
