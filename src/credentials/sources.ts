import type { ServerConfig } from "../config/types.js";
import type { CredentialSource } from "./types.js";

/** `PKGPUSH_<SECTION>_...`: section upper-cased, anything not alphanumeric as `_`. */
export function sectionEnvPrefix(server: ServerConfig): string {
  return `PKGPUSH_${server.name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}_`;
}

export function commandLineSource(username?: string, password?: string): CredentialSource {
  return {
    describe: () => "command line (-u/-p)",
    lookup: async () => ({ username, password }),
  };
}

/** Per-server variables first (they are more specific), then the global and twine ones. */
export function environmentSource(env: NodeJS.ProcessEnv): CredentialSource {
  const pick = (...names: string[]): [string, string] | [undefined, undefined] => {
    for (const name of names) {
      const value = env[name];
      if (value !== undefined && value !== "") return [value, name];
    }
    return [undefined, undefined];
  };
  return {
    describe: (server) =>
      `environment (${sectionEnvPrefix(server)}USERNAME/PASSWORD, PKGPUSH_USERNAME/PASSWORD, TWINE_USERNAME/PASSWORD)`,
    lookup: async (server) => {
      const prefix = sectionEnvPrefix(server);
      const [username, usernameVar] = pick(
        `${prefix}USERNAME`,
        "PKGPUSH_USERNAME",
        "TWINE_USERNAME",
      );
      const [password, passwordVar] = pick(
        `${prefix}PASSWORD`,
        "PKGPUSH_PASSWORD",
        "TWINE_PASSWORD",
      );
      return {
        username,
        password,
        usernameFrom: usernameVar && `environment (${usernameVar})`,
        passwordFrom: passwordVar && `environment (${passwordVar})`,
      };
    },
  };
}

export function pypircSource(): CredentialSource {
  return {
    describe: (server) =>
      server.location
        ? `${server.location.file} [${server.location.section}]`
        : server.origin === "url"
          ? "config file (ad-hoc URL: no section)"
          : `config file (no [${server.name}] section)`,
    lookup: async (server) => ({ username: server.username, password: server.password }),
  };
}

/** The values of the environment's password, token and OIDC variables: secrets from the start. */
export function environmentSecrets(env: Readonly<Record<string, string | undefined>>): string[] {
  const names =
    /^(PKGPUSH_.*PASSWORD|TWINE_PASSWORD|UV_PUBLISH_(PASSWORD|TOKEN)|ACTIONS_ID_TOKEN_REQUEST_TOKEN|.*_ID_TOKEN|INPUT_PASSWORD)$/;
  return Object.entries(env)
    .filter(([name, value]) => names.test(name) && value !== undefined && value !== "")
    .map(([, value]) => value as string);
}
