/**
 * Auxiliary files (the config file, certificates, signatures, attestations) must be regular files
 * of bounded size: a FIFO would block the open or the read forever, a device such as /dev/zero
 * would be read without end. The check is made on the open handle (fstat), so a file swapped
 * between a check and the read cannot slip through, and the read itself stops at the cap.
 */
import { constants } from "node:fs";
import { type FileHandle, open } from "node:fs/promises";

/** Why a file cannot be used, in words that complete "FILE: ...". Callers add the file's role. */
export class RegularFileError extends Error {
  readonly code: "not-regular" | "too-large" | "unreadable";
  constructor(code: RegularFileError["code"], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "RegularFileError";
    this.code = code;
  }
}

/** O_NONBLOCK: opening a FIFO for reading then returns at once instead of waiting for a writer. */
const OPEN_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

const KIND_CHECKS: Array<[keyof import("node:fs").Stats, string]> = [
  ["isDirectory", "a directory"],
  ["isFIFO", "a named pipe (FIFO)"],
  ["isCharacterDevice", "a character device"],
  ["isBlockDevice", "a block device"],
  ["isSocket", "a socket"],
];

function describeKind(stats: import("node:fs").Stats): string {
  for (const [method, text] of KIND_CHECKS) {
    if ((stats[method] as () => boolean).call(stats)) return text;
  }
  return "not a regular file";
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

/**
 * Opens `path` and checks it is a regular file of at most `maxBytes`; the caller must close the
 * handle. Throws RegularFileError; ENOENT and other open errors are passed through unchanged so
 * callers can tell "missing" from "unusable".
 */
export async function openRegularFile(path: string, maxBytes: number): Promise<FileHandle> {
  const handle = await open(path, OPEN_FLAGS);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new RegularFileError(
        "not-regular",
        `is ${describeKind(stats)}, not a regular file; give the path of a regular file`,
      );
    }
    if (stats.size > maxBytes) {
      throw new RegularFileError(
        "too-large",
        `is ${stats.size} bytes, over the ${sizeText(maxBytes)} limit for this kind of file`,
      );
    }
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Reads a whole regular file of at most `maxBytes` (checked before reading, and again while
 * reading, for a file that grows meanwhile). Returns the bytes and the file's mode.
 */
export async function readRegularFile(
  path: string,
  maxBytes: number,
): Promise<{ bytes: Buffer; mode: number }> {
  const handle = await openRegularFile(path, maxBytes);
  try {
    const { mode, size } = await handle.stat();
    // Sized by the stat, grown (up to the cap) only for a file that grows while being read.
    let buffer = Buffer.alloc(size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = Buffer.alloc(Math.min(buffer.length * 2, maxBytes + 1));
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) {
        throw new RegularFileError(
          "too-large",
          `grew over the ${sizeText(maxBytes)} limit for this kind of file while being read`,
        );
      }
    }
    return { bytes: buffer.subarray(0, length), mode };
  } finally {
    await handle.close();
  }
}

/**
 * Why `path` cannot serve as an auxiliary file, as words completing "FILE: ..." (e.g. "does not
 * exist", "is a named pipe (FIFO), not a regular file; ..."), or undefined when it can.
 */
export async function regularFileProblem(
  path: string,
  maxBytes: number,
): Promise<string | undefined> {
  try {
    await (await openRegularFile(path, maxBytes)).close();
    return undefined;
  } catch (error) {
    if (error instanceof RegularFileError) return error.message;
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return "does not exist";
    if (code === "EACCES" || code === "EPERM") return "cannot be read (permission denied)";
    return `cannot be read (${(error as Error).message})`;
  }
}
