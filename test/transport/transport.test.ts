/**
 * Transport pieces in isolation: the scheduler's limits and order, the digest cache, the retry
 * rules, and send()'s stall watchdog against tiny loopback servers.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { DigestCache } from "../../src/execute/digest-cache.js";
import { runScheduled } from "../../src/execute/scheduler.js";
import type { Job } from "../../src/plan/plan.js";
import {
  createDispatcher,
  describeNetworkError,
  send,
  TransportError,
} from "../../src/transport/http.js";
import {
  defaultRetryPolicy,
  isRetryableError,
  isRetryableStatus,
  withRetries,
} from "../../src/transport/retry.js";
import { dist, server } from "../helpers/builders.js";

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const s = createServer(handler);
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(s.address() as { port: number }).port}/legacy/`;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("scheduler", () => {
  const jobsFor = (perServer: Record<string, number>): Job[] => {
    const jobs: Job[] = [];
    for (const [name, n] of Object.entries(perServer)) {
      for (let i = 0; i < n; i++) {
        jobs.push({
          id: jobs.length,
          action: "upload",
          dist: dist(`p${i}`, "1.0"),
          server: server(name),
          after: [],
        });
      }
    }
    return jobs;
  };

  it("keeps within --concurrency overall and --per-server per server, and runs everything", async () => {
    const jobs = jobsFor({ a: 6, b: 6, c: 6 });
    let inFlight = 0;
    let peak = 0;
    const perServer = new Map<string, number>();
    let peakPerServer = 0;
    const results = await runScheduled(jobs, { concurrency: 4, perServer: 2 }, async (job) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      const n = (perServer.get(job.server.name) ?? 0) + 1;
      perServer.set(job.server.name, n);
      peakPerServer = Math.max(peakPerServer, n);
      await sleep(5);
      perServer.set(job.server.name, n - 1);
      inFlight--;
      return job.id;
    });
    expect(results.size).toBe(18);
    expect(peak).toBe(4);
    expect(peakPerServer).toBe(2);
  });

  it("starts a job only after the jobs it waits for (wheel before sdist, immutable last)", async () => {
    const jobs = jobsFor({ a: 2, pypi: 1 });
    (jobs[2] as Job).after = [0, 1];
    const order: string[] = [];
    await runScheduled(jobs, { concurrency: 8, perServer: 8 }, async (job) => {
      order.push(`start ${job.id}`);
      await sleep(job.id === 0 ? 20 : 1);
      order.push(`end ${job.id}`);
      return job.id;
    });
    expect(order.indexOf("start 2")).toBeGreaterThan(order.indexOf("end 0"));
    expect(order.indexOf("start 2")).toBeGreaterThan(order.indexOf("end 1"));
  });

  it("starts nothing new once aborted; what runs finishes", async () => {
    const jobs = jobsFor({ a: 5 });
    const controller = new AbortController();
    const results = await runScheduled(
      jobs,
      { concurrency: 1, perServer: 1 },
      async (job) => {
        if (job.id === 1) controller.abort();
        await sleep(1);
        return job.id;
      },
      controller.signal,
    );
    expect([...results.keys()]).toEqual([0, 1]);
  });
});

/** A file holding "hello", and its sha256. */
function helloFile(): string {
  const path = join(mkdtempSync(join(tmpdir(), "pkgpush-digest-")), "x.whl");
  writeFileSync(path, "hello");
  return path;
}
const HELLO_SHA256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";

describe("digest cache", () => {
  it("hashes each file once per run, however many servers ask", async () => {
    const path = helloFile();
    const digests = new DigestCache();
    const first = digests.get(path);
    expect(digests.get(path)).toBe(first);
    expect((await first).sha256).toBe(HELLO_SHA256);
  });
});

describe("retry rules", () => {
  it("retries 5xx, 408, 429; never other 4xx", () => {
    for (const s of [500, 502, 503, 504, 408, 429])
      expect(isRetryableStatus(s), String(s)).toBe(true);
    for (const s of [400, 401, 403, 404, 405, 409, 410, 413])
      expect(isRetryableStatus(s), String(s)).toBe(false);
  });

  it("retries connection errors and stalls, not aborts, body errors or certificate problems", () => {
    const e = (code: string) => new TransportError(code, code);
    for (const c of [
      "ECONNRESET",
      "ECONNREFUSED",
      "STALLED",
      "UND_ERR_SOCKET",
      "UND_ERR_CONNECT_TIMEOUT",
    ]) {
      expect(isRetryableError(e(c)), c).toBe(true);
    }
    for (const c of [
      "ABORTED",
      "BODY",
      "SELF_SIGNED_CERT_IN_CHAIN",
      "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
      "ERR_TLS_CERT_ALTNAME_INVALID",
      "CERT_HAS_EXPIRED",
      "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
    ]) {
      expect(isRetryableError(e(c)), c).toBe(false);
    }
    expect(isRetryableError(new Error("plain"))).toBe(false);
  });

  it("caps a server's Retry-After at maxRetryAfterMs", async () => {
    const delays: number[] = [];
    const answers = [
      {
        status: 429,
        statusText: "Too Many Requests",
        headers: { "retry-after": "3600" },
        body: "",
      },
      { status: 200, statusText: "OK", headers: {}, body: "" },
    ];
    const result = await withRetries(
      async (n) => answers[n - 1] as (typeof answers)[number],
      { ...defaultRetryPolicy, maxRetryAfterMs: 5 },
      { onRetry: (event) => delays.push(event.delayMs) },
    );
    expect(result.status).toBe(200);
    expect(delays).toEqual([5]);
  });

  it("reads OpenSSL's alert codes under both names (sslv3 alert before OpenSSL 3.2, ssl/tls alert after)", () => {
    const url = new URL("https://upload.example/legacy/");
    for (const code of [
      "ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE",
      "ERR_SSL_SSL/TLS_ALERT_HANDSHAKE_FAILURE",
    ]) {
      expect(describeNetworkError(Object.assign(new Error("x"), { code }), url).message).toBe(
        "TLS: upload.example refused the handshake (client certificate required, or no common protocol)",
      );
    }
    const bad = Object.assign(new Error("x"), { code: "ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE" });
    expect(describeNetworkError(bad, url).message).toBe(
      "TLS: upload.example refused our client certificate",
    );
  });

  it("names a refusing proxy rather than the index", () => {
    const error = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:3128"), {
      code: "ECONNREFUSED",
      address: "127.0.0.1",
      port: 3128,
    });
    expect(describeNetworkError(error, new URL("https://upload.example/legacy/")).message).toBe(
      "connection refused by proxy 127.0.0.1:3128 (on the way to upload.example; see HTTPS_PROXY/HTTP_PROXY and NO_PROXY)",
    );
    const direct = Object.assign(new Error("x"), {
      code: "ECONNREFUSED",
      address: "10.0.0.1",
      port: 443,
    });
    expect(describeNetworkError(direct, new URL("https://upload.example/legacy/")).message).toBe(
      "connection refused by upload.example",
    );
  });
});

describe("send() and its stall watchdog", () => {
  const dispatcher = () => createDispatcher({ connectTimeoutMs: 2000, stallTimeoutMs: 300 });

  it("aborts when the server stops reading the body", async () => {
    const url = await listen((req) => req.pause());
    const started = Date.now();
    const body = () =>
      Readable.from(
        (function* () {
          for (let i = 0; i < 256; i++) yield Buffer.alloc(1024 * 1024);
        })(),
      );
    const error = await send(dispatcher(), {
      method: "POST",
      url,
      headers: { "content-length": String(256 * 1024 * 1024) },
      body,
      stallTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransportError);
    expect((error as TransportError).code).toBe("STALLED");
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("aborts when the server read everything and never answers", async () => {
    const url = await listen((req) => req.resume());
    const error = await send(dispatcher(), {
      method: "POST",
      url,
      headers: {},
      body: "x".repeat(1000),
      stallTimeoutMs: 300,
    }).catch((e: unknown) => e);
    expect((error as TransportError).code).toBe("STALLED");
  });

  const trickle = () =>
    listen(async (req, res) => {
      req.resume();
      res.writeHead(200);
      for (let i = 0; i < 6 && !res.destroyed; i++) {
        res.write("x");
        await sleep(150);
      }
      res.end();
    });

  it("a trickling answer is no stall: it completes within the answer bound", async () => {
    const response = await send(dispatcher(), {
      method: "GET",
      url: await trickle(),
      headers: {},
      stallTimeoutMs: 300,
      answerTimeoutMs: 5_000,
    });
    expect(response.body).toBe("xxxxxx");
  });

  it("but the whole answer must arrive within answerTimeoutMs, trickle or not", async () => {
    const started = Date.now();
    const error = await send(dispatcher(), {
      method: "GET",
      url: await trickle(),
      headers: {},
      stallTimeoutMs: 300,
      answerTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect((error as TransportError).code).toBe("ANSWER_TIMEOUT");
    expect(Date.now() - started).toBeLessThan(850);
  });

  it("an answer over maxBodyBytes is cut at the cap and marked truncated", async () => {
    const url = await listen((req, res) => {
      req.resume();
      res.writeHead(200, { "content-length": String(1024 * 1024) });
      res.end(Buffer.alloc(1024 * 1024, "y"));
    });
    const response = await send(dispatcher(), {
      method: "GET",
      url,
      headers: {},
      stallTimeoutMs: 2_000,
      maxBodyBytes: 1000,
    });
    expect(response.body).toBe("y".repeat(1000));
    expect(response.truncated).toBe(true);
  });

  it("aborts at once on the caller's signal", async () => {
    const url = await listen((req) => req.resume());
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const error = await send(dispatcher(), {
      method: "GET",
      url,
      headers: {},
      stallTimeoutMs: 10_000,
      signal: controller.signal,
    }).catch((e: unknown) => e);
    expect((error as TransportError).code).toBe("ABORTED");
  });

  it("re-opens the body for every attempt", async () => {
    let calls = 0;
    const url = await listen((req, res) => {
      calls++;
      req.resume();
      req.on("end", () => res.writeHead(calls === 1 ? 503 : 200).end());
    });
    let opened = 0;
    const d = dispatcher();
    const response = await withRetries(
      () =>
        send(d, {
          method: "POST",
          url,
          headers: { "content-length": "5" },
          body: () => {
            opened++;
            return Readable.from([Buffer.from("hello")]);
          },
          stallTimeoutMs: 2000,
        }),
      { ...defaultRetryPolicy, baseDelayMs: 1 },
    );
    expect(response.status).toBe(200);
    expect(opened).toBe(2);
  });
});

describe("digest cache: digests computed while sending", () => {
  it("a claim makes other askers wait for the uploader's digests, once", async () => {
    const path = helloFile();
    const digests = new DigestCache();
    const claim = digests.claim(path);
    expect(claim).toBeDefined();
    expect(digests.claim(path)).toBeUndefined();
    const waiting = digests.get(path);
    const computed = { sha256: "a".repeat(64), blake2_256: "b".repeat(64), md5: "c".repeat(32) };
    claim?.resolve(computed);
    claim?.settle(); // already resolved: no second hashing
    expect(await waiting).toBe(computed);
  });

  it("an upload that never streamed the whole file falls back to hashing it alone", async () => {
    const path = helloFile();
    const digests = new DigestCache();
    digests.claim(path)?.settle();
    expect((await digests.get(path)).sha256).toBe(HELLO_SHA256);
  });
});
