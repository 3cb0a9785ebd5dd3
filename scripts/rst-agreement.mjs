#!/usr/bin/env node
// Measures how often pkgpush's description verdict (src/rules/readme) agrees with docutils under
// readme_renderer's settings - the code PyPI runs - on a corpus of real reST built from this
// machine (scripts/rst-corpus.py: descriptions of real wheels and installed packages, READMEs,
// docutils' own documents, and realistic broken variants of them), judged by scripts/rst-oracle.py.
//
//   node scripts/rst-agreement.mjs [--site DIR] [--list] [--corpus FILE]
//
// --site    the Warehouse site (default: ../shared/warehouse/site beside the checkout, also from a
//           git worktree); needs /usr/bin/python3 with Debian's python3-docutils dependencies.
// --list    print every disagreement (id, docutils' message, pkgpush's reason).
// --corpus  reuse a corpus file (JSON lines) instead of rebuilding it.
// Prints corpus size per source, agreement, false refusals (pkgpush says "fails", docutils
// renders) and false passes, and pkgpush's time per document. Exit 1 on any false refusal.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { build } from "esbuild";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values: opts } = parseArgs({
  options: { site: { type: "string" }, list: { type: "boolean" }, corpus: { type: "string" } },
});

function findSite() {
  const candidates = [
    opts.site,
    process.env.PKGPUSH_SHARED_DIR && join(process.env.PKGPUSH_SHARED_DIR, "warehouse/site"),
  ];
  candidates.push(resolve(ROOT, "../shared/warehouse/site"));
  try {
    const gitdir = /^gitdir: (.*)\/\.git\/worktrees\//m.exec(
      readFileSync(join(ROOT, ".git"), "utf8"),
    );
    if (gitdir?.[1]) candidates.push(resolve(gitdir[1], "../shared/warehouse/site"));
  } catch {
    // a plain clone
  }
  return candidates.find((c) => c && existsSync(join(c, "readme_renderer")));
}

/** @param {string} script @param {string[]} args @param {string} [input] */
function python(script, args, input) {
  const r = spawnSync("/usr/bin/python3", [join(ROOT, "scripts", script), ...args], {
    input,
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  if (r.stderr) process.stderr.write(r.stderr);
  return r.stdout;
}

const site = findSite();
if (!site) {
  console.error(
    "rst-agreement: no Warehouse site (readme_renderer + docutils) found; pass --site DIR",
  );
  process.exit(2);
}
const corpusText = opts.corpus
  ? readFileSync(opts.corpus, "utf8")
  : python("rst-corpus.py", ["--site", site]);
const corpus = corpusText
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l));
const oracle = new Map(
  python("rst-oracle.py", ["--site", site], corpusText)
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l))
    .map((o) => [o.id, o]),
);

const dir = mkdtempSync(join(tmpdir(), "pkgpush-rst-"));
try {
  const bundle = join(dir, "readme.mjs");
  await build({
    entryPoints: [join(ROOT, "src/rules/readme/index.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    outfile: bundle,
    logLevel: "error",
  });
  const { checkDescription } = await import(pathToFileURL(bundle).href);
  /** @type {Record<string, number>} */
  const bySource = {};
  /** @type {{ refusals: string[][], passes: string[][] }} */
  const wrong = { refusals: [], passes: [] };
  let agree = 0;
  let failing = 0;
  const t0 = performance.now();
  for (const doc of corpus) {
    const v = checkDescription(doc.text, doc.contentType ?? undefined);
    const o = oracle.get(doc.id);
    bySource[doc.source] = (bySource[doc.source] ?? 0) + 1;
    if (!o.ok) failing++;
    if (v.ok === o.ok) agree++;
    else if (!v.ok) wrong.refusals.push([doc.id, o.message, v.reason]);
    else wrong.passes.push([doc.id, o.message, ""]);
  }
  const ms = performance.now() - t0;
  const mb = corpus.reduce((n, d) => n + d.text.length, 0) / 1e6;
  const pct = ((100 * agree) / corpus.length).toFixed(2);
  console.log(
    `corpus: ${corpus.length} reST documents (${mb.toFixed(1)} MB); ${JSON.stringify(bySource)}`,
  );
  console.log(`docutils refuses ${failing}, renders ${corpus.length - failing}`);
  console.log(
    `agreement: ${agree}/${corpus.length} (${pct}%); false refusals: ${wrong.refusals.length}; false passes: ${wrong.passes.length}`,
  );
  console.log(
    `pkgpush: ${ms.toFixed(0)} ms for the corpus (${(ms / corpus.length).toFixed(2)} ms per document)`,
  );
  if (opts.list) {
    for (const [id, , ours] of wrong.refusals)
      console.log(`FALSE REFUSAL ${id}\n  docutils: renders\n  pkgpush: ${ours}`);
    for (const [id, theirs] of wrong.passes)
      console.log(`FALSE PASS ${id}\n  docutils: ${theirs || "(no message)"}`);
  }
  process.exitCode = wrong.refusals.length > 0 ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
