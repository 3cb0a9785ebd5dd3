// @ts-check
// Bundles pkgpush with esbuild.
//   dist/   what the npm package ships: the CLI (one small entry plus lazily loaded chunks, so
//           `pkgpush --version` stays close to bare Node start-up), the Node API (index.js, and
//           its declarations in types/ for releases: scripts/build-types.mjs), the BLAKE2b
//           worker, and the licences of the bundled dependencies. Self-contained: nothing is resolved from
//           node_modules at run time except the optional native keyring.
//   build/  development only: the test index server (demo, tests). Never packed.
// Source maps are written for development builds; `--release` (npm's prepack) writes none.
import { rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";
import { buildTypes } from "./build-types.mjs";
import { buildDefines } from "./defines.mjs";
import { thirdPartyNotices } from "./notices.mjs";

const root = new URL("../", import.meta.url);
const release = process.argv.includes("--release");

/**
 * commander requires node:child_process at load, for executable subcommands, which pkgpush does
 * not define: loading it (with net, dgram and their kin) cost every run ~2 ms. commander gets a
 * `spawn` that loads the module on first call instead.
 * @type {import("esbuild").Plugin}
 */
const lazyChildProcessForCommander = {
  name: "lazy-child-process-for-commander",
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: "child_process", namespace: "lazy-builtin" }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, () => ({
      contents: 'exports.spawn = (...args) => require("node:child_process").spawn(...args);',
      loader: "js",
    }));
  },
};

/** @type {import("esbuild").BuildOptions} */
const common = {
  plugins: [lazyChildProcessForCommander],
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
