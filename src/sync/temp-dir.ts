/**
 * The private folder downloads go to: created mode 0700 under the system's temporary directory,
 * removed when the work ends whatever the ending (success, failure, Ctrl-C, a second Ctrl-C that
 * exits at once). A folder left by a process that was killed outright (SIGKILL, power loss) is
 * removed by the next run.
 */
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PREFIX = "pkgpush-sync-";

export interface PrivateDir {
  path: string;
  /** Removes the folder and everything in it; safe to call more than once. */
  remove(): void;
}

/** Whether process `pid` is alive (signal 0 asks without sending anything). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Folders of earlier runs whose process is gone (and that belong to this user). */
export function sweepStale(base: string = tmpdir()): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(base);
  } catch {
    return removed;
  }
  const uid = process.getuid?.();
  for (const name of names) {
    const pid = Number(/^pkgpush-sync-(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || alive(pid)) continue;
    const path = join(base, name);
    try {
      const info = statSync(path);
      if (!info.isDirectory() || (uid !== undefined && info.uid !== uid)) continue;
      rmSync(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Another run removed it meanwhile, or it is not ours to remove.
    }
  }
  return removed;
}

/**
 * Creates the folder and arranges its removal at process exit too: the second Ctrl-C ends the
 * process with `process.exit`, where no `finally` runs, but 'exit' listeners do.
 */
export function createPrivateDir(base: string = tmpdir()): PrivateDir {
  const path = mkdtempSync(join(base, `${PREFIX}${process.pid}-`));
  // mkdtemp makes it 0700 on POSIX; said explicitly so a umask or platform cannot widen it.
  chmodSync(path, 0o700);
  let removed = false;
  const remove = (): void => {
    if (removed) return;
    removed = true;
    process.off("exit", remove);
    rmSync(path, { recursive: true, force: true });
  };
  process.on("exit", remove);
  return { path, remove };
}

/** Runs `work` with a private folder that is gone when it settles. */
export async function withPrivateDir<T>(
  work: (dir: string) => Promise<T>,
  base?: string,
): Promise<T> {
  sweepStale(base);
  const dir = createPrivateDir(base);
  try {
    return await work(dir.path);
  } finally {
    dir.remove();
  }
}
