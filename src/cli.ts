import { setFlagsFromString } from "node:v8";

// Entry point of the bundle (bin/pkgpush.cjs answers --version before loading it). Each command
// loads its modules on demand, so start-up stays close to bare Node.

// V8 would optimise undici's WebAssembly HTTP parser in the background and hold the exit until
// it is done (~90 ms and ~35 MiB per run, bench/import-cost.mjs); a later tier-up costs
// nothing measurable, hashing included (the hot BLAKE2b loop still reaches the budget).
setFlagsFromString("--wasm-tiering-budget=100000000");

const { main } = await import("./commands/program.js");
process.exitCode = await main(process.argv.slice(2));
