/**
 * Proxies from the environment (undici's EnvHttpProxyAgent): a tiny forward proxy on 127.0.0.1
 * that handles CONNECT tunnels and absolute-URI requests and records what went through it. Like
 * Squid's default configuration, it refuses CONNECT to a plain-http port.
 */
import { createServer, request, type Server } from "node:http";
import { createServer as createHttpsServer, type Server as HttpsServer } from "node:https";
import { connect, type Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { reportOf, uploadArgs } from "../helpers/cli.js";
import { closedPort, configFor, makePki, runTimed } from "../helpers/transport.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
let index: IndexServer;
let proxy: Server;
let proxyUrl: string;
/** `CONNECT host:port` or `POST http://...`, in arrival order. */
const seen: string[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  fixtures = await ensureFixtures();
  index = await startIndexServer({ mode: "pypi", users: { u: "pw-s" } });
  proxy = createServer((req, res) => {
    // Absolute-URI form (a client that does not tunnel plain http).
    seen.push(`${req.method} ${req.url}`);
    const target = new URL(req.url ?? "");
    const upstream = request(target, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  proxy.on("connect", (req, client: Socket, head: Buffer) => {
    seen.push(`CONNECT ${req.url}`);
    const [host, port] = (req.url ?? "").split(/:(?=\d+$)/);
    // As Squid's default configuration: no tunnels to a plain-http port.
    if (Number(port) === Number(new URL(index.uploadUrl).port)) {
      client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
      return;
    }
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  proxy?.closeAllConnections();
  await new Promise<void>((resolve) => (proxy ? proxy.close(() => resolve()) : resolve()));
  await index?.close();
});

const host = (url: string): string => new URL(url).host;

describe("HTTP_PROXY / HTTPS_PROXY / NO_PROXY", () => {
  it("HTTP_PROXY: a plain-http upload goes to the proxy in absolute form (no CONNECT), also to 127.0.0.1", async () => {
    const { config } = configFor({ s: { url: index.uploadUrl } });
    seen.length = 0;
    const r = await runTimed(uploadArgs(config, "s", fixtures.collectiveFoo.path), {
      env: { HTTP_PROXY: proxyUrl },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    // undici does not exempt loopback from the proxy. Plain http is not tunnelled: proxies
    // commonly allow CONNECT to port 443 only (Squid's default), and twine, pip and curl send
    // `POST http://host/...` to the proxy.
    expect(seen).toEqual([`POST ${index.uploadUrl}`]);
    expect(index.files().map((f) => f.filename)).toContain("collective_foo-1.0.0-py3-none-any.whl");
  });

  it("lower-case http_proxy works too, and NO_PROXY=127.0.0.1 bypasses the proxy", async () => {
    const { config } = configFor({ s: { url: index.uploadUrl } });
    seen.length = 0;
    const viaLower = await runTimed(uploadArgs(config, "s", fixtures.ploneBar.path), {
      env: { http_proxy: proxyUrl },
    });
    expect(viaLower.code, viaLower.stderr).toBe(0);
    expect(seen).toEqual([`POST ${index.uploadUrl}`]);
    seen.length = 0;
    const direct = await runTimed(uploadArgs(config, "s", fixtures.ploneBar.path), {
      env: { HTTP_PROXY: proxyUrl, NO_PROXY: "example.org,127.0.0.1" },
    });
    expect(direct.code, direct.stderr).toBe(0);
    expect(seen).toEqual([]);
    // `localhost` in NO_PROXY does not cover the address 127.0.0.1.
    const notCovered = await runTimed(uploadArgs(config, "s", fixtures.ploneBar.path), {
      env: { HTTP_PROXY: proxyUrl, NO_PROXY: "localhost" },
    });
    expect(notCovered.code, notCovered.stderr).toBe(0);
    expect(seen).toEqual([`POST ${index.uploadUrl}`]);
  });

  it("HTTPS_PROXY tunnels TLS to the index; --cert applies to the index through the tunnel", async () => {
    const pki = makePki();
    let posts = 0;
    const tlsServer: HttpsServer = createHttpsServer(
      { key: pki.key, cert: pki.cert },
      (req, res) => {
        req.resume();
        req.on("end", () => {
          if (req.method === "POST") posts++;
          res.writeHead(200).end("OK");
        });
      },
    );
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    const port = (tlsServer.address() as { port: number }).port;
    try {
      const { config } = configFor({ s: { url: `https://127.0.0.1:${port}/legacy/` } });
      seen.length = 0;
      const r = await runTimed(
        uploadArgs(config, "s", "--cert", pki.caCert, fixtures.ploneBar.path),
        { env: { HTTPS_PROXY: proxyUrl, HTTP_PROXY: "http://127.0.0.1:9" } },
      );
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(seen).toEqual([`CONNECT 127.0.0.1:${port}`]);
      expect(posts).toBe(1);
    } finally {
      tlsServer.closeAllConnections();
      await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
    }
  });

  it("a proxy that refuses the tunnel (Squid: CONNECT to a non-SSL port) is named, not retried", async () => {
    const port = new URL(index.uploadUrl).port;
    const { config } = configFor({ s: { url: `https://127.0.0.1:${port}/legacy/` } });
    seen.length = 0;
    const r = await runTimed(uploadArgs(config, "s", "--json", fixtures.ploneBar.path), {
      env: { HTTPS_PROXY: proxyUrl },
    });
    expect(r.code).toBe(1);
    const [result] = JSON.parse(r.stdout).results;
    expect(result.reason).toBe(
      `the proxy refused a tunnel (CONNECT) to 127.0.0.1:${port} with 403; check HTTPS_PROXY and NO_PROXY`,
    );
    expect(result).toMatchObject({ reasonCode: "proxy", attempts: 1 });
    expect(seen).toEqual([`CONNECT 127.0.0.1:${port}`]);
  });

  it("a proxy that wants credentials (407) says where to put them, and is not retried", async () => {
    let asked = 0;
    const strict = createServer((req, res) => {
      asked++;
      req.resume();
      res.writeHead(407, { "proxy-authenticate": 'Basic realm="corp"' }).end("auth needed");
    });
    await new Promise<void>((resolve) => strict.listen(0, "127.0.0.1", resolve));
    try {
      const { config } = configFor({ s: { url: index.uploadUrl } });
      const r = await runTimed(uploadArgs(config, "s", "--json", fixtures.ploneBar.path), {
        env: { HTTP_PROXY: `http://127.0.0.1:${(strict.address() as { port: number }).port}` },
      });
      expect(r.code).toBe(1);
      expect(reportOf(r).results).toEqual([
        expect.objectContaining({
          status: "failed",
          reason: expect.stringMatching(
            /^the proxy wants credentials \(407\) on the way to 127\.0\.0\.1:\d+: put them in HTTP_PROXY \(http:\/\/user:password@proxy:port\)/,
          ),
        }),
      ]);
      expect(asked).toBe(1);
    } finally {
      strict.closeAllConnections();
      await new Promise<void>((resolve) => strict.close(() => resolve()));
    }
  });

  it("a proxy that is down is named as the problem, not the index", async () => {
    const port = await closedPort();
    const { config } = configFor({ s: { url: index.uploadUrl } });
    const r = await runTimed(
      uploadArgs(config, "s", "--retries", "0", "--json", fixtures.ploneBar.path),
      { env: { HTTP_PROXY: `http://127.0.0.1:${port}` } },
    );
    expect(r.code).toBe(1);
    expect(reportOf(r).results).toEqual([
      expect.objectContaining({
        status: "failed",
        reason: expect.stringMatching(
          new RegExp(
            `^connection refused by proxy 127\\.0\\.0\\.1:${port} \\(on the way to ${host(index.uploadUrl)}`,
          ),
        ),
      }),
    ]);
  });
});
