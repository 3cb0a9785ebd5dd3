/**
 * Which releases `status` looks at (pure): from local distributions (files mode), or from what
 * the servers list for projects named as `NAME` or `NAME==VERSION` (names mode).
 */

import {
  normalizeVersion,
  parseFilename,
  releaseKey,
  versionsEqual,
} from "../distributions/filename.js";
import { normalizeName } from "../distributions/names.js";
import { UsageError } from "../errors.js";
import type { SimpleFile } from "../simple/page.js";

/** A project named on the command line, with the version asked for (all versions if none). */
export interface ProjectRequest {
  project: string;
  version: string | undefined;
}

const NAME = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?$/;
const DIST_SUFFIX = /\.(whl|egg|zip|tar\.gz|tar\.bz2|tgz)$/i;

/** `NAME` or `NAME==VERSION` (a project, not a path); undefined for anything else. */
export function parseProjectRequest(arg: string): ProjectRequest | undefined {
  const [name = "", version, extra] = arg.split("==");
  if (extra !== undefined || !NAME.test(name) || DIST_SUFFIX.test(name)) return undefined;
  if (version !== undefined && !/^\S+$/.test(version)) return undefined;
  return { project: name, version };
}

/**
 * The arguments as projects, when every one is `NAME[==VERSION]` and none names an existing
 * path; undefined when they are files. A mix is refused: say which is which.
 */
export function projectRequests(
  args: string[],
  exists: (path: string) => boolean,
): ProjectRequest[] | undefined {
  const kinds = args.map((arg) =>
    arg.includes("==") || (!exists(arg) && parseProjectRequest(arg))
      ? parseProjectRequest(arg)
      : undefined,
  );
  const projects = kinds.filter((k): k is ProjectRequest => k !== undefined);
  if (projects.length === 0) return undefined;
  if (projects.length < args.length) {
    const files = args.filter((_, i) => kinds[i] === undefined);
    throw new UsageError(
      `give distribution files or project names, not both (files: ${files.join(", ")}; projects: ${projects.map((p) => p.project).join(", ")})`,
    );
  }
  return projects;
}

/** A version as shown: PEP 440 normal form, else as written. */
function shownVersion(version: string): string {
  return normalizeVersion(version) ?? version;
}

/** A file name's project and version (as shown), or undefined when it is no distribution name. */
export function releaseOfFile(filename: string): { project: string; version: string } | undefined {
  try {
    const parsed = parseFilename(filename);
    return { project: normalizeName(parsed.name), version: shownVersion(parsed.version) };
  } catch {
    return undefined;
  }
}

/**
 * The releases of `request.project` the pages list (the version asked, or all), each with its file
 * names, in version-string order (the pages' own order is not reliable). A release's version is
 * shown as the first file listing it writes it. Files whose name belongs to another project or
 * does not parse are left out.
 */
export function releasesListed(
  request: ProjectRequest,
  pages: SimpleFile[][],
): Array<{ version: string; filenames: string[] }> {
  const project = normalizeName(request.project);
  const byRelease = new Map<string, { version: string; names: Set<string> }>();
  for (const file of pages.flat()) {
    const release = releaseOfFile(file.filename);
    if (!release || release.project !== project) continue;
    if (request.version !== undefined && !versionsEqual(release.version, request.version)) continue;
    const key = releaseKey(release.version);
    const entry = byRelease.get(key) ?? { version: release.version, names: new Set<string>() };
    entry.names.add(file.filename);
    byRelease.set(key, entry);
  }
  return [...byRelease.values()]
    .sort((a, b) => a.version.localeCompare(b.version, "en", { numeric: true }))
    .map(({ version, names }) => ({ version, filenames: [...names] }));
}
