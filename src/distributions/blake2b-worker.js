// Worker thread of digests.ts: BLAKE2b-256 of one file, on the second core. Plain JavaScript so
// the same file runs from the sources (tests) and, bundled with hash-wasm by scripts/build.mjs,
// as dist/blake2b-worker.js next to the CLI: an installed package resolves nothing at run time.
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import hashWasm from "hash-wasm/dist/blake2b.umd.min.js";

// V8's tier-up budget is one flag for the whole process: lowering it here for BLAKE2b's compile
// (as wasm-budget.ts does on the main thread) raced the main thread compiling undici's parser at
// the same moment, which then got optimised (+35 MiB peak RSS in one upload of three). The worker
// compiles under whatever the process has; started ahead of the upload, it has time to spare.
const creating = hashWasm.createBLAKE2b(256);

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
