/**
 * A session bus that accepts the connection and never answers (a wedged dbus-daemon, a stale
 * forwarded socket): every keyring call must end at its deadline with a warning, and Ctrl-C must
 * still end the run at once. The "bus" is a unix socket server in this process.
 */
import { mkdtempSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { pypirc, serverListing, spawnCli, workspace } from "../helpers/cli.js";
import { waitFor } from "../helpers/transport.js";

let fixtures: FixtureSet;
let bus: net.Server;
let busAddress: string;
let connections = 0;
const sockets = new Set<net.Socket>();

beforeAll(async () => {
  fixtures = await ensureFixtures();
  const path = join(mkdtempSync(join(tmpdir(), "pkgpush-silent-bus-")), "bus");
  bus = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("error", () => undefined);
    socket.resume(); // reads the auth handshake, answers nothing
  });
  await new Promise<void>((resolve) => bus.listen(path, resolve));
  busAddress = `unix:path=${path}`;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => bus?.close(resolve));
});

// The keyring is asked for server `a` (user known, no password anywhere).
const { config, dir } = workspace(
  pypirc({
    distutils: { "index-servers": ["a"] },
    a: { repository: "http://127.0.0.1:9/legacy/", username: "alice" },
  }),
);
const env = () => ({
  DBUS_SESSION_BUS_ADDRESS: busAddress,
  XDG_RUNTIME_DIR: dir,
  PKGPUSH_KEYRING: "1",
});

describe("a keyring whose session bus never answers", () => {
  it("pkgpush servers finishes after the deadline (5 s) and says the keyring was skipped", async () => {
    const before = connections;
    const r = await spawnCli(["servers", "--config-file", config, "--json"], {
      env: env(),
      cwd: dir,
    }).done;
    expect(connections).toBeGreaterThan(before); // the bus really was asked
    expect(r.code).toBe(0);
    expect(r.ms).toBeLessThan(9_000);
    expect(r.stderr).toMatch(
      /warning: keyring: the system keyring gave no answer within 5 s .*skipped for the rest of this run/,
    );
    // Asked once: the other servers (pypi, testpypi) are not asked after the timeout.
    expect(r.stderr.match(/warning: keyring/g)).toHaveLength(1);
    expect(serverListing(r.stdout).get("a")?.url).toBe("http://127.0.0.1:9/legacy/");
  }, 20_000);

  it("upload goes on after the deadline: no password, so the usual error listing the sources", async () => {
    const r = await spawnCli(
      ["upload", "--config-file", config, "-r", "a", fixtures.wheel21.path],
      { env: env(), cwd: dir },
    ).done;
    expect(r.ms).toBeLessThan(9_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/warning: keyring: the system keyring gave no answer/);
    expect(r.stderr).toMatch(/no password for server 'a'/);
  }, 20_000);

  it("Ctrl-C during the keyring call: exit 130 within a second", async () => {
    const before = connections;
    const run = spawnCli(["upload", "--config-file", config, "-r", "a", fixtures.wheel21.path], {
      env: env(),
      cwd: dir,
    });
    await waitFor(() => connections > before);
    const sentAt = Date.now();
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(Date.now() - sentAt).toBeLessThan(1_000);
    expect(r.code).toBe(130);
    expect(r.stderr).not.toMatch(/internal error/);
  }, 20_000);
});
