/**
 * Which servers get a file's GPG signature (`gpg_signature`). PyPI dropped signatures in 2023:
 * Warehouse reads the upload form without the field, so sending one there costs bytes and means
 * nothing. Other indexes (devpi, pypiserver, Artifactory...) may still keep them.
 */
import { isPypiHost } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import type { Plan } from "../plan/plan.js";

export function sendsSignature(server: Pick<ServerConfig, "repository">): boolean {
  return !isPypiHost(server.repository);
}

/** Names of the PyPI-ruled servers that would have been sent a signature, for one note. */
export function signaturesPypiIgnores(plan: Plan): string[] {
  const names = new Set<string>();
  for (const job of plan.jobs) {
    if (job.action === "upload" && job.dist.signaturePath && !sendsSignature(job.server)) {
      names.add(job.server.name);
    }
  }
  return [...names];
}
