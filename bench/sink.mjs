#!/usr/bin/env node
// A sink HTTP server for the benchmarks: reads and discards every request body, then answers
// 200 OK (optionally after a fixed delay). It parses nothing, so the client is what gets measured.
//
//   node bench/sink.mjs [--port 0] [--delay-ms 0] [--exit-on-stdin-end]
//
// Prints one JSON line once listening: {"url","uploadUrl","pid"}. Stops on SIGTERM/SIGINT, and
// when standard input ends with --exit-on-stdin-end (so it never outlives a crashed parent).
// Also importable: `startSink({ delayMs })` resolves with { url, uploadUrl, stats, close }.
import http from "node:http";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

/**
 * A running sink: its URLs, what it received, and how to stop it.
 * @typedef {object} Sink
 * @property {string} url
 * @property {string} uploadUrl
 * @property {{ requests: number, bytes: number }} stats
 * @property {() => Promise<void>} close
 */

/**
 * Starts a sink on 127.0.0.1.
 * @param {{ port?: number, delayMs?: number }} [options]
 * @returns {Promise<Sink>}
 */
export function startSink({ port = 0, delayMs = 0 } = {}) {
  const stats = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    stats.requests++;
    req.on("data", (chunk) => {
      stats.bytes += chunk.length;
    });
    req.on("end", () => {
      const answer = () => {
        res.writeHead(200, { "content-type": "text/plain", "content-length": "3" });
        res.end("OK\n");
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
    req.on("error", () => res.destroy());
  });
  // Large uploads over loopback: no request timeout, keep-alive like a real index.
  server.requestTimeout = 0;
  server.headersTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      // A TCP listener's address is an object (a string only for pipes and sockets).
      if (address === null || typeof address === "string") {
        reject(new Error(`sink: unexpected listening address ${address}`));
        return;
      }
      const url = `http://127.0.0.1:${address.port}`;
      resolve({
        url,
        uploadUrl: `${url}/legacy/`,
        stats,
        close: () =>
          /** @type {Promise<void>} */ (
            new Promise((done) => {
              server.closeAllConnections();
              server.close(() => done());
            })
          ),
      });
    });
  });
}

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      "delay-ms": { type: "string", default: "0" },
      "exit-on-stdin-end": { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(
      "Usage: node bench/sink.mjs [--port N] [--delay-ms MS] [--exit-on-stdin-end]\n",
    );
    return;
  }
  const sink = await startSink({
    port: Number(values.port),
    delayMs: Number(values["delay-ms"]),
  });
  process.stdout.write(
    `${JSON.stringify({ url: sink.url, uploadUrl: sink.uploadUrl, pid: process.pid })}\n`,
  );
  const stop = () => void sink.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  if (values["exit-on-stdin-end"]) {
    process.stdin.on("end", stop);
    process.stdin.on("error", stop);
    process.stdin.resume();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().catch((error) => {
    process.stderr.write(`sink: ${error.stack ?? error}\n`);
    process.exit(1);
  });
}
