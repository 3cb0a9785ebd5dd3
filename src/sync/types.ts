/**
 * What `sync` needs from a simple index, as a small interface: the planner and the downloader are
 * written against it, and `src/simple/`'s client is adapted to it (index-source.ts).
 */

/** One file as a simple index lists it (PEP 691 `files[]`, or a PEP 503 anchor). */
export interface ListedFile {
  filename: string;
  /** Absolute download URL (resolved against the page's URL). */
  url: string;
  /** Lower-case hex sha256 from the index (JSON `hashes`, or the URL's `#sha256=`). */
  sha256?: string | undefined;
  /** PEP 700 `size`, when the index gives it. */
  size?: number | undefined;
  /** PEP 592: the source has yanked it (a copy elsewhere would not be). */
  yanked?: boolean | undefined;
}

/** A project's page on one server: its files, or why they could not be read. */
export type Listing =
  | { state: "listed"; files: ListedFile[]; pageUrl: string }
  /** 404: the server has no such project (nothing of it is there yet). */
  | { state: "none"; pageUrl: string }
  | { state: "unreachable"; reason: string };

/** Reads one project page of one server's simple index. */
export interface IndexReader {
  list(server: string, project: string): Promise<Listing>;
}

/** `NAME` (every version the source has) or `NAME==VERSION`. */
export interface ReleaseSpec {
  /** As typed, for messages. */
  text: string;
  /** PEP 503 normalised. */
  project: string;
  version?: string | undefined;
}
