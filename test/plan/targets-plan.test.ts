import { describe, expect, it } from "vitest";
import type { PypircConfig, ServerConfig } from "../../src/config/types.js";
import { ResolutionError } from "../../src/errors.js";
import { runScheduled } from "../../src/execute/scheduler.js";
import { planRegistrations, planUploads } from "../../src/plan/plan.js";
import { adHocServer } from "../../src/resolve/adhoc.js";
import {
  resolveTargets,
  type ServerLookup,
  splitRepositoryArgs,
} from "../../src/resolve/targets.js";
import { dist, server } from "../helpers/builders.js";

function config(servers: ServerConfig[], indexServers = servers.map((s) => s.name)): PypircConfig {
  const map = new Map(servers.map((s) => [s.name, s]));
  if (!map.has("pypi"))
    map.set(
      "pypi",
      server("pypi", { repository: "https://upload.pypi.org/legacy/", immutable: true }),
    );
  return {
    path: "/home/u/.pypirc",
    exists: true,
    indexServers,
    servers: map,
    missingSections: [],
    warnings: [],
  };
}

const lookup: ServerLookup = {
  getServer: (c, name) => {
    const s = c.servers.get(name);
    if (!s) throw new ResolutionError(`no server ${name}`);
    return s;
  },
  findServerByUrl: (c, url) => [...c.servers.values()].find((s) => s.repository === url),
  matchesProject: (s, name) => s.releasePackages.some((p) => p.regex.test(name)),
  adHocServer,
};

const plone = server("plone", { patterns: ["Products\\..*", "collective\\..*"] });
const company = server("company", { patterns: ["acme-.*"] });
const pypi = server("pypi", {
  repository: "https://upload.pypi.org/legacy/",
  immutable: true,
  patterns: [".*"],
});

describe("resolveTargets", () => {
  it("routes each project by release-packages", () => {
    const t = resolveTargets(
      [dist("collective.foo", "1.0"), dist("acme-internal", "2.0")],
      config([pypi, plone, company]),
      { repositories: [] },
      lookup,
    );
    expect(t.mode).toBe("routing");
    expect(t.routes.map((r) => r.servers.map((s) => s.name))).toEqual([
      ["pypi", "plone"],
      ["pypi", "company"],
    ]);
  });

  it("refuses, before sending, a file no server accepts", () => {
    expect(() =>
      resolveTargets(
        [dist("other", "1.0")],
        config([plone, company]),
        { repositories: [] },
        lookup,
      ),
    ).toThrow(
      /other-1.0-py3-none-any.whl: no server's release-packages matches project 'other' \(checked: plone, company\)/,
    );
  });

  it("notes listed servers without patterns, and lines that match only part of a name", () => {
    const bare = server("bare");
    const hinting: ServerLookup = {
      ...lookup,
      routeHints: (s, name) => (s.name === "company" ? [`hint ${s.name} ${name}`] : []),
    };
    const t = resolveTargets(
      [dist("collective.foo", "1.0")],
      config([plone, company, bare]),
      { repositories: [] },
      hinting,
    );
    expect(t.notes).toEqual([
      "'bare' has no release-packages: it receives nothing unless named with -r",
      "hint company collective.foo",
    ]);
    expect(() =>
      resolveTargets(
        [dist("other", "1.0")],
        config([plone, company]),
        { repositories: [] },
        hinting,
      ),
    ).toThrow(
      /no server's release-packages matches project 'other' \(checked: plone, company\)\n {2}hint company other$/,
    );
  });

  it("defaults to pypi when no server routes", () => {
    const t = resolveTargets([dist("x", "1")], config([server("a")]), { repositories: [] }, lookup);
    expect(t.mode).toBe("default");
    expect(t.servers.map((s) => s.name)).toEqual(["pypi"]);
  });

  it("takes -r names, configured URLs and ad-hoc URLs, warning on a routing mismatch", () => {
    const t = resolveTargets(
      [dist("acme-internal", "1")],
      config([plone, company]),
      {
        repositories: ["plone", "https://company.example/legacy/", "https://adhoc.example/"],
        repositoryUrl: "https://other.example/",
      },
      lookup,
    );
    expect(t.servers.map((s) => s.name)).toEqual([
      "plone",
      "company",
      "https://adhoc.example/",
      "https://other.example/",
    ]);
    expect(t.warnings).toHaveLength(1);
    expect(t.warnings[0]).toMatch(/does not match the release-packages of 'plone'/);
  });

  it("splits comma lists", () => {
    expect(splitRepositoryArgs(["a,b", "c"])).toEqual(["a", "b", "c"]);
    expect(() => splitRepositoryArgs(["a,"])).toThrow(/empty/);
  });
});

describe("plans", () => {
  const files = [dist("collective.foo", "1.0", "sdist"), dist("collective.foo", "1.0", "wheel")];
  const targets = resolveTargets(files, config([pypi, plone]), { repositories: [] }, lookup);

  it("puts wheels before sdists per server and permanent servers after the others", () => {
    const plan = planUploads(targets);
    const order = plan.jobs.map((j) => `${j.server.name}:${j.dist.parsed.kind}`);
    expect(order).toEqual(["plone:wheel", "plone:sdist", "pypi:wheel", "pypi:sdist"]);
    const [ploneWheel, ploneSdist, pypiWheel, pypiSdist] = plan.jobs;
    expect(ploneSdist?.after).toEqual([ploneWheel?.id]);
    expect(pypiWheel?.after).toEqual([ploneWheel?.id]);
    expect(pypiSdist?.after.sort()).toEqual([ploneSdist?.id, pypiWheel?.id].sort());
  });

  it("registers each release once per server", () => {
    const plan = planRegistrations(targets);
    expect(plan.jobs.map((j) => `${j.server.name}:${j.dist.parsed.kind}`)).toEqual([
      "pypi:wheel",
      "plone:wheel",
    ]);
  });

  it("schedules within limits and honours dependencies", async () => {
    const plan = planUploads(targets);
    const started: string[] = [];
    const inFlight = new Map<string, number>();
    let peak = 0;
    const results = await runScheduled(plan.jobs, { concurrency: 4, perServer: 1 }, async (job) => {
      const load = (inFlight.get(job.server.name) ?? 0) + 1;
      inFlight.set(job.server.name, load);
      peak = Math.max(peak, load);
      started.push(`${job.server.name}:${job.dist.parsed.kind}`);
      await new Promise((r) => setTimeout(r, 5));
      inFlight.set(job.server.name, load - 1);
      return job.id;
    });
    expect(results.size).toBe(4);
    expect(peak).toBe(1);
    // After plone's wheel: its sdist and pypi's wheel may run side by side (other servers).
    expect(started).toEqual(["plone:wheel", "plone:sdist", "pypi:wheel", "pypi:sdist"]);
  });
});

describe("plans for many files", () => {
  const servers = [server("a"), server("b")];
  const many = (projects: number) =>
    Array.from({ length: projects }, (_, i) =>
      (["wheel", "sdist", "egg"] as const).map((kind) => dist(`proj-${i}`, "1.0", kind)),
    ).flat();
  const targetsFor = (files: ReturnType<typeof many>) =>
    resolveTargets(files, config(servers), { repositories: ["a", "b", "pypi"] }, lookup);
  const rank = { wheel: 0, egg: 1, sdist: 2 };

  it("orders jobs exactly as the pairwise rule says (every pair compared)", () => {
    const plan = planUploads(targetsFor(many(20)));
    for (const job of plan.jobs) {
      const expected = plan.jobs
        .filter(
          (o) =>
            o !== job &&
            ((o.server.name === job.server.name &&
              o.dist.normalizedName === job.dist.normalizedName &&
              o.dist.version === job.dist.version &&
              rank[o.dist.parsed.kind] < rank[job.dist.parsed.kind]) ||
              (o.dist.path === job.dist.path && !o.server.immutable && job.server.immutable)),
        )
        .map((o) => o.id);
      expect(job.after).toEqual(expected);
    }
  });

  it("plans 2000 files for 3 servers in well under a second (linear, not pairwise)", () => {
    const targets = targetsFor(many(667));
    const started = process.cpuUsage();
    const plan = planUploads(targets);
    expect(plan.jobs).toHaveLength(2001 * 3);
    // Comparing every pair (36 million) took seconds; grouping takes milliseconds. CPU time, not
    // wall time: other work on a shared machine stretches the wall clock, not this process's CPU.
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(1000);
  });
});

describe("scheduler contract", () => {
  it("a job runner that throws ends the run with that error instead of hanging", async () => {
    const targets = resolveTargets(
      [dist("x", "1")],
      config([server("a")]),
      { repositories: ["a"] },
      lookup,
    );
    const plan = planUploads(targets);
    await expect(
      runScheduled(plan.jobs, { concurrency: 2, perServer: 1 }, async () => {
        throw new Error("reporter broke");
      }),
    ).rejects.toThrow("reporter broke");
  });
});
