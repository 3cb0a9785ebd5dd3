import { describe, expect, it } from "vitest";
import { basicAuth } from "../../src/execute/session.js";
import { escapeControls, Redactor } from "../../src/report/redact.js";

const redactor = new Redactor();
const { redact } = redactor;
const registerCredentials = (user: string, password: string): void =>
  redactor.registerCredentials(user, password);
const registerSecret = (secret: string): void => redactor.registerSecret(secret);

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

describe("redaction of short secrets and encoded forms", () => {
  it("a short secret is masked as a credential and in its encodings, never inside prose", async () => {
    const own = new Redactor();
    const r = own.redact;
    own.registerCredentials("bob", "wrong");
    expect(r("Error: you supplied the wrong credentials")).toBe(
      "Error: you supplied the wrong credentials",
    );
    expect(r("wrongly")).toBe("wrongly");
    expect(r("bob:wrong at x")).toBe("bob:*** at x");
    expect(r("https://bob:wrong@host/")).toBe("https://bob:***@host/");
    expect(r('{"password": "wrong"}')).toBe('{"password": "***"}');
    expect(r("p=wrong&x=1")).toBe("p=***&x=1");
    expect(r(`Basic ${Buffer.from("bob:wrong").toString("base64")}`)).not.toContain(
      Buffer.from("bob:wrong").toString("base64"),
    );
  });

  it("a long secret: JSON \\u escapes (both cases), collapsed white space, HTML escapes", async () => {
    const own = new Redactor();
    const r = own.redact;
    own.registerSecret("Ünï-<code>\n  line-two");
    expect(r("x \\u00dcn\\u00ef-<code>\\n  line-two y")).toBe("x *** y");
    expect(r("x \\u00DCn\\u00EF-<code>\\n  line-two y")).toBe("x *** y");
    expect(r("x Ünï-<code> line-two y")).toBe("x *** y");
    expect(r("x Ünï-&lt;code&gt;\n  line-two y")).toBe("x *** y");
    expect(own.redactValues({ a: ["Ünï-<code>\n  line-two"], n: 1 })).toEqual({ a: ["***"], n: 1 });
  });

  it("control characters are escaped, line feeds and tabs kept", async () => {
    expect(escapeControls("a\u001b[2Jb\rc\u009bd\u202ee\n\tf")).toBe(
      "a\\u001b[2Jb\\u000dc\\u009bd\\u202ee\n\tf",
    );
  });

  it("each run's redactor knows its own secrets only (no module-wide list)", () => {
    const first = new Redactor();
    const second = new Redactor();
    first.registerSecret("first-run-secret-123");
    expect(first.redact("x first-run-secret-123")).toBe("x ***");
    expect(second.redact("x first-run-secret-123")).toBe("x first-run-secret-123");
  });

  it("an unknown --name=value option is quoted without its value", async () => {
    const { hideOptionValues } = await import("../../src/commands/program.js");
    expect(hideOptionValues("error: unknown option '--pasword=s3cr3t'")).toBe(
      "error: unknown option '--pasword=***'",
    );
  });
});
