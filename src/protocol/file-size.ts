/**
 * A file that changed size since it was inspected would break its body's Content-Length: throws
 * when `got` bytes were read where `part.size` were expected.
 */
export function checkSize(part: { filename: string; size: number }, got: number): void {
  if (got > part.size) throw new Error(`${part.filename} grew while it was being uploaded`);
  if (got < part.size) throw new Error(`${part.filename} shrank while it was being uploaded`);
}
