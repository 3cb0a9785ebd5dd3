import { describe, expect, it } from "vitest";
import { Redactor } from "../../src/report/redact.js";

const redactor = new Redactor();
const { redact } = redactor;
const registerCredentials = (user: string, password: string): void =>
  redactor.registerCredentials(user, password);

describe("redact", () => {
  it("masks registered passwords, their Basic header and PyPI tokens", () => {
    registerCredentials("alice", "s3cret-sentinel");
    const basic = Buffer.from("alice:s3cret-sentinel").toString("base64");
    const text = redact(
      `pw=s3cret-sentinel auth=${basic} Authorization: Bearer abc.def token pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdo`,
    );
    expect(text).not.toContain("s3cret-sentinel");
    expect(text).not.toContain(basic);
    expect(text).not.toContain("abc.def");
    expect(text).not.toContain("AgEIcHlwaS5vcmc");
    expect(text).toContain("pw=***");
  });
});

describe("redact, JSON output", () => {
  it("masks a password with quotes or backslashes inside a JSON string", () => {
    const password = 'q"uo\\te-sentinel';
    registerCredentials("alice", password);
    const json = JSON.stringify({ reason: `user:pass=alice:${password}` });
    expect(redact(json)).not.toContain("uo");
    expect(JSON.parse(redact(json)).reason).toBe("user:pass=alice:***");
  });
});

describe("redact, unregistered secrets", () => {
  it("masks Authorization values however they are quoted", () => {
    for (const text of [
      "Authorization: Basic dXNlcjpwYXNz",
      '{"authorization": "Basic dXNlcjpwYXNz"}',
      "{'Authorization': 'Bearer abc.def.ghi'}",
    ]) {
      expect(redact(text)).not.toMatch(/dXNlcjpwYXNz|abc\.def\.ghi/);
    }
  });
});
