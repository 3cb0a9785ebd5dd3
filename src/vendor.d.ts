// unbzip2-stream ships no types: a factory returning a duplex (through) stream.
declare module "unbzip2-stream" {
  import type { Duplex } from "node:stream";

  function unbzip2Stream(): Duplex;
  export default unbzip2Stream;
}

/** hash-wasm's BLAKE2b build alone (the package index embeds every algorithm's WASM). */
declare module "hash-wasm/dist/blake2b.umd.min.js" {
  export { createBLAKE2b } from "hash-wasm";
}

/**
 * undici's proxy-aware agent alone: its package index also loads fetch, WebSocket, the cache and
 * mock layers (~8 MiB of memory and about half of undici's import time, bench/import-cost.mjs).
 */
declare module "undici/lib/dispatcher/env-http-proxy-agent.js" {
  import type { EnvHttpProxyAgent } from "undici";

  const Agent: typeof EnvHttpProxyAgent;
  export default Agent;
}

/** undici's dispatcher base class and its request API (attached to it as undici's index does). */
declare module "undici/lib/dispatcher/dispatcher.js" {
  import type { Dispatcher } from "undici";

  const DispatcherBase: typeof Dispatcher;
  export default DispatcherBase;
}
declare module "undici/lib/api/index.js" {
  const api: Record<string, unknown>;
  export default api;
}
