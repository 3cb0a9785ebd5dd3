/**
 * `pkgpush check [FILES...]`: PyPI's verdict on each file before any server gets a byte (or the
 * basic rules every index shares). A table, or `--json`; exit 0 when all pass, 1 when some fail,
 * 2 for bad input.
 */
import { ExitCode } from "../errors.js";
import type { RuleSet } from "../rules/check-file.js";
import { type CheckedFile, checkReport } from "../rules/check-report.js";
import { out } from "./output.js";

export interface CheckFlags {
  json?: boolean;
  strict?: boolean;
  rules?: string;
}

function tableLines(files: CheckedFile[]): string[] {
  const lines: string[] = [];
  const width = Math.max(...files.map((r) => r.file.length));
  const pad = " ".repeat(width);
  for (const r of files) {
    const head = `${r.file.padEnd(width)}  ${r.verdict === "pass" ? "PASS" : "FAIL"}`;
    lines.push(r.rule ? `${head}  ${r.rule}: ${r.message}` : head);
    if (r.detail) lines.push(`${pad}  why  ${r.detail}`);
    for (const w of r.warnings) lines.push(`${pad}  warning  ${w.rule}: ${w.message}`);
    for (const n of r.notJudged) lines.push(`${pad}  not judged  ${n.rule}: ${n.message}`);
  }
  return lines;
}

export async function check(
  paths: string[],
  flags: CheckFlags,
  cwd: string,
  signal?: AbortSignal,
): Promise<number> {
  const report = await checkReport(paths, {
    rules: (flags.rules ?? "pypi") as RuleSet,
    strict: flags.strict ?? false,
    cwd,
    ...(signal ? { signal } : {}),
  });
  if (flags.json) out(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const line of tableLines(report.files)) out(`${line}\n`);
    const { files, passed, failed, warnings } = report.summary;
    out(
      `${files} file(s): ${passed} pass, ${failed} fail${warnings ? `, ${warnings} warning(s)` : ""}\n`,
    );
  }
  return report.summary.failed > 0 ? ExitCode.failed : ExitCode.ok;
}
