import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type IndexServer, startIndexServer } from "./index-server.js";

let htmlOnly: IndexServer;
let private_: IndexServer;
const JSON_FIRST = "application/vnd.pypi.simple.v1+json";
const basic = (user: string, pw: string) =>
  `Basic ${Buffer.from(`${user}:${pw}`).toString("base64")}`;

beforeAll(async () => {
  [htmlOnly, private_] = await Promise.all([
    startIndexServer({ simpleFormats: "html" }),
    startIndexServer({ readAuth: true, users: { alice: "pw-alice" }, realm: "acme" }),
  ]);
  await htmlOnly.seed("demo-1.0.tar.gz", "x");
  await private_.seed("demo-1.0.tar.gz", "x");
});

afterAll(async () => {
  await Promise.all([htmlOnly?.close(), private_?.close()]);
});

describe("simple index options", () => {
  it("simpleFormats html: PEP 503 whatever the Accept header asks", async () => {
    const res = await fetch(`${htmlOnly.simpleUrl}demo/`, { headers: { accept: JSON_FIRST } });
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/<a href="[^"]*demo-1\.0\.tar\.gz#sha256=[0-9a-f]{64}"/);
  });

  it("readAuth: pages and files need the users' credentials (401 challenge, 403 wrong)", async () => {
    const page = `${private_.simpleUrl}demo/`;
    const none = await fetch(page);
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toBe('Basic realm="acme"');
    expect((await fetch(page, { headers: { authorization: basic("alice", "no") } })).status).toBe(
      403,
    );
    const good = await fetch(page, { headers: { authorization: basic("alice", "pw-alice") } });
    expect(good.status).toBe(200);
    expect((await fetch(`${private_.filesUrl}demo-1.0.tar.gz`)).status).toBe(401);
    const file = await fetch(`${private_.filesUrl}demo-1.0.tar.gz`, {
      headers: { authorization: basic("alice", "pw-alice") },
    });
    expect(await file.text()).toBe("x");
  });
});
