/**
 * The downloader against real HTTP servers on 127.0.0.1: hash check, size bound, retries after a
 * break mid-file, and the credential origin rule across hosts and redirects.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "undici";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { type DownloadOptions, downloadFile, safeFileName } from "../../src/sync/download.js";

const bytes = Buffer.alloc(300_000, "wheel-bytes ");
const sha = createHash("sha256").update(bytes).digest("hex");
const dispatcher = new Agent();
const servers: Server[] = [];
let dir: string;

type Handler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

async function serve(handler: Handler): Promise<{ url: string; seen: IncomingMessage[] }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    handler(req, res, seen.length);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

const options = (origin: string, extra: Partial<DownloadOptions> = {}): DownloadOptions => ({
  dispatcher,
  dir,
  authorization: "Basic c2VjcmV0",
  credentialOrigin: origin,
  maxBytes: 10 * 1024 * 1024,
  stallTimeoutMs: 2_000,
  minBytesPerSecond: 1,
  retry: { retries: 2, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 100 },
  userAgent: "test",
  ...extra,
});
const listed = (url: string, hash = sha, size?: number) => ({
  filename: "demo-1.0-py3-none-any.whl",
  url,
  sha256: hash,
  size,
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "pkgpush-dl-test-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));
afterAll(async () => {
  for (const s of servers) s.closeAllConnections();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await dispatcher.close();
});

describe("downloadFile", () => {
  it("streams the file into the folder, verified, with the source's credentials on its origin", async () => {
    const src = await serve((_req, res) => res.end(bytes));
    const got = await downloadFile(listed(`${src.url}/files/x`), options(src.url));
    expect(got).toMatchObject({ size: bytes.length, sha256: sha, attempts: 1 });
    expect(readFileSync(got.path).equals(bytes)).toBe(true);
    expect(src.seen[0]?.headers.authorization).toBe("Basic c2VjcmV0");
    expect(readdirSync(dir)).toEqual(["demo-1.0-py3-none-any.whl"]);
  });

  it("computes sha256, BLAKE2b-256 and (when asked) md5 in the same pass, as Python's hashlib does", async () => {
    // Irregular chunks, so the digests are fed many uneven pieces.
    const src = await serve((_req, res) => {
      let at = 0;
      const next = (): void => {
        if (at >= bytes.length) return void res.end();
        const n = 1 + ((at * 7919) % 40_000);
        res.write(bytes.subarray(at, at + n), next);
        at += n;
      };
      next();
    });
    const got = await downloadFile(listed(`${src.url}/f`), options(src.url, { md5: true }));
    const python = execFileSync(
      "python3",
      [
        "-c",
        "import hashlib,sys; d=open(sys.argv[1],'rb').read(); print(hashlib.sha256(d).hexdigest(), hashlib.blake2b(d, digest_size=32).hexdigest(), hashlib.md5(d).hexdigest())",
        got.path,
      ],
      { encoding: "utf8" },
    )
      .trim()
      .split(" ");
    expect([got.sha256, got.blake2_256, got.md5]).toEqual(python);
    const plain = await downloadFile(listed(`${src.url}/f`), options(src.url));
    expect(plain.md5).toBeUndefined();
    expect(plain.blake2_256).toBe(python[1]);
  });

  it("a file on another host gets no Authorization header", async () => {
    const cdn = await serve((_req, res) => res.end(bytes));
    const src = await serve((_req, res) => res.end("index"));
    await downloadFile(listed(`${cdn.url}/f`), options(src.url));
    expect(cdn.seen[0]?.headers.authorization).toBeUndefined();
  });

  it("a redirect to another host drops the credentials, and they are not sent again on the way back", async () => {
    let srcUrl = "";
    const cdn = await serve((_req, res) => {
      res.writeHead(302, { location: `${srcUrl}/final` }).end();
    });
    const src = await serve((req, res) => {
      if (req.url === "/start") res.writeHead(307, { location: `${cdn.url}/f` }).end();
      else res.end(bytes);
    });
    srcUrl = src.url;
    await downloadFile(listed(`${src.url}/start`), options(src.url));
    expect(src.seen.map((r) => [r.url, r.headers.authorization])).toEqual([
      ["/start", "Basic c2VjcmV0"],
      ["/final", undefined],
    ]);
    expect(cdn.seen[0]?.headers.authorization).toBeUndefined();
  });

  it("a connection broken mid-file is retried from the start; the kept file is whole", async () => {
    const src = await serve((_req, res, n) => {
      res.writeHead(200, { "content-length": bytes.length });
      if (n === 1) {
        res.write(bytes.subarray(0, 100_000));
        setTimeout(() => res.destroy(), 20);
      } else res.end(bytes);
    });
    const retries: string[] = [];
    const got = await downloadFile(
      listed(`${src.url}/f`),
      options(src.url, { onRetry: (_n, _d, why) => retries.push(why) }),
    );
    expect(got.attempts).toBe(2);
    expect(retries).toHaveLength(1);
    expect(readFileSync(got.path).equals(bytes)).toBe(true);
  });

  it("wrong bytes are refused (no retry), and nothing is left in the folder", async () => {
    const src = await serve((_req, res) => res.end(Buffer.from(bytes).fill("z", 0, 10)));
    await expect(downloadFile(listed(`${src.url}/f`), options(src.url))).rejects.toMatchObject({
      code: "HASH_MISMATCH",
      message: expect.stringMatching(/sha256 mismatch: the source's index says [0-9a-f]{64}/),
    });
    expect(src.seen).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a body longer than the index's size is cut off and refused", async () => {
    const src = await serve((_req, res) => res.end(Buffer.concat([bytes, bytes])));
    await expect(
      downloadFile(listed(`${src.url}/f`, sha, bytes.length), options(src.url)),
    ).rejects.toMatchObject({ code: "TOO_LARGE" });
    const capped = await serve((_req, res) => res.end(bytes));
    await expect(
      downloadFile(listed(`${capped.url}/f`), options(capped.url, { maxBytes: 1000 })),
    ).rejects.toMatchObject({
      code: "TOO_LARGE",
      message: expect.stringMatching(/--max-download-size \(1000 bytes\)/),
    });
  });

  it("a source that stalls is given up on after the retries", async () => {
    const src = await serve((_req, res) => {
      res.writeHead(200, { "content-length": bytes.length });
      res.write(bytes.subarray(0, 10));
    });
    const started = Date.now();
    await expect(
      downloadFile(
        listed(`${src.url}/f`),
        options(src.url, {
          stallTimeoutMs: 200,
          retry: { retries: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10 },
        }),
      ),
    ).rejects.toMatchObject({ code: "STALLED", message: expect.stringMatching(/2 attempts/) });
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(src.seen).toHaveLength(2);
  });

  it("401 says the source wants credentials; 503 is retried", async () => {
    const auth = await serve((_req, res) => res.writeHead(401).end());
    await expect(
      downloadFile(listed(`${auth.url}/f`), options(auth.url, { authorization: undefined })),
    ).rejects.toMatchObject({
      message: expect.stringMatching(/401: the source wants credentials/),
    });
    expect(auth.seen).toHaveLength(1);
    const flaky = await serve((_req, res, n) =>
      n === 1 ? res.writeHead(503).end() : res.end(bytes),
    );
    expect((await downloadFile(listed(`${flaky.url}/f`), options(flaky.url))).attempts).toBe(2);
  });

  it("Ctrl-C aborts a download at once", async () => {
    const src = await serve((_req, res) => {
      res.writeHead(200, { "content-length": bytes.length });
      res.write(bytes.subarray(0, 10));
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = Date.now();
    await expect(
      downloadFile(listed(`${src.url}/f`), options(src.url, { signal: controller.signal })),
    ).rejects.toMatchObject({ code: "ABORTED" });
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("file names that would leave the folder are refused", () => {
    for (const bad of ["../x.whl", "a/b.whl", ".hidden.whl", "..", "a\\b.whl"]) {
      expect(safeFileName(bad)).toBe(false);
    }
    expect(safeFileName("demo-1.0.tar.gz")).toBe(true);
  });
});
