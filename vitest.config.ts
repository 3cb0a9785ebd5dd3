import { defineConfig } from "vitest/config";
import { buildDefines } from "./scripts/defines.mjs";

export default defineConfig({
  // What the esbuild bundles define (PKGPUSH_VERSION...), so tests import src/ as shipped.
  define: buildDefines(),
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // e2e tests spawn the CLI and servers; two workers match the 2-core machines.
    maxWorkers: 2,
    globalSetup: ["test/global-setup.ts"],
  },
});
