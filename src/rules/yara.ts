/**
 * Warehouse's YARA scan of the members it scans (its rules are plain string matches), in two
 * steps so that the inflating can run on check's second thread: `yaraJob` takes each member's
 * stored bytes out of the archive (the main thread, which has it open), `scanYara` inflates and
 * searches them (either thread; the same function, so the same verdicts and the same errors).
 * Small on purpose: the worker loads it next to the description renderer.
 */
import warehouseData from "./data/warehouse.json" with { type: "json" };
import { inflateMember } from "./inflate-member.js";

/** The largest member Warehouse scans. */
export const SCAN_MAX = 5 * 1024 * 1024;

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

/** A zip's members to scan, as stored (a copy: the archive's read buffer is reused). */
export interface YaraJob {
  members: Array<{ method: 0 | 8; size: number; data: Uint8Array }>;
  /** Stored bytes in all. */
  bytes: number;
  /** What reading the next member threw (a bad header): thrown once the members before it are scanned. */
  stop?: unknown;
}

/**
 * Inflates every member (as Warehouse reads them all before its scan: a member that does not
 * inflate fails the same way after a match) and returns the first rule that matches.
 */
export function scanYara(job: YaraJob): string | undefined {
  let first: string | undefined;
  for (const m of job.members) {
    const data = m.method === 0 ? m.data : inflateMember(m.data, m.size, SCAN_MAX);
    if (first === undefined) first = yaraMessage([{ data }]);
  }
  if (job.stop !== undefined) throw job.stop;
  return first;
}
