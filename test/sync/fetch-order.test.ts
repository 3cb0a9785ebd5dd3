/**
 * The order downloads are started in: a release's sdist before its wheels (its uploads wait for
 * the wheels on every target, so it should be ready by then), the plan's order otherwise; the
 * results still come back in the plan's order.
 */
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Agent } from "undici";
import { afterAll, describe, expect, it } from "vitest";
import { downloadOrder, fetchAll } from "../../src/sync/fetch-all.js";
import type { Copy } from "../../src/sync/plan.js";

const bytes = Buffer.from("distribution bytes");
const sha = createHash("sha256").update(bytes).digest("hex");
const copy = (filename: string, base = "https://src.example/files"): Copy => ({
  project: "demo",
  version: filename.includes("-2.0") ? "2.0" : "1.0",
  file: { filename, url: `${base}/${filename}`, sha256: sha },
  targets: ["a"],
});
const names = (copies: Copy[]): string[] => copies.map((c) => c.file.filename);

const dispatcher = new Agent();
let server: Server | undefined;
afterAll(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  await dispatcher.close();
});

describe("download order", () => {
  it("sdists (and eggs) first, then wheels, each group in the plan's order", () => {
    const plan = [
      copy("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl"),
      copy("demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"),
      copy("demo-1.0.tar.gz"),
      copy("demo-2.0-py3-none-any.whl"),
      copy("demo-1.0-py3.12.egg"),
      copy("demo-2.0.tar.gz"),
    ];
    expect(names(downloadOrder(plan))).toEqual([
      "demo-1.0.tar.gz",
      "demo-2.0.tar.gz",
      "demo-1.0-py3.12.egg",
      "demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl",
      "demo-1.0-cp312-cp312-manylinux_2_17_x86_64.whl",
      "demo-2.0-py3-none-any.whl",
    ]);
    // The plan itself is left as it was.
    expect(names(plan)[0]).toBe("demo-1.0-cp311-cp311-manylinux_2_17_x86_64.whl");
  });

  it("fetchAll asks the source in that order and reports in the plan's order", async () => {
    const asked: string[] = [];
    server = createServer((req, res) => {
      asked.push(decodeURIComponent((req.url ?? "").split("/").pop() ?? ""));
      res.end(bytes);
    });
    await new Promise<void>((r) => server?.listen(0, "127.0.0.1", r));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const plan = [
      copy("demo-1.0-py3-none-any.whl", `${origin}/files`),
      copy("demo-1.0-py2-none-any.whl", `${origin}/files`),
      copy("demo-1.0.tar.gz", `${origin}/files`),
    ];
    const dir = mkdtempSync(join(tmpdir(), "pkgpush-fetch-order-"));
    try {
      const result = await fetchAll(
        plan,
        {
          dispatcher,
          dir,
          credentialOrigin: origin,
          maxBytes: 1024,
          stallTimeoutMs: 2_000,
          minBytesPerSecond: 1,
          retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
          userAgent: "test",
        },
        1,
      );
      expect(asked).toEqual([
        "demo-1.0.tar.gz",
        "demo-1.0-py3-none-any.whl",
        "demo-1.0-py2-none-any.whl",
      ]);
      expect(result.failed).toEqual([]);
      expect(names(result.ready.map((r) => r.copy))).toEqual(names(plan));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
