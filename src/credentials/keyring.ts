import type { ServerConfig } from "../config/types.js";
import type { CredentialSource } from "./types.js";

type KeyringModule = typeof import("@napi-rs/keyring");
type EntryOptions = import("@napi-rs/keyring").EntryOptions;

/** Keyring calls go over D-Bus and can hang on a locked or absent store: never wait long. */
const KEYRING_TIMEOUT_MS = 5_000;

/**
 * On Linux, only the Secret Service (gnome-keyring, KWallet) is where Python keyring and twine
 * look. @napi-rs/keyring would otherwise fall back to the kernel keyutils store when no Secret
 * Service runs: `login` would then "succeed" into a store nobody else reads, and vanish on logout.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: "secret-service" } };

let loaded: Promise<KeyringModule | undefined> | undefined;

/** The optional native module, or undefined when it is not installed for this platform. */
export function loadKeyring(debug: (message: string) => void): Promise<KeyringModule | undefined> {
  loaded ??= import("@napi-rs/keyring").catch((error: unknown) => {
    debug(`keyring: @napi-rs/keyring is not available (${(error as Error).message})`);
    return undefined;
  });
  return loaded;
}

/**
 * `--keyring` / `--no-keyring` win; without either, env PKGPUSH_KEYRING (0/false/no/off turns the
 * keyring off); default on.
 */
export function keyringEnabled(flag: boolean | undefined, env: NodeJS.ProcessEnv): boolean {
  if (flag !== undefined) return flag;
  return !/^(0|false|no|off)$/i.test((env.PKGPUSH_KEYRING ?? "").trim());
}

/** Runs a keyring call with an abort signal and a hard deadline (the native call may ignore it). */
async function bounded<T>(
  call: (signal: AbortSignal) => Promise<T>,
  what: string,
  timeoutMs: number,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call(controller.signal),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          // Reject first: the race must report the timeout, not the abort it causes.
          reject(new Error(`${what} timed out after ${timeoutMs / 1000} s`));
          controller.abort();
        }, timeoutMs);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export interface KeyringSourceOptions {
  debug: (message: string) => void;
  /** Default 5 s. */
  timeoutMs?: number;
}

/**
 * The system keyring, keyed as Python `keyring` and twine key it: service = the repository URL,
 * user = the user name. Without a known user name, the only entry stored for the service is used
 * (as keyring's get_credential does). Asked only when no earlier source gave a password. Any
 * keyring problem (module missing, no Secret Service, locked, timeout) is a debug message, never a
 * failure; after the first such problem the keyring is not asked again in this run.
 */
export function keyringSource(
  optionsOrDebug: KeyringSourceOptions | ((message: string) => void),
): CredentialSource {
  const options = typeof optionsOrDebug === "function" ? { debug: optionsOrDebug } : optionsOrDebug;
  const { debug } = options;
  const timeoutMs = options.timeoutMs ?? KEYRING_TIMEOUT_MS;
  let unavailable: string | undefined;
  return {
    describe: (server) => `system keyring (service ${server.repository})`,
    lookup: async (server: ServerConfig, found) => {
      if (found.password !== undefined) return undefined;
      if (unavailable !== undefined) {
        debug(`keyring: not asked for ${server.repository} (${unavailable})`);
        return undefined;
      }
      const keyring = await loadKeyring(debug);
      if (!keyring) {
        unavailable = "the keyring module is not available";
        return undefined;
      }
      try {
        if (found.username !== undefined) {
          const entry = new keyring.AsyncEntry(server.repository, found.username, ENTRY_OPTIONS);
          const password = await bounded(
            (signal) => entry.getPassword(signal),
            "keyring lookup",
            timeoutMs,
          );
          debug(
            `keyring: ${password === null ? "no" : "a"} password for ${found.username} at ${server.repository}`,
          );
          return password === null ? undefined : { password };
        }
        const credentials = await bounded(
          (signal) => keyring.findCredentialsAsync(server.repository, null, signal),
          "keyring lookup",
          timeoutMs,
        );
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
        unavailable = `keyring unavailable: ${(error as Error).message}`;
        debug(`keyring: lookup for ${server.repository} failed: ${(error as Error).message}`);
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
  timeoutMs = KEYRING_TIMEOUT_MS,
): Promise<void> {
  const keyring = await loadKeyring(() => undefined);
  if (!keyring) {
    throw new Error(
      "the system keyring is not available (optional dependency @napi-rs/keyring is missing)",
    );
  }
  const entry = new keyring.AsyncEntry(service, username, ENTRY_OPTIONS);
  await bounded((signal) => entry.setPassword(password, signal), "keyring store", timeoutMs);
}
