/**
 * The multipart body reuses its read buffers (src/protocol/multipart.ts): what reaches a server
 * must still be every byte of the file, in order, when the server reads slowly and the socket
 * pushes back (partial writes, 'drain'), through the real send() and undici.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Dispatcher } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { buildMultipart } from "../../src/protocol/multipart.js";
import { leaseRing, spareRings } from "../../src/protocol/read-rings.js";
import { createDispatcher, send } from "../../src/transport/http.js";

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

/** A server that pauses after every chunk it receives, and answers with the body's sha256. */
async function slowReader(pauseMs: number): Promise<string> {
  const s = createServer((req, res) => {
    const hash = createHash("sha256");
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
      req.pause();
      setTimeout(() => req.resume(), pauseMs);
    });
    req.on("end", () => res.end(JSON.stringify({ sha256: hash.digest("hex"), bytes })));
  });
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}/legacy/`;
}

describe("multipart body with reused read buffers", () => {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-multipart-"));
  // Every 4-byte word differs from the same word of the neighbouring chunks: a chunk sent twice,
  // or overwritten by the next read before it left, changes the body's hash.
  const file = (name: string, size: number): string => {
    const data = Buffer.alloc(size);
    for (let i = 0; i + 4 <= size; i += 4) data.writeUInt32LE(i, i);
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  const big = file("big.whl", 12 * 1024 * 1024 + 12_345);
  const sig = file("big.whl.asc", 700);

  it.each([
    ["one file", [big]],
    ["a file and its signature", [big, sig]],
  ])(
    "a slow server receives exactly the body: %s",
    async (_label, paths) => {
      const parts = paths.map((path, i) => ({
        name: i === 0 ? "content" : "gpg_signature",
        filename: path.split("/").pop() as string,
        path,
        size: i === 0 ? 12 * 1024 * 1024 + 12_345 : 700,
      }));
      const body = buildMultipart([["name", "big"]], parts);
      // The reference: the same body read with no back-pressure, each chunk copied at once.
      const expected = createHash("sha256");
      for await (const chunk of body.open()) expected.update(Buffer.from(chunk as Buffer));

      const url = await slowReader(2);
      const dispatcher = createDispatcher({ connectTimeoutMs: 5000, stallTimeoutMs: 20_000 });
      try {
        const response = await send(dispatcher, {
          method: "POST",
          url,
          headers: {
            "content-type": body.contentType,
            "content-length": String(body.contentLength),
          },
          body: (onChunk) => body.open(onChunk),
          stallTimeoutMs: 20_000,
        });
        expect(response.status).toBe(200);
        expect(JSON.parse(response.body)).toEqual({
          sha256: expected.digest("hex"),
          bytes: body.contentLength,
        });
      } finally {
        await dispatcher.close();
      }
    },
    60_000,
  );
});

describe("read buffers passed from one body to the next (src/protocol/read-rings.ts)", () => {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-rings-"));
  /** A file of `size` bytes whose words all differ from `seed`'s other files. */
  const file = (name: string, size: number, seed: number): string => {
    const data = Buffer.alloc(size);
    for (let i = 0; i + 4 <= size; i += 4) data.writeUInt32LE((i * 2654435761 + seed) >>> 0, i);
    const path = join(dir, name);
    writeFileSync(path, data);
    return path;
  };
  const SIZE = 3 * 1024 * 1024 + 7;
  const bodyOf = (path: string) =>
    buildMultipart(
      [["name", "x"]],
      [{ name: "content", filename: path.split("/").pop() as string, path, size: SIZE }],
      // Fixed, so a reference body and the one sent are the same bytes.
      { boundary: "pkgpush-test-boundary" },
    );
  async function expectedSha(body: ReturnType<typeof bodyOf>): Promise<string> {
    const hash = createHash("sha256");
    for await (const chunk of body.open()) hash.update(Buffer.from(chunk as Buffer));
    return hash.digest("hex");
  }
  const post = (url: string, body: ReturnType<typeof bodyOf>, dispatcher: Dispatcher) =>
    send(dispatcher, {
      method: "POST",
      url,
      headers: { "content-type": body.contentType, "content-length": String(body.contentLength) },
      body: (onChunk) => body.open(onChunk),
      stallTimeoutMs: 20_000,
    });

  it("an answered body's ring serves the next body, whose server still gets exactly its bytes", async () => {
    const url = await slowReader(1);
    const dispatcher = createDispatcher({ connectTimeoutMs: 5000, stallTimeoutMs: 20_000 });
    try {
      const paths = [1, 2, 3].map((seed) => file(`f${seed}.whl`, SIZE, seed));
      // References read from bodies of their own, never sent nor answered (their rings stay out).
      const expected = await Promise.all(paths.map((path) => expectedSha(bodyOf(path))));
      let settled: number | undefined;
      for (const [i, path] of paths.entries()) {
        const body = bodyOf(path);
        const response = await post(url, body, dispatcher);
        expect(JSON.parse(response.body).sha256).toBe(expected[i]);
        body.answered();
        // The first body's ring is given back; each next body takes it and gives it back.
        settled ??= spareRings();
        expect(settled).toBeGreaterThan(0);
        expect(spareRings()).toBe(settled);
      }
    } finally {
      await dispatcher.close();
    }
  }, 60_000);

  it("a ring goes back only when its reading is over and its request answered, either first", () => {
    const size = 1024;
    const answeredFirst = leaseRing(3, size, size);
    const before = spareRings();
    // Answered before its body was read (a server refusing at once): the generator may still
    // read into the ring, so it stays out until the reading ends.
    answeredFirst.answered();
    expect(spareRings()).toBe(before);
    answeredFirst.done();
    expect(spareRings()).toBe(Math.min(before + 1, 4));
    // Read to the end but not answered (failed, or still waiting): not given back.
    const taken = leaseRing(3, size, size);
    const afterTake = spareRings();
    taken.done();
    expect(spareRings()).toBe(afterTake);
    taken.answered();
    expect(spareRings()).toBe(Math.min(afterTake + 1, 4));
    // Rings of smaller buffers (small files) are not kept.
    const small = leaseRing(3, 10, size);
    small.done();
    small.answered();
    expect(spareRings()).toBe(Math.min(afterTake + 1, 4));
  });
});
