import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchProjectFiles, type SimpleEndpoint } from "../../src/simple/client.js";
import { SimpleIndexError } from "../../src/simple/errors.js";
import { confirmSimpleUrl } from "../../src/simple/locate.js";
import { createDispatcher } from "../../src/transport/http.js";
import { closedPort } from "../helpers/transport.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const dispatcher = createDispatcher({ connectTimeoutMs: 2_000, stallTimeoutMs: 5_000 });
const fast = { retries: 2, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 50 };
const options = { userAgent: "pkgpush-test", stallTimeoutMs: 5_000, retry: fast };
const sha = (text: string): string => createHash("sha256").update(text).digest("hex");

let index: IndexServer;
let other: IndexServer;

function endpoint(server: IndexServer, over: Partial<SimpleEndpoint> = {}): SimpleEndpoint {
  return {
    server: "a",
    simpleUrl: server.simpleUrl,
    credentialOrigin: new URL(server.uploadUrl).origin,
    dispatcher,
    authorize: async () => "Basic dTpwdw==",
    ...over,
  };
}

beforeAll(async () => {
  [index, other] = await Promise.all([startIndexServer({}), startIndexServer({})]);
  await index.seed("Demo_Pkg-1.0-py3-none-any.whl", "wheel bytes");
  await index.seed("demo-pkg-1.0.tar.gz", "sdist bytes");
});

afterAll(async () => {
  await Promise.all([index?.close(), other?.close()]);
  await dispatcher.close();
});

describe("fetchProjectFiles against the test index server", () => {
  it("asks for PEP 691 JSON first; files with sha256, size and absolute URLs", async () => {
    const before = index.requests.length;
    const page = await fetchProjectFiles(endpoint(index), "Demo.Pkg", options);
    expect(page).toMatchObject({ project: "demo-pkg", found: true, format: "json" });
    expect(page.url).toBe(`${index.simpleUrl}demo-pkg/`);
    expect(page.files.map((f) => [f.filename, f.hashes.sha256, f.size])).toEqual([
      ["Demo_Pkg-1.0-py3-none-any.whl", sha("wheel bytes"), 11],
      ["demo-pkg-1.0.tar.gz", sha("sdist bytes"), 11],
    ]);
    expect(page.files[1]?.url).toBe(`${index.filesUrl}demo-pkg-1.0.tar.gz`);
    const request = index.requests[before];
    expect(request?.headers.accept).toMatch(/^application\/vnd\.pypi\.simple\.v1\+json, /);
    // Same origin as the upload URL: the server's credentials go along.
    expect(request?.headers.authorization).toBe("Basic u");
  });

  it("an HTML-only answer (PEP 503): hashes from the fragment, relative links resolved", async () => {
    const html = `<!DOCTYPE html><html><body>
      <a href="../../files/demo-pkg-1.0.tar.gz#sha256=${sha("sdist bytes")}">demo-pkg-1.0.tar.gz</a>
    </body></html>`;
    index.setFaults([
      {
        on: "simple",
        times: 1,
        action: { status: 200, body: html, headers: { "Content-Type": "text/html" } },
      },
    ]);
    const page = await fetchProjectFiles(endpoint(index), "demo-pkg", options);
    expect(page.format).toBe("html");
    expect(page.files).toEqual([
      {
        filename: "demo-pkg-1.0.tar.gz",
        url: `${index.filesUrl}demo-pkg-1.0.tar.gz`,
        hashes: { sha256: sha("sdist bytes") },
        yanked: undefined,
      },
    ]);
  });

  it("404: the project has no files there", async () => {
    const page = await fetchProjectFiles(endpoint(index), "nothing-here", options);
    expect(page).toMatchObject({ found: false, files: [] });
  });

  it("no credentials to a simple index on another origin than the upload URL", async () => {
    const before = other.requests.length;
    await fetchProjectFiles(
      endpoint(other, { credentialOrigin: new URL(index.uploadUrl).origin }),
      "x",
      options,
    );
    expect(other.requests[before]?.headers.authorization).toBeUndefined();
  });

  it("retries 503 as uploads do, then reads the page", async () => {
    index.setFaults([{ on: "simple", times: 2, action: { status: 503 } }]);
    const page = await fetchProjectFiles(endpoint(index), "demo-pkg", options);
    expect(page.files).toHaveLength(2);
    expect(index.faultsApplied.length).toBeGreaterThanOrEqual(2);
  });

  it("typed errors: unreachable, auth, another origin, too large, a sign-in page", async () => {
    const failure = (promise: Promise<unknown>) =>
      promise.then(
        () => undefined,
        (e: unknown) => e as SimpleIndexError,
      );
    const port = await closedPort();
    const down = await failure(
      fetchProjectFiles(
        endpoint(index, { simpleUrl: `http://127.0.0.1:${port}/simple/` }),
        "x",
        options,
      ),
    );
    expect(down).toBeInstanceOf(SimpleIndexError);
    expect(down?.reason).toBe("unreachable");
    expect(down?.message).toMatch(/connection refused/);

    index.setFaults([{ on: "simple", times: 1, action: { status: 401 } }]);
    expect((await failure(fetchProjectFiles(endpoint(index), "x", options)))?.reason).toBe("auth");

    const redirecting = await startIndexServer({ redirectSimpleTo: other.simpleUrl });
    try {
      const moved = await failure(fetchProjectFiles(endpoint(redirecting), "x", options));
      expect(moved?.reason).toBe("redirect");
      expect(moved?.message).toMatch(/redirects to another host/);
    } finally {
      await redirecting.close();
    }

    const big = await failure(
      fetchProjectFiles(endpoint(index), "demo-pkg", { ...options, maxPageBytes: 100 }),
    );
    expect(big?.reason).toBe("too-large");

    const signIn =
      '<html><body><form action="/login"><input type="password" name="pw"></form></body></html>';
    index.setFaults([
      {
        on: "simple",
        times: 1,
        action: { status: 200, body: signIn, headers: { "Content-Type": "text/html" } },
      },
    ]);
    const login = await failure(fetchProjectFiles(endpoint(index), "x", options));
    expect(login?.reason).toBe("not-an-index");
  });
});

describe("confirming a derived simple URL", () => {
  it("the index root confirms it; a wrong path does not", async () => {
    expect(await confirmSimpleUrl(endpoint(index), options)).toEqual({ confirmed: true });
    const wrong = await confirmSimpleUrl(
      endpoint(index, { simpleUrl: `${index.url}/nowhere/simple/` }),
      options,
    );
    expect(wrong).toMatchObject({ confirmed: false, reason: "404 Not Found" });
  });

  it("a root without a page (404) is confirmed by a project page instead", async () => {
    index.setFaults([{ on: "simple", times: 1, action: { status: 404 } }]);
    const verdict = await confirmSimpleUrl(endpoint(index), {
      ...options,
      probeProject: "demo-pkg",
    });
    expect(verdict).toEqual({ confirmed: true });
  });

  it("nobody listening: not confirmed, and marked unreachable", async () => {
    const port = await closedPort();
    const verdict = await confirmSimpleUrl(
      endpoint(index, { simpleUrl: `http://127.0.0.1:${port}/simple/` }),
      { ...options, retry: { ...fast, retries: 0 } },
    );
    expect(verdict).toMatchObject({ confirmed: false, unreachable: true });
  });
});
