/**
 * The report of `pkgpush check` (`--json`, and the Node API's `check`): each file's verdict
 * under PyPI's rules (or the basic ones), the rule and message that refuse it, warnings, what
 * was not judged, and the totals.
 */
import { collectFiles } from "../distributions/collect.js";
import { UsageError } from "../errors.js";
import { checkFiles, type FileVerdict, type RuleSet } from "./check-file.js";
import { takeDescriptionThread } from "./readme/description-thread.js";
import type { RuleResult } from "./verdict.js";

export interface CheckOptions {
  /** `pypi` (default): PyPI's upload rules; `basic`: what every index refuses. */
  rules?: RuleSet;
  /** Warnings (what PyPI accepts but e-mails the owners about) fail too. */
  strict?: boolean;
  cwd?: string;
  /** Stops the check (InterruptedError): Ctrl-C in the CLI. */
  signal?: AbortSignal;
}

export interface CheckedFile {
  file: string;
  verdict: "pass" | "fail";
  rule: string | null;
  message: string | null;
  /** Why, where Warehouse's message does not say (the description's first docutils problem). */
  detail?: string;
  warnings: RuleResult[];
  notJudged: RuleResult[];
}

export interface CheckReport {
  schema: "pkgpush-check/1";
  rules: RuleSet;
  strict: boolean;
  files: CheckedFile[];
  summary: { files: number; passed: number; failed: number; warnings: number };
}

function strictly(v: FileVerdict, strict: boolean): FileVerdict {
  if (!strict || v.verdict === "fail" || v.warnings.length === 0) return v;
  return { ...v, verdict: "fail", refusal: v.warnings[0] };
}

/** Checks the files (paths, folders, globs; default dist/*), a few at a time. */
export async function checkReport(
  paths: string[],
  options: CheckOptions = {},
): Promise<CheckReport> {
  const rules = options.rules ?? "pypi";
  if (rules !== "pypi" && rules !== "basic")
    throw new UsageError(`rules ${JSON.stringify(rules)}: expected pypi or basic`);
  const strict = options.strict ?? false;
  // PyPI's rules render each description: on a second thread, while this one reads the archives.
  const thread = rules === "pypi" ? takeDescriptionThread() : undefined;
  let checked: FileVerdict[];
  try {
    const files = await collectFiles(
      paths.length > 0 ? paths : ["dist/*"],
      options.cwd ?? process.cwd(),
    );
    checked = await checkFiles(files, rules, {
      ...(thread ? { thread } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } finally {
    await thread?.close();
  }
  const results = checked.map((r) => strictly(r, strict));
  const failed = results.filter((r) => r.verdict === "fail").length;
  return {
    schema: "pkgpush-check/1",
    rules,
    strict,
    files: results.map((r) => ({
      file: r.file,
      verdict: r.verdict,
      rule: r.refusal?.rule ?? null,
      message: r.refusal?.message ?? null,
      ...(r.refusal?.detail ? { detail: r.refusal.detail } : {}),
      warnings: r.warnings,
      notJudged: r.notJudged,
    })),
    summary: {
      files: results.length,
      passed: results.length - failed,
      failed,
      warnings: results.reduce((n, r) => n + r.warnings.length, 0),
    },
  };
}
