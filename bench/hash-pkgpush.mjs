#!/usr/bin/env node
// Measures pkgpush's own digest code (src/distributions/digests.ts, whatever it does today): the
// file is bundled with esbuild (as scripts/build.mjs does) into a small runner that hashes one
// file and prints {"candidate":"pkgpush","ms","sha256","blake2_256"} (md5 is not computed unless a
// server asks for it) like
// bench/hash-candidates.mjs. bench/run.mjs builds the runner once per run.
//
//   node bench/hash-pkgpush.mjs FILE      build into a temporary folder, hash FILE, clean up
//
// If digests.ts ever starts workers from a separate module file, add that file to the entry
// points below (the runner is bundled into one file otherwise).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/**
 * Bundles the runner into `outDir` (which should sit inside the project, for node_modules).
 * @param {string} outDir
 * @returns {Promise<string>} the runner's path
 */
export async function buildDigestRunner(outDir) {
  const { build } = await import("esbuild");
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const source = join(ROOT, "src/distributions/digests.ts");
  const contents = `
import { computeDigests } from ${JSON.stringify(source)};
const file = process.argv[2];
const started = performance.now();
const d = await computeDigests(file);
const ms = Math.round(performance.now() - started);
process.stdout.write(JSON.stringify({ candidate: "pkgpush", ms, sha256: d.sha256, blake2_256: d.blake2_256, md5: d.md5 }) + "\\n");
`;
  const outfile = join(outDir, "hash-pkgpush-runner.js");
  await build({
    stdin: { contents, resolveDir: ROOT, sourcefile: "bench-digests-entry.ts", loader: "ts" },
    outfile,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    external: ["@napi-rs/keyring"],
    define: { PKGPUSH_VERSION: JSON.stringify(pkg.version) },
    banner: {
      js: "import { createRequire as __pkgpushCreateRequire } from 'node:module'; const require = __pkgpushCreateRequire(import.meta.url);",
    },
    logLevel: "warning",
  });
  // digests.ts starts its BLAKE2b worker from ./blake2b-worker.js beside the bundle (as in dist/).
  await build({
    entryPoints: [join(ROOT, "src/distributions/blake2b-worker.js")],
    outfile: join(outDir, "blake2b-worker.js"),
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    logLevel: "warning",
  });
  return outfile;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node bench/hash-pkgpush.mjs FILE\n");
    process.exit(2);
  }
  const dir = mkdtempSync(join(ROOT, "bench", ".hash-pkgpush-"));
  try {
    const runner = await buildDigestRunner(dir);
    const { execFileSync } = await import("node:child_process");
    process.stdout.write(execFileSync(process.execPath, [runner, resolve(file)]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
