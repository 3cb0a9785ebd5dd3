import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createBLAKE2b } from "hash-wasm";

/** The three digests the legacy upload form carries, lower-case hex. */
export interface Digests {
  sha256: string;
  blake2_256: string;
  md5: string;
}

// 1 MiB reads: large enough to amortise the WASM call per chunk, small enough to keep memory flat.
const CHUNK = 1024 * 1024;

/**
 * Hashes a file once for all three digests (Node's crypto has no BLAKE2b-256, so that one comes
 * from hash-wasm). Streams from disk; memory stays at one chunk whatever the size.
 */
export async function computeDigests(path: string, signal?: AbortSignal): Promise<Digests> {
  const sha256 = createHash("sha256");
  const md5 = createHash("md5");
  const blake = await createBLAKE2b(256);
  const stream = createReadStream(path, { highWaterMark: CHUNK, signal });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    sha256.update(chunk);
    md5.update(chunk);
    blake.update(chunk);
  }
  return { sha256: sha256.digest("hex"), blake2_256: blake.digest("hex"), md5: md5.digest("hex") };
}
