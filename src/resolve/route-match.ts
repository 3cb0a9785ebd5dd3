/**
 * Matches every server's `release-packages` against the projects of a run, once, under a deadline
 * (bounded-match.ts), and finds the lines that route a project only under collective.releaser's
 * rule (`re.findall`: a match anywhere in the name) so users bringing such a file learn which
 * line to rewrite, and how.
 */

import { nameForms, showPattern, where, widenPattern } from "../config/release-pattern.js";
import type { ReleasePattern, ServerConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import { backtrackBound, translatePythonPattern } from "../python-regex/index.js";
import {
  INLINE_STEP_LIMIT,
  type MatchHit,
  type MatchTask,
  MatchTimeout,
  runMatches,
} from "./bounded-match.js";

/** A regex line that matches part of a project's name but not the whole of any of its forms. */
export interface AnywhereHint {
  server: string;
  pattern: ReleasePattern;
  name: string;
  /** A whole-name pattern that routes the project (verified), when one could be written. */
  suggestion?: string | undefined;
}

export interface RouteTable {
  /** Whether the server's lines route the project (positive line matched, no `!` line did). */
  matches(server: ServerConfig, name: string): boolean;
  /** For a project the server does not take: its lines that would under collective.releaser. */
  hints(server: ServerConfig, name: string): AnywhereHint[];
}

interface Pending<T> {
  task: MatchTask;
  pattern: ReleasePattern;
  subject: string;
  data: T;
}

const key = (server: string, name: string): string => `${server}\u0000${name}`;

function timeoutError(pattern: ReleasePattern, subject: string, deadlineMs: number): ConfigError {
  const shown = subject.length > 60 ? `${subject.slice(0, 57)}...` : subject;
  return new ConfigError(
    `${where(pattern.location)}: release-packages ${pattern.kind === "glob" ? "glob" : "pattern"} ${showPattern(pattern.source)} ran for more than ${deadlineMs / 1000} s against '${shown}' and was stopped`,
    {
      hint: "the pattern backtracks without end (nested repeats such as (a+)+ or (a|a)*); rewrite it without repeating a repeat",
    },
  );
}

async function run<T>(
  pending: Pending<T>[],
  options: { signal?: AbortSignal | undefined; deadlineMs?: number | undefined },
): Promise<Array<MatchHit | null>> {
  try {
    return await runMatches(
      pending.map((p) => p.task),
      options,
    );
  } catch (error) {
    if (error instanceof MatchTimeout) {
      const culprit = pending[error.task] as Pending<T>;
      throw timeoutError(culprit.pattern, culprit.subject, error.deadlineMs);
    }
    throw error;
  }
}

function task(regex: RegExp, subject: string, pattern: ReleasePattern, cost?: number): MatchTask {
  return { regex, subject, cost: cost ?? pattern.cost(subject.length) };
}

/** Whole-name rewrites of a line that matched `name` at `hit`, tightest first. */
function suggestions(pattern: ReleasePattern, name: string, hit: MatchHit): string[] {
  const candidates = [
    widenPattern(pattern.source, hit.index > 0, hit.end < name.length),
    widenPattern(pattern.source, true, true),
  ];
  return [...new Set(candidates.filter((c): c is string => c !== undefined))];
}

type MatchOptions = { signal?: AbortSignal | undefined; deadlineMs?: number | undefined };
type Found = { pattern: ReleasePattern; subject: string; data: AnywhereHint; hit: MatchHit };

/**
 * Which (server, project) pairs the lines route, and which a `!` line vetoes. Cheap matches run
 * here and stop at the first hit; only costly ones wait for the worker.
 */
async function wholeNameMatches(
  routing: ServerConfig[],
  projects: string[],
  options: MatchOptions,
): Promise<{ routed: Set<string>; excluded: Set<string> }> {
  const positive = new Set<string>();
  const excluded = new Set<string>();
  const deferred: Pending<string>[] = [];
  // Forms depend only on the name and on whether the line is a positive glob.
  const forms = new Map(
    projects.map((name) => [
      name,
      {
        glob: nameForms(name, { kind: "glob", exclude: false }),
        all: nameForms(name, { kind: "regex", exclude: false }),
      },
    ]),
  );
  for (const server of routing) {
    for (const name of projects) {
      const k = key(server.name, name);
      const { glob, all } = forms.get(name) as { glob: string[]; all: string[] };
      for (const pattern of server.releasePackages) {
        const found = pattern.exclude ? excluded : positive;
        for (const form of pattern.kind === "glob" && !pattern.exclude ? glob : all) {
          if (found.has(k)) break;
          const t = task(pattern.regex, form, pattern);
          if (t.cost > INLINE_STEP_LIMIT)
            deferred.push({ task: t, pattern, subject: form, data: k });
          else if (t.regex.test(form)) found.add(k);
        }
      }
    }
  }
  const hits = await run(deferred, options);
  deferred.forEach((p, i) => {
    if (hits[i]) (p.pattern.exclude ? excluded : positive).add(p.data);
  });
  return { routed: new Set([...positive].filter((k) => !excluded.has(k))), excluded };
}

/** Regex lines matching part of a name their server does not take (`re.search`). */
async function partialMatches(
  routing: ServerConfig[],
  projects: string[],
  skip: (k: string) => boolean,
  options: MatchOptions,
): Promise<Found[]> {
  const found: Found[] = [];
  const deferred: Pending<AnywhereHint>[] = [];
  for (const server of routing) {
    for (const name of projects) {
      if (skip(key(server.name, name))) continue;
      for (const pattern of server.releasePackages) {
        if (!pattern.search) continue;
        const t = task(pattern.search, name, pattern);
        const data: AnywhereHint = { server: server.name, pattern, name };
        if (t.cost > INLINE_STEP_LIMIT) {
          deferred.push({ task: t, pattern, subject: name, data });
          continue;
        }
        const m = t.regex.exec(name);
        const hit = m ? { index: m.index, end: m.index + m[0].length } : undefined;
        if (hit) found.push({ pattern, subject: name, data, hit });
      }
    }
  }
  const hits = await run(deferred, options);
  deferred.forEach((p, i) => {
    const hit = hits[i];
    if (hit) found.push({ ...p, hit });
  });
  return found;
}

/** Sets each hint's suggestion to the first rewrite that compiles and routes the whole name. */
async function verifySuggestions(found: Found[], options: MatchOptions): Promise<void> {
  const checks: Pending<{ hint: AnywhereHint; text: string }>[] = [];
  for (const p of found) {
    for (const text of suggestions(p.pattern, p.subject, p.hit)) {
      try {
        const { whole: regex, tree } = translatePythonPattern(text);
        const cost = backtrackBound(tree, p.subject.length);
        const t = task(regex, p.subject, p.pattern, cost);
        checks.push({
          task: t,
          pattern: p.pattern,
          subject: p.subject,
          data: { hint: p.data, text },
        });
      } catch {
        // A rewrite that does not compile (e.g. after a verbose-mode comment) is not offered.
      }
    }
  }
  const hits = await run(checks, options);
  checks.forEach((c, i) => {
    if (hits[i] && c.data.hint.suggestion === undefined) c.data.hint.suggestion = c.data.text;
  });
}

/**
 * Matches each server's lines against each project name (every form, see config/release-pattern.ts),
 * then, for the projects a server does not take, its regex lines against the name as written
 * with `re.search` semantics. Throws a ConfigError naming the line of a pattern that runs past
 * the deadline, InterruptedError when `signal` aborts.
 */
export async function matchRoutes(
  servers: ServerConfig[],
  names: string[],
  options: MatchOptions = {},
): Promise<RouteTable> {
  const routing = servers.filter((s) => s.releasePackages.length > 0);
  const projects = [...new Set(names)];
  const { routed, excluded } = await wholeNameMatches(routing, projects, options);
  const skip = (k: string): boolean => routed.has(k) || excluded.has(k);
  const found = await partialMatches(routing, projects, skip, options);
  await verifySuggestions(found, options);
  const hints = new Map<string, AnywhereHint[]>();
  for (const { data } of found) {
    const k = key(data.server, data.name);
    hints.set(k, [...(hints.get(k) ?? []), data]);
  }
  return {
    matches: (server, name) => routed.has(key(server.name, name)),
    hints: (server, name) => hints.get(key(server.name, name)) ?? [],
  };
}

/** `'plone' line 12: "Products\." matches only part of the name ...; "Products\..*" routes it`. */
export function formatHint(hint: AnywhereHint): string {
  const line = `'${hint.server}' line ${hint.pattern.line}: ${showPattern(hint.pattern.source)} matches only part of '${hint.name}' (collective.releaser's rule routed it; pkgpush matches whole names)`;
  return hint.suggestion ? `${line}; ${showPattern(hint.suggestion)} would route it` : line;
}
