/**
 * `pkgpush check [FILES...]`: PyPI's verdict on each file before any server gets a byte (or the
 * basic rules every index shares). A table, or `--json`; exit 0 when all pass, 1 when some fail,
 * 2 for bad input.
 */
import { collectFiles } from "../distributions/collect.js";
import { ExitCode, UsageError } from "../errors.js";
import { out } from "../report/redact.js";
import { checkFiles, type FileVerdict, type RuleSet } from "../rules/check-file.js";

export interface CheckOptions {
  json?: boolean;
  strict?: boolean;
  rules?: string;
}

/** `--strict`: what PyPI mails the owners about fails too. */
function strictly(v: FileVerdict, strict: boolean): FileVerdict {
  if (!strict || v.verdict === "fail" || v.warnings.length === 0) return v;
  return { ...v, verdict: "fail", refusal: v.warnings[0] };
}

function tableLines(results: FileVerdict[]): string[] {
  const lines: string[] = [];
  const width = Math.max(...results.map((r) => r.file.length));
  for (const r of results) {
    const head = `${r.file.padEnd(width)}  ${r.verdict === "pass" ? "PASS" : "FAIL"}`;
    lines.push(r.refusal ? `${head}  ${r.refusal.rule}: ${r.refusal.message}` : head);
    for (const w of r.warnings)
      lines.push(`${" ".repeat(width)}  warning  ${w.rule}: ${w.message}`);
    for (const n of r.notJudged)
      lines.push(`${" ".repeat(width)}  not judged  ${n.rule}: ${n.message}`);
  }
  return lines;
}

export async function check(paths: string[], opts: CheckOptions, cwd: string): Promise<number> {
  const rules = (opts.rules ?? "pypi") as RuleSet;
  if (rules !== "pypi" && rules !== "basic")
    throw new UsageError(`--rules ${opts.rules}: expected pypi or basic`);
  const files = await collectFiles(paths.length > 0 ? paths : ["dist/*"], cwd);
  const results = (await checkFiles(files, rules)).map((r) => strictly(r, opts.strict ?? false));
  const failed = results.filter((r) => r.verdict === "fail").length;
  const warned = results.reduce((n, r) => n + r.warnings.length, 0);
  if (opts.json) {
    out(
      `${JSON.stringify(
        {
          rules,
          strict: opts.strict ?? false,
          files: results.map(({ dist: _dist, ...r }) => ({
            file: r.file,
            verdict: r.verdict,
            rule: r.refusal?.rule ?? null,
            message: r.refusal?.message ?? null,
            warnings: r.warnings,
            notJudged: r.notJudged,
          })),
          summary: {
            files: results.length,
            passed: results.length - failed,
            failed,
            warnings: warned,
          },
        },
        null,
        2,
      )}\n`,
    );
  } else {
    for (const line of tableLines(results)) out(`${line}\n`);
    out(
      `${results.length} file(s): ${results.length - failed} pass, ${failed} fail${warned ? `, ${warned} warning(s)` : ""}\n`,
    );
  }
  return failed > 0 ? ExitCode.failed : ExitCode.ok;
}
