/**
 * PyPI's verdict on one file with its description rendered on this thread: the upload preflight
 * and `register` (a few files, no thread worth starting). `check` composes the same parts
 * (verdict.ts) with the description rendered on a second thread (check-file.ts).
 */
import type { Distribution } from "../distributions/types.js";
import type { OpenZip } from "./archive-rules.js";
import { checkDescription } from "./readme/index.js";
import type { TarScan } from "./tar-scan.js";
import {
  fileVerdict,
  formChecks,
  isVerdict,
  type PypiVerdict,
  renderedVerdict,
} from "./verdict.js";

/**
 * The form-only part of the verdict (no file read): form, metadata, project name, description.
 * `metadataOnly` (register): the file-type fields of the form are not judged.
 */
export function formVerdict(
  dist: Distribution,
  opts: { metadataOnly?: boolean } = {},
): PypiVerdict {
  const part = formChecks(dist, opts);
  if (isVerdict(part)) return part;
  return renderedVerdict(part, checkDescription(part.description, part.contentType));
}

/** The whole verdict: the form's, then the file's (the archive read once). */
export async function pypiVerdict(
  dist: Distribution,
  pre: { zip?: OpenZip; tar?: TarScan } = {},
): Promise<PypiVerdict> {
  const first = formVerdict(dist);
  if (first.verdict === "refuse") return first;
  return fileVerdict(dist, first, pre);
}
