import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import busboy from "busboy";
import { describe, expect, it } from "vitest";
import { buildMultipart } from "../../src/protocol/multipart.js";

async function drain(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Parses a body with busboy, the parser many Node servers use, as an independent check. */
function parse(
  body: Buffer,
  contentType: string,
): Promise<{
  fields: Array<[string, string]>;
  files: Array<{ name: string; filename: string; data: Buffer }>;
}> {
  return new Promise((resolve, reject) => {
    const fields: Array<[string, string]> = [];
    const files: Array<{ name: string; filename: string; data: Buffer }> = [];
    const bb = busboy({ headers: { "content-type": contentType }, defParamCharset: "utf8" });
    bb.on("field", (name, value) => fields.push([name, value]));
    bb.on("file", (name, stream, info) => {
      const entry = { name, filename: info.filename ?? "", data: Buffer.alloc(0) };
      files.push(entry);
      stream.on("data", (chunk: Buffer) => {
        entry.data = Buffer.concat([entry.data, chunk]);
      });
    });
    bb.on("close", () => resolve({ fields, files }));
    bb.on("error", reject);
    bb.end(body);
  });
}

describe("buildMultipart", () => {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-mp-"));
  const file = join(dir, "demo-1.0-py3-none-any.whl");
  const content = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
  writeFileSync(file, content);

  it("announces exactly the number of bytes it sends, and can be opened again", async () => {
    const body = buildMultipart(
      [
        ["name", "demo"],
        ["description", "Ünïcode ✓\r\nsecond line"],
        ["classifiers", "A"],
        ["classifiers", "B"],
      ],
      [
        {
          name: "content",
          filename: "demo-1.0-py3-none-any.whl",
          path: file,
          size: content.length,
        },
      ],
    );
    let counted = 0;
    const first = await drain(body.open((n) => (counted += n)));
    expect(first.length).toBe(body.contentLength);
    expect(counted).toBe(content.length);
    const second = await drain(body.open());
    expect(second.equals(first)).toBe(true);

    const parsed = await parse(first, body.contentType);
    expect(parsed.fields).toEqual([
      ["name", "demo"],
      ["description", "Ünïcode ✓\r\nsecond line"],
      ["classifiers", "A"],
      ["classifiers", "B"],
    ]);
    expect(parsed.files).toHaveLength(1);
    expect(parsed.files[0]?.filename).toBe("demo-1.0-py3-none-any.whl");
    expect(parsed.files[0]?.data.equals(content)).toBe(true);
  });

  it("fails instead of sending a wrong length when the file changed size", async () => {
    const grew = buildMultipart(
      [],
      [{ name: "content", filename: "x.whl", path: file, size: content.length - 1 }],
    );
    await expect(drain(grew.open())).rejects.toThrow(/grew while it was being uploaded/);
    const shrank = buildMultipart(
      [],
      [{ name: "content", filename: "x.whl", path: file, size: content.length + 1 }],
    );
    await expect(drain(shrank.open())).rejects.toThrow(/shrank while it was being uploaded/);
  });

  it("a small body is one chunk (head and body in one write); a large one streams in chunks", async () => {
    const chunksOf = async (path: string, size: number): Promise<Buffer[]> => {
      const body = buildMultipart(
        [["name", "demo"]],
        [{ name: "content", filename: "demo-1.0-py3-none-any.whl", path, size }],
      );
      const chunks: Buffer[] = [];
      for await (const chunk of body.open()) chunks.push(chunk as Buffer);
      const all = Buffer.concat(chunks);
      expect(all.length).toBe(body.contentLength);
      const parsed = await parse(all, body.contentType);
      expect(parsed.files[0]?.data.length).toBe(size);
      return chunks;
    };
    expect(await chunksOf(file, content.length)).toHaveLength(1);
    const large = join(dir, "large.whl");
    writeFileSync(large, Buffer.alloc(1024 * 1024 + 1, 7));
    expect((await chunksOf(large, 1024 * 1024 + 1)).length).toBeGreaterThan(1);
  });

  it("sends trailing fields computed from the file after it, within the announced length", async () => {
    let seen = 0;
    const body = buildMultipart(
      [["name", "demo"]],
      [
        {
          name: "content",
          filename: "demo-1.0-py3-none-any.whl",
          path: file,
          size: content.length,
        },
      ],
      {
        trailer: {
          fields: [["bytes_seen", 6]],
          start: async () => {
            seen = 0;
            return {
              update: (chunk: Buffer) => {
                seen += chunk.length;
              },
              finish: async () => [String(seen).padStart(6, "0")],
            };
          },
        },
      },
    );
    const sent = await drain(body.open());
    expect(sent.length).toBe(body.contentLength);
    const parsed = await parse(sent, body.contentType);
    expect(parsed.fields).toEqual([
      ["name", "demo"],
      ["bytes_seen", String(content.length).padStart(6, "0")],
    ]);
    const bad = buildMultipart([], [], {
      trailer: {
        fields: [["x", 2]],
        start: async () => ({ update: () => {}, finish: async () => ["too long"] }),
      },
    });
    await expect(drain(bad.open())).rejects.toThrow(/trailing field x has 8 bytes, 2 announced/);
  });

  it("escapes quotes and newlines in part names", async () => {
    const body = buildMultipart([['we"ird\nname', "v"]], []);
    const text = (await drain(body.open())).toString();
    expect(text).toContain('name="we%22ird%0Aname"');
  });
});
