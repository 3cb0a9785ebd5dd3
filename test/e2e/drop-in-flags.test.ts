/**
 * twine's and uv's flags and variables, with their meaning (README "Coming from twine or uv"):
 * each run is the real CLI against the test index server. Signing uses the real gpg with a
 * throw-away key in a private GNUPGHOME.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { fieldsOf, postsTo, pypirc, runCli, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let fixtures: FixtureSet;
let pypi: IndexServer;
let devpi: IndexServer;
const TOKEN = "pypi-dropin-t0ken-5e3f9a";

beforeAll(async () => {
  fixtures = await ensureFixtures();
  [pypi, devpi] = await Promise.all([
    startIndexServer({ mode: "pypi", users: { __token__: TOKEN } }),
    startIndexServer({ mode: "devpi", users: { alice: "alice-pw" } }),
  ]);
});
afterAll(async () => {
  await Promise.all([pypi?.close(), devpi?.close()]);
});

/** A private copy of a fixture (signing writes <file>.asc next to it). */
function copyOf(path: string): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-dropin-"));
  const file = join(dir, basename(path));
  copyFileSync(path, file);
  return { dir, file };
}

describe("uv publish's flags", () => {
  it("-t TOKEN and UV_PUBLISH_TOKEN send __token__ with the token, which never shows", async () => {
    const { dir, file } = copyOf(fixtures.wheel21.path);
    const r = await runCli(["upload", "--publish-url", pypi.uploadUrl, "-t", TOKEN, "-v", file], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
    const { file: again } = copyOf(fixtures.sdist12zip.path);
    const r2 = await runCli(["upload", again], {
      cwd: dir,
      env: { UV_PUBLISH_URL: pypi.uploadUrl, UV_PUBLISH_TOKEN: TOKEN },
    });
    expect(r2.code, r2.stderr).toBe(0);
    expect(
      postsTo(pypi)
        .slice(-2)
        .map((q) => q.user),
    ).toEqual(["__token__", "__token__"]);
  });

  it("UV_PUBLISH_USERNAME/UV_PUBLISH_PASSWORD are -u/-p; --token with -p is refused", async () => {
    const { dir, file } = copyOf(fixtures.wheel24.path);
    const r = await runCli(["upload", "--publish-url", devpi.uploadUrl, file], {
      cwd: dir,
      env: { UV_PUBLISH_USERNAME: "alice", UV_PUBLISH_PASSWORD: "alice-pw" },
    });
    expect(r.code, r.stderr).toBe(0);
    expect(postsTo(devpi).at(-1)?.user).toBe("alice");
    const bad = await runCli([
      "upload",
      "--publish-url",
      devpi.uploadUrl,
      "-t",
      "x",
      "-p",
      "y",
      file,
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--token and --password");
  });

  it("--index NAME uploads to its publish-url and checks its url (pyproject.toml, real TOML)", async () => {
    const { dir, file } = copyOf(fixtures.wheel21.path);
    writeFileSync(
      join(dir, "pyproject.toml"),
      `[project]\nname = "x"\n\n[[tool.uv.index]]\nname = "other"\nurl = "http://127.0.0.1:1/simple/"\n\n[[tool.uv.index]]\nname = "acme"\nurl = "${pypi.simpleUrl}"\npublish-url = "${pypi.uploadUrl}"\nexplicit = true\n`,
    );
    const before = pypi.requests.length;
    const r = await runCli(["upload", "--index", "acme", "-t", TOKEN, "--skip-existing", file], {
      cwd: dir,
    });
    expect(r.code, r.stderr).toBe(0);
    // Already uploaded by the first test: the index's url answers "same file" without a POST.
    const seen = pypi.requests.slice(before);
    expect(
      seen.some((q) => q.method === "GET" && q.path.startsWith(new URL(pypi.simpleUrl).pathname)),
    ).toBe(true);
    const missing = await runCli(["upload", "--index", "nope", "-t", TOKEN, file], { cwd: dir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("no [[tool.uv.index]] named 'nope'");
    expect(missing.stderr).toContain("other, acme");
  });

  it("--trusted-publishing automatic is uv's name for auto; --publish-url and --repository-url conflict", async () => {
    const r = await runCli([
      "upload",
      "--dry-run",
      "--trusted-publishing",
      "automatic",
      "--publish-url",
      devpi.uploadUrl,
      "-u",
      "alice",
      "-p",
      "alice-pw",
      fixtures.wheel21.path,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const both = await runCli([
      "upload",
      "--publish-url",
      devpi.uploadUrl,
      "--repository-url",
      pypi.uploadUrl,
      fixtures.wheel21.path,
    ]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--repository-url and --publish-url");
  });
});

describe("twine's flags", () => {
  it("-c sends the comment; --non-interactive, --disable-progress-bar, --no-progress, --no-color are accepted", async () => {
    const { dir, file } = copyOf(fixtures.sdist11.path);
    const r = await runCli(
      [
        "upload",
        "--repository-url",
        devpi.uploadUrl,
        "-u",
        "alice",
        "-p",
        "alice-pw",
        "-c",
        "built by CI",
        "--non-interactive",
        "--disable-progress-bar",
        "--no-progress",
        "--no-color",
        file,
      ],
      { cwd: dir },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(fieldsOf(postsTo(devpi).at(-1)).get("comment")).toEqual(["built by CI"]);
  });

  it("TWINE_NON_INTERACTIVE=1 never prompts, even on a terminal", async () => {
    const { config } = workspace(
      pypirc({ distutils: { "index-servers": ["d"] }, d: { repository: devpi.uploadUrl } }),
    );
    if (spawnSync("sh", ["-c", "command -v script"]).status !== 0)
      throw new Error("needs util-linux script");
    // A real pseudo-terminal: without the variable, pkgpush would ask for a user name here.
    const command = `TWINE_NON_INTERACTIVE=1 ${process.execPath} ${join(import.meta.dirname, "../../bin/pkgpush.cjs")} upload --config-file ${config} -r d --no-keyring ${fixtures.sdist11.path}`;
    const r = spawnSync("script", ["-qec", command, "/dev/null"], {
      encoding: "utf8",
      timeout: 30_000,
      input: "",
    });
    expect(r.stdout).not.toContain("Username for");
    expect(r.stdout).toMatch(/no password|password/i);
    expect(r.status).toBe(2);
  });

  it("TWINE_CERT is --cert", async () => {
    const r = await runCli(
      [
        "upload",
        "--repository-url",
        "https://127.0.0.1:1/legacy/",
        "-u",
        "a",
        "-p",
        "b",
        fixtures.wheel21.path,
      ],
      {
        env: { TWINE_CERT: "/nonexistent/ca.pem" },
      },
    );
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("/nonexistent/ca.pem");
  });
});

describe("twine's -s/--sign with gpg", () => {
  let gnupg: string;
  beforeAll(() => {
    gnupg = mkdtempSync(join(tmpdir(), "pkgpush-gnupg-"));
    execFileSync(
      "gpg",
      [
        "--batch",
        "--homedir",
        gnupg,
        "--passphrase",
        "",
        "--quick-gen-key",
        "pkgpush test <signer@example.test>",
        "ed25519",
        "sign",
        "never",
      ],
      { stdio: "ignore" },
    );
  });
  afterAll(() => {
    spawnSync("gpgconf", ["--homedir", gnupg, "--kill", "gpg-agent"]);
  });

  it("signs with the chosen identity and sends gpg_signature; the signature verifies", async () => {
    const { dir, file } = copyOf(fixtures.sdist12zip.path);
    const r = await runCli(
      [
        "upload",
        "--repository-url",
        devpi.uploadUrl,
        "-u",
        "alice",
        "-p",
        "alice-pw",
        "-s",
        "-i",
        "signer@example.test",
        file,
      ],
      { cwd: dir, env: { GNUPGHOME: gnupg } },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(`${file}.asc`)).toBe(true);
    expect(postsTo(devpi).at(-1)?.signature?.filename).toBe(`${basename(file)}.asc`);
    const verify = spawnSync("gpg", ["--homedir", gnupg, "--verify", `${file}.asc`, file], {
      encoding: "utf8",
    });
    expect(verify.status, verify.stderr).toBe(0);
  });

  it("a failing signer stops the run before anything is sent", async () => {
    const { dir, file } = copyOf(fixtures.wheel24.path);
    const before = postsTo(devpi).length;
    const r = await runCli(
      [
        "upload",
        "--repository-url",
        devpi.uploadUrl,
        "-u",
        "alice",
        "-p",
        "alice-pw",
        "-s",
        "-i",
        "nobody@example.test",
        file,
      ],
      { cwd: dir, env: { GNUPGHOME: gnupg } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/signing .* with gpg failed/);
    expect(postsTo(devpi).length).toBe(before);
    const noProgram = await runCli(
      [
        "upload",
        "--dry-run",
        "--repository-url",
        devpi.uploadUrl,
        "-u",
        "a",
        "-p",
        "b",
        "--identity",
        "x",
        file,
      ],
      { cwd: dir },
    );
    expect(noProgram.code).toBe(2);
    expect(noProgram.stderr).toContain("--identity needs -s/--sign");
  });
});
