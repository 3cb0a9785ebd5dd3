/**
 * A small file sent to several servers at once is read once (src/protocol/shared-file.ts): the
 * bodies opened while a reading is held share it, a released reading is read again, its ring goes
 * back to the pool only when every request was answered, and larger files are not shared.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { buildMultipart, type MultipartBody } from "../../src/protocol/multipart.js";
import { spareRings } from "../../src/protocol/read-rings.js";
import { heldReadings } from "../../src/protocol/shared-file.js";

const dir = mkdtempSync(join(tmpdir(), "pkgpush-shared-"));
const MiB = 1024 * 1024;

/** `size` bytes, all `fill`. */
function write(name: string, size: number, fill: number): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.alloc(size, fill));
  return path;
}

function bodyOf(path: string, size: number): MultipartBody {
  return buildMultipart([["name", "x"]], [{ name: "content", filename: "f.whl", path, size }], {
    boundary: "pkgpush-test-boundary",
  });
}

/** The body's bytes, read to the end as a request would. */
async function sent(body: MultipartBody): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body.open()) chunks.push(Buffer.from(chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Which fill byte a body carries in its file part (every byte of the file is the same). */
function fillOf(bytes: Buffer): number {
  const at = bytes.indexOf("\r\n\r\n", bytes.indexOf("filename=")) + 4;
  return bytes[at] as number;
}

describe("small files read once for the uploads in flight", () => {
  it("bodies opened while a reading is held send its bytes; once all are answered it is read again", async () => {
    const size = 2 * MiB + 5;
    const path = write("shared.whl", size, 1);
    const first = bodyOf(path, size);
    const firstBytes = await sent(first);
    expect(fillOf(firstBytes)).toBe(1);
    expect(heldReadings()).toBe(1);
    // Same size, other bytes: a body opened now still gets the held reading, not a new one.
    write("shared.whl", size, 2);
    const others = [bodyOf(path, size), bodyOf(path, size)];
    const otherBytes = await Promise.all(others.map(sent));
    for (const bytes of otherBytes) expect(bytes.equals(firstBytes)).toBe(true);
    expect(heldReadings()).toBe(1);
    first.answered();
    others[0]?.answered();
    expect(heldReadings()).toBe(1);
    others[1]?.answered();
    expect(heldReadings()).toBe(0);
    // Released: the next body reads the file as it is now.
    const later = bodyOf(path, size);
    expect(fillOf(await sent(later))).toBe(2);
    later.answered();
    expect(heldReadings()).toBe(0);
  });

  it("the ring goes back to the pool after the last answer, never after a body left unanswered", async () => {
    const size = MiB + 3;
    const path = write("ring.whl", size, 3);
    const a = bodyOf(path, size);
    const b = bodyOf(path, size);
    await Promise.all([sent(a), sent(b)]);
    a.answered();
    const before = spareRings();
    b.answered();
    // Returned once the reading has settled (it has: both bodies were read to the end).
    await new Promise((resolve) => setImmediate(resolve));
    expect(spareRings()).toBe(Math.min(before + 1, 4));

    const c = bodyOf(path, size);
    const d = bodyOf(path, size);
    await Promise.all([sent(c), sent(d)]);
    const taken = spareRings();
    c.answered();
    // d failed without an answer: its socket may still hold the bytes.
    d.abandoned();
    await new Promise((resolve) => setImmediate(resolve));
    expect(heldReadings()).toBe(0);
    expect(spareRings()).toBe(taken);
  });

  it("a file that changed size since it was inspected is refused, and the next body reads again", async () => {
    const path = write("changed.whl", MiB, 4);
    await expect(sent(bodyOf(path, MiB - 10))).rejects.toThrow(/grew while it was being uploaded/);
    expect(heldReadings()).toBe(0);
    await expect(sent(bodyOf(path, MiB + 10))).rejects.toThrow(
      /shrank while it was being uploaded/,
    );
    const ok = bodyOf(path, MiB);
    expect(fillOf(await sent(ok))).toBe(4);
    ok.answered();
  });

  it("a file larger than a ring streams through each body's own ring, not shared", async () => {
    const size = 3 * MiB + 7;
    const path = write("large.whl", size, 5);
    const body = bodyOf(path, size);
    const bytes = await sent(body);
    expect(fillOf(bytes)).toBe(5);
    expect(bytes.length).toBe(body.contentLength);
    expect(heldReadings()).toBe(0);
    body.answered();
  });
});
