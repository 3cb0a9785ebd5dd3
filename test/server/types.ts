/** The test index server's public types: options, records, and the `IndexServer` handle. */

import type { FaultPlan } from "./faults.js";
import type { FileType } from "./names.js";

export type ServerMode = "pypi" | "devpi";
export type ExistsStyle = "pypi" | "pypiserver" | "nexus" | "artifactory" | "gitlab";
export type RedirectStatus = 301 | 302 | 303 | 307 | 308;

export interface IndexServerOptions {
  /** Default 127.0.0.1; `::1` works too. */
  host?: string;
  /** Default 0 (ephemeral). */
  port?: number;
  /**
   * `pypi` (default): Warehouse. `devpi`: a devpi/PloneSoftwareCenter-like index that accepts
   * `:action=submit` (register), eggs, more sdist formats, legacy versions and uploads without
   * sha256/blake2 digests.
   */
  mode?: ServerMode;
  /** username -> password. Without it, POSTs need no credentials. */
  users?: Record<string, string>;
  /** Answer a POST without Authorization with 401 + WWW-Authenticate instead of 403. */
  authChallenge?: boolean;
  /** Realm of the 401 challenge; default `pypi`. */
  realm?: string;
  /** project -> users allowed to upload/register it; projects not listed are open to all users. */
  owners?: Record<string, string[]>;
  /** Default `/legacy/`. */
  uploadPath?: string;
  /** Default `/simple/`. */
  simplePath?: string;
  /** Default `/files/`. */
  filesPath?: string;
  /** How a re-upload of a file name with other content is refused; default `pypi`. */
  existsStyle?: ExistsStyle;
  /** Largest accepted file, in bytes (413 over it); default unlimited. */
  maxFileSize?: number;
  faults?: FaultPlan;
  /** Where files are stored; default a temporary directory removed by close(). */
  storeDir?: string;
  /** Answer every POST to the upload path with a redirect to this URL. */
  redirectUploadTo?: string;
  /** Answer every GET under the simple index with a redirect to this URL + the rest of the path. */
  redirectSimpleTo?: string;
  /** Status of both redirects; default 307. */
  redirectStatus?: RedirectStatus;
  /**
   * The simple index and file downloads need valid credentials of `users` too (a private index):
   * none answers 401 with a Basic challenge, wrong ones 403. Default: reading is open.
   */
  readAuth?: boolean;
  /** `html`: PEP 503 pages only, whatever the Accept header (a server without PEP 691). */
  simpleFormats?: "both" | "html";
  /**
   * Base URL the simple pages give for files (`http://cdn.example/files/`): files listed on
   * another host, as PyPI's are on files.pythonhosted.org. Default: this server's files path.
   */
  filesBaseUrl?: string;
  /** Called once per request when it is finished (answered, aborted, reset...). */
  onRequest?: (request: RecordedRequest) => void;
}

export type RequestOutcome = "pending" | "answered" | "aborted" | "reset" | "stalled" | "dropped";

export interface RecordedRequest {
  /** 1-based, in arrival order. */
  id: number;
  method: string;
  /** Path and query as requested. */
  path: string;
  /** Lower-case names; `authorization` reduced to scheme and user name (`Basic alice`). */
  headers: Record<string, string>;
  /** The form's `:action`, for POSTs that have one. */
  action?: string;
  /** Every non-file form field, in order, repeated ones repeated. */
  fields: Array<[string, string]>;
  /** The `content` file part as received (also when the upload was refused). */
  file?: {
    filename: string;
    size: number;
    sha256: string;
    blake2_256: string;
    md5: string;
    contentType: string;
  };
  /** The `gpg_signature` file part, when sent. */
  signature?: { filename: string; size: number };
  /** User name of valid credentials. */
  user?: string;
  /** 0 when no answer was sent (see outcome). */
  status: number;
  reason: string;
  /** Response body as text, trimmed to 4 KiB. */
  body: string;
  /** Answer body bytes written (a `stream` fault: how much the client took before it left). */
  answerBytes?: number;
  contentLength?: number;
  chunked: boolean;
  /** Request body bytes received. */
  bodyBytes: number;
  outcome: RequestOutcome;
  /** Faults applied, described (`status 503`, `reset after 10000 bytes`, ...). */
  faults: string[];
}

export interface StoredFile {
  filename: string;
  /** Project name as the uploading form (or seed) spelled it. */
  project: string;
  normalizedName: string;
  version: string;
  filetype: FileType;
  pyversion: string;
  size: number;
  sha256: string;
  blake2_256: string;
  /** Empty unless the upload sent `md5_digest` (or the seed had bytes). */
  md5: string;
  requiresPython?: string;
  uploadedAt: Date;
  uploader?: string;
  /** Absolute path on disk; absent for a file seeded by digest only. */
  path?: string;
  /** The upload's non-file form fields. */
  fields: Array<[string, string]>;
  signature?: { filename: string; size: number };
  /** The `attestations` field, as sent. */
  attestations?: string;
}

export interface ReleaseRecord {
  version: string;
  files: string[];
  /** Form fields of each accepted `:action=submit` for this release, in order. */
  registrations: Array<Array<[string, string]>>;
}

export interface ProjectRecord {
  /** Name as first spelled by an upload or registration. */
  name: string;
  normalizedName: string;
  releases: ReleaseRecord[];
}

export interface AppliedFault {
  requestId: number;
  rule: number;
  description: string;
}

export interface SeedOptions {
  name?: string;
  version?: string;
  filetype?: FileType;
  pyversion?: string;
  requiresPython?: string;
}

export interface IndexServer {
  /** Origin, without a trailing slash: `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly uploadUrl: string;
  readonly simpleUrl: string;
  readonly filesUrl: string;
  readonly port: number;
  readonly storeDir: string;
  /** Every request so far, in arrival order (live array). */
  readonly requests: RecordedRequest[];
  readonly faultsApplied: AppliedFault[];
  files(): StoredFile[];
  projects(): ProjectRecord[];
  /** Adds a file as if uploaded: with its bytes, or only its digests (then not downloadable). */
  seed(
    filename: string,
    content: Uint8Array | string | { sha256: string; blake2_256?: string; size?: number },
    options?: SeedOptions,
  ): Promise<StoredFile>;
  /** Replaces the fault plan and its counters. */
  setFaults(plan: FaultPlan): void;
  /** Resolves once no request is being handled. */
  idle(): Promise<void>;
  close(): Promise<void>;
}
