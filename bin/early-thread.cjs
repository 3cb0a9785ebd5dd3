"use strict";
// `check` under PyPI's rules (the default) renders descriptions on a worker thread whose start-up
// (Node's own bootstrap of a worker, ~0.15 s of the second core on Node 20) is on the run's
// critical path. The launcher starts it from the raw arguments before the ES module bundle loads
// (its profile starts ~30 ms sooner than when the bundle started it), and the bundle adopts it
// (src/rules/readme/description-thread.ts). A wrong guess costs only that start-up: the worker
// is idle, unreferenced, and never keeps the process alive.
const { existsSync } = require("node:fs");
const { join } = require("node:path");
const { pathToFileURL } = require("node:url");

/**
 * The worker's options (description-thread.ts starts its own worker with the same; a test holds
 * them equal). A young generation of 3 MiB (1 MiB semi-spaces instead of growing to 8 MiB): the
 * worker's heap stays ~11 MiB instead of ~16, and each new page of memory costs ~12 us to fault in
 * on the 2-core machines measured. `check` of 100 wheels, 16 rounds interleaved: 0.90 -> 0.85 s of
 * CPU, 0.53 -> 0.51 s wall.
 */
const WORKER_OPTIONS = Object.freeze({
  stdout: false,
  stderr: false,
  resourceLimits: Object.freeze({ maxYoungGenerationSizeMb: 3 }),
});

/** Where the bundle finds the started worker (and takes it, once). */
const EARLY_WORKER = Symbol.for("pkgpush.earlyDescriptionWorker");

/**
 * Whether the arguments ask for `check` with PyPI's rules (its help is not a check).
 * @param {string[]} argv the arguments after the program's name
 */
function checkWithPypiRules(argv) {
  if (argv[0] !== "check") return false;
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") break;
    if (arg === "-h" || arg === "--help" || arg === "--rules=basic") return false;
    if (arg === "--rules" && argv[i + 1] === "basic") return false;
  }
  return true;
}

/**
 * Starts dist/readme-worker.js now when the arguments ask for a check that renders. Until the
 * bundle adopts it, an error or exit is only recorded (an unheard "error" event would throw):
 * the bundle then starts a worker of its own, or renders on the main thread.
 * @param {string[]} argv the arguments after the program's name
 * @param {string} distDir the bundle's folder
 */
function startEarlyThread(argv, distDir) {
  const file = join(distDir, "readme-worker.js");
  if (!checkWithPypiRules(argv) || !existsSync(file)) return;
  const { Worker } = require("node:worker_threads");
  let worker;
  try {
    worker = new Worker(pathToFileURL(file), WORKER_OPTIONS);
  } catch {
    return;
  }
  const early = { worker, failed: false, forget: () => undefined };
  const failed = () => {
    early.failed = true;
  };
  worker.on("error", failed);
  worker.on("exit", failed);
  early.forget = () => {
    worker.off("error", failed);
    worker.off("exit", failed);
  };
  worker.unref();
  globalThis[EARLY_WORKER] = early;
}

module.exports = { EARLY_WORKER, WORKER_OPTIONS, checkWithPypiRules, startEarlyThread };
