import type { ServerConfig } from "../config/types.js";
import { InterruptedError } from "../errors.js";
import {
  type KeyringCall,
  KeyringMissingError,
  KeyringTimeoutError,
  keyringSession,
} from "./keyring-call.js";
import type { CredentialSource } from "./types.js";

/** Keyring calls go over D-Bus and can hang on a locked or absent store: never wait long. */
const KEYRING_TIMEOUT_MS = 5_000;

/**
 * `--keyring` / `--no-keyring` win; without either, env PKGPUSH_KEYRING (0/false/no/off turns the
 * keyring off); default on.
 */
export function keyringEnabled(flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag;
  return !/^(0|false|no|off)$/i.test((env.PKGPUSH_KEYRING ?? "").trim());
}

export interface KeyringSourceOptions {
  debug: (message: string) => void;
  /** A keyring that does not answer in time: said once (a warning), then not asked again. */
  warn?: (message: string) => void;
  /** Default 5 s. */
  timeoutMs?: number;
  /** Ctrl-C: a pending call ends at once. */
  signal?: AbortSignal | undefined;
  /** Default: one child process for this source's calls, killed at a call's deadline. */
  call?: KeyringCall;
}

/**
 * The system keyring, keyed as Python `keyring` and twine key it: service = the repository URL,
 * user = the user name. Without a known user name, the only entry stored for the service is used
 * (as keyring's get_credential does). Asked only when no earlier source gave a password. A missing
 * module, no Secret Service or a locked store is a debug message; no answer within the deadline is
 * a warning; never a failure. After the first problem the keyring is not asked again in this run.
 */
export function keyringSource(
  optionsOrDebug: KeyringSourceOptions | ((message: string) => void),
): CredentialSource {
  const options = typeof optionsOrDebug === "function" ? { debug: optionsOrDebug } : optionsOrDebug;
  const { debug, signal } = options;
  const warn = options.warn ?? debug;
  const timeoutMs = options.timeoutMs ?? KEYRING_TIMEOUT_MS;
  const call = options.call ?? keyringSession();
  let unavailable: string | undefined;
  return {
    describe: (server) => `system keyring (service ${server.repository})`,
    lookup: async (server: ServerConfig, found) => {
      if (found.password !== undefined) return undefined;
      if (unavailable !== undefined) {
        debug(`keyring: not asked for ${server.repository} (${unavailable})`);
        return undefined;
      }
      try {
        if (found.username !== undefined) {
          const answer = await call(
            { op: "get", service: server.repository, user: found.username },
            { timeoutMs, signal },
          );
          const password = answer.op === "get" ? answer.password : null;
          debug(
            `keyring: ${password === null ? "no" : "a"} password for ${found.username} at ${server.repository}`,
          );
          return password === null ? undefined : { password };
        }
        const answer = await call(
          { op: "find", service: server.repository },
          { timeoutMs, signal },
        );
        const credentials = answer.op === "find" ? answer.credentials : [];
        if (credentials.length === 1) {
          const [only] = credentials;
          debug(`keyring: found user ${only?.account} for ${server.repository}`);
          return { username: only?.account, password: only?.password };
        }
        debug(
          credentials.length > 1
            ? `keyring: ${credentials.length} entries for ${server.repository}; give the user name to pick one`
            : `keyring: no entry for ${server.repository}`,
        );
        return undefined;
      } catch (error) {
        if (error instanceof InterruptedError) throw error;
        const message = (error as Error).message;
        if (error instanceof KeyringMissingError) {
          unavailable = "the keyring module is not available";
          debug(`keyring: ${message}`);
        } else if (error instanceof KeyringTimeoutError) {
          unavailable = `keyring timed out: ${message}`;
          warn(
            `keyring: the system keyring gave ${message} (lookup for ${server.repository}); skipped for the rest of this run (--no-keyring or PKGPUSH_KEYRING=0 turns it off)`,
          );
        } else {
          unavailable = `keyring unavailable: ${message}`;
          debug(`keyring: lookup for ${server.repository} failed: ${message}`);
        }
        return undefined;
      }
    },
  };
}

/** `pkgpush login`: stores a password where Python keyring (and twine) will find it too. */
export async function storeInKeyring(
  service: string,
  username: string,
  password: string,
  options: { timeoutMs?: number; signal?: AbortSignal | undefined; call?: KeyringCall } = {},
): Promise<void> {
  const call = options.call ?? keyringSession();
  try {
    await call(
      { op: "set", service, user: username, password },
      { timeoutMs: options.timeoutMs ?? KEYRING_TIMEOUT_MS, signal: options.signal },
    );
  } catch (error) {
    if (error instanceof KeyringMissingError) {
      throw new Error(
        "the system keyring is not available (optional dependency @napi-rs/keyring is missing)",
      );
    }
    if (error instanceof KeyringTimeoutError)
      throw new Error(`keyring store timed out: ${error.message}`);
    throw error;
  }
}
