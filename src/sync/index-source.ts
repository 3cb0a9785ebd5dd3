/**
 * The planner's IndexReader on top of the simple-index client (src/simple/): each server's page
 * of a project read once, concurrently; a failure becomes an `unreachable` listing with the
 * client's message rather than an exception, so one server down never stops the others.
 */
import {
  fetchProjectFiles,
  type ProjectFiles,
  type SimpleEndpoint,
  type SimpleRequestOptions,
} from "../simple/client.js";
import { SimpleIndexError } from "../simple/errors.js";
import type { SimpleFile } from "../simple/page.js";
import type { IndexReader, ListedFile, Listing } from "./types.js";

function listed(file: SimpleFile): ListedFile {
  return {
    filename: file.filename,
    url: file.url,
    sha256: file.hashes.sha256,
    size: file.size,
    yanked: file.yanked !== undefined,
  };
}

export class SimpleIndexReader implements IndexReader {
  private readonly pages = new Map<string, Promise<Listing>>();
  /** The pages as read, for the upload's pre-checks (they need not ask again). */
  readonly read = new Map<string, { server: string; project: string; page: ProjectFiles }>();

  constructor(
    private readonly endpoints: Map<string, SimpleEndpoint>,
    private readonly options: SimpleRequestOptions,
  ) {}

  list(server: string, project: string): Promise<Listing> {
    const key = `${server}\0${project}`;
    let page = this.pages.get(key);
    if (!page) {
      page = this.fetch(server, project);
      this.pages.set(key, page);
    }
    return page;
  }

  private async fetch(server: string, project: string): Promise<Listing> {
    const endpoint = this.endpoints.get(server);
    if (!endpoint) return { state: "unreachable", reason: `${server}: no simple index URL` };
    try {
      const page = await fetchProjectFiles(endpoint, project, this.options);
      this.read.set(`${server}\0${project}`, { server, project, page });
      if (!page.found) return { state: "none", pageUrl: page.url };
      return { state: "listed", files: page.files.map(listed), pageUrl: page.url };
    } catch (error) {
      if (error instanceof SimpleIndexError) return { state: "unreachable", reason: error.message };
      throw error;
    }
  }
}
