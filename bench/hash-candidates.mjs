#!/usr/bin/env node
// Candidate implementations of the upload digests (sha256 + blake2b-256 + md5 of one file), to
// choose what src/distributions/digests.ts should do. Each run hashes one file with one candidate
// and prints one JSON line: {"candidate","ms","sha256","blake2_256","md5"} (ms: in-process time,
// from opening the file to the three hex digests, workers' start-up included).
//
//   node bench/hash-candidates.mjs --list                        candidates (JSON)
//   node bench/hash-candidates.mjs CANDIDATE FILE [--chunk-mib N] hash FILE with CANDIDATE
//
// Node's crypto has sha256 and md5 (OpenSSL: SHA-NI/AVX2 code) but no BLAKE2b-256 (OpenSSL 3.0
// cannot shorten blake2b512), so blake2b comes from hash-wasm, as in pkgpush. @noble/hashes is
// not installed in this tree, so it is not a candidate. bench/run.mjs runs every candidate.
import { createHash } from "node:crypto";
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { isMainThread, parentPort, Worker, workerData } from "node:worker_threads";

const SELF = fileURLToPath(import.meta.url);
const MiB = 1024 * 1024;
/** Chunks in flight between the reader and the hashing threads (ring slots, queued transfers). */
const SLOTS = 8;
/** @typedef {"sha256" | "md5" | "blake2b" | "wasm-sha256" | "wasm-md5"} Algo */
/** @type {Algo[]} */
const ALL = ["sha256", "md5", "blake2b"];

/**
 * @typedef {{ feed: "stream" | "sync", main: Algo[], chunk: number, describe: string }} MainCandidate
 * @typedef {{ feed: "ownread" | "shared" | "transfer", main: Algo[], workers: Algo[][], chunk: number, describe: string }} WorkerCandidate
 * @typedef {MainCandidate | WorkerCandidate} Candidate
 * @typedef {{ algo: Algo, update: (b: Uint8Array) => void, digest: () => string }} Hasher
 * @typedef {{ sha256?: string, md5?: string, blake2_256?: string }} Digests
 */
/**
 * What a worker thread is started with (workerData).
 * @typedef {{ mode: "ring", algos: Algo[], data: SharedArrayBuffer, ctl: ArrayBufferLike, index: number, workers: number, chunk: number }} RingJob
 * @typedef {{ mode: "transfer", algos: Algo[] }} TransferJob
 * @typedef {{ mode: "ownread", algos: Algo[], path: string, chunk: number }} OwnReadJob
 */

/**
 * feed: how the bytes reach the hashers.
 * - stream: createReadStream on the main thread; sync: readSync into one reused buffer;
 * - shared: the main thread reads once into a SharedArrayBuffer ring that every worker hashes;
 * - transfer: the main thread reads once and posts a copy of every chunk to every worker;
 * - ownread: every thread (main included, when it has digests) reads the file itself.
 * main: digests computed on the main thread; workers: one list of digests per worker thread.
 * @type {Record<string, Candidate>}
 */
export const CANDIDATES = {
  "stream-1t": {
    feed: "stream",
    main: ALL,
    chunk: 1,
    describe: "createReadStream (1 MiB), node:crypto sha256+md5 and hash-wasm blake2b, one thread",
  },
  "stream-1t-4m": {
    feed: "stream",
    main: ALL,
    chunk: 4,
    describe: "createReadStream with 4 MiB reads, same three hashers, one thread",
  },
  "sync-1t": {
    feed: "sync",
    main: ALL,
    chunk: 1,
    describe: "readSync into one reused 1 MiB buffer, same three hashers, one thread",
  },
  "wasm-1t": {
    feed: "sync",
    main: ["wasm-sha256", "wasm-md5", "blake2b"],
    chunk: 1,
    describe: "readSync, hash-wasm for all three digests, one thread (why node:crypto)",
  },
  "ownread-main+1w": {
    feed: "ownread",
    main: ["sha256", "md5"],
    workers: [["blake2b"]],
    chunk: 4,
    describe:
      "main thread streams sha256+md5; 1 worker reads the file itself for blake2b (4 MiB reads)",
  },
  "ownread-main+2w": {
    feed: "ownread",
    main: ["sha256"],
    workers: [["md5"], ["blake2b"]],
    chunk: 4,
    describe: "main thread sha256; 2 workers read the file themselves: md5 | blake2b (4 MiB)",
  },
  "ownread-3w": {
    feed: "ownread",
    main: [],
    workers: [["sha256"], ["md5"], ["blake2b"]],
    chunk: 4,
    describe: "3 workers each read the file themselves: sha256 | md5 | blake2b (4 MiB)",
  },
  "shared-main+1w": {
    feed: "shared",
    main: ["sha256", "md5"],
    workers: [["blake2b"]],
    chunk: 1,
    describe: "one read into a shared ring (8 x 1 MiB); main sha256+md5, 1 worker blake2b",
  },
  "shared-main+2w": {
    feed: "shared",
    main: ["sha256"],
    workers: [["md5"], ["blake2b"]],
    chunk: 1,
    describe: "one read, shared ring; main sha256, 2 workers: md5 | blake2b",
  },
  "shared-3w": {
    feed: "shared",
    main: [],
    workers: [["sha256"], ["md5"], ["blake2b"]],
    chunk: 1,
    describe: "one read, shared ring; main thread only reads, 3 workers: sha256 | md5 | blake2b",
  },
  "transfer-3w": {
    feed: "transfer",
    main: [],
    workers: [["sha256"], ["md5"], ["blake2b"]],
    chunk: 1,
    describe: "one read; each 1 MiB chunk copied and transferred to 3 workers (postMessage)",
  },
};

/**
 * @param {Algo[]} algos
 * @returns {Promise<Hasher[]>}
 */
async function makeHashers(algos) {
  /** @type {Hasher[]} */
  const out = [];
  for (const algo of algos) {
    if (algo === "sha256" || algo === "md5") {
      const h = createHash(algo);
      out.push({ algo, update: (b) => h.update(b), digest: () => h.digest("hex") });
    } else {
      const wasm = await import("hash-wasm");
      /** @type {Partial<Record<Algo, () => Promise<import("hash-wasm").IHasher>>>} */
      const makers = {
        blake2b: () => wasm.createBLAKE2b(256),
        "wasm-sha256": () => wasm.createSHA256(),
        "wasm-md5": () => wasm.createMD5(),
      };
      const make = makers[algo];
      if (!make) throw new Error(`unknown algorithm ${algo}`);
      const h = await make();
      h.init();
      out.push({ algo, update: (b) => h.update(b), digest: () => h.digest("hex") });
    }
  }
  return out;
}

/** @type {Record<Algo, keyof Digests>} */
const FIELD = {
  sha256: "sha256",
  md5: "md5",
  blake2b: "blake2_256",
  "wasm-sha256": "sha256",
  "wasm-md5": "md5",
};

/**
 * @param {Hasher[]} hashers
 * @returns {Digests}
 */
function collect(hashers) {
  /** @type {Digests} */
  const out = {};
  for (const h of hashers) out[FIELD[h.algo]] = h.digest();
  return out;
}

/**
 * @param {string} path
 * @param {Hasher[]} hashers
 * @param {number} chunk bytes per read
 */
function readAllSync(path, hashers, chunk) {
  const fd = openSync(path, "r");
  const buf = Buffer.allocUnsafe(chunk);
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, chunk, null);
      if (n === 0) break;
      const part = n === chunk ? buf : buf.subarray(0, n);
      for (const h of hashers) h.update(part);
    }
  } finally {
    closeSync(fd);
  }
  return collect(hashers);
}

/**
 * @param {string} path
 * @param {Hasher[]} hashers
 * @param {number} chunk bytes per read
 */
async function readAllStream(path, hashers, chunk) {
  for await (const part of createReadStream(path, { highWaterMark: chunk })) {
    for (const h of hashers) h.update(part);
  }
  return collect(hashers);
}

/**
 * @param {RingJob | OwnReadJob} data
 * @returns {{ worker: Worker, result: Promise<Digests> }}
 */
function startWorker(data) {
  const worker = new Worker(SELF, { workerData: data });
  /** @type {Promise<Digests>} */
  const result = new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
  });
  return { worker, result };
}

/**
 * The main thread's digests and the workers'.
 * @param {Digests} main
 * @param {{ worker: Worker, result: Promise<Digests> }[]} workers
 * @returns {Promise<Digests>}
 */
async function finish(main, workers) {
  const parts = await Promise.all(workers.map((w) => w.result));
  await Promise.all(workers.map((w) => w.worker.terminate()));
  return Object.assign(main, ...parts);
}

/**
 * Every thread reads the file on its own (the page cache serves the extra reads).
 * @param {string} path
 * @param {WorkerCandidate} spec
 * @param {number} chunk bytes per read
 */
async function hashOwnRead(path, spec, chunk) {
  const workers = spec.workers.map((algos) => startWorker({ mode: "ownread", algos, path, chunk }));
  const main = spec.main.length
    ? await readAllStream(path, await makeHashers(spec.main), chunk)
    : {};
  return finish(main, workers);
}

/**
 * Shared ring. Int32 control words: [0] chunks produced, [1] total chunks (-1 until EOF),
 * [2] event counter (bumped on every publish and at EOF; workers wait on it), then one
 * "chunks consumed" word per worker, then one length per slot.
 * @param {string} path
 * @param {WorkerCandidate} spec
 * @param {number} chunk bytes per read
 */
async function hashShared(path, spec, chunk) {
  const W = spec.workers.length;
  const data = new SharedArrayBuffer(SLOTS * chunk);
  const ctl = new Int32Array(new SharedArrayBuffer(4 * (3 + W + SLOTS)));
  ctl[1] = -1;
  const workers = spec.workers.map((algos, index) =>
    startWorker({ mode: "ring", algos, data, ctl: ctl.buffer, index, workers: W, chunk }),
  );
  const hashers = await makeHashers(spec.main);
  const fh = await open(path, "r");
  let k = 0;
  try {
    for (;;) {
      const slot = k % SLOTS;
      // The slot is free once every worker has consumed chunk k - SLOTS.
      for (let w = 0; w < W; w++) {
        for (;;) {
          const consumed = Atomics.load(ctl, 3 + w);
          if (consumed >= k - SLOTS + 1) break;
          await Atomics.waitAsync(ctl, 3 + w, consumed, 1000).value;
        }
      }
      const view = new Uint8Array(data, slot * chunk, chunk);
      const { bytesRead } = await fh.read(view, 0, chunk, null);
      if (bytesRead === 0) break;
      const part = bytesRead === chunk ? view : view.subarray(0, bytesRead);
      for (const h of hashers) h.update(part);
      ctl[3 + W + slot] = bytesRead;
      Atomics.store(ctl, 0, k + 1);
      Atomics.add(ctl, 2, 1);
      Atomics.notify(ctl, 2);
      k++;
    }
  } finally {
    await fh.close();
    Atomics.store(ctl, 1, k);
    Atomics.add(ctl, 2, 1);
    Atomics.notify(ctl, 2);
  }
  return finish(collect(hashers), workers);
}

/** @param {RingJob} job */
async function ringWorker({ algos, data, ctl: ctlBuffer, index, workers: W, chunk }) {
  const hashers = await makeHashers(algos);
  const ctl = new Int32Array(ctlBuffer);
  for (let k = 0; ; k++) {
    for (;;) {
      const event = Atomics.load(ctl, 2);
      if (Atomics.load(ctl, 0) > k) break;
      const total = Atomics.load(ctl, 1);
      if (total !== -1 && k >= total) return collect(hashers);
      Atomics.wait(ctl, 2, event, 1000);
    }
    const slot = k % SLOTS;
    const view = new Uint8Array(data, slot * chunk, ctl[3 + W + slot] ?? 0);
    for (const h of hashers) h.update(view);
    Atomics.store(ctl, 3 + index, k + 1);
    Atomics.notify(ctl, 3 + index);
  }
}

/**
 * Each chunk copied per worker and transferred; at most SLOTS chunks unacknowledged per worker.
 * @param {string} path
 * @param {WorkerCandidate} spec
 * @param {number} chunk bytes per read
 */
async function hashTransfer(path, spec, chunk) {
  const workers = spec.workers.map((algos) => {
    /** @type {TransferJob} */
    const job = { mode: "transfer", algos };
    const worker = new Worker(SELF, { workerData: job });
    /** @type {{ worker: Worker, inFlight: number, wake: (() => void) | undefined }} */
    const state = { worker, inFlight: 0, wake: undefined };
    /** @type {Promise<Digests>} */
    const result = new Promise((resolve, reject) => {
      worker.on("message", (msg) => {
        if (msg === "ack") {
          state.inFlight--;
          state.wake?.();
        } else resolve(msg);
      });
      worker.once("error", reject);
    });
    return Object.assign(state, { result });
  });
  const fh = await open(path, "r");
  try {
    for (;;) {
      const buf = new Uint8Array(chunk);
      const { bytesRead } = await fh.read(buf, 0, chunk, null);
      if (bytesRead === 0) break;
      for (const [i, s] of workers.entries()) {
        while (s.inFlight >= SLOTS) {
          await new Promise((r) => {
            s.wake = () => r(undefined);
          });
        }
        s.wake = undefined;
        const part = i === workers.length - 1 ? buf : buf.slice(0, bytesRead);
        s.inFlight++;
        s.worker.postMessage({ buf: part, n: bytesRead }, [part.buffer]);
      }
    }
  } finally {
    await fh.close();
  }
  for (const s of workers) s.worker.postMessage(null);
  return finish({}, workers);
}

/**
 * @param {TransferJob} job
 * @param {import("node:worker_threads").MessagePort} port the parent's
 */
async function transferWorker({ algos }, port) {
  const hashers = await makeHashers(algos);
  port.on(
    "message",
    /** @param {{ buf: Uint8Array, n: number } | null} msg a chunk, or null at the end */
    (msg) => {
      if (msg === null) {
        port.postMessage(collect(hashers));
        return;
      }
      const view = msg.n === msg.buf.length ? msg.buf : msg.buf.subarray(0, msg.n);
      for (const h of hashers) h.update(view);
      port.postMessage("ack");
    },
  );
}

/**
 * @param {string} name a candidate
 * @param {string} path
 * @param {number} [chunkMiB] instead of the candidate's own read size
 * @returns {Promise<Digests>}
 */
export async function runCandidate(name, path, chunkMiB) {
  const spec = CANDIDATES[name];
  if (!spec) throw new Error(`unknown candidate ${name}; try --list`);
  const chunk = (chunkMiB ?? spec.chunk) * MiB;
  switch (spec.feed) {
    case "stream":
      return readAllStream(path, await makeHashers(spec.main), chunk);
    case "sync":
      return readAllSync(path, await makeHashers(spec.main), chunk);
    case "ownread":
      return hashOwnRead(path, spec, chunk);
    case "shared":
      return hashShared(path, spec, chunk);
    case "transfer":
      return hashTransfer(path, spec, chunk);
    default:
      throw new Error(`unknown feed ${/** @type {Candidate} */ (spec).feed}`);
  }
}

/** @param {string[]} argv */
async function main(argv) {
  if (argv[0] === "--list") {
    const list = Object.entries(CANDIDATES).map(([name, c]) => ({ name, describe: c.describe }));
    process.stdout.write(`${JSON.stringify(list)}\n`);
    return;
  }
  const chunkAt = argv.indexOf("--chunk-mib");
  const chunkMiB = chunkAt >= 0 ? Number(argv.splice(chunkAt, 2)[1]) : undefined;
  const [name, path] = argv;
  if (!name || !path) {
    process.stderr.write(
      "usage: node bench/hash-candidates.mjs (--list | CANDIDATE FILE [--chunk-mib N])\n",
    );
    process.exitCode = 2;
    return;
  }
  const started = performance.now();
  const digests = await runCandidate(name, path, chunkMiB);
  const ms = Math.round(performance.now() - started);
  const { sha256, blake2_256, md5 } = digests;
  process.stdout.write(`${JSON.stringify({ candidate: name, ms, sha256, blake2_256, md5 })}\n`);
}

if (isMainThread) {
  if (process.argv[1] === SELF) {
    main(process.argv.slice(2)).catch((error) => {
      process.stderr.write(`hash-candidates: ${error.stack ?? error}\n`);
      process.exit(1);
    });
  }
} else if (parentPort) {
  const port = parentPort;
  const job = /** @type {RingJob | TransferJob | OwnReadJob} */ (workerData);
  if (job.mode === "ring") {
    ringWorker(job).then((digests) => port.postMessage(digests));
  } else if (job.mode === "transfer") {
    transferWorker(job, port);
  } else if (job.mode === "ownread") {
    makeHashers(job.algos)
      .then((hashers) => readAllSync(job.path, hashers, job.chunk))
      .then((digests) => port.postMessage(digests));
  }
}
