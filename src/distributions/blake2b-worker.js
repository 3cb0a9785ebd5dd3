// Worker thread of digests.ts: BLAKE2b-256 of one file, on the second core. Plain JavaScript so
// the same file runs from the sources (tests) and, bundled with hash-wasm by scripts/build.mjs,
// as dist/blake2b-worker.js next to the CLI: an installed package resolves nothing at run time.
import { closeSync, openSync, readSync } from "node:fs";
import { setFlagsFromString } from "node:v8";
import { parentPort, workerData } from "node:worker_threads";
import hashWasm from "hash-wasm/dist/blake2b.umd.min.js";

// The module compiled under the hashing budget, then the HTTP parser's again (wasm-budget.ts says
// why; a plain module cannot import that TypeScript file, so the two values are repeated here).
setFlagsFromString("--wasm-tiering-budget=1800000");
const creating = hashWasm.createBLAKE2b(256);
creating.finally(() => setFlagsFromString("--wasm-tiering-budget=2147483647")).catch(() => {});

try {
  const blake = await creating;
  const fd = openSync(workerData.path, "r");
  const buffer = Buffer.allocUnsafeSlow(workerData.chunk);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      blake.update(buffer.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  parentPort?.postMessage(blake.digest("hex"));
} catch (error) {
  parentPort?.postMessage({ error: String(error?.message ?? error) });
}
