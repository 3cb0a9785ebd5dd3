// @ts-check
// Bundles the GitHub Action's entry (src/action/main.ts) into action/: one file with everything
// (an action runs from the repository at a tag and cannot run npm install, so the bundle is
// committed), plus the BLAKE2b worker it starts. Fully minified, no maps: it is read by Node only.
// A test rebuilds it into a temporary folder and compares, so the committed copy matches the
// sources. `node scripts/build-action.mjs [OUTDIR]` (default action/).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { buildDefines } from "./defines.mjs";
import { thirdPartyNotices } from "./notices.mjs";

const root = new URL("../", import.meta.url);

/** @param {string} outdir relative to the repository */
export async function buildAction(outdir) {
  const result = await build({
    absWorkingDir: root.pathname,
    entryPoints: {
      main: "src/action/main.ts",
      "blake2b-worker": "src/distributions/blake2b-worker.js",
    },
    outdir,
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    minify: true,
    legalComments: "none",
    // The Actions runner has no keyring; the code handles its absence.
    external: ["@napi-rs/keyring"],
    define: buildDefines(),
    banner: {
      js: "import { createRequire as __pkgpushCreateRequire } from 'node:module'; const require = __pkgpushCreateRequire(import.meta.url);",
    },
    metafile: true,
    logLevel: "warning",
  });
  writeFileSync(
    join(new URL(outdir, root).pathname, "THIRD-PARTY-NOTICES.txt"),
    thirdPartyNotices(result.metafile, root),
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildAction(process.argv[2] ?? "action");
}
