/**
 * The sync plan, pure: the source's files x the targets' listings -> what to copy where, what is
 * already there, and what differs (never overwritten). No I/O: listings come in, a plan goes out.
 */
import { parseFilename, sdistSplits, versionsEqual } from "../distributions/filename.js";
import { normalizeName } from "../distributions/names.js";
import type { ListedFile, Listing, ReleaseSpec } from "./types.js";

/** A source file one or more targets lack. */
export interface Copy {
  project: string;
  version: string;
  file: ListedFile & { sha256: string };
  /** Targets (server names) that lack it, in the order given. */
  targets: string[];
}

/** A file a target holds under the same name with other bytes: reported, never overwritten. */
export interface Conflict {
  filename: string;
  server: string;
  sourceSha256: string;
  targetSha256: string;
}

export interface SyncPlan {
  copies: Copy[];
  conflicts: Conflict[];
  /** Files a target already has; `verified` false when its index lists no sha256 for it. */
  present: Array<{ filename: string; server: string; verified: boolean }>;
  /** Targets whose index could not be read for a project: nothing is sent there for it. */
  unreachable: Array<{ server: string; project: string; reason: string }>;
  /** Source files left alone, with why (no sha256 to verify against, not a distribution). */
  ignored: Array<{ filename: string; reason: string; problem: boolean }>;
  /** Releases selected on the source: `project==version`, sorted. */
  releases: string[];
}

/** The request cannot be planned: a project or version the source does not have. */
export interface SpecProblem {
  spec: string;
  message: string;
  /** `input`: a name or version the source does not have; `source`: its index failed. */
  kind: "input" | "source";
}

export interface PlanInput {
  specs: ReleaseSpec[];
  source: string;
  /** The source's listing per project (normalised name). */
  sourceListings: Map<string, Listing>;
  /** Target server names per project (routing already decided). */
  targetsOf: (project: string) => string[];
  /** A target's listing of a project. */
  targetListing: (server: string, project: string) => Listing;
}

interface Selected {
  project: string;
  version: string;
  file: ListedFile;
}

/** The source's files that the specs select, or the problems that stop the plan. */
export function selectSourceFiles(
  specs: ReleaseSpec[],
  source: string,
  listings: Map<string, Listing>,
): { selected: Selected[]; ignored: SyncPlan["ignored"]; problems: SpecProblem[] } {
  const selected = new Map<string, Selected>();
  const ignored = new Map<string, SyncPlan["ignored"][number]>();
  const problems: SpecProblem[] = [];
  for (const spec of specs) {
    const listing = listings.get(spec.project);
    if (!listing || listing.state === "unreachable") {
      const why = listing?.state === "unreachable" ? listing.reason : "not asked";
      problems.push({ spec: spec.text, message: `${source}: ${why}`, kind: "source" });
      continue;
    }
    if (listing.state === "none" || listing.files.length === 0) {
      problems.push({
        spec: spec.text,
        message: `${source} has no project '${spec.project}'`,
        kind: "input",
      });
      continue;
    }
    const versions = new Set<string>();
    let matched = 0;
    for (const file of listing.files) {
      const version = versionOf(file.filename, spec.project);
      if (version === undefined) {
        ignored.set(file.filename, {
          filename: file.filename,
          reason: "not a wheel, sdist or egg of this project",
          problem: false,
        });
        continue;
      }
      versions.add(version);
      if (spec.version !== undefined && !versionsEqual(version, spec.version)) continue;
      matched++;
      selected.set(file.filename, { project: spec.project, version, file });
    }
    if (matched === 0 && spec.version !== undefined) {
      const known = [...versions].join(", ") || "none";
      problems.push({
        spec: spec.text,
        message: `${source} has no files of ${spec.project} ${spec.version} (versions there: ${known})`,
        kind: "input",
      });
    }
  }
  return { selected: [...selected.values()], ignored: [...ignored.values()], problems };
}

/** Plans the copies; throws nothing, the caller decides what the problems mean. */
export function planSync(input: PlanInput): { plan: SyncPlan; problems: SpecProblem[] } {
  const { selected, ignored, problems } = selectSourceFiles(
    input.specs,
    input.source,
    input.sourceListings,
  );
  const plan: SyncPlan = {
    copies: [],
    conflicts: [],
    present: [],
    unreachable: [],
    ignored,
    releases: [...new Set(selected.map((s) => `${s.project}==${s.version}`))].sort(),
  };
  const unreachableSeen = new Set<string>();
  for (const { project, version, file } of selected) {
    if (file.sha256 === undefined) {
      plan.ignored.push({
        filename: file.filename,
        reason: "the source's index gives no sha256 for it, so a download could not be verified",
        problem: true,
      });
      continue;
    }
    const sha256 = file.sha256;
    const lacking: string[] = [];
    for (const server of input.targetsOf(project)) {
      if (server === input.source) continue;
      const listing = input.targetListing(server, project);
      if (listing.state === "unreachable") {
        const key = `${server}\0${project}`;
        if (!unreachableSeen.has(key)) {
          unreachableSeen.add(key);
          plan.unreachable.push({ server, project, reason: listing.reason });
        }
        continue;
      }
      const there = listing.state === "listed" ? findFile(listing.files, file.filename) : undefined;
      if (!there) lacking.push(server);
      else if (there.sha256 === undefined) {
        plan.present.push({ filename: file.filename, server, verified: false });
      } else if (there.sha256 === sha256) {
        plan.present.push({ filename: file.filename, server, verified: true });
      } else {
        plan.conflicts.push({
          filename: file.filename,
          server,
          sourceSha256: sha256,
          targetSha256: there.sha256,
        });
      }
    }
    if (lacking.length > 0) {
      plan.copies.push({ project, version, file: { ...file, sha256 }, targets: lacking });
    }
  }
  return { plan, problems };
}

/** The version a file name gives for `project`, or undefined (not a distribution of it). */
export function versionOf(filename: string, project: string): string | undefined {
  try {
    const parsed = parseFilename(filename);
    if (normalizeName(parsed.name) === project) return parsed.version;
    if (parsed.kind !== "sdist") return undefined;
    // Sdist names are ambiguous (`foo-2-1.0`): the split that names this project decides.
    const stem = filename.replace(/\.(tar\.gz|tar\.bz2|zip)$/i, "");
    return sdistSplits(stem).find((s) => normalizeName(s.name) === project)?.version;
  } catch {
    return undefined;
  }
}

/** Indexes compare file names exactly (PyPI's are unique per project); so does this. */
function findFile(files: ListedFile[], filename: string): ListedFile | undefined {
  return files.find((f) => f.filename === filename);
}

/** `NAME` or `NAME==VERSION` from the command line; anything else is refused. */
export function parseReleaseSpec(text: string): ReleaseSpec | undefined {
  const match =
    /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:==\s*([^\s=<>!~,;]+))?\s*$/.exec(text);
  if (!match) return undefined;
  return { text, project: normalizeName(match[1] as string), version: match[2] };
}
