/**
 * V8 optimises a WebAssembly function (TurboFan, in the background) once it has spent a tier-up
 * budget, a rough count of bytes executed fixed when its module is compiled. The two modules
 * pkgpush runs want opposite budgets:
 * - undici's HTTP parser (llhttp) is one 33 KB state machine whose loop spends its whole size
 *   per character parsed: V8's default budget runs out within a few responses, and optimising it
 *   costs 0.2-0.6 s of CPU and ~30 MiB (a sync of 10 files to 3 servers: 1.48 -> 1.19 s of CPU
 *   without it) for a parser that is fast enough as it is. transport/v8-flags.ts sets the
 *   largest budget before it compiles (HIGH_BUDGET_FLAG).
 * - hash-wasm's BLAKE2b must be optimised early: unoptimised it hashes ~25x slower, and under the
 *   largest budget it would stay so for its first ~6 MiB. Its module is compiled under Node 20's
 *   default (blake2bHasher).
 */
import type { IHasher } from "hash-wasm";
import { createBLAKE2b } from "hash-wasm/dist/blake2b.umd.min.js";

/** The largest budget V8 takes (an int32): the parser stays unoptimised for ~64 000 characters. */
export const HIGH_BUDGET_FLAG = "--wasm-tiering-budget=2147483647";
/** V8's default in Node 20 (Node 24's is 13 000 000): BLAKE2b is optimised within its first MiB. */
export const HASHING_BUDGET_FLAG = "--wasm-tiering-budget=1800000";

let compiling = 0;
/**
 * hash-wasm compiles BLAKE2b's module once per process and instantiates that module for every
 * later hasher: once the first hasher exists, no compile is left for the budget to apply to.
 */
let compiled = false;

/** Whether BLAKE2b's module is being compiled (under the hashing budget) right now. */
export function blake2bCompiling(): boolean {
  return compiling > 0;
}

/**
 * A BLAKE2b-256 hasher whose module was compiled under the hashing budget. The flag is global to
 * the process: it is lowered only while the module is being compiled (the first hasher), then
 * raised again for modules compiled later. A module compiled while it is lowered gets the low
 * budget too: the HTTP parser's first connection must not fall in that window (send() creates
 * the first hasher while the HTTP stack loads, and waits for it before connecting).
 */
export async function blake2bHasher(): Promise<IHasher> {
  if (compiled) return createBLAKE2b(256);
  const { setFlagsFromString } = await import("node:v8");
  if (compiling++ === 0) setFlagsFromString(HASHING_BUDGET_FLAG);
  try {
    const hasher = await createBLAKE2b(256);
    compiled = true;
    return hasher;
  } finally {
    if (--compiling === 0) setFlagsFromString(HIGH_BUDGET_FLAG);
  }
}
