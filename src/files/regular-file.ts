import { constants } from "node:fs";
import { open, stat } from "node:fs/promises";

/** What is wrong with a file given as an auxiliary input (certificate, signature, attestation). */
export class AuxFileProblem extends Error {}

function describeKind(info: import("node:fs").Stats): string {
  if (info.isDirectory()) return "a directory";
  if (info.isFIFO()) return "a FIFO (named pipe)";
  if (info.isCharacterDevice()) return "a character device";
  if (info.isBlockDevice()) return "a block device";
  if (info.isSocket()) return "a socket";
  return "not a regular file";
}

const mib = (n: number): string => `${Math.round((n / 1024 / 1024) * 10) / 10} MiB`;

/**
 * A regular file of at most `maxBytes` (following links): never a FIFO (opening one would wait for
 * a writer), a device (`/dev/zero` never ends) or a folder. Throws AuxFileProblem with the reason.
 */
export async function checkRegularFile(path: string, maxBytes: number): Promise<number> {
  let info: import("node:fs").Stats;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AuxFileProblem(
      code === "ENOENT"
        ? "no such file"
        : code === "EACCES"
          ? "permission denied"
          : (error as Error).message,
    );
  }
  if (!info.isFile()) throw new AuxFileProblem(`${describeKind(info)}, not a regular file`);
  if (info.size > maxBytes) {
    throw new AuxFileProblem(
      `${mib(info.size)}, more than the ${mib(maxBytes)} such a file can be`,
    );
  }
  return info.size;
}

/**
 * Reads a small regular file whole, re-checking on the opened file (it may have been swapped) and
 * never reading more than `maxBytes`.
 */
export async function readRegularFile(path: string, maxBytes: number): Promise<Buffer> {
  await checkRegularFile(path, maxBytes);
  let handle: import("node:fs/promises").FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new AuxFileProblem(code === "EACCES" ? "permission denied" : (error as Error).message);
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new AuxFileProblem(`${describeKind(info)}, not a regular file`);
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    while (length < buffer.length) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > maxBytes)
      throw new AuxFileProblem(`more than the ${mib(maxBytes)} such a file can be`);
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}
