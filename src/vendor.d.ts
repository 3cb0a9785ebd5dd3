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
