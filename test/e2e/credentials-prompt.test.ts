/**
 * The interactive prompt through a real pseudo-terminal (util-linux `script`): user name echoed,
 * password hidden, asked once per server, only on a terminal.
 */
import { spawn, spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { authAndStatus, cli, pypirc, runCli, uploadArgs, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

interface TerminalRun {
  code: number | null;
  /** Everything the terminal showed (stdout and stderr of the CLI, and the echo of what was typed). */
  screen: string;
}

/**
 * Runs the CLI on a pseudo-terminal and types each answer once its prompt has appeared (prompts
 * are matched in order, so the same prompt text may be expected several times).
 */
function onTerminal(
  args: string[],
  answers: Array<[prompt: string, typed: string]>,
  env: Record<string, string> = {},
): Promise<TerminalRun> {
  const command = [process.execPath, cli, ...args].map(quote).join(" ");
  const child = spawn("script", ["-qec", command, "/dev/null"], {
    env: {
      PATH: process.env.PATH ?? "",
      HOME: env.HOME ?? "/nonexistent",
      CI: "true",
      TERM: "dumb",
      PKGPUSH_KEYRING: "0",
      ...env,
    },
    stdio: ["pipe", "pipe", "pipe"],
  });
  let screen = "";
  let from = 0;
  let next = 0;
  const typeWhenAsked = (): void => {
    const answer = answers[next];
    if (!answer) return;
    const at = screen.indexOf(answer[0], from);
    if (at < 0) return;
    from = at + answer[0].length;
    next++;
    // A short pause, as a person would take: the prompt is fully set up before keys arrive.
    setTimeout(() => {
      child.stdin.write(answer[1]);
      typeWhenAsked();
    }, 150);
  };
  child.stdout.on("data", (d) => {
    screen += d;
    typeWhenAsked();
  });
  child.stderr.on("data", (d) => (screen += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  return new Promise((resolve) => {
    child.on("close", (code) => {
      clearTimeout(timer);
      child.stdin.destroy();
      resolve({ code, screen });
    });
  });
}

let fixtures: FixtureSet;
let one: IndexServer;
let two: IndexServer;

beforeAll(async () => {
  if (spawnSync("sh", ["-c", "command -v script"]).status !== 0) {
    throw new Error(
      "the prompt test needs util-linux `script` (Debian: bsdutils); run `npm run setup`",
    );
  }
  fixtures = await ensureFixtures();
  [one, two] = await Promise.all([
    startIndexServer({ mode: "devpi", users: { alice: "typed-Secret-One-41" } }),
    startIndexServer({ mode: "devpi", users: { bob: "typed-Secret-Two-42" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([one?.close(), two?.close()]);
});

describe("interactive prompt on a terminal", () => {
  it("asks the user name (echoed) and the password (hidden), then uploads", async () => {
    const { config } = workspace(
      pypirc({ distutils: { "index-servers": ["one"] }, one: { repository: one.uploadUrl } }),
    );
    const before = authAndStatus(one).length;
    const r = await onTerminal(uploadArgs(config, "one", fixtures.collectiveFoo.path), [
      ["Username for one (", "alice\r"],
      ["Password or token for alice@one (", "typed-Secret-One-41\r"],
    ]);
    expect(r.code, r.screen).toBe(0);
    expect(authAndStatus(one).slice(before)).toEqual(["Basic alice 200"]);
    // The user name is echoed as typed; the password never appears, nor its Basic form.
    expect(r.screen).toMatch(
      /Username for one \(http:\/\/127\.0\.0\.1:\d+\/legacy\/\): alice\r?\r?\n/,
    );
    expect(r.screen).toMatch(
      /Password or token for alice@one \(http:\/\/127\.0\.0\.1:\d+\/legacy\/\): \r?\n/,
    );
    expect(r.screen).not.toContain("typed-Secret-One-41");
    expect(r.screen).not.toContain(Buffer.from("alice:typed-Secret-One-41").toString("base64"));
    expect(r.screen).toMatch(/uploaded/);
  });

  it("asks once per server, and only for what no other source gave", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["one", "two"] },
        one: { repository: one.uploadUrl, username: "alice" },
        two: { repository: two.uploadUrl },
      }),
    );
    const r = await onTerminal(
      uploadArgs(config, "one,two", "--no-preflight", fixtures.ploneBar.path),
      [
        ["Password or token for alice@one (", "typed-Secret-One-41\r"],
        ["Username for two (", "bob\r"],
        ["Password or token for bob@two (", "typed-Secret-Two-42\r"],
      ],
    );
    expect(r.code, r.screen).toBe(0);
    expect(r.screen.match(/Password or token for/g)).toHaveLength(2);
    expect(r.screen.match(/Username for/g)).toHaveLength(1);
    expect(r.screen).not.toContain("Username for one");
    expect(authAndStatus(one).at(-1)).toBe("Basic alice 200");
    expect(authAndStatus(two).at(-1)).toBe("Basic bob 200");
    expect(r.screen).not.toMatch(/typed-Secret-One-41|typed-Secret-Two-42/);
  });

  it("Ctrl-C at the password prompt stops before anything is sent (exit 130)", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["one"] },
        one: { repository: one.uploadUrl, username: "alice" },
      }),
    );
    const before = one.requests.length;
    const r = await onTerminal(uploadArgs(config, "one", fixtures.collectiveFoo.path), [
      ["Password or token for", "abc\u0003"],
    ]);
    expect(r.code, r.screen).toBe(130);
    expect(r.screen).toMatch(/pkgpush: error: interrupted/);
    expect(one.requests.length).toBe(before);
  });
});

describe("no terminal: no prompt, a clear error", () => {
  it("lists, for the server without a password, every source that was tried", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["one", "two"] },
        one: { repository: one.uploadUrl, username: "alice", password: "typed-Secret-One-41" },
        two: { repository: two.uploadUrl, username: "bob" },
      }),
    );
    const before = one.requests.length + two.requests.length;
    const r = await runCli(uploadArgs(config, "one,two", "--no-keyring", fixtures.ploneBar.path), {
      stdin: "bob-pw\n",
    });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toMatch(/Username for|Password or token for/);
    expect(r.stderr).toMatch(
      /pkgpush: error: no password for server 'two' \(http:\/\/127\.0\.0\.1:\d+\/legacy\/\); tried: command line \(-u\/-p\); environment \(PKGPUSH_TWO_USERNAME\/PASSWORD, PKGPUSH_USERNAME\/PASSWORD, TWINE_USERNAME\/PASSWORD\); .*\.pypirc \[two\]; trusted publishing \(.*\); interactive prompt \(no terminal\)/,
    );
    expect(r.stderr).not.toMatch(/server 'one'/);
    expect(one.requests.length + two.requests.length).toBe(before);
  });

  it("with several servers lacking a password, each is listed with its sources", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["one", "two"] },
        one: { repository: one.uploadUrl },
        two: { repository: two.uploadUrl },
      }),
    );
    const r = await runCli(uploadArgs(config, "one,two", "--no-keyring", fixtures.ploneBar.path));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /no password for server 'one' .*; tried: .*\.pypirc \[one\].*interactive prompt \(no terminal\)/,
    );
    expect(r.stderr).toMatch(
      /no password for server 'two' .*; tried: .*\.pypirc \[two\].*interactive prompt \(no terminal\)/,
    );
  });
});
