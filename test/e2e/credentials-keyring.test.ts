/**
 * The system keyring FOR REAL: a private D-Bus session with gnome-keyring (Secret Service), Python
 * `keyring` (what twine uses) on one side and pkgpush (@napi-rs/keyring) on the other. The index
 * servers run in this process on 127.0.0.1; the CLI runs inside `dbus-run-session`.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import {
  authAndStatus,
  cli,
  postsTo,
  pypirc,
  runCli,
  serverListing,
  uploadArgs,
  workspace,
} from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const PYTHON = "/usr/bin/python3";
const SETUP_HINT =
  "install the test peers with `npm run setup` (Debian: dbus, gnome-keyring, python3-keyring, python3-secretstorage)";

/** Fails loudly (never skips) when the peers this test needs are missing. */
function requireTools(): void {
  const missing: string[] = [];
  for (const tool of ["dbus-run-session", "gnome-keyring-daemon"]) {
    if (spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0) missing.push(tool);
  }
  if (
    !existsSync(PYTHON) ||
    spawnSync(PYTHON, ["-c", "import keyring, secretstorage"]).status !== 0
  ) {
    missing.push("python3-keyring/python3-secretstorage for /usr/bin/python3");
  }
  if (missing.length > 0)
    throw new Error(
      `keyring interop test cannot run: missing ${missing.join(", ")}; ${SETUP_HINT}`,
    );
}

let fixtures: FixtureSet;
let local: IndexServer;
let other: IndexServer;

beforeAll(async () => {
  requireTools();
  fixtures = await ensureFixtures();
  [local, other] = await Promise.all([
    startIndexServer({ mode: "devpi", users: { alice: "kr-secret" } }),
    startIndexServer({ mode: "devpi", users: { carol: "secret2" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([local?.close(), other?.close()]);
});

interface Step {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `steps` (name -> shell command) in order inside one private D-Bus session with an unlocked
 * gnome-keyring whose files live in a scratch HOME; each step's output and exit code are kept.
 */
async function inKeyringSession(
  steps: Array<[string, string]>,
  env: Record<string, string>,
): Promise<Record<string, Step>> {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-keyring-"));
  const runtime = join(dir, "run");
  mkdirSync(runtime, { mode: 0o700 });
  const script = [
    "echo pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null",
    ...steps.map(
      ([name, command]) =>
        `( ${command} ) >"$OUT/${name}.out" 2>"$OUT/${name}.err"; echo $? >"$OUT/${name}.rc"`,
    ),
  ].join("\n");
  const child = spawn("dbus-run-session", ["--", "sh", "-c", script], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: dir,
      XDG_RUNTIME_DIR: runtime,
      XDG_DATA_HOME: join(dir, "data"),
      XDG_CONFIG_HOME: join(dir, "config"),
      CI: "true",
      OUT: dir,
      NODE: process.execPath,
      CLI: cli,
      PY: PYTHON,
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let sessionErr = "";
  child.stderr.on("data", (d) => (sessionErr += d));
  child.stdout.resume();
  const timer = setTimeout(() => process.kill(-(child.pid as number), "SIGKILL"), 25_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(timer);
  const results: Record<string, Step> = {};
  for (const [name] of steps) {
    const read = (ext: string): string =>
      existsSync(join(dir, `${name}.${ext}`))
        ? readFileSync(join(dir, `${name}.${ext}`), "utf8")
        : "";
    const rc = read("rc").trim();
    if (rc === "")
      throw new Error(`step ${name} did not run (dbus-run-session exit ${code}): ${sessionErr}`);
    results[name] = { code: Number(rc), stdout: read("out"), stderr: read("err") };
  }
  rmSync(dir, { recursive: true, force: true });
  return results;
}

describe("system keyring interop (gnome-keyring in a private D-Bus session)", () => {
  it("Python keyring -> pkgpush upload; pkgpush login -> Python keyring and the next upload", async () => {
    const { config } = workspace(
      pypirc({
        distutils: { "index-servers": ["local", "other"] },
        local: { repository: local.uploadUrl, username: "alice" },
        other: { repository: other.uploadUrl, username: "carol" },
      }),
    );
    const env = {
      CFG: config,
      LOCAL_URL: local.uploadUrl,
      OTHER_URL: other.uploadUrl,
      FILE: fixtures.collectiveFoo.path,
    };
    const r = await inKeyringSession(
      [
        [
          "pyset",
          `"$PY" -c 'import keyring, sys; keyring.set_password(sys.argv[1], "alice", "kr-secret")' "$LOCAL_URL"`,
        ],
        ["servers", `"$NODE" "$CLI" servers --config-file "$CFG" --json`],
        ["upload", `"$NODE" "$CLI" upload --config-file "$CFG" -r local -v "$FILE"`],
        [
          "login",
          `printf %s secret2 | "$NODE" "$CLI" login --config-file "$CFG" -r other --password-stdin`,
        ],
        [
          "pyget",
          `"$PY" -c 'import keyring, sys; print(keyring.get_password(sys.argv[1], "carol"))' "$OTHER_URL"`,
        ],
        ["upload2", `"$NODE" "$CLI" upload --config-file "$CFG" -r other "$FILE"`],
        ["nokeyring", `"$NODE" "$CLI" upload --config-file "$CFG" -r local --no-keyring "$FILE"`],
      ],
      env,
    );
    expect(r.pyset?.code, r.pyset?.stderr).toBe(0);

    // (a) a password Python keyring stored is found by pkgpush (service = URL, user = alice)
    expect(r.upload?.code, r.upload?.stderr).toBe(0);
    expect(r.upload?.stderr).toMatch(/debug: keyring: a password for alice at /);
    const uploads = postsTo(local);
    expect(uploads.map((q) => q.headers.authorization)).toEqual(["Basic alice"]);
    expect(uploads[0]?.status).toBe(200);
    expect(local.files().map((f) => f.filename)).toEqual([basename(fixtures.collectiveFoo.path)]);

    // `servers` says where the password would come from, without it
    expect(r.servers?.code, r.servers?.stderr).toBe(0);
    expect(serverListing(r.servers?.stdout).get("local")).toMatchObject({
      url: local.uploadUrl,
      passwordFrom: `system keyring (service ${local.uploadUrl})`,
    });
    expect(r.servers?.stdout).not.toContain("kr-secret");

    // (b) pkgpush login stores where Python keyring (twine) reads it
    expect(r.login?.code, r.login?.stderr).toBe(0);
    expect(r.login?.stderr).toMatch(
      /stored the password for carol at .* \(other\) in the system keyring/,
    );
    expect(r.login?.stdout + (r.login?.stderr ?? "")).not.toContain("secret2");
    expect(r.pyget?.stdout.trim()).toBe("secret2");
    expect(r.upload2?.code, r.upload2?.stderr).toBe(0);
    expect(authAndStatus(other)).toEqual(["Basic carol 200"]);

    // --no-keyring: the same upload has no password, and says which sources were tried
    expect(r.nokeyring?.code).toBe(2);
    expect(r.nokeyring?.stderr).toMatch(/no password for server 'local'/);
    expect(r.nokeyring?.stderr).not.toMatch(/system keyring/);

    // No step but Python's own get_password prints a secret.
    for (const [name, step] of Object.entries(r)) {
      expect(step.stdout + step.stderr).not.toContain("kr-secret");
      if (name !== "pyget") expect(step.stdout + step.stderr).not.toContain("secret2");
    }
  });
});

describe("no keyring daemon (no D-Bus session at all)", () => {
  const noBus = (): Record<string, string> => {
    const runtime = mkdtempSync(join(tmpdir(), "pkgpush-nobus-"));
    return { XDG_RUNTIME_DIR: runtime };
  };

  /** A .pypirc with the one server `local`, user alice and no password. */
  const aliceOnLocal = () =>
    workspace(
      pypirc({
        distutils: { "index-servers": ["local"] },
        local: { repository: local.uploadUrl, username: "alice" },
      }),
    );

  it("upload: the lookup fails fast as a debug message; the error lists the sources, keyring included", async () => {
    const { config } = aliceOnLocal();
    const before = local.requests.length;
    const started = Date.now();
    const r = await runCli(uploadArgs(config, "local", "-v", fixtures.collectiveFoo.path), {
      env: noBus(),
      timeoutMs: 20_000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/debug: keyring: lookup for .* failed: /);
    expect(r.stderr).toMatch(
      /pkgpush: error: no password for server 'local' .*; tried: command line \(-u\/-p\); environment .*; .*\.pypirc \[local\]; system keyring \(service http:\/\/127\.0\.0\.1:\d+\/legacy\/\); trusted publishing .*; interactive prompt \(no terminal\)/,
    );
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(local.requests.length).toBe(before);
  });

  it("servers: does not hang, shows no keyring password; --no-keyring and PKGPUSH_KEYRING=0 skip the lookup", async () => {
    const { config } = aliceOnLocal();
    const started = Date.now();
    const r = await runCli(["servers", "--config-file", config, "-v", "--json"], {
      env: noBus(),
      timeoutMs: 20_000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code, r.stderr).toBe(0);
    expect(serverListing(r.stdout).get("local")).toMatchObject({
      username: "alice",
      passwordFrom: null,
    });
    // asked once, then not again after the failure
    expect(r.stderr.match(/debug: keyring: lookup for .* failed/g)).toHaveLength(1);
    for (const off of [["--no-keyring"], []]) {
      const q = await runCli(["servers", "--config-file", config, "-v", ...off], {
        env: { ...noBus(), ...(off.length ? {} : { PKGPUSH_KEYRING: "0" }) },
        timeoutMs: 20_000,
      });
      expect(q.code).toBe(0);
      expect(q.stderr).not.toMatch(/keyring/);
    }
  });

  it("login: a clear error with a hint, no crash", async () => {
    const { config } = aliceOnLocal();
    const started = Date.now();
    const r = await runCli(["login", "--config-file", config, "-r", "local", "--password-stdin"], {
      env: noBus(),
      stdin: "nobus-secret-123",
      timeoutMs: 20_000,
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /pkgpush: error: could not store the password in the system keyring: /,
    );
    expect(r.stderr).toMatch(/pkgpush: hint: is a Secret Service .* running and unlocked\?/);
    expect(r.stdout + r.stderr).not.toContain("nobus-secret-123");
  });
});
