// @ts-check
// Bundles pkgpush with esbuild.
//   dist/   what the npm package ships: the CLI (one small entry plus lazily loaded chunks, so
//           `pkgpush --version` stays close to bare Node start-up), the Node API (index.js, and
//           its declarations in types/ for releases: scripts/build-types.mjs), the BLAKE2b
//           worker, and the licences of the bundled dependencies. Self-contained: nothing is resolved from
//           node_modules at run time except the optional native keyring.
//   build/  development only: the test index server (demo, tests). Never packed.
// Source maps are written for development builds; `--release` (npm's prepack) writes none.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { buildTypes } from "./build-types.mjs";
import { buildDefines } from "./defines.mjs";
import { thirdPartyNotices } from "./notices.mjs";

const root = new URL("../", import.meta.url);
const release = process.argv.includes("--release");

/**
 * Built-in modules that bundled dependencies require at load for features pkgpush does not use,
 * replaced (for those importers only) by a module that loads the real one on first call:
 * - commander requires node:child_process (with net, dgram and their kin: ~2 ms a run) for
 *   executable subcommands, which pkgpush does not define: `spawn` loads it.
 * - undici's HTTP/2 client (client-h2.js, loaded with every client) requires node:http2 (with its
 *   compat layer and perf hooks: ~30 M instructions, 5 ms of an upload's start-up) for
 *   connections that negotiate h2, which only a dispatcher made with `allowH2` does; pkgpush's do
 *   not. `connect` loads it; the header names and error codes it reads at load are HTTP/2's own
 *   (RFC 9113), copied here from node:http2 when the bundle is built.
 */
const http2 = await import("node:http2");
/**
 * The constants client-h2.js destructures at load, read from its own source so that an undici
 * update that reads one more cannot leave it undefined: every name must exist in node:http2.
 */
const HTTP2_CONSTANTS = [
  ...new Set(
    readFileSync(
      fileURLToPath(new URL("node_modules/undici/lib/dispatcher/client-h2.js", root)),
      "utf8",
    ).match(/\b(?:NG)?HTTP2_[A-Z0-9_]+\b/g) ?? [],
  ),
];
if (HTTP2_CONSTANTS.length === 0) throw new Error("undici's client-h2.js names no HTTP/2 constant");
const lazyBuiltins = [
  {
    module: "child_process",
    importer: /[\\/]node_modules[\\/]commander[\\/]/,
    contents: 'exports.spawn = (...args) => require("node:child_process").spawn(...args);',
  },
  {
    module: "http2",
    importer: /[\\/]node_modules[\\/]undici[\\/]lib[\\/]dispatcher[\\/]client-h2\.js$/,
    contents: [
      'exports.connect = (...args) => require("node:http2").connect(...args);',
      `exports.constants = ${JSON.stringify(
        Object.fromEntries(
          HTTP2_CONSTANTS.map((name) => {
            const value = /** @type {Record<string, unknown>} */ (http2.constants)[name];
            if (value === undefined) throw new Error(`node:http2 has no constant ${name}`);
            return [name, value];
          }),
        ),
      )};`,
    ].join("\n"),
  },
];

/** @type {import("esbuild").Plugin} */
const lazyBuiltinsForDependencies = {
  name: "lazy-builtins-for-dependencies",
  setup(build) {
    for (const { module, importer } of lazyBuiltins) {
      build.onResolve({ filter: new RegExp(`^(node:)?${module}$`) }, (args) =>
        importer.test(args.importer) ? { path: module, namespace: "lazy-builtin" } : undefined,
      );
    }
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => ({
      contents: lazyBuiltins.find((b) => b.module === args.path)?.contents,
      loader: "js",
    }));
  },
};

/** @type {import("esbuild").BuildOptions} */
const common = {
  plugins: [lazyBuiltinsForDependencies],
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20",
  // Native addon: loaded from node_modules at run time, and optional.
  external: ["@napi-rs/keyring"],
  define: buildDefines(),
  banner: {
    // Bundled CommonJS dependencies may call require(); give them one.
    js: "import { createRequire as __pkgpushCreateRequire } from 'node:module'; const require = __pkgpushCreateRequire(import.meta.url);",
  },
  // Whitespace and syntax only: a quarter smaller packed, and names in stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  // Licence texts go to one notices file instead of being scattered through the bundle.
  legalComments: "none",
  logLevel: "warning",
};

rmSync(new URL("dist", root), { recursive: true, force: true });
if (!release) rmSync(new URL("build", root), { recursive: true, force: true });

const cli = await build({
  ...common,
  absWorkingDir: root.pathname,
  // `index`: the Node API (package.json "exports"), sharing chunks with the CLI.
  entryPoints: {
    cli: "src/cli.ts",
    index: "src/index.ts",
    "blake2b-worker": "src/distributions/blake2b-worker.js",
    "readme-worker": "src/rules/readme/render-worker.ts",
  },
  outdir: "dist",
  splitting: true,
  metafile: true,
  // Maps are 3x the code: development builds only (prepack rebuilds without them).
  sourcemap: !release,
});
writeFileSync(
  new URL("dist/THIRD-PARTY-NOTICES.txt", root),
  thirdPartyNotices(/** @type {import("esbuild").Metafile} */ (cli.metafile), root),
);
// The API's declarations (dist/types/) take tsc's time: for the package (prepack), or on request.
if (release || process.argv.includes("--types")) buildTypes();

if (!release) {
  await build({
    ...common,
    absWorkingDir: root.pathname,
    entryPoints: { "index-server": "test/server/main.ts" },
    outdir: "build",
    sourcemap: true,
  });
}
