/**
 * Inflating one zip member, the same way on either of check's threads (zip-scan.ts on the main
 * thread, yara.ts on both): small on purpose, since the description thread's worker loads it.
 */
import { inflateRawSync } from "node:zlib";

/** A deflated member's bytes, at most `max` of them (zlib throws past that). */
export function inflateMember(data: Uint8Array, size: number, max: number): Buffer {
  // Synchronous: members are small, and the thread pool's hand-offs cost more than they save.
  // One output buffer of the size the directory gives (zlib's default is 16 KiB chunks, joined
  // at the end); a member larger than it says still inflates, in more chunks.
  return inflateRawSync(data, {
    maxOutputLength: Math.max(1, max),
    chunkSize: Math.max(64, size + 1),
  });
}
