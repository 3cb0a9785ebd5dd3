import { type ChildProcess, spawn } from "node:child_process";
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

/**
 * The child's program: one request per line of JSON on stdin, one answer per line on stdout
 * (`{id, ok, answer}` or `{id, ok: false, error}`), in order; it ends when its input ends.
 */
const CHILD_SCRIPT = `
const perform = ${performKeyringCall.toString()};
const keyring = require(process.argv[1]);
let buffered = "";
let queue = Promise.resolve();
const answer = async (line) => {
  let id = null;
  let reply;
  try {
    const request = JSON.parse(line);
    id = request.id;
    reply = { id, ok: true, answer: await perform(keyring, request.request) };
  } catch (error) {
    reply = { id, ok: false, error: String((error && error.message) || error) };
  }
  await new Promise((done) => process.stdout.write(JSON.stringify(reply) + "\\n", done));
};
process.stdin.setEncoding("utf8");
process.stdin.on("data", (data) => {
  buffered += data;
  let end;
  while ((end = buffered.indexOf("\\n")) >= 0) {
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    queue = queue.then(() => answer(line));
  }
});
process.stdin.on("end", () => queue.then(() => process.exit(0)));
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
/** A session's child ends this long after its last answer (a run asks for each server in turn). */
const IDLE_MS = 250;

interface Pending {
  resolve: (answer: KeyringAnswer) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

type Reply =
  | { id: number; ok: true; answer: KeyringAnswer }
  | { id: number; ok: false; error: string };

/**
 * Keyring calls in a child process killed at each call's deadline. In-process calls cannot be
 * bounded: a session bus that accepts the connection and never answers blocks the native call
 * (and with it libuv's thread pool, or the main thread) for good, so neither timers nor Ctrl-C
 * would work. One child serves the calls of a session one after another: its start-up (Node and
 * the native module) is paid once per run, not once per server. It never holds this process: a
 * pending call's timer does; idle, the child is told to end, and it ends with this process.
 */
export function keyringSession(
  options: { modulePath?: () => string; idleMs?: number } = {},
): KeyringCall {
  const session = new KeyringChild(options.idleMs ?? IDLE_MS);
  const resolveModule = options.modulePath ?? modulePath;
  return (request, { timeoutMs, signal }) => {
    const path = resolveModule();
    const noBus = sessionBusProblem({
      env: process.env,
      platform: process.platform,
      uid: process.getuid?.() ?? 0,
      exists: existsSync,
    });
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    if (noBus !== undefined) return Promise.reject(new Error(noBus));
    return session.call(path, request, timeoutMs, signal);
  };
}

/** The child and the calls waiting for it: requests go out as lines, answers come back by id. */
class KeyringChild {
  private child: ChildProcess | undefined;
  private output = "";
  private nextId = 0;
  private idle: NodeJS.Timeout | undefined;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly idleMs: number) {}

  call(
    path: string,
    request: KeyringRequest,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<KeyringAnswer> {
    clearTimeout(this.idle);
    const child = this.child ?? this.start(path);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const onAbort = (): void => this.stop(new InterruptedError());
      signal?.addEventListener("abort", onAbort, { once: true });
      const timer = setTimeout(
        () => this.stop(new KeyringTimeoutError(`no answer within ${timeoutMs / 1000} s`)),
        timeoutMs,
      );
      const done = (): void => signal?.removeEventListener("abort", onAbort);
      this.pending.set(id, {
        timer,
        resolve: (answer) => {
          done();
          resolve(answer);
        },
        reject: (error) => {
          done();
          reject(error);
        },
      });
      child.stdin?.write(`${JSON.stringify({ id, request })}\n`);
    });
  }

  private start(path: string): ChildProcess {
    const started = spawn(process.execPath, ["-e", CHILD_SCRIPT, path], {
      stdio: ["pipe", "pipe", "ignore"],
      env: process.env,
    });
    this.child = started;
    this.output = "";
    started.stdout?.setEncoding("utf8");
    started.stdout?.on("data", (chunk: string) => this.read(chunk));
    started.on("error", (error) => {
      if (this.child === started) this.stop(error);
    });
    started.on("close", () => {
      if (this.child === started)
        this.stop(new Error("the keyring helper ended without an answer"));
    });
    started.stdin?.on("error", () => undefined);
    for (const stream of [started.stdin, started.stdout]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
    started.unref();
    return started;
  }

  private read(chunk: string): void {
    this.output += chunk;
    for (let end = this.output.indexOf("\n"); end >= 0; end = this.output.indexOf("\n")) {
      const line = this.output.slice(0, end);
      this.output = this.output.slice(end + 1);
      let reply: Reply;
      try {
        reply = JSON.parse(line) as Reply;
      } catch {
        this.stop(new Error("the keyring helper answered something that is not JSON"));
        return;
      }
      if (reply.ok) this.settle(reply.id, undefined, reply.answer);
      else this.settle(reply.id, new Error(reply.error));
    }
    if (this.output.length > MAX_ANSWER)
      this.stop(new Error("the keyring helper answered too much"));
  }

  private settle(id: number, error: Error | undefined, answer?: KeyringAnswer): void {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    clearTimeout(call.timer);
    if (error) call.reject(error);
    else call.resolve(answer as KeyringAnswer);
    const ending = this.child;
    if (this.pending.size > 0 || !ending) return;
    this.idle = setTimeout(() => {
      // Forgotten first: a call from now on starts a new child instead of writing to this one.
      if (this.child === ending) this.child = undefined;
      ending.stdin?.end();
    }, this.idleMs).unref();
  }

  /** A stuck, broken or killed child: every call still waiting fails with the same reason. */
  private stop(error: Error): void {
    const stopped = this.child;
    this.child = undefined;
    if (stopped && stopped.exitCode === null) stopped.kill("SIGKILL");
    for (const id of [...this.pending.keys()]) this.settle(id, error);
  }
}

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
