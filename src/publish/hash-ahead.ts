/**
 * The head start a run gives hashing, on the time `send` spends loading its HTTP stack, opening
 * sessions and running the preflight:
 * - the large files it will upload start BLAKE2b on the second core (one worker per spare core),
 *   instead of when their upload starts;
 * - BLAKE2b's WebAssembly module is compiled (V8 compiles it off this thread) while the HTTP stack
 *   loads, when smaller files will be hashed here, instead of when the first one is.
 */
import { Blake2bAhead, PARALLEL_THRESHOLD } from "../distributions/blake2b-thread.js";
import type { Prepared } from "./prepare.js";

/** The run's files to hash, in the plan's order: not known already (sync). */
function uploadsToHash({ plan, known }: Prepared): { path: string; size: number }[] {
  if (plan.action !== "upload") return [];
  const files = new Map<string, number>();
  for (const { dist } of plan.jobs) {
    if (!known?.digests.has(dist.path)) files.set(dist.path, dist.size);
  }
  return [...files].map(([path, size]) => ({ path, size }));
}

/** Starts hashing (one worker per spare core); the caller cancels what the run did not take. */
export function hashAhead(prepared: Prepared): Blake2bAhead {
  const large = uploadsToHash(prepared).filter((file) => file.size >= PARALLEL_THRESHOLD);
  return new Blake2bAhead(
    large.map((file) => file.path),
    prepared.options.signal,
  );
}

/**
 * Compiles BLAKE2b's module now when the run will hash a file on this thread (below the worker's
 * threshold). Resolves when it is done, never rejects: a failure shows when a file is hashed.
 * The caller must wait for it before connecting anywhere (distributions/wasm-budget.ts).
 */
export async function compileHasherAhead(prepared: Prepared): Promise<void> {
  if (!uploadsToHash(prepared).some((file) => file.size < PARALLEL_THRESHOLD)) return;
  try {
    const { blake2bHasher } = await import("../distributions/wasm-budget.js");
    await blake2bHasher();
  } catch {
    // Hashing the file will fail the same way, where the run can report it.
  }
}
