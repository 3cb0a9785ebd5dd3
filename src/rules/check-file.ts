/**
 * One file's verdict for `pkgpush check` and the upload preflight: inspection (the file must be
 * a readable distribution whose name agrees with its metadata), then the rules: `pypi` is PyPI's
 * full verdict (verdict.ts); `basic` is what pkgpush refuses for every server (metadata that is
 * broken for every index and installer).
 */

import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { displayPath, inspectDistribution } from "../distributions/inspect.js";
import { metadataProblems } from "../distributions/metadata-rules.js";
import type { Distribution } from "../distributions/types.js";
import { InterruptedError, PkgpushError } from "../errors.js";
import { contentVerdict } from "./archive-rules.js";
import { readOnce } from "./one-pass.js";
import { type DescriptionThread, renderHere } from "./readme/description-thread.js";
import {
  fileVerdict,
  formChecks,
  isVerdict,
  type PypiVerdict,
  type RuleResult,
  renderedVerdict,
} from "./verdict.js";
import type { YaraJob } from "./yara.js";

export type RuleSet = "pypi" | "basic";

export interface FileVerdict {
  file: string;
  verdict: "pass" | "fail";
  /** The first rule that refuses the file, with its message (Warehouse's for PyPI's rules). */
  refusal?: RuleResult;
  warnings: RuleResult[];
  notJudged: RuleResult[];
  dist?: Distribution;
}

/** The file's verdict from PyPI's (the project is new there: a refused name is its verdict). */
function fromPypi(file: string, dist: Distribution, v: PypiVerdict): FileVerdict {
  // Warehouse judges a new project's name before the rest: that is the verdict for a new project.
  const [byName] = v.newProjectOnly;
  const refusal = byName ?? v.refusal;
  const notJudged = byName
    ? [
        ...v.notJudged,
        {
          rule: "project-name",
          message: `refused only while the project is new on PyPI; an existing project: ${v.refusal ? `${v.refusal.rule}: ${v.refusal.message}` : "the other rules pass"}`,
        },
      ]
    : v.notJudged;
  return {
    file,
    dist,
    verdict: refusal ? "fail" : "pass",
    ...(refusal ? { refusal } : {}),
    warnings: refusal ? [] : v.warnings,
    notJudged,
  };
}

/** A file whose archive has been read; its verdict may still wait for its description. */
interface Started {
  verdict: Promise<FileVerdict>;
}

/** A verdict known at once. */
const known = (verdict: FileVerdict): Started => ({ verdict: Promise.resolve(verdict) });

/** A failed file's verdict: one refusal, nothing else judged. */
const failed = (file: string, refusal: RuleResult, dist?: Distribution): FileVerdict => ({
  file,
  ...(dist ? { dist } : {}),
  verdict: "fail",
  refusal,
  warnings: [],
  notJudged: [],
});

/**
 * Checks one distribution; resolves once its archive has been read (the caller may close it).
 * With a description thread, the description is rendered there while the archive is read here;
 * Warehouse's order decides as before: a description that does not render is the verdict
 * whatever the file's rules say (they were judged for nothing).
 */
async function startCheck(
  dist: Distribution,
  rules: RuleSet,
  pre: Parameters<typeof fileVerdict>[2],
  thread: DescriptionThread | undefined,
): Promise<Started> {
  const file = displayPath(dist.path);
  const basic = metadataProblems(dist.metadata).find((p) => p.scope === "all");
  // What pkgpush refuses for every server is never sent, to PyPI either.
  if (basic)
    return known(
      failed(file, { rule: `metadata:${basic.field.toLowerCase()}`, message: basic.reason }, dist),
    );
  if (rules === "basic") return known({ file, dist, verdict: "pass", warnings: [], notJudged: [] });
  const part = formChecks(dist);
  if (isVerdict(part)) return known(fromPypi(file, dist, part));
  const rendering = thread
    ? thread.check(part.description, part.contentType)
    : renderHere(part.description, part.contentType);
  // The zip's YARA members are scanned on the thread too; this resolves once the archive is
  // no longer read, so the caller can release it and go on while the thread answers.
  let read = (): void => undefined;
  const archiveRead = new Promise<void>((resolve) => {
    read = resolve;
  });
  const scan = thread && {
    scan: (job: YaraJob) => thread.scanYara(job),
    framing: (fd: number, size: number) => thread.framing(fd, size),
    read,
    behind: () => thread.behind(),
  };
  const content = fileVerdict(dist, part, pre, scan).then(
    (v) => ({ v }),
    (error: unknown) => ({ error }),
  );
  await Promise.race([archiveRead, content]);
  const verdict = Promise.all([rendering, content]).then(([r, content]) => {
    const first = renderedVerdict(part, r);
    if (first.verdict === "refuse") return fromPypi(file, dist, first);
    if ("error" in content) throw content.error;
    return fromPypi(file, dist, content.v);
  });
  return { verdict };
}

/** Warehouse's archive refusal for a file inspection could not read, when it has one. */
async function archiveRefusal(path: string): Promise<RuleResult | undefined> {
  const name = basename(path);
  if (!/\.(whl|zip|tar\.gz)$/.test(name)) return undefined;
  try {
    const { size } = await stat(path);
    return (await contentVerdict(path, name, size)).refusal;
  } catch {
    return undefined;
  }
}

/** Inspect, then check; a file that cannot be inspected fails with pkgpush's reason. */
async function checkFile(
  path: string,
  rules: RuleSet,
  thread: DescriptionThread | undefined,
): Promise<Started> {
  const once = await readOnce(path);
  if (once) {
    try {
      return await startCheck(once.dist, rules, once.pre, thread);
    } finally {
      await once.close();
    }
  }
  let dist: Distribution;
  try {
    dist = await inspectDistribution(path);
  } catch (error) {
    if (!(error instanceof PkgpushError)) throw error;
    const file = displayPath(path);
    // An archive pkgpush cannot read may still be one Warehouse refuses in its own words.
    const archive = rules === "pypi" ? await archiveRefusal(path) : undefined;
    if (archive) return known(failed(file, archive));
    const message = error.message.startsWith(`${file}: `)
      ? error.message.slice(file.length + 2)
      : error.message;
    return known(failed(file, { rule: "inspect", message }));
  }
  return startCheck(dist, rules, {}, thread);
}

/** How long the file loop runs before it lets the event loop turn. */
const YIELD_MS = 50;

export interface CheckFilesOptions {
  /** Files read at once (default 8). */
  concurrency?: number;
  /** Where descriptions are rendered while the archives are read (default: this thread). */
  thread?: DescriptionThread;
  /** Stops claiming files; the run ends with InterruptedError. */
  signal?: AbortSignal;
}

/** Check every file, `concurrency` at a time, keeping the input order. */
export async function checkFiles(
  paths: string[],
  rules: RuleSet,
  options: CheckFilesOptions = {},
): Promise<FileVerdict[]> {
  const { concurrency = 8, thread, signal } = options;
  const results: Array<Promise<FileVerdict>> = new Array(paths.length);
  let next = 0;
  let yielded = Date.now();
  const worker = async () => {
    while (next < paths.length && !signal?.aborted) {
      // Reading is synchronous: without a turn of the event loop now and then, Ctrl-C (and the
      // description thread's answers) would wait for the last file.
      if (Date.now() - yielded > YIELD_MS) {
        await new Promise((resolve) => setImmediate(resolve));
        yielded = Date.now();
        continue;
      }
      await thread?.room();
      if (next >= paths.length || signal?.aborted) break;
      const i = next++;
      const { verdict } = await checkFile(paths[i] as string, rules, thread);
      // Awaited below, in order; a verdict left behind by an interruption fails nobody.
      verdict.catch(() => undefined);
      results[i] = verdict;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  // Every archive is read: the thread's backlog of scans and walks is shared out from the end.
  while (!signal?.aborted && thread?.takeBack())
    await new Promise((resolve) => setImmediate(resolve));
  if (signal?.aborted)
    throw new InterruptedError(
      `interrupted: ${next} of ${paths.length} file(s) read, no verdicts printed; run the check again`,
    );
  return Promise.all(results);
}
