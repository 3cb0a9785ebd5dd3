import { setFlagsFromString } from "node:v8";

// Imported before undici (see http.ts): V8 would otherwise optimise undici's WebAssembly HTTP
// parser in the background and hold the process's exit until done (~90 ms and ~35 MiB per run,
// bench/import-cost.mjs). A later tier-up costs nothing measurable, hashing included (the hot
// BLAKE2b loop still reaches the budget). Loaded only by commands that send.
setFlagsFromString("--wasm-tiering-budget=100000000");
