/**
 * A server that echoes the password back in every encoding it could come in (as is, JSON-escaped,
 * JSON with \uXXXX escapes, URL-encoded, HTML-escaped, the Basic header with and without padding),
 * plus terminal control sequences. Passwords with quotes and backslashes, a newline (a .pypirc
 * continuation line) and non-ASCII letters must appear in no form in stdout, stderr, --json or
 * --report; a short password must not eat the server's words.
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { type CliResult, runCli, workspace } from "../helpers/cli.js";

let fixtures: FixtureSet;
let echo: http.Server;
let url: string;

const asciiJson = (s: string): string =>
  JSON.stringify(s)
    .slice(1, -1)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
const html = (s: string): string =>
  s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");

/** Every spelling of `password` (and its Basic header for `user`) a leak could take. */
function forms(user: string, password: string): string[] {
  const basic = Buffer.from(`${user}:${password}`).toString("base64");
  return [
    password,
    JSON.stringify(password).slice(1, -1),
    asciiJson(password),
    asciiJson(password).toUpperCase().replace(/\\U/g, "\\u"),
    encodeURIComponent(password),
    html(password),
    password.replace(/\s+/g, " "),
    basic,
    basic.replace(/=+$/, ""),
  ];
}

beforeAll(async () => {
  fixtures = await ensureFixtures();
  echo = http.createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const basic = (req.headers.authorization ?? "").replace(/^Basic /, "");
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const password = decoded.slice(decoded.indexOf(":") + 1);
      const body = [
        "\u001b]0;pwned\u0007\u001b[2J\u001b[31mError: you supplied the wrong credentials\r",
        `raw=${password}`,
        `json={"password": ${JSON.stringify(password)}}`,
        `ascii=${asciiJson(password)}`,
        `url=${encodeURIComponent(password)}`,
        `html=${html(password)}`,
        `basic=${basic} nopad=${basic.replace(/=+$/, "")}`,
      ].join("\n");
      res.writeHead(403, "Forbidden", { "content-type": "text/plain; charset=utf-8" });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => echo.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}/legacy/`;
});

afterAll(async () => {
  echo?.closeAllConnections();
  await new Promise((resolve) => echo?.close(resolve));
});

/** Uploads to the echo server with `password` in .pypirc (raw text, may hold a continuation). */
async function run(
  passwordLine: string,
  extra: string[] = [],
): Promise<{ r: CliResult; report: string }> {
  const { config, dir } = workspace(
    `[distutils]\nindex-servers = echo\n[echo]\nrepository = ${url}\nusername = alice\npassword = ${passwordLine}\n`,
  );
  const report = join(dir, "report.json");
  const r = await runCli(
    [
      "upload",
      "--config-file",
      config,
      "-r",
      "echo",
      "--no-keyring",
      "--retries",
      "0",
      "--report",
      report,
      ...extra,
      fixtures.wheel21.path,
    ],
    { cwd: dir },
  );
  return { r, report: readFileSync(report, "utf8") };
}

function expectNoForms(text: string, user: string, password: string, where: string): void {
  for (const form of forms(user, password)) expect(text, `${where}: ${form}`).not.toContain(form);
}

describe("a server that echoes the password in every encoding", () => {
  const cases: Array<[string, string, string]> = [
    // [what, as written in .pypirc, the password it means]
    ["quotes and backslashes", 'Echo"Pass\\word-17', 'Echo"Pass\\word-17'],
    [
      "a newline (continuation line)",
      "first-Line-Secret\n    second-Line-Secret",
      "first-Line-Secret\nsecond-Line-Secret",
    ],
    ["non-ASCII letters", "pässwörd-Ünïcode-9", "pässwörd-Ünïcode-9"],
  ];
  for (const [what, written, password] of cases) {
    it(`a password with ${what}: in no form on stdout, stderr, --json or --report`, async () => {
      const { r, report } = await run(written, ["--json"]);
      expect(r.code, r.stderr).toBe(1);
      expectNoForms(r.stdout, "alice", password, "stdout (--json)");
      expectNoForms(r.stderr, "alice", password, "stderr");
      expectNoForms(report, "alice", password, "report");
      // The answer is still shown, masked, and the JSON is still JSON.
      const json = JSON.parse(r.stdout);
      expect(json.results[0].reason).toMatch(/raw=\*\*\*/);
      expect(JSON.parse(report).results[0].status).toBe("failed");
      // Also each half of a two-line password on its own (a line may be echoed alone).
      if (password.includes("\n")) {
        for (const half of password.split("\n")) expect(r.stderr).not.toContain(`raw=${half}`);
      }
    });
  }

  it("terminal control sequences from the server are shown escaped, never raw", async () => {
    const { r } = await run("Echo-Control-Secret-5");
    const all = `${r.stdout}${r.stderr}`;
    for (const raw of ["\u001b", "\u0007", "\r"]) expect(all).not.toContain(raw);
    expect(all).toContain("\\u001b[31mError: you supplied the wrong credentials");
  });

  it("a short password (-p wrong) does not eat the server's words, and gets a warning", async () => {
    const { r, report } = await run("long-unused-Secret", ["-p", "wrong"]);
    expect(r.stderr).toMatch(/password is shorter than 8 characters/);
    expect(r.stdout).toContain("you supplied the wrong credentials");
    // Where it stands as a credential, and in its encodings, it is still masked.
    expect(r.stdout).toContain("raw=***");
    expect(r.stdout).toContain("url=***");
    expect(r.stdout).not.toContain(Buffer.from("alice:wrong").toString("base64"));
    expect(report).toContain("you supplied the wrong credentials");
    expect(report).not.toMatch(/"password": "wrong"/);
  });
});

describe("secrets on the command line", () => {
  it("a typo of --password=SECRET is a usage error that does not print the secret", async () => {
    for (const typo of ["--pasword", "--passwd", "--pw", "--pssword"]) {
      const r = await runCli(["upload", `${typo}=Typo-Secret-Value-3`, "x.whl"]);
      expect(r.code).toBe(2);
      expect(`${r.stdout}${r.stderr}`).not.toContain("Typo-Secret-Value-3");
      expect(r.stderr).toMatch(/unknown option/);
    }
  });

  it("a typo with the value as the next argument does not print it either", async () => {
    const r = await runCli(["upload", "--pasword", "Typo-Secret-Value-4", "x.whl"]);
    expect(r.code).toBe(2);
    expect(`${r.stdout}${r.stderr}`).not.toContain("Typo-Secret-Value-4");
  });
});
