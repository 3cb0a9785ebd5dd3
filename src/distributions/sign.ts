/**
 * `--sign`: detached, ASCII-armoured GPG signatures (`<file>.asc`), made the way twine 5 made
 * them: `<program> --detach-sign [--local-user ID] -a <file>`. `--yes` lets a re-run replace the
 * signature an earlier run left (a new signature of the same bytes is as good). The terminal stays
 * attached so gpg's pinentry can ask for a passphrase.
 */
import { spawn } from "node:child_process";
import { DistributionError, InterruptedError } from "../errors.js";
import type { Distribution } from "./types.js";

export interface SignOptions {
  /** The program (`--sign-with`), gpg by default. */
  program: string;
  /** `--identity`: the key to sign with (gpg's --local-user). */
  identity?: string | undefined;
  signal?: AbortSignal | undefined;
  /** A passphrase prompt included; past this the run stops. */
  timeoutMs?: number;
}

/** The argument list for one file, exported for tests. */
export function signArgs(path: string, identity?: string): string[] {
  return ["--detach-sign", "--yes", ...(identity ? ["--local-user", identity] : []), "-a", path];
}

function signOne(dist: Distribution, options: SignOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(options.program, signArgs(dist.path, options.identity), {
      stdio: ["inherit", "ignore", "pipe"],
      signal: options.signal,
      timeout: options.timeoutMs ?? 300_000,
    });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      // Bounded: gpg's complaints are a few lines.
      if (stderr.length < 8192) stderr += chunk.toString("utf8");
    });
    child.on("error", (error: NodeJS.ErrnoException) => {
      if (error.name === "AbortError") return reject(new InterruptedError());
      reject(
        new DistributionError(
          error.code === "ENOENT"
            ? `--sign-with ${options.program}: program not found`
            : `signing ${dist.filename} with ${options.program}: ${error.message}`,
          { hint: "install GnuPG (apt-get install gnupg) or name the program with --sign-with" },
        ),
      );
    });
    child.on("close", (code, signal) => {
      if (code === 0) return resolve(`${dist.path}.asc`);
      const last = stderr.trim().split("\n").pop() ?? "";
      reject(
        new DistributionError(
          `signing ${dist.filename} with ${options.program} failed (${signal ?? `exit ${code}`})${last ? `: ${last}` : ""}`,
          { hint: options.identity ? undefined : "choose the key with -i/--identity" },
        ),
      );
    });
  });
}

/** Signs each distribution in turn (one passphrase prompt at a time) and records its `.asc`. */
export async function signDistributions(
  dists: Distribution[],
  options: SignOptions,
): Promise<void> {
  for (const dist of dists) {
    if (options.signal?.aborted) throw new InterruptedError();
    dist.signaturePath = await signOne(dist, options);
  }
}
