/**
 * The keyring child process (credentials/keyring-call.ts keyringSession) with a stand-in for the
 * native module: each answer names the child's pid, so the tests see which child answered.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type KeyringAnswer,
  KeyringTimeoutError,
  keyringSession,
} from "../../src/credentials/keyring-call.js";
import { InterruptedError } from "../../src/errors.js";

let fake: string;
const { env } = process;
const saved = { DBUS_SESSION_BUS_ADDRESS: env.DBUS_SESSION_BUS_ADDRESS };

beforeAll(() => {
  // The global setup points TMPDIR at this run's scratch folder.
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-keyring-"));
  fake = join(dir, "fake-keyring.cjs");
  // `get` answers the child's pid; the service "hang" never answers; "big" answers 2 MiB.
  writeFileSync(
    fake,
    `exports.AsyncEntry = class {
  constructor(service, user) { this.service = service; this.user = user; }
  async getPassword() {
    if (this.service === "hang") return new Promise(() => setInterval(() => {}, 1000));
    if (this.service === "big") return "x".repeat(2 * 1024 * 1024);
    if (this.service === "fail") throw new Error("locked collection");
    return String(process.pid);
  }
};
exports.findCredentialsAsync = async () => [];
`,
  );
  // The session asks for a session bus before starting a child: point it at an existing path.
  env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${fake}`;
});
afterAll(() => {
  if (saved.DBUS_SESSION_BUS_ADDRESS === undefined) delete env.DBUS_SESSION_BUS_ADDRESS;
  else env.DBUS_SESSION_BUS_ADDRESS = saved.DBUS_SESSION_BUS_ADDRESS;
});

const get = (service: string) => ({ op: "get" as const, service, user: "alice" });
const pidOf = (answer: KeyringAnswer) => (answer.op === "get" ? answer.password : null);

/** Whether a process has ended (a zombie not yet reaped counts as ended), waiting up to 3 s. */
async function ended(pid: string | null): Promise<boolean> {
  for (const deadline = Date.now() + 3000; Date.now() < deadline; ) {
    try {
      if (readFileSync(`/proc/${pid}/stat`, "utf8").split(" ")[2] === "Z") return true;
    } catch {
      return true;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

describe("keyringSession", () => {
  it("one child answers the calls of a run, one after another and at once", async () => {
    const call = keyringSession({ modulePath: () => fake });
    const first = pidOf(await call(get("a"), { timeoutMs: 5000 }));
    const second = pidOf(await call(get("b"), { timeoutMs: 5000 }));
    const together = await Promise.all(
      ["c", "d", "e"].map(async (s) => pidOf(await call(get(s), { timeoutMs: 5000 }))),
    );
    expect(first).toMatch(/^\d+$/);
    expect(first).not.toBe(String(process.pid));
    expect(new Set([first, second, ...together])).toEqual(new Set([first]));
  });

  it("ends its child when idle; a later call starts another", async () => {
    const call = keyringSession({ modulePath: () => fake, idleMs: 20 });
    const first = pidOf(await call(get("a"), { timeoutMs: 5000 }));
    expect(await ended(first)).toBe(true);
    const second = pidOf(await call(get("a"), { timeoutMs: 5000 }));
    expect(second).not.toBe(first);
  });

  it("a call past its deadline kills the child; the next call gets a fresh one", async () => {
    const call = keyringSession({ modulePath: () => fake });
    const first = pidOf(await call(get("a"), { timeoutMs: 5000 }));
    await expect(call(get("hang"), { timeoutMs: 300 })).rejects.toBeInstanceOf(KeyringTimeoutError);
    expect(await ended(first)).toBe(true);
    const second = pidOf(await call(get("a"), { timeoutMs: 5000 }));
    expect(second).not.toBe(first);
  });

  it("an error in the store fails that call only; the child goes on", async () => {
    const call = keyringSession({ modulePath: () => fake });
    const first = pidOf(await call(get("a"), { timeoutMs: 5000 }));
    await expect(call(get("fail"), { timeoutMs: 5000 })).rejects.toThrow("locked collection");
    expect(pidOf(await call(get("a"), { timeoutMs: 5000 }))).toBe(first);
  });

  it("bounds the answer, and ends at once on abort", async () => {
    const call = keyringSession({ modulePath: () => fake });
    await expect(call(get("big"), { timeoutMs: 5000 })).rejects.toThrow(/answered too much/);
    const controller = new AbortController();
    const started = Date.now();
    const pending = call(get("hang"), { timeoutMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await expect(pending).rejects.toBeInstanceOf(InterruptedError);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
