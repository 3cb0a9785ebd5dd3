import type { ServerConfig } from "../config/types.js";

/** A user name / password pair for one server, with where each half came from (for `servers`). */
export interface Credentials {
  username?: string | undefined;
  /** Secret: never print it. */
  password?: string | undefined;
  usernameSource?: string | undefined;
  passwordSource?: string | undefined;
  /** A short-lived password (trusted publishing): when it was issued and expires (ms). */
  issuedAt?: number | undefined;
  expiresAt?: number | undefined;
  /** Gets a new short-lived password before the current one expires. */
  renew?: (() => Promise<{ password: string; expiresAt: number }>) | undefined;
}

export interface CredentialHit {
  username?: string | undefined;
  password?: string | undefined;
  /** The pair belongs together (a minted token needs `__token__`): replace what was found. */
  pair?: boolean;
  /** A short-lived password: see Credentials. */
  expiresAt?: number | undefined;
  renew?: Credentials["renew"];
  /** More precise than the source's description, e.g. the variable that held the value. */
  usernameFrom?: string | undefined;
  passwordFrom?: string | undefined;
}

/**
 * One place credentials may come from. Sources are asked in order and each half (user name,
 * password) is taken from the first source that has it, as twine does. Later sources (keyring,
 * trusted publishing, prompt) receive the user name found so far.
 */
export interface CredentialSource {
  /** Human description, e.g. "command line", "PKGPUSH_PLONE_PASSWORD", "~/.pypirc [plone]". */
  describe(server: ServerConfig): string;
  lookup(server: ServerConfig, found: Credentials): Promise<CredentialHit | undefined>;
}
