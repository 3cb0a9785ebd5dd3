import type { ServerConfig } from "../config/types.js";
import type { CredentialSource } from "./types.js";

type KeyringModule = typeof import("@napi-rs/keyring");

/** Keyring calls go over D-Bus and can hang on a locked or absent store: never wait long. */
const KEYRING_TIMEOUT_MS = 5_000;

let loaded: Promise<KeyringModule | undefined> | undefined;

/** The optional native module, or undefined when it is not installed for this platform. */
export function loadKeyring(debug: (message: string) => void): Promise<KeyringModule | undefined> {
  loaded ??= import("@napi-rs/keyring").catch((error: unknown) => {
    debug(`keyring: @napi-rs/keyring is not available (${(error as Error).message})`);
    return undefined;
  });
  return loaded;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  const signal = AbortSignal.timeout(KEYRING_TIMEOUT_MS);
  return Promise.race([
    promise,
    new Promise<never>((_, reject) =>
      signal.addEventListener("abort", () => reject(new Error(`${what} timed out`)), {
        once: true,
      }),
    ),
  ]);
}

/**
 * The system keyring, keyed as Python `keyring` and twine key it: service = the repository URL,
 * user = the user name. Without a known user name, the only entry stored for the service is used
 * (as keyring's get_credential does). Any keyring problem is a debug message, never a failure.
 */
export function keyringSource(debug: (message: string) => void): CredentialSource {
  return {
    describe: (server) => `system keyring (service ${server.repository})`,
    lookup: async (server: ServerConfig, found) => {
      if (found.password !== undefined) return undefined;
      const keyring = await loadKeyring(debug);
      if (!keyring) return undefined;
      try {
        if (found.username !== undefined) {
          const entry = new keyring.AsyncEntry(server.repository, found.username);
          const password = await withTimeout(entry.getPassword(), "keyring lookup");
          return password === null ? undefined : { password };
        }
        const credentials = await withTimeout(
          keyring.findCredentialsAsync(server.repository),
          "keyring lookup",
        );
        if (credentials.length === 1) {
          const [only] = credentials;
          return { username: only?.account, password: only?.password };
        }
        if (credentials.length > 1) {
          debug(
            `keyring: ${credentials.length} entries for ${server.repository}; give the user name to pick one`,
          );
        }
        return undefined;
      } catch (error) {
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
): Promise<void> {
  const keyring = await loadKeyring(() => undefined);
  if (!keyring) {
    throw new Error(
      "the system keyring is not available (optional dependency @napi-rs/keyring is missing)",
    );
  }
  await withTimeout(
    new keyring.AsyncEntry(service, username).setPassword(password),
    "keyring store",
  );
}
