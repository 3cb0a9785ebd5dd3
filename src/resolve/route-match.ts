/**
 * Matches every server's `release-packages` against the projects of a run, once, under a deadline
 * (bounded-match.ts), and finds the lines that route a project only under collective.releaser's
 * rule (`re.findall`: a match anywhere in the name) so users bringing such a file learn which
 * line to rewrite, and how.
 */
import type { ReleasePattern, ServerConfig } from "../config/types.js";
import { ConfigError } from "../errors.js";
import { type MatchHit, type MatchTask, MatchTimeout, runMatches } from "./bounded-match.js";
import { translatePythonPattern } from "./pattern.js";
import { backtrackBound } from "./pattern-cost.js";
import { nameForms, showPattern, where, widenPattern } from "./release-pattern.js";

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

/**
 * Matches each server's lines against each project name (every form, see release-pattern.ts),
 * then, for the projects a server does not take, its regex lines against the name as written
 * with `re.search` semantics. Throws a ConfigError naming the line of a pattern that runs past
 * the deadline, InterruptedError when `signal` aborts.
 */
export async function matchRoutes(
  servers: ServerConfig[],
  names: string[],
  options: { signal?: AbortSignal | undefined; deadlineMs?: number | undefined } = {},
): Promise<RouteTable> {
  const routing = servers.filter((s) => s.releasePackages.length > 0);
  const projects = [...new Set(names)];

  const whole: Pending<{ server: string; name: string }>[] = [];
  for (const server of routing) {
    for (const name of projects) {
      for (const pattern of server.releasePackages) {
        for (const form of nameForms(name, pattern)) {
          const data = { server: server.name, name };
          whole.push({ task: task(pattern.regex, form, pattern), pattern, subject: form, data });
        }
      }
    }
  }
  const wholeHits = await run(whole, options);
  const positive = new Set<string>();
  const excluded = new Set<string>();
  whole.forEach((p, i) => {
    if (!wholeHits[i]) return;
    (p.pattern.exclude ? excluded : positive).add(key(p.data.server, p.data.name));
  });
  const routed = new Set([...positive].filter((k) => !excluded.has(k)));

  const anywhere: Pending<AnywhereHint>[] = [];
  for (const server of routing) {
    for (const name of projects) {
      if (routed.has(key(server.name, name)) || excluded.has(key(server.name, name))) continue;
      for (const pattern of server.releasePackages) {
        if (!pattern.search) continue;
        const data: AnywhereHint = { server: server.name, pattern, name };
        anywhere.push({ task: task(pattern.search, name, pattern), pattern, subject: name, data });
      }
    }
  }
  const anywhereHits = await run(anywhere, options);
  const found = anywhere.filter((_, i) => anywhereHits[i]);

  // Each rewrite is checked: it must compile and route the project as a whole name.
  const checks: Pending<{ hint: AnywhereHint; text: string }>[] = [];
  found.forEach((p) => {
    const hit = anywhereHits[anywhere.indexOf(p)] as MatchHit;
    for (const text of suggestions(p.pattern, p.subject, hit)) {
      try {
        const { whole: regex, tree } = translatePythonPattern(text);
        const cost = backtrackBound(tree, p.subject.length);
        const data = { hint: p.data, text };
        checks.push({
          task: task(regex, p.subject, p.pattern, cost),
          pattern: p.pattern,
          subject: p.subject,
          data,
        });
      } catch {
        // A rewrite that does not compile (e.g. after a verbose-mode comment) is not offered.
      }
    }
  });
  const checkHits = await run(checks, options);
  checks.forEach((c, i) => {
    if (checkHits[i] && c.data.hint.suggestion === undefined) c.data.hint.suggestion = c.data.text;
  });

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
