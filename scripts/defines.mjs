// @ts-check
// The constants esbuild replaces in src/ (declared in src/globals.d.ts): one definition for the
// CLI build, the Action build and vitest.config.ts, so tests import src/ as the bundles see it.
import { readFileSync } from "node:fs";

/** @returns {Record<string, string>} esbuild/vite `define` entries (values are JS source text). */
export function buildDefines() {
  const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
  return { PKGPUSH_VERSION: JSON.stringify(String(pkg.version)) };
}
