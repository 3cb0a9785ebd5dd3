// Bundles the CLI (and the test index server used by the demo) with esbuild: one small entry
// file plus lazily loaded chunks keeps `pkgpush --version` close to bare Node start-up.
import { readFileSync, rmSync } from "node:fs";
import { build } from "esbuild";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });

await build({
  entryPoints: { cli: "src/cli.ts", "index-server": "test/server/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  sourcemap: true,
  // Native addon: loaded from node_modules at run time, and optional.
  external: ["@napi-rs/keyring"],
  define: { PKGPUSH_VERSION: JSON.stringify(pkg.version) },
  banner: {
    // Bundled CommonJS dependencies may call require(); give them one.
    js: "import { createRequire as __pkgpushCreateRequire } from 'node:module'; const require = __pkgpushCreateRequire(import.meta.url);",
  },
  logLevel: "warning",
});
