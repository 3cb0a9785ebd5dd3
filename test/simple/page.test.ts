import { describe, expect, it } from "vitest";
import {
  PageParseError,
  pageFormat,
  parseHtmlPage,
  parseJsonPage,
  projectPageUrl,
} from "../../src/simple/page.js";

const SHA_A = "a".repeat(64);
const SHA_B = "B".repeat(64);
const PAGE = "https://index.example/simple/demo/";

describe("PEP 691 JSON project pages", () => {
  it("file names, absolute URLs, every hash (lower-cased), size and yanked", () => {
    const files = parseJsonPage(
      JSON.stringify({
        meta: { "api-version": "1.1" },
        name: "demo",
        files: [
          {
            filename: "demo-1.0-py3-none-any.whl",
            url: "../../files/demo-1.0-py3-none-any.whl",
            hashes: { sha256: SHA_B, MD5: "ABCD" },
            size: 1234,
          },
          {
            filename: "demo-1.0.tar.gz",
            url: "https://cdn.example/x/demo-1.0.tar.gz#ignored",
            hashes: {},
            yanked: "broken",
          },
          { filename: "demo-0.9.zip", url: "javascript:alert(1)", hashes: { sha256: 7 } },
          { url: "no-name.whl" },
        ],
      }),
      PAGE,
    );
    expect(files).toEqual([
      {
        filename: "demo-1.0-py3-none-any.whl",
        url: "https://index.example/files/demo-1.0-py3-none-any.whl",
        hashes: { sha256: SHA_B.toLowerCase(), md5: "abcd" },
        size: 1234,
        yanked: undefined,
      },
      {
        filename: "demo-1.0.tar.gz",
        url: "https://cdn.example/x/demo-1.0.tar.gz",
        hashes: {},
        size: undefined,
        yanked: "broken",
      },
      // A URL that is not http(s) is dropped (no download from it), the listing kept.
      { filename: "demo-0.9.zip", url: "", hashes: {}, size: undefined, yanked: undefined },
    ]);
  });

  it("refuses JSON that is not a project page", () => {
    expect(() => parseJsonPage("{", PAGE)).toThrow(PageParseError);
    expect(() => parseJsonPage('{"projects": []}', PAGE)).toThrow(/files list/);
  });
});

describe("PEP 503 HTML project pages", () => {
  it("anchor text is the file name, fragments carry hashes, URLs resolve against the page", () => {
    const html = `<!DOCTYPE html><html><body><h1>Links for demo</h1>
      <a href="../../files/demo-1.0-py3-none-any.whl#sha256=${SHA_A}" data-requires-python="&gt;=3.8">demo-1.0-py3-none-any.whl</a><br/>
      <a href='/packages/ab/demo-1.0.tar.gz#md5=00&amp;sha256=${SHA_B}' data-yanked="">demo-1.0.tar.gz</a>
      <a href=https://files.example/demo-0.9.zip data-yanked="bad build"></a>
      <a name="anchor-without-href">x</a>
    </body></html>`;
    expect(parseHtmlPage(html, PAGE)).toEqual([
      {
        filename: "demo-1.0-py3-none-any.whl",
        url: "https://index.example/files/demo-1.0-py3-none-any.whl",
        hashes: { sha256: SHA_A },
        yanked: undefined,
      },
      {
        filename: "demo-1.0.tar.gz",
        url: "https://index.example/packages/ab/demo-1.0.tar.gz",
        hashes: { md5: "00", sha256: SHA_B.toLowerCase() },
        yanked: true,
      },
      {
        filename: "demo-0.9.zip",
        url: "https://files.example/demo-0.9.zip",
        hashes: {},
        yanked: "bad build",
      },
    ]);
  });

  it("honours <base href> as pip does", () => {
    const html = `<html><head><base href="https://mirror.example/pkgs/"></head>
      <body><a href="demo-1.0.tar.gz">demo-1.0.tar.gz</a></body></html>`;
    expect(parseHtmlPage(html, PAGE)[0]?.url).toBe("https://mirror.example/pkgs/demo-1.0.tar.gz");
  });
});

describe("answers and URLs", () => {
  it("chooses the form by Content-Type, and by the first byte when that is vague", () => {
    expect(pageFormat("application/vnd.pypi.simple.v1+json", "{}")).toBe("json");
    expect(pageFormat("application/vnd.pypi.simple.v1+html; charset=utf-8", "")).toBe("html");
    expect(pageFormat("text/html", "")).toBe("html");
    expect(pageFormat("application/json", ' {"files": []}')).toBe("json");
    expect(pageFormat("", "<html>")).toBe("html");
    expect(pageFormat("text/plain", "hello")).toBeUndefined();
  });

  it("builds the project URL from the simple URL and the normalised name", () => {
    expect(projectPageUrl("https://pypi.org/simple", "products-helloworld")).toBe(
      "https://pypi.org/simple/products-helloworld/",
    );
    expect(projectPageUrl("http://h/u/i/+simple/", "x")).toBe("http://h/u/i/+simple/x/");
  });
});
