#!/usr/bin/env node
// @ts-check
/**
 * Survey: real distribution files through PyPI's own upload code, sent by pkgpush.
 *
 *   node scripts/warehouse-survey.mjs [--max-mib N] [--json FILE] PATH...
 *
 * For every wheel, sdist and egg under PATH (deduplicated by file name, at most N MiB, default
 * 20): ../shared/warehouse/judge gives PyPI's verdict on the form twine 7 sends; the built CLI
 * (npm run build) uploads the file to ../shared/warehouse/serve (Warehouse's file_upload). Prints
 * the counts and every file judge accepts that serve refused from pkgpush (there should be none).
 * `pkgpush check --json` then predicts each verdict: it must be serve's answer to pkgpush's
 * request for every file sent (verdict and message), and judge's verdict for the others.
 */
import { execFile, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "..");
const args = process.argv.slice(2);
/** @type {(name: string, fallback: string | undefined) => string | undefined} */
const option = (name, fallback) => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const [value] = args.splice(i, 2).slice(1);
  return value;
};
const maxBytes = Number(option("--max-mib", "20")) * 1024 * 1024;
const jsonOut = option("--json", undefined);
const shared = [process.env.PKGPUSH_SHARED_DIR, join(root, "../shared"), "/work/shared"]
  .filter((d) => d !== undefined && d !== "")
  .map((d) => join(/** @type {string} */ (d), "warehouse"))
  .find((d) => existsSync(join(d, "serve")));
if (!shared) {
  console.error("warehouse-survey: ../shared/warehouse not found");
  process.exit(2);
}

/** A distribution's file name: `name-version...` and a distribution extension. */
const DIST = /^[A-Za-z0-9][^/]*-[0-9][^/]*\.(whl|egg|tar\.gz|zip|tar\.bz2)$/;
/** @param {string} path @param {Map<string, string>} out file name -> path */
function collect(path, out) {
  const info = statSync(path);
  if (info.isDirectory()) {
    for (const entry of readdirSync(path)) collect(join(path, entry), out);
  } else if (DIST.test(basename(path)) && info.size <= maxBytes && !out.has(basename(path))) {
    out.set(basename(path), resolve(path));
  }
}
/** @type {Map<string, string>} */
const byName = new Map();
for (const p of args) collect(p, byName);
const files = [...byName.values()].sort();
console.error(`warehouse-survey: ${files.length} files`);

// PyPI's verdict for twine 7's form, 100 files per judge run.
const verdicts = new Map();
for (let i = 0; i < files.length; i += 100) {
  console.error(`warehouse-survey: judge ${i}/${files.length}`);
  const { stdout } = await run(join(shared, "judge"), files.slice(i, i + 100), {
    maxBuffer: 256 * 1024 * 1024,
  });
  for (const line of stdout.split("\n").filter(Boolean)) {
    const v = JSON.parse(line);
    verdicts.set(v.file, v);
  }
}

const log = join(mkdtempSync(join(tmpdir(), "warehouse-survey-")), "requests.jsonl");
const serve = spawn(join(shared, "serve"), ["--port", "0", "--no-remember", "--log", log], {
  stdio: ["ignore", "pipe", "ignore"],
});
// Stopped whatever way this script ends (an error included).
process.on("exit", () => serve.kill("SIGTERM"));
for (const signal of ["SIGINT", "SIGTERM"])
  process.on(signal, () => {
    serve.kill("SIGTERM");
    process.exit(130);
  });
const port = await new Promise((ok) => {
  let out = "";
  serve.stdout.on("data", (d) => {
    out += d;
    const m = /127\.0\.0\.1:(\d+)/.exec(out);
    if (m) ok(m[1]);
  });
});
const url = `http://127.0.0.1:${port}/legacy/`;

// Upload in batches; files refused before sending are noted and the batch re-run without them.
const refusedBeforeSending = new Map();
const cli = join(root, "bin/pkgpush.cjs");
for (let i = 0; i < files.length; i += 40) {
  console.error(`warehouse-survey: upload ${i}/${files.length}`);
  let batch = files.slice(i, i + 40);
  while (batch.length > 0) {
    const r = await run(
      process.execPath,
      [cli, "upload", "--repository-url", url, "-u", "u", "-p", "p", "--no-check", "-q", ...batch],
      { env: { ...process.env, CI: "true" }, maxBuffer: 64 * 1024 * 1024, cwd: dirname(log) },
    ).then(
      () => ({ code: 0, stderr: "" }),
      (e) => ({ code: e.code, stderr: String(e.stderr) }),
    );
    if (r.code !== 2) break;
    const bad = batch.filter((f) => r.stderr.includes(f));
    if (bad.length === 0) throw new Error(`pkgpush exit 2 without naming a file:\n${r.stderr}`);
    for (const f of bad) {
      const line = r.stderr.split("\n").find((l) => l.includes(f)) ?? "";
      refusedBeforeSending.set(f, line.replace(/^.*?error: /, ""));
    }
    batch = batch.filter((f) => !bad.includes(f));
  }
}
serve.kill("SIGTERM");

const answers = new Map();
for (const line of readFileSync(log, "utf8").split("\n").filter(Boolean)) {
  const entry = JSON.parse(line);
  for (const part of entry.fields?.content ?? []) answers.set(part.filename, entry);
}

// pkgpush check's prediction for every file, 200 files per run.
const predicted = new Map();
for (let i = 0; i < files.length; i += 200) {
  console.error(`warehouse-survey: check ${i}/${files.length}`);
  const r = await run(process.execPath, [cli, "check", "--json", ...files.slice(i, i + 200)], {
    maxBuffer: 256 * 1024 * 1024,
  }).catch((e) => e);
  for (const f of JSON.parse(String(r.stdout)).files) predicted.set(basename(f.file), f);
}

const rows = files.map((file) => {
  const v = verdicts.get(file);
  const a = answers.get(basename(file));
  const c = predicted.get(basename(file));
  return {
    file,
    check: c?.verdict,
    checkRule: c?.rule ?? null,
    checkMessage: c?.message ?? null,
    judge: v?.verdict,
    judgeMessage: v?.message ?? null,
    pkgpush: a ? (a.status === 200 ? "accept" : "refuse") : "not-sent",
    pkgpushMessage: a
      ? a.status === 200
        ? null
        : a.detail
      : (refusedBeforeSending.get(file) ?? null),
  };
});
/** @param {(row: (typeof rows)[number]) => boolean} f */
const count = (f) => rows.filter(f).length;
/**
 * check's verdict against PyPI's answer to pkgpush's request (sent) or to twine's (not sent).
 * @param {(typeof rows)[number]} r
 */
function checkAgrees(r) {
  const sent = r.pkgpush !== "not-sent";
  const pypi = sent ? r.pkgpush : r.judge;
  const verdict = pypi === "accept" ? "pass" : "fail";
  if (verdict !== r.check) return "verdict";
  if (sent && verdict === "fail" && setsSorted(r.pkgpushMessage) !== setsSorted(r.checkMessage))
    return "message";
  return "same";
}
/**
 * Python formats sets in hash order (randomised per process): their items sorted.
 * @param {string | null | undefined} message
 */
function setsSorted(message) {
  return (
    message?.replace(
      /\[('[^']*'(?:, '[^']*')*)\]/g,
      (/** @type {string} */ _m, /** @type {string} */ list) =>
        `[${list.split(", ").sort().join(", ")}]`,
    ) ?? null
  );
}
const agreement = rows.map((r) => ({ ...r, agreement: checkAgrees(r) }));
const summary = {
  files: rows.length,
  judgeAccepts: count((r) => r.judge === "accept"),
  serveAcceptsPkgpush: count((r) => r.pkgpush === "accept"),
  judgeAcceptsServeRefuses: rows.filter((r) => r.judge === "accept" && r.pkgpush !== "accept"),
  serveAcceptsJudgeRefuses: rows.filter((r) => r.judge !== "accept" && r.pkgpush === "accept"),
  refusedBeforeSending: count((r) => r.pkgpush === "not-sent"),
  check: {
    sameVerdictAndMessage: agreement.filter((r) => r.agreement === "same").length,
    differentVerdict: agreement.filter((r) => r.agreement === "verdict"),
    differentMessage: agreement.filter((r) => r.agreement === "message"),
  },
};
if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary, rows }, null, 1));
console.log(
  JSON.stringify(
    {
      ...summary,
      judgeAcceptsServeRefuses: summary.judgeAcceptsServeRefuses,
      check: {
        ...summary.check,
        differentVerdict: summary.check.differentVerdict.map((r) => basename(r.file)),
        differentMessage: summary.check.differentMessage.map((r) => ({
          file: basename(r.file),
          pypi: r.pkgpushMessage,
          check: r.checkMessage,
        })),
      },
      serveAcceptsJudgeRefuses: summary.serveAcceptsJudgeRefuses.map((r) => ({
        file: basename(r.file),
        judge: r.judgeMessage,
      })),
    },
    null,
    1,
  ),
);
process.exit(
  summary.judgeAcceptsServeRefuses.length === 0 &&
    summary.check.differentVerdict.length === 0 &&
    summary.check.differentMessage.length === 0
    ? 0
    : 1,
);
