import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { InterruptedError } from "../errors.js";
import { sessionBusProblem } from "./session-bus.js";

/** One keyring operation, as sent to the child process (JSON on its stdin). */
export type KeyringRequest =
  | { op: "get"; service: string; user: string }
  | { op: "find"; service: string }
  | { op: "set"; service: string; user: string; password: string };

export type KeyringAnswer =
  | { op: "get"; password: string | null }
  | { op: "find"; credentials: Array<{ account: string; password: string }> }
  | { op: "set" };

/** A keyring call bounded in time; rejects with a message when it fails or takes too long. */
export type KeyringCall = (
  request: KeyringRequest,
  options: { timeoutMs: number; signal?: AbortSignal | undefined },
) => Promise<KeyringAnswer>;

/** Raised when the keyring module is not installed for this platform. */
export class KeyringMissingError extends Error {}

export class KeyringTimeoutError extends Error {}

/**
 * The calls themselves, with the native module handed in. Self-contained (no imports, no outer
 * names): its source text is what the child process runs. On Linux the Secret Service is pinned:
 * @napi-rs/keyring would otherwise fall back to the kernel keyutils store, which Python keyring
 * and twine never read.
 */
export async function performKeyringCall(
  keyring: typeof import("@napi-rs/keyring"),
  request: KeyringRequest,
): Promise<KeyringAnswer> {
  const options = { linux: { store: "secret-service" as const } };
  if (request.op === "get") {
    const entry = new keyring.AsyncEntry(request.service, request.user, options);
    return { op: "get", password: await entry.getPassword() };
  }
  if (request.op === "find") {
    const found = await keyring.findCredentialsAsync(request.service, null);
    return {
      op: "find",
      credentials: found.map((c) => ({ account: c.account, password: c.password })),
    };
  }
  const entry = new keyring.AsyncEntry(request.service, request.user, options);
  await entry.setPassword(request.password);
  return { op: "set" };
}

/** The child's program: read one request, answer `{ok, answer}` or `{ok: false, error}`. */
const CHILD_SCRIPT = `
const perform = ${performKeyringCall.toString()};
let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (d) => { input += d; });
process.stdin.on("end", async () => {
  let reply;
  try {
    reply = { ok: true, answer: await perform(require(process.argv[1]), JSON.parse(input)) };
  } catch (error) {
    reply = { ok: false, error: String((error && error.message) || error) };
  }
  process.stdout.write(JSON.stringify(reply), () => process.exit(0));
});
`;

function modulePath(): string {
  try {
    return createRequire(import.meta.url).resolve("@napi-rs/keyring");
  } catch (error) {
    throw new KeyringMissingError(
      `@napi-rs/keyring is not available (${(error as Error).message.split("\n")[0]})`,
    );
  }
}

const MAX_ANSWER = 1024 * 1024;

/**
 * Runs the call in a child process killed at the deadline. In-process calls cannot be bounded: a
 * session bus that accepts the connection and never answers blocks the native call (and with it
 * libuv's thread pool, or the main thread) for good, so neither timers nor Ctrl-C would work.
 */
export const childProcessKeyringCall: KeyringCall = async (request, { timeoutMs, signal }) => {
  const path = modulePath();
  const noBus = sessionBusProblem({
    env: process.env,
    platform: process.platform,
    uid: process.getuid?.() ?? 0,
    exists: existsSync,
  });
  if (signal?.aborted) throw new InterruptedError();
  if (noBus !== undefined) throw new Error(noBus);
  // Loaded when a keyring is asked, not at start-up (child_process brings net and dgram).
  const { spawn } = await import("node:child_process");
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    const child = spawn(process.execPath, ["-e", CHILD_SCRIPT, path], {
      stdio: ["pipe", "pipe", "ignore"],
      env: process.env,
    });
    let output = "";
    let settled = false;
    const finish = (error: Error | undefined, answer?: KeyringAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (child.exitCode === null) child.kill("SIGKILL");
      if (error) reject(error);
      else resolve(answer as KeyringAnswer);
    };
    const onAbort = (): void => finish(new InterruptedError());
    signal?.addEventListener("abort", onAbort, { once: true });
    const timer = setTimeout(
      () => finish(new KeyringTimeoutError(`no answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      output += chunk;
      if (output.length > MAX_ANSWER) finish(new Error("the keyring helper answered too much"));
    });
    child.on("error", (error) => finish(error));
    child.on("close", () => {
      try {
        const reply = JSON.parse(output) as
          | { ok: true; answer: KeyringAnswer }
          | { ok: false; error: string };
        finish(reply.ok ? undefined : new Error(reply.error), reply.ok ? reply.answer : undefined);
      } catch {
        finish(new Error("the keyring helper ended without an answer"));
      }
    });
    child.stdin.on("error", () => undefined);
    child.stdin.end(JSON.stringify(request));
  });
};

/**
 * The same calls in this process, bounded by a race only (the native call may go on). For tests
 * that replace the native module; production uses the child process.
 */
export const inProcessKeyringCall: KeyringCall = async (request, { timeoutMs, signal }) => {
  let keyring: typeof import("@napi-rs/keyring");
  try {
    keyring = await import("@napi-rs/keyring");
  } catch (error) {
    throw new KeyringMissingError(
      `@napi-rs/keyring is not available (${(error as Error).message})`,
    );
  }
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      performKeyringCall(keyring, request),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new KeyringTimeoutError(`no answer within ${timeoutMs / 1000} s`)),
          timeoutMs,
        );
        onAbort = () => reject(new InterruptedError());
        signal?.addEventListener("abort", onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
};
