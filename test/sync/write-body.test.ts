/** The download writer: every byte in order, each chunk seen first, and every way a body can fail. */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { writeBody } from "../../src/sync/write-body.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pkgpush-write-body-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** Uneven chunks of a known byte sequence, pushed as fast as the reader takes them. */
function unevenBody(total: number): { body: Readable; bytes: Buffer } {
  const bytes = Buffer.alloc(total);
  for (let i = 0; i < total; i++) bytes[i] = (i * 7 + (i >> 11)) & 0xff;
  let at = 0;
  let n = 0;
  const body = new Readable({
    read() {
      if (at >= total) {
        this.push(null);
        return;
      }
      const size = [1, 65536, 4093, 300_000, 17][n++ % 5] as number;
      this.push(bytes.subarray(at, Math.min(total, at + size)));
      at += size;
    },
  });
  return { body, bytes };
}

describe("writeBody", () => {
  it("writes every byte in order (mode 0600), each chunk seen once before it is written", async () => {
    const { body, bytes } = unevenBody(12 * 1024 * 1024 + 5);
    const path = join(dir, "f.whl");
    const seen = createHash("sha256");
    let chunks = 0;
    await writeBody(body, path, (chunk) => {
      seen.update(chunk);
      chunks++;
    });
    expect(readFileSync(path).equals(bytes)).toBe(true);
    expect(seen.digest("hex")).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(chunks).toBeGreaterThan(100);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it("an empty body makes an empty file", async () => {
    const path = join(dir, "empty");
    await writeBody(Readable.from([]), path, () => undefined);
    expect(statSync(path).size).toBe(0);
  });

  it("onChunk's error (a size bound) rejects and destroys the body", async () => {
    const { body } = unevenBody(4 * 1024 * 1024);
    let total = 0;
    const refused = new Error("larger than the index says");
    await expect(
      writeBody(body, join(dir, "big"), (chunk) => {
        total += chunk.length;
        if (total > 1024 * 1024) throw refused;
      }),
    ).rejects.toBe(refused);
    expect(body.destroyed).toBe(true);
  });

  it("a body that fails mid-way rejects with its error", async () => {
    const broken = new Error("connection reset");
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(1000, 1));
        else this.destroy(broken);
      },
    });
    await expect(writeBody(body, join(dir, "cut"), () => undefined)).rejects.toBe(broken);
  });

  it("a body closed without its end or an error rejects: the file is not complete", async () => {
    let sent = 0;
    const body = new Readable({
      read() {
        if (sent++ < 3) this.push(Buffer.alloc(1000, 1));
        else this.destroy();
      },
    });
    await expect(writeBody(body, join(dir, "short"), () => undefined)).rejects.toMatchObject({
      code: "ERR_STREAM_PREMATURE_CLOSE",
    });
  });

  it("a body that failed before it was handed over still rejects (nothing is waited for forever)", async () => {
    const broken = new Error("reset while the caller was busy");
    const body = new Readable({ read() {} });
    body.on("error", () => undefined);
    body.destroy(broken);
    await new Promise((r) => setImmediate(r));
    await expect(writeBody(body, join(dir, "late"), () => undefined)).rejects.toBe(broken);
  });

  it("a body that ended before it was handed over is written whole", async () => {
    const body = Readable.from([Buffer.from("abc"), Buffer.from("def")]);
    await new Promise((r) => setImmediate(r));
    const path = join(dir, "early");
    await writeBody(body, path, () => undefined);
    expect(readFileSync(path, "utf8")).toBe("abcdef");
  });

  it("a file that cannot be created rejects before reading the body", async () => {
    const { body } = unevenBody(1000);
    await expect(writeBody(body, join(dir, "no", "such", "dir"), () => undefined)).rejects.toThrow(
      /ENOENT/,
    );
  });
});
