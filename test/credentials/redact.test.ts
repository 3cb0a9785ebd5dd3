import { describe, expect, it } from "vitest";
import { basicAuth } from "../../src/execute/session.js";
import { redact, registerCredentials, registerSecret } from "../../src/report/redact.js";

const SENTINEL = "Sentinel-Pw-5e1f0c";

describe("redaction of every form a secret takes", () => {
  registerCredentials("alice", SENTINEL);
  const header = basicAuth("alice", SENTINEL);
  const b64 = header.slice("Basic ".length);

  it("the password, its Basic header (in any quoting) and its URL-encoded form", () => {
    const text = [
      `password=${SENTINEL}`,
      `Authorization: ${header}`,
      `{"authorization": "${header}"}`,
      `echo:${b64}:end`,
      `url=https://x/?p=${encodeURIComponent(SENTINEL)}`,
    ].join("\n");
    const out = redact(text);
    expect(out).not.toContain(SENTINEL);
    expect(out).not.toContain(b64);
    expect(out).toContain("password=***");
    expect(out).toContain('{"authorization": "Basic ***"}');
  });

  it("authorization headers with unknown secrets, and PyPI-style tokens never registered", () => {
    const out = redact(
      "authorization: Basic dW5rbm93bjp4eXo= | Authorization: bearer eyJhbGciOi.payload.sig | token pypi-AgEIcHlwaS5vcmcCJDAwMDAwMDAw",
    );
    expect(out).not.toContain("dW5rbm93bjp4eXo");
    expect(out).not.toContain("eyJhbGciOi");
    expect(out).not.toContain("AgEIcHlwaS5vcmc");
    expect(out).toContain("pypi-***");
  });

  it("a token registered later is masked from then on; short strings are not treated as secrets", () => {
    registerSecret("pypi-minted-token-zzz");
    expect(redact("minted pypi-minted-token-zzz")).toBe("minted ***");
    registerSecret("abc");
    expect(redact("abc abcd")).toBe("abc abcd");
  });

  it("leaves ordinary text alone", () => {
    expect(redact("uploaded x-1.0.tar.gz to plone (200 OK)")).toBe(
      "uploaded x-1.0.tar.gz to plone (200 OK)",
    );
  });
});
