// @ts-check
// The Node API's type declarations: tsc emits a .d.ts for every module src/index.ts reaches into a
// temporary folder; the ones the API's types really reach (following the imports of the .d.ts
// files themselves) are copied to dist/types/. A reachable declaration that imports a package
// fails the build: the package ships no dependencies, so a consumer could not resolve it.
// `node scripts/build-types.mjs [OUTDIR]` (default dist/types). Run by `npm pack` (prepack).
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));

/** Module specifiers of a declaration file: import/export ... from "x", import("x"). */
/** @param {string} text */
function specifiers(text) {
  /** @type {string[]} */
  const found = [];
  for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)["']([^"']+)["']/g)) {
    found.push(/** @type {string} */ (m[1]));
  }
  return found;
}

/** @param {string} [outdir] */
export function buildTypes(outdir = "dist/types") {
  const out = resolve(root, outdir);
  const tmp = mkdtempSync(join(tmpdir(), "pkgpush-types-"));
  try {
    emitReachable(tmp, out);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * @param {string} tmp
 * @param {string} out
 */
function emitReachable(tmp, out) {
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  execFileSync(process.execPath, [tsc, "-p", "tsconfig.types.json", "--outDir", tmp], {
    cwd: root,
    stdio: "inherit",
  });
  /** @type {Set<string>} */
  const seen = new Set();
  /** @type {string[]} */
  const problems = [];
  const queue = [join(tmp, "index.d.ts")];
  /** Who imported each file first: the chain is named in errors. @type {Map<string, string>} */
  const parent = new Map();
  /** @param {string} file */
  const chain = (file) => {
    const names = [];
    for (let f = /** @type {string | undefined} */ (file); f; f = parent.get(f)) {
      names.unshift(relative(tmp, f));
    }
    return names.join(" -> ");
  };
  while (queue.length > 0) {
    const file = /** @type {string} */ (queue.pop());
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of specifiers(readFileSync(file, "utf8"))) {
      if (spec.startsWith("node:")) continue;
      if (!spec.startsWith(".")) {
        problems.push(`${chain(file)} imports the package '${spec}'`);
        continue;
      }
      const target = resolve(dirname(file), spec.replace(/\.js$/, ".d.ts"));
      if (!existsSync(target)) problems.push(`${relative(tmp, file)}: ${spec} not emitted`);
      else {
        if (!parent.has(target) && !seen.has(target)) parent.set(target, file);
        queue.push(target);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(`the API's declarations are not self-contained:\n  ${problems.join("\n  ")}`);
  }
  rmSync(out, { recursive: true, force: true });
  for (const file of seen) {
    const target = join(out, relative(tmp, file));
    mkdirSync(dirname(target), { recursive: true });
    cpSync(file, target);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) buildTypes(process.argv[2]);
