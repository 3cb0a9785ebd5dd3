/**
 * Downloads and uploads overlapped: the upload plan is made from the source's listing before the
 * first download (the order rules need only file names: wheels before the sdist, permanent
 * indexes last), and each job waits for its file. A file goes to the targets that may take it
 * early once it is downloaded, sha256-verified and inspected; the others wait for every download.
 *
 * What may go early, and what waits (README, "Copying releases between indexes"):
 * - a file whose bytes do not match the source's sha256 (or that could not be downloaded) goes
 *   nowhere;
 * - targets whose uploads are final (pypi.org, test.pypi.org, `immutable = true`) and targets
 *   with PyPI's rules get nothing until every download of the sync is verified and PyPI's rules
 *   have seen every file bound there: a mismatch anywhere holds every file back from them;
 * - other targets get each verified file at once: its bytes are the ones the source lists, and a
 *   re-run completes what is missing there.
 */
import { join, resolve } from "node:path";
import { hasPypiRules } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import type { Digests } from "../distributions/digests.js";
import { parseFilename } from "../distributions/filename.js";
import { inspectAll, type Listings } from "../distributions/inspect.js";
import type { Distribution } from "../distributions/types.js";
import { PkgpushError } from "../errors.js";
import { type Job, type Plan, planUploads } from "../plan/plan.js";
import type { Outcome } from "../protocol/outcome.js";
import { refuseBeforeSending } from "../rules/preflight.js";
import type { DownloadOutcome, FetchResult } from "./download-types.js";
import type { Copy } from "./plan.js";

/** Targets that get nothing before every download is verified. */
export function waitsForEveryFile(server: ServerConfig): boolean {
  return server.immutable || hasPypiRules(server);
}

type Arrived = { ok: true } | { ok: false; outcome: Outcome };

/** A promise settled from outside, once. */
function deferred<T>(): { promise: Promise<T>; settle(value: T): void } {
  let settle!: (value: T) => void;
  const promise = new Promise<T>((resolve) => {
    settle = resolve;
  });
  return { promise, settle };
}

/**
 * The file a job will send, known by name before it is downloaded: what planning needs (path,
 * name, version, kind). Inspection fills in the rest (metadata) before any job reads it.
 */
function awaitedDistribution(copy: Copy, dir: string): Distribution {
  const parsed = parseFilename(copy.file.filename);
  return {
    path: join(dir, copy.file.filename),
    filename: copy.file.filename,
    size: copy.file.size ?? 0,
    parsed,
    name: parsed.name,
    version: copy.version,
    normalizedName: copy.project,
    metadataVersion: "",
    metadata: { fields: [] },
    attestationPaths: [],
  };
}

/** One line of a refusal (the rules' error lists one problem a line). */
const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";

export class CopyPipeline {
  readonly plan: Plan;
  /** Digests of the verified downloads, by path (the upload's fields; not hashed again). */
  readonly digests = new Map<string, Digests>();
  private readonly arrivals = new Map<string, ReturnType<typeof deferred<Arrived>>>();
  private readonly dists = new Map<Copy, Distribution>();
  /** Why the waiting targets get nothing (undefined: they get every file), once all arrived. */
  private readonly everyFile = deferred<string | undefined>();
  private readonly inspected: Array<Promise<void>> = [];
  private readonly problems: string[] = [];
  /**
   * The private folder's sidecars: none (sync downloads no signatures or attestations), so
   * inspecting a file does not list the folder, which holds every download and its partial files.
   */
  private readonly listings: Listings;

  constructor(
    copies: Copy[],
    targets: ServerConfig[],
    dir: string,
    private readonly source: string,
    private readonly rules: boolean,
  ) {
    this.listings = new Map([[resolve(dir), Promise.resolve([])]]);
    const byName = new Map(targets.map((s) => [s.name, s]));
    const routes = copies.map((copy) => {
      const dist = awaitedDistribution(copy, dir);
      this.dists.set(copy, dist);
      this.arrivals.set(dist.path, deferred<Arrived>());
      return { dist, servers: copy.targets.map((n) => byName.get(n) as ServerConfig) };
    });
    const used = new Set(routes.flatMap((r) => r.servers.map((s) => s.name)));
    this.plan = planUploads({
      servers: targets.filter((s) => used.has(s.name)),
      routes,
      mode: "explicit",
      warnings: [],
      notes: [],
    });
  }

  /** What the executor awaits before a job: its file, and for waiting targets, every file. */
  readonly arrival = async (job: Job): Promise<Outcome | undefined> => {
    const arrived = await this.arrivals.get(job.dist.path)?.promise;
    if (arrived && !arrived.ok) return arrived.outcome;
    if (!waitsForEveryFile(job.server)) return undefined;
    const held = await this.everyFile.promise;
    return held ? { status: "held", reason: held, code: "held" } : undefined;
  };

  /** A download ended: verified files are inspected, checked, and released to their jobs. */
  downloaded(copy: Copy, outcome: DownloadOutcome): void {
    const dist = this.dists.get(copy) as Distribution;
    const arrival = this.arrivals.get(dist.path);
    if (!arrival) return;
    if (!outcome.ok) {
      if (outcome.code === "HASH_MISMATCH")
        this.problems.push(`${copy.file.filename} did not match the source's sha256`);
      arrival.settle({ ok: false, outcome: this.notDownloaded(outcome.reason, outcome.code) });
      return;
    }
    this.digests.set(dist.path, {
      sha256: outcome.sha256,
      blake2_256: outcome.blake2_256,
      md5: outcome.md5,
    });
    this.inspected.push(this.inspect(copy, dist, arrival.settle));
  }

  private async inspect(
    copy: Copy,
    dist: Distribution,
    settle: (a: Arrived) => void,
  ): Promise<void> {
    try {
      const [found] = await inspectAll([dist.path], 1, this.listings);
      Object.assign(dist, found);
      // The rules for every index (broken metadata) before the file goes anywhere.
      if (this.rules) await refuseBeforeSending([{ dist, servers: [] }], "upload");
      settle({ ok: true });
    } catch (error) {
      // Whatever the failure, the file's jobs must learn it (they are waiting for it).
      this.problems.push(`${copy.file.filename} was refused before sending`);
      settle({
        ok: false,
        outcome: { status: "failed", reason: firstLine(error), code: "invalid-file" },
      });
    }
  }

  /**
   * Every download has ended: copies never started (interrupted) are settled, and the waiting
   * targets learn whether they get the files (PyPI's rules over every file bound there).
   */
  async finish(fetched: FetchResult, copies: Copy[]): Promise<void> {
    for (const failure of fetched.failed) {
      const dist = this.dists.get(failure.copy) as Distribution;
      this.arrivals.get(dist.path)?.settle({
        ok: false,
        outcome: this.notDownloaded(failure.reason, failure.code),
      });
    }
    await Promise.all(this.inspected);
    // Settling twice keeps the first answer: this reaches only copies nothing was said of.
    for (const copy of copies) {
      const dist = this.dists.get(copy) as Distribution;
      this.arrivals.get(dist.path)?.settle({
        ok: false,
        outcome: this.notDownloaded("not downloaded (interrupted)", "ABORTED"),
      });
    }
    this.everyFile.settle(await this.verdictForWaiting());
  }

  private async verdictForWaiting(): Promise<string | undefined> {
    if (this.problems.length > 0) {
      return `held back: ${this.problems.join(", ")}; a permanent or PyPI-ruled index gets nothing of this sync until every file is verified`;
    }
    if (!this.rules) return undefined;
    const waiting = this.plan.jobs.filter((j) => waitsForEveryFile(j.server));
    const routes = [...new Set(waiting.map((j) => j.dist))].map((dist) => ({
      dist,
      servers: waiting.filter((j) => j.dist === dist).map((j) => j.server),
    }));
    try {
      await refuseBeforeSending(routes, "upload");
      return undefined;
    } catch (error) {
      if (!(error instanceof PkgpushError)) throw error;
      return `held back: PyPI's rules refuse a file of this sync: ${firstLine(error)}`;
    }
  }

  private notDownloaded(reason: string, code: string): Outcome {
    return {
      status: "not-sent",
      reason: `not downloaded from ${this.source}: ${reason}`,
      code: downloadCode(code),
    };
  }
}

/** `hash-mismatch`, `interrupted` or `download` (network, status, size). */
export function downloadCode(code: string): "hash-mismatch" | "interrupted" | "download" {
  if (code === "HASH_MISMATCH") return "hash-mismatch";
  if (code === "ABORTED") return "interrupted";
  return "download";
}
