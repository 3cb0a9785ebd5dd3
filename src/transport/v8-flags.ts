import { setFlagsFromString } from "node:v8";
import { blake2bCompiling, HIGH_BUDGET_FLAG } from "../distributions/wasm-budget.js";

// Imported before undici (see http.ts): V8 would otherwise optimise undici's WebAssembly HTTP
// parser in the background, ~0.2-0.6 s of CPU and ~30 MiB per run, and hold the process's exit
// until done (bench/import-cost.mjs). The largest budget: the parser's loop spends ~33 KB of it
// per character, so 100 000 000 lasted ~10 responses. BLAKE2b's module is compiled under a
// lower one (distributions/wasm-budget.ts), which may be compiling while this module loads: the
// budget is raised when that compile ends. Loaded only by commands that send.
if (!blake2bCompiling()) setFlagsFromString(HIGH_BUDGET_FLAG);
