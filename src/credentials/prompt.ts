import { Writable } from "node:stream";
import type { ServerConfig } from "../config/types.js";
import { CredentialsError, InterruptedError } from "../errors.js";
import type { CredentialSource } from "./types.js";

/**
 * Asks on the terminal (prompt and echo on stderr, so stdout stays clean), the password without
 * echo. Only on a TTY (`canPrompt`): CI and pipes get an error listing the sources instead. The
 * CLI hands this to the core; the Node API's callers may hand their own.
 */
export async function terminalAsk(question: string, hidden: boolean): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, callback) {
      if (!muted) process.stderr.write(chunk);
      callback();
    },
  });
  // Loaded here: most runs never prompt, and start-up should not pay for readline.
  const { createInterface } = await import("node:readline");
  const rl = createInterface({ input: process.stdin, output, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.question(question, (answer) => resolve(answer));
      // Raw mode turns Ctrl-C into a key press: stop here, as the signal would have.
      rl.on("SIGINT", () => reject(new InterruptedError()));
      rl.on("close", () => reject(new CredentialsError("no answer at the prompt (end of input)")));
      muted = hidden;
    });
  } finally {
    rl.close();
    if (hidden) process.stderr.write("\n");
  }
}

export function canPrompt(): boolean {
  return Boolean(process.stdin.isTTY && process.stderr.isTTY);
}

/**
 * Asked last, once per server: the user name (echoed) unless known, then the password (hidden).
 * Without `ask` (no terminal) it finds nothing, and says so in the list of sources.
 */
export function promptSource(
  ask: ((question: string, hidden: boolean) => Promise<string>) | undefined,
): CredentialSource {
  return {
    describe: () => (ask ? "interactive prompt" : "interactive prompt (no terminal)"),
    lookup: async (server: ServerConfig, found) => {
      if (!ask) return undefined;
      const label = `${server.name} (${server.repository})`;
      const username =
        found.username ?? ((await ask(`Username for ${label}: `, false)).trim() || undefined);
      const password =
        found.password ??
        ((await ask(`Password or token for ${username ?? ""}@${label}: `, true)) || undefined);
      return { username, password };
    },
  };
}
