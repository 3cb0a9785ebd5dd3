/**
 * What a download run reports, apart from the code that downloads: the Node API's sync types
 * reach these, and its declarations must not reach the HTTP stack (undici) behind them.
 */
import type { Copy } from "./plan.js";

/** A verified download, with the digests computed while it was written (the upload's fields). */
export interface Downloaded {
  path: string;
  size: number;
  sha256: string;
  blake2_256: string;
  /** Only when a target asks for md5 (`md5-digest = true`). */
  md5?: string | undefined;
  attempts: number;
}

export interface DownloadEvents {
  onDownloadStart?(copy: Copy): void;
  onDownloadProgress?(copy: Copy, bytes: number): void;
  onDownloadRetry?(copy: Copy, attempt: number, delayMs: number, reason: string): void;
  onDownloadFinish?(copy: Copy, outcome: DownloadOutcome): void;
}

export type DownloadOutcome =
  | ({ ok: true; durationMs: number } & Downloaded)
  | { ok: false; durationMs: number; reason: string; code: string; attempts?: number };

export interface FetchResult {
  /** Copies downloaded and verified, with their local files. */
  ready: Array<{ copy: Copy; file: Downloaded }>;
  failed: Array<{ copy: Copy; reason: string; code: string }>;
}
