/** The test server's download faults and read-side options (used by the sync tests). */
import { createHash } from "node:crypto";
import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { type IndexServer, type IndexServerOptions, startIndexServer } from "./index-server.js";

const bytes = Buffer.alloc(200_000, "abcdefgh");
const name = "demo-1.0.tar.gz";
const open: IndexServer[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

async function start(options: IndexServerOptions = {}): Promise<IndexServer> {
  const s = await startIndexServer(options);
  open.push(s);
  await s.seed(name, bytes);
  return s;
}

/** GET with node:http: the body received and how the connection ended. */
function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Buffer; complete: boolean; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      const done = (): void =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks),
          complete: res.complete,
          headers: res.headers,
        });
      res.on("end", done);
      res.on("aborted", done);
      res.on("error", done);
    });
    req.on("error", reject);
    req.end();
  });
}

describe("download faults", () => {
  it("truncateAfterBytes announces the whole length, sends the start, then breaks the connection", async () => {
    const s = await start({ faults: [{ on: "files", action: { truncateAfterBytes: 1000 } }] });
    const r = await get(`${s.filesUrl}${name}`);
    expect(r.headers["content-length"]).toBe(String(bytes.length));
    expect(r.complete).toBe(false);
    expect(r.body.length).toBeLessThan(bytes.length);
    expect(r.body.equals(bytes.subarray(0, r.body.length))).toBe(true);
    expect(s.requests.at(-1)?.outcome).toBe("reset");
    // Once: the next download is whole.
    expect((await get(`${s.filesUrl}${name}`)).body.equals(bytes)).toBe(true);
  });

  it("corrupt sends as many bytes, not the same ones", async () => {
    const s = await start({ faults: [{ on: "files", action: { corrupt: true } }] });
    const r = await get(`${s.filesUrl}${name}`);
    expect(r.complete).toBe(true);
    expect(r.body.length).toBe(bytes.length);
    const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
    expect(sha(r.body)).not.toBe(sha(bytes));
    expect(s.files()[0]?.sha256).toBe(sha(bytes));
  });
});

describe("read-side options", () => {
  it("readAuth: pages and files need credentials (401 challenge without, 403 wrong)", async () => {
    const s = await start({ users: { u: "pw" }, readAuth: true });
    const none = await get(`${s.simpleUrl}demo/`);
    expect(none.status).toBe(401);
    expect(none.headers["www-authenticate"]).toMatch(/^Basic realm=/);
    const basic = (p: string): string => `Basic ${Buffer.from(`u:${p}`).toString("base64")}`;
    expect((await get(`${s.filesUrl}${name}`, { authorization: basic("no") })).status).toBe(403);
    const ok = await get(`${s.filesUrl}${name}`, { authorization: basic("pw") });
    expect(ok.status).toBe(200);
    expect(ok.body.equals(bytes)).toBe(true);
  });

  it("simpleFormats html answers PEP 503 even to a JSON Accept; filesBaseUrl links files elsewhere", async () => {
    const s = await start({ simpleFormats: "html", filesBaseUrl: "http://cdn.invalid/f/" });
    const r = await get(`${s.simpleUrl}demo/`, { accept: "application/vnd.pypi.simple.v1+json" });
    expect(r.headers["content-type"]).toMatch(/^text\/html/);
    expect(r.body.toString()).toContain(`href="http://cdn.invalid/f/${name}#sha256=`);
  });
});
