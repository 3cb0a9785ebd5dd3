import { constants } from "node:fs";
import { open, stat, writeFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { type ErrorCode, ExitCode, PkgpushError } from "../errors.js";

/** `--report FILE` cannot be written: names the file and the cause. */
export class ReportFileError extends PkgpushError {
  override readonly code: ErrorCode = "report-file";
}

function cause(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    ENOENT: "no such folder",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EISDIR: "it is a directory",
    ENOSPC: "no space left on the device",
    EROFS: "read-only file system",
    ENOTDIR: "a part of the path is not a folder",
    EDQUOT: "disk quota exceeded",
  };
  return (e?.code && words[e.code]) ?? e?.message ?? String(error);
}

/**
 * Checked before anything is sent, so a report that cannot be written costs nothing: the folder
 * exists, the path is not a folder, the file can be opened for writing, and a write of zero bytes
 * succeeds (that is what fails on `/dev/full`). An existing file keeps its content until the end;
 * a FIFO or socket is not opened (opening and closing it would end the reader's input).
 */
export async function checkReportTarget(file: string): Promise<void> {
  const fail = (why: string): never => {
    throw new ReportFileError(`--report ${file}: ${why}`, {
      hint: "give a file in an existing, writable folder",
    });
  };
  const folder = dirname(resolve(file));
  const dir = await stat(folder).catch((error: unknown) =>
    fail(`cannot use the folder ${folder} (${cause(error)})`),
  );
  if (!dir.isDirectory()) fail(`${folder} is not a folder`);
  const info = await stat(file).catch(() => undefined);
  if (info?.isDirectory()) fail("is a directory");
  if (info && (info.isFIFO() || info.isSocket())) return;
  const handle = await open(
    file,
    constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT,
    0o644,
  ).catch((error: unknown) => fail(`cannot be written (${cause(error)})`));
  try {
    // (buffer, 0, 0) reaches write(2); an empty buffer alone is answered without a system call.
    await handle
      .write(Buffer.alloc(1), 0, 0)
      .catch((error: unknown) => fail(`cannot be written (${cause(error)})`));
  } finally {
    await handle.close();
  }
}

/** Writes the report; a failure names the file and the cause (exit 1: the report is lost). */
export async function writeReportFile(file: string, text: string): Promise<void> {
  try {
    await writeFile(file, text);
  } catch (error) {
    throw new ReportFileError(`could not write the report to ${file}: ${cause(error)}`, {
      exitCode: ExitCode.failed,
    });
  }
}
