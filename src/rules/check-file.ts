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
import { PkgpushError } from "../errors.js";
import { contentVerdict } from "./archive-rules.js";
import { readOnce } from "./one-pass.js";
import { pypiVerdict, type RuleResult } from "./verdict.js";

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

export async function checkDistribution(
  dist: Distribution,
  rules: RuleSet,
  pre: Parameters<typeof pypiVerdict>[1] = {},
): Promise<FileVerdict> {
  const file = displayPath(dist.path);
  const basic = metadataProblems(dist.metadata).find((p) => p.scope === "all");
  // What pkgpush refuses for every server is never sent, to PyPI either.
  if (rules === "basic" || basic) {
    return {
      file,
      dist,
      verdict: basic ? "fail" : "pass",
      ...(basic
        ? { refusal: { rule: `metadata:${basic.field.toLowerCase()}`, message: basic.reason } }
        : {}),
      warnings: [],
      notJudged: [],
    };
  }
  const v = await pypiVerdict(dist, pre);
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
export async function checkFile(path: string, rules: RuleSet): Promise<FileVerdict> {
  const once = await readOnce(path);
  if (once) {
    try {
      return await checkDistribution(once.dist, rules, once.pre);
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
    if (archive) return { file, verdict: "fail", refusal: archive, warnings: [], notJudged: [] };
    const message = error.message.startsWith(`${file}: `)
      ? error.message.slice(file.length + 2)
      : error.message;
    return {
      file,
      verdict: "fail",
      refusal: { rule: "inspect", message },
      warnings: [],
      notJudged: [],
    };
  }
  return checkDistribution(dist, rules);
}

/** Check every file, `concurrency` at a time, keeping the input order. */
export async function checkFiles(
  paths: string[],
  rules: RuleSet,
  concurrency = 8,
): Promise<FileVerdict[]> {
  const results: FileVerdict[] = new Array(paths.length);
  let next = 0;
  const worker = async () => {
    while (next < paths.length) {
      const i = next++;
      results[i] = await checkFile(paths[i] as string, rules);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, paths.length) }, worker));
  return results;
}
