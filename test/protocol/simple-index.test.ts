import { describe, expect, it } from "vitest";
import {
  parseProjectPage,
  parseSimpleHtml,
  parseSimpleJson,
  projectPageUrl,
} from "../../src/protocol/simple-index.js";

const SHA_A = "a".repeat(64);
const SHA_B = "B".repeat(64);

describe("simple index pages", () => {
  it("PEP 691 JSON: file names with their sha256 (lower-cased), hashless files kept", () => {
    const files = parseSimpleJson(
      JSON.stringify({
        meta: { "api-version": "1.1" },
        name: "demo",
        files: [
          { filename: "demo-1.0-py3-none-any.whl", url: "x", hashes: { sha256: SHA_B } },
          { filename: "demo-1.0.tar.gz", url: "y", hashes: {} },
        ],
      }),
    );
    expect([...files]).toEqual([
      ["demo-1.0-py3-none-any.whl", SHA_B.toLowerCase()],
      ["demo-1.0.tar.gz", undefined],
    ]);
  });

  it("PEP 503 HTML: anchor text is the file name, the fragment carries the sha256", () => {
    const html = `<!DOCTYPE html><html><body><h1>Links for demo</h1>
      <a href="../../files/demo-1.0-py3-none-any.whl#sha256=${SHA_A}" data-requires-python="&gt;=3.8">demo-1.0-py3-none-any.whl</a><br/>
      <a href='/packages/ab/demo-1.0.tar.gz#md5=00&amp;sha256=${SHA_B}'>demo-1.0.tar.gz</a>
      <a href="https://files.example/demo-0.9.zip"></a>
    </body></html>`;
    expect([...parseSimpleHtml(html)]).toEqual([
      ["demo-1.0-py3-none-any.whl", SHA_A],
      ["demo-1.0.tar.gz", SHA_B.toLowerCase()],
      ["demo-0.9.zip", undefined],
    ]);
  });

  it("chooses the parser by content type; 404 means no files yet; other answers are unknown", () => {
    const json = parseProjectPage({
      status: 200,
      statusText: "OK",
      headers: { "content-type": "application/vnd.pypi.simple.v1+json" },
      body: JSON.stringify({ files: [{ filename: "a-1.whl", hashes: { sha256: SHA_A } }] }),
    });
    expect(json?.get("a-1.whl")).toBe(SHA_A);
    const html = parseProjectPage({
      status: 200,
      statusText: "OK",
      headers: { "content-type": "text/html" },
      body: `<a href="a-1.whl#sha256=${SHA_A}">a-1.whl</a>`,
    });
    expect(html?.get("a-1.whl")).toBe(SHA_A);
    expect(
      parseProjectPage({ status: 404, statusText: "Not Found", headers: {}, body: "" })?.size,
    ).toBe(0);
    expect(
      parseProjectPage({ status: 503, statusText: "Busy", headers: {}, body: "" }),
    ).toBeUndefined();
  });

  it("builds the project URL from the check URL and the normalised name", () => {
    expect(projectPageUrl("https://pypi.org/simple", "products-helloworld")).toBe(
      "https://pypi.org/simple/products-helloworld/",
    );
    expect(projectPageUrl("http://h/u/i/+simple/", "x")).toBe("http://h/u/i/+simple/x/");
  });
});
