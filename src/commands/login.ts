import { text } from "node:stream/consumers";
import { loadPypirc } from "../config/pypirc.js";
import { storeInKeyring } from "../credentials/keyring.js";
import { canPrompt, promptSource, terminalAsk } from "../credentials/prompt.js";
import { CredentialsError, ExitCode, InterruptedError, UsageError } from "../errors.js";
import { serverLookup } from "../resolve/lookup.js";
import { selectServer } from "../resolve/targets.js";
import { err, registerSecret } from "./output.js";

export interface LoginOptions {
  repository?: string;
  configFile?: string;
  username?: string;
  passwordStdin?: boolean;
}

/**
 * `pkgpush login -r NAME`: stores a password or token in the system keyring under the server's
 * repository URL, where pkgpush, twine and Python keyring all look for it.
 */
export async function login(
  opts: LoginOptions,
  ctx: { env: NodeJS.ProcessEnv; signal?: AbortSignal },
): Promise<number> {
  if (!opts.repository)
    throw new UsageError("login needs -r NAME (a .pypirc section or a repository URL)");
  const config = await loadPypirc({ path: opts.configFile, env: ctx.env });
  for (const warning of config.warnings) err(`warning: ${warning}\n`);
  // The same rule as `-r` for uploads: a URL selects the section with that repository (its user
  // name, its exact URL as the keyring service, as uploads will look it up), else it is ad hoc.
  const server = selectServer(config, opts.repository, serverLookup());
  const username = opts.username ?? server.username ?? "__token__";

  let password: string | undefined;
  if (opts.passwordStdin) {
    password = (await text(process.stdin)).replace(/\r?\n$/, "");
  } else if (canPrompt()) {
    password = (await promptSource(terminalAsk).lookup(server, { username }))?.password;
  } else {
    throw new CredentialsError("no terminal to ask for the password", {
      hint: 'pipe it in with --password-stdin, e.g. printf %s "$TOKEN" | pkgpush login -r NAME --password-stdin',
    });
  }
  if (!password) throw new CredentialsError("empty password: nothing stored");
  registerSecret(password);
  try {
    await storeInKeyring(server.repository, username, password, { signal: ctx.signal });
  } catch (error) {
    if (error instanceof InterruptedError) throw error;
    throw new CredentialsError(
      `could not store the password in the system keyring: ${(error as Error).message}`,
      {
        hint: "is a Secret Service (gnome-keyring, KWallet) running and unlocked?",
      },
    );
  }
  err(
    `stored the password for ${username} at ${server.repository} (${server.name}) in the system keyring\n`,
  );
  return ExitCode.ok;
}
