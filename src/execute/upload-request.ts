/**
 * The request body of one job: the register form, or the upload form (docs/protocol.md, "Upload
 * form"): metadata fields with the digests, the file part, a GPG signature part where the server
 * takes it, PEP 740 attestations as a field, and, when the file is hashed while it is sent, the
 * digest fields trailing the file.
 */
import { readFile, stat } from "node:fs/promises";
import type { ServerConfig } from "../config/types.js";
import { type Digests, digestTap, PARALLEL_THRESHOLD } from "../distributions/digests.js";
import type { Distribution } from "../distributions/types.js";
import type { Job } from "../plan/plan.js";
import { digestFields, digestValues, registerFields, uploadFields } from "../protocol/fields.js";
import {
  buildMultipart,
  type FilePart,
  type MultipartBody,
  type TrailingFields,
} from "../protocol/multipart.js";
import type { Outcome } from "../protocol/outcome.js";
import { sendsSignature } from "../protocol/signatures.js";
import type { DigestCache } from "./digest-cache.js";
import { ExistenceChecker } from "./existence.js";
import type { JobState, RunContext, RunOptions } from "./job.js";
import { precheck } from "./presence-checks.js";

type Claim = NonNullable<JobState["claim"]>;

/** The digests one server gets: md5 only where it asked for it (`md5-digest = true`). */
export function forServer(digests: Digests, server: ServerConfig): Digests {
  if (!server.md5Digest) return { sha256: digests.sha256, blake2_256: digests.blake2_256 };
  if (digests.md5 === undefined) throw new Error(`internal: md5 not computed for ${server.name}`);
  return digests;
}

async function readAttestations(dist: Distribution): Promise<string | undefined> {
  if (dist.attestationPaths.length === 0) return undefined;
  const objects = await Promise.all(
    dist.attestationPaths.map(async (path) => JSON.parse(await readFile(path, "utf8")) as unknown),
  );
  return JSON.stringify(objects);
}

/** The file itself, then `<file>.asc` where the server takes signatures (PyPI ignores them). */
async function fileParts(job: Job): Promise<FilePart[]> {
  const { dist } = job;
  const parts: FilePart[] = [
    { name: "content", filename: dist.filename, path: dist.path, size: dist.size },
  ];
  if (dist.signaturePath && sendsSignature(job.server)) {
    const { size } = await stat(dist.signaturePath);
    parts.push({
      name: "gpg_signature",
      filename: `${dist.filename}.asc`,
      path: dist.signaturePath,
      size,
    });
  }
  return parts;
}

/** The digest fields after the file, computed as it is sent; they settle the claim. */
function digestTrailer(job: Job, claim: Claim, digests: DigestCache): TrailingFields {
  return {
    fields: digestFields(job.server.md5Digest === true),
    start: async () => {
      const tap = await digestTap(job.dist.path, digests.optionsFor(job.dist.path));
      return {
        update: tap.update,
        finish: async () => {
          const computed = await tap.finish();
          claim.resolve(computed);
          return digestValues(forServer(computed, job.server));
        },
      };
    },
  };
}

/** The upload form: digests known (`known`) or trailing the file (`claim`). */
async function uploadForm(
  job: Job,
  known: Digests | undefined,
  claim: Claim | undefined,
  digests: DigestCache,
  options: RunOptions,
): Promise<MultipartBody> {
  const attestations = options.attestations ? await readAttestations(job.dist) : undefined;
  const fields = uploadFields(job.dist, known && forServer(known, job.server), {
    comment: options.comment,
    attestations,
  });
  return buildMultipart(fields, await fileParts(job), {
    trailer: claim && digestTrailer(job, claim, digests),
  });
}

/**
 * The body to send, or the outcome when the check URL already settles the job. Where no simple
 * index is asked first, a large file not hashed yet is hashed in the same pass as its first
 * upload (digests trail the file); other servers wait for the result.
 */
export async function buildRequest(
  job: Job,
  state: JobState,
  { digests, checker }: RunContext,
  options: RunOptions,
): Promise<MultipartBody | Outcome> {
  if (job.action !== "upload") return buildMultipart(registerFields(job.dist), []);
  state.claim =
    !ExistenceChecker.canCheck(job.server) && job.dist.size >= PARALLEL_THRESHOLD
      ? digests.claim(job.dist.path)
      : undefined;
  let known: Digests | undefined;
  if (!state.claim) {
    known = await digests.get(job.dist.path);
    state.sha256 = known.sha256;
    const settled = await precheck(checker, job, known.sha256);
    if (settled) return settled;
  }
  return uploadForm(job, known, state.claim, digests, options);
}
