/**
 * File reads through the callback API: each FileHandle call costs about twice the CPU of its
 * callback counterpart (a handle object, its promises, its close-on-GC tracking), which shows when
 * every upload reads its file again and every file is hashed: 60 small files to 3 servers are
 * 240 opens, reads and closes.
 */
import { close, open, read } from "node:fs";

export const openFd = (path: string): Promise<number> =>
  new Promise((resolve, reject) => open(path, "r", (e, fd) => (e ? reject(e) : resolve(fd))));

/** Up to `length` bytes at `position` (null: the file's current position) into `target`. */
export const readFd = (
  fd: number,
  target: Buffer,
  offset: number,
  length: number,
  position: number | null,
): Promise<number> =>
  new Promise((resolve, reject) =>
    read(fd, target, offset, length, position, (e, n) => (e ? reject(e) : resolve(n))),
  );

export const closeFd = (fd: number): Promise<void> =>
  new Promise((resolve, reject) => close(fd, (e) => (e ? reject(e) : resolve())));

/** Opens the file, runs `use` with its descriptor, closes it (an error of `use` wins). */
export async function withFd<T>(path: string, use: (fd: number) => Promise<T>): Promise<T> {
  const fd = await openFd(path);
  let result: T;
  try {
    result = await use(fd);
  } catch (error) {
    await closeFd(fd).catch(() => undefined);
    throw error;
  }
  await closeFd(fd);
  return result;
}

/**
 * Reads up to `length` bytes from the start of the file into `target` at `offset`; resolves with
 * how many it got. A regular file reads short only at its end: a read that stops one byte short
 * of `length` is taken as the end, so a caller asking one byte more than it expects learns
 * "exactly that size" in one read.
 */
export function readWhole(
  path: string,
  target: Buffer,
  offset: number,
  length: number,
): Promise<number> {
  return withFd(path, async (fd) => {
    let got = 0;
    for (;;) {
      const n = await readFd(fd, target, offset + got, length - got, got);
      got += n;
      if (n === 0 || got >= length - 1) return got;
    }
  });
}
