/**
 * What a sync adds to the upload report (pure): a `sync` section (source, releases, copies with
 * their downloads, files already present, conflicts, unreachable targets, files set aside), and
 * result rows for the file x server pairs the upload pipeline never saw: present (`skipped`) and
 * differing (`failed`, never overwritten). Files not downloaded are the pipeline's (`not-sent`).
 */
import type { JsonReport } from "../report/json.js";
import type { FetchResult } from "./download-types.js";
import type { SyncPlan } from "./plan.js";

export interface SyncSection {
  from: string;
  releases: string[];
  copies: Array<{
    file: string;
    project: string;
    version: string;
    url: string;
    sha256: string;
    size: number | null;
    targets: string[];
    /** `planned` (dry run), `downloaded`, `failed`. */
    download: "planned" | "downloaded" | "failed";
    reason: string | null;
    reasonCode: string | null;
  }>;
  present: Array<{ file: string; server: string; verified: boolean }>;
  conflicts: Array<{ file: string; server: string; sourceSha256: string; targetSha256: string }>;
  unreachable: Array<{ server: string; project: string; reason: string }>;
  ignored: Array<{ file: string; reason: string }>;
}

type Row = JsonReport["results"][number];

export function syncSection(from: string, plan: SyncPlan, fetched?: FetchResult): SyncSection {
  const failed = new Map((fetched?.failed ?? []).map((f) => [f.copy, f]));
  const ready = new Map((fetched?.ready ?? []).map((r) => [r.copy, r.file]));
  return {
    from,
    releases: plan.releases,
    copies: plan.copies.map((copy) => {
      const failure = failed.get(copy);
      return {
        file: copy.file.filename,
        project: copy.project,
        version: copy.version,
        url: copy.file.url,
        sha256: copy.file.sha256,
        size: ready.get(copy)?.size ?? copy.file.size ?? null,
        targets: copy.targets,
        download: !fetched ? "planned" : failure ? "failed" : "downloaded",
        reason: failure?.reason ?? null,
        reasonCode: failure ? downloadCode(failure.code) : null,
      };
    }),
    present: plan.present.map((p) => ({
      file: p.filename,
      server: p.server,
      verified: p.verified,
    })),
    conflicts: plan.conflicts.map((c) => ({
      file: c.filename,
      server: c.server,
      sourceSha256: c.sourceSha256,
      targetSha256: c.targetSha256,
    })),
    unreachable: plan.unreachable,
    ignored: plan.ignored.map((i) => ({ file: i.filename, reason: i.reason })),
  };
}

/** `hash-mismatch`, `interrupted` or `download` (network, status, size). */
function downloadCode(code: string): string {
  if (code === "HASH_MISMATCH") return "hash-mismatch";
  if (code === "ABORTED") return "interrupted";
  if (code === "HELD") return "held";
  return "download";
}

/** Rows for what the upload pipeline did not handle, in the report's row shape. */
export function syncRows(section: SyncSection): Row[] {
  const row = (
    file: string,
    server: string,
    status: string,
    reason: string,
    code: string,
  ): Row => ({
    file,
    server,
    status,
    reason,
    reasonCode: code,
    httpStatus: null,
    attempts: 0,
    durationMs: 0,
  });
  return [
    ...section.present.map((p) =>
      row(
        p.file,
        p.server,
        "skipped",
        p.verified
          ? "already on the server with the same sha256"
          : "already on the server (its index gives no sha256 to compare)",
        "already-exists",
      ),
    ),
    ...section.conflicts.map((c) =>
      row(
        c.file,
        c.server,
        "failed",
        `the server has a different file under this name (sha256 ${c.targetSha256}, the source's ${c.sourceSha256}); never overwritten`,
        "different-file",
      ),
    ),
  ];
}

/** Whether the sync leaves something undone: a conflict, a target not reached, a lost file. */
export function syncIncomplete(section: SyncSection): boolean {
  return (
    section.conflicts.length > 0 ||
    section.unreachable.length > 0 ||
    section.copies.some((c) => c.download === "failed")
  );
}

/** Plain lines for the end of a run (or a dry run): what the summary table cannot show. */
export function syncNotes(section: SyncSection): string[] {
  return [
    ...section.unreachable.map(
      (u) => `not reached: ${u.server} for ${u.project}: ${u.reason}; nothing copied there`,
    ),
    ...section.ignored.map((i) => `set aside: ${i.file}: ${i.reason}`),
  ];
}

/** Text for `--dry-run`: each copy with its targets, then what is there and what differs. */
export function formatSyncPlan(section: SyncSection): string {
  const lines = [
    `Sync from ${section.from}: ${section.releases.join(", ") || "nothing selected"}`,
    section.copies.length === 0
      ? "Nothing to copy: every target has every file."
      : `Would copy ${section.copies.length} file${section.copies.length === 1 ? "" : "s"} (downloaded once each, sha256 checked):`,
    ...section.copies.map((c) => `  ${c.file} -> ${c.targets.join(", ")}`),
  ];
  if (section.present.length > 0) {
    lines.push(`Already there: ${section.present.length} file x server pair(s)`);
  }
  for (const c of section.conflicts) {
    lines.push(
      `DIFFERENT: ${c.file} on ${c.server} has sha256 ${c.targetSha256}, the source's ${c.sourceSha256}; it will not be overwritten`,
    );
  }
  lines.push(...syncNotes(section));
  return lines.join("\n");
}
