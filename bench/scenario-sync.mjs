// Scenario "sync" of bench/run.mjs (issue 14): a 10-file release on one index copied to 3 others.
//   pkgpush:     `pkgpush sync NAME==1.0 --from SRC --to T1 --to T2 --to T3`
//   peer:        a curl download loop (one file after another), then `twine upload` once per target
//   floor:       the bytes on the wire: one parallel curl download, then all 30 uploads by one
//                parallel curl (multipart forms built here, digests computed before timing)
//   node:        the least a Node.js program does for the same copy (sync-minimal-client.mjs):
//                what Node itself costs here, apart from anything pkgpush does
// Every run (every contender) gets 3 fresh, empty target servers (started and stopped outside the
// timing), so each really copies all 10 files to all 3.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { syncFormFields } from "./sync-form.mjs";

const MINIMAL_CLIENT = fileURLToPath(new URL("./sync-minimal-client.mjs", import.meta.url));

/**
 * @typedef {import("./types.js").DistSpec} DistSpec
 * @typedef {import("./types.js").IndexServers} IndexServers
 * @typedef {import("./types.js").MeasuredScenario} MeasuredScenario
 * @typedef {import("./types.js").ScenarioHelpers} ScenarioHelpers
 */

/**
 * 9 wheels (one per interpreter and platform) and the sdist, as a C extension's release has.
 * @param {string} name
 * @param {number} size bytes
 * @returns {DistSpec[]}
 */
function releaseSpecs(name, size) {
  const tags = [];
  for (const py of ["38", "39", "310", "311", "312"]) {
    tags.push(`cp${py}-cp${py}-manylinux_2_17_x86_64`);
  }
  for (const py of ["39", "310", "311", "312"]) tags.push(`cp${py}-cp${py}-musllinux_1_2_x86_64`);
  return [
    ...tags.map(
      /** @returns {DistSpec} */
      (tag) => ({ kind: "wheel", name, version: "1.0", size, tag }),
    ),
    { kind: "sdist", name, version: "1.0", size },
  ];
}

/**
 * The form fields a legacy upload needs, for curl -F (the test server is as strict as PyPI).
 * @param {string} file
 * @param {string} user
 * @param {string} password
 */
function formArgs(file, user, password) {
  const sha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
  const fields = syncFormFields(basename(file), sha256);
  return [
    "-u",
    `${user}:${password}`,
    "-o",
    "/dev/null",
    ...Object.entries(fields).flatMap(([k, v]) => ["-F", `${k}=${v}`]),
    "-F",
    `content=@${file}`,
  ];
}

/**
 * h: the runner's helpers (run.mjs). Resolves with the scenario's { id, title, rows, notes,
 * targets }.
 * @param {ScenarioHelpers} h
 * @returns {Promise<MeasuredScenario>}
 */
export async function scenarioSync(h) {
  const dir = join(h.work(), "sync");
  const peerDir = join(dir, "peer");
  const floorDir = join(dir, "floor");
  const nodeDir = join(dir, "node");
  for (const d of [dir, peerDir, floorDir, nodeDir]) mkdirSync(d, { recursive: true });
  const size = h.parseSize(h.PROFILE.syncFile);
  const files = h.makeDists(releaseSpecs("bench_sync", size).map((s) => ({ ...s, dir })));
  const names = files.map((f) => basename(f));
  const source = await h.startIndexes(1, { label: "src" });
  /** @type {IndexServers | undefined} this run's fresh target servers */
  let targets;
  try {
    const [src] = source.servers;
    if (!src) throw new Error("the source index server did not start");
    const srcRoot = src.uploadUrl.replace(/\/legacy\/$/, "");
    const seed = await h.runTimed(h.cli("upload", "--repository-url", src.uploadUrl, ...files), {
      env: h.env(),
    });
    if (seed.code !== 0) throw new Error(`seeding the source failed: ${seed.stderr}`);
    const fileUrls = names.map((n) => `${srcRoot}/files/${encodeURIComponent(n)}`);
    const forms = files.map((f) => formArgs(f, h.USER, h.PASSWORD));
    /** Every index server's CPU (the source's and this run's targets'), in seconds so far. */
    const serversCpu = () =>
      [src, ...(targets?.servers ?? [])].reduce(
        (sum, server) => sum + (server.cpuSeconds() ?? Number.NaN),
        0,
      );
    /** What each entry's runs cost the four servers (seconds per run). */
    /** @type {Map<string, number[]>} */
    const serverCpu = new Map();
    let cpuAtStart = 0;
    /**
     * Fresh targets for each run, outside the timing.
     * @param {string} id the entry whose runs the servers' CPU is counted for
     */
    const hooksFor = (id) => ({
      before: async () => {
        targets = await h.startIndexes(3, { label: "t" });
        for (const f of names) {
          for (const d of [peerDir, floorDir, nodeDir]) rmSync(join(d, f), { force: true });
        }
        cpuAtStart = serversCpu();
      },
      after: async () => {
        const used = serversCpu() - cpuAtStart;
        if (Number.isFinite(used)) serverCpu.set(id, [...(serverCpu.get(id) ?? []), used]);
        await targets?.stop();
        targets = undefined;
      },
    });
    const urls = () => {
      if (!targets) throw new Error("no target servers: `before` starts them");
      return targets.servers.map((s) => s.uploadUrl);
    };
    const entries = [
      h.entry("pkgpush", "pkgpush sync (download once, upload to 3 at once)", "pkgpush", [], {
        ...hooksFor("pkgpush"),
        stepsFor() {
          return [
            h.cli(
              "sync",
              "bench_sync==1.0",
              "--from",
              `${srcRoot}/simple/`,
              ...urls().flatMap((u) => ["--to", u]),
            ),
          ];
        },
      }),
      h.entry("floor", "curl: one parallel download, then 30 parallel uploads", "floor", [], {
        ...hooksFor("floor"),
        stepsFor() {
          const t = urls();
          const download = [
            "curl",
            "-sSf",
            "--parallel",
            "--parallel-max",
            "12",
            "--output-dir",
            floorDir,
            // fileUrls is names mapped: same length.
            ...fileUrls.flatMap((u, i) => ["-o", /** @type {string} */ (names[i]), u]),
          ];
          const uploads = t.flatMap((u) =>
            forms.map((form) => [...form.map((a) => a.replace(dir, floorDir)), u]),
          );
          const upload = [
            "curl",
            "-sSf",
            "--parallel",
            "--parallel-max",
            "12",
            ...uploads.flatMap((argv, i) => (i === 0 ? argv : ["--next", ...argv])),
          ];
          return [download, upload];
        },
      }),
      h.entry(
        "node",
        "plain Node.js: node:http, downloads 3 at once, each file sent on as it lands (no checks)",
        "floor",
        [],
        {
          ...hooksFor("node"),
          stepsFor() {
            return [
              [
                process.execPath,
                MINIMAL_CLIENT,
                nodeDir,
                `${srcRoot}/simple/bench-sync/`,
                h.USER,
                h.PASSWORD,
                ...urls(),
              ],
            ];
          },
        },
      ),
    ];
    if (h.TOOLS.twine) {
      entries.push(
        h.entry("peer", "curl download loop, then twine upload x3", "peer", [], {
          ...hooksFor("peer"),
          stepsFor() {
            const t = urls();
            const loop = `for u in ${fileUrls.join(" ")}; do curl -sSfO "$u" || exit 1; done`;
            const local = names.map((n) => join(peerDir, n));
            return [
              ["sh", "-c", `cd ${peerDir} && ${loop}`],
              ...t.map((u) => h.twineUpload(u, local)),
            ];
          },
        }),
      );
    }
    const rows = await h.measureAll("sync", entries, h.runsOr(h.PROFILE.syncRuns), h.SMOKE ? 0 : 1);
    const pk = h.rowOf(rows, "pkgpush");
    const floor = h.rowOf(rows, "floor");
    const plainNode = h.byId(rows, "node");
    const peer = h.byId(rows, "peer");
    for (const r of rows) r.vs = { label: "pkgpush", x: r.wall / pk.wall };
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    const servers = Object.fromEntries(
      [...serverCpu].map(([entryId, seconds]) => [entryId, h.median(seconds)]),
    );
    const notes = [
      `${files.length} files (${h.sizeLabel(size)} each, ${(bytes / h.MiB).toFixed(1)} MiB in all) on a source index, copied to 3 empty target indexes (fresh servers each run): 10 downloads and 30 uploads. pkgpush also reads 4 simple-index pages, confirms 3 derived simple URLs, checks each download's sha256, inspects the files and runs its preflight.`,
    ];
    if (servers.pkgpush !== undefined) {
      // The servers serve and store the same bytes for every contender, on the same 2 cores.
      const bound = (pk.cpu + servers.pkgpush) / 2;
      notes.push(
        `The four index servers' own CPU per run (serving the downloads; receiving, parsing, hashing and storing the uploads; median): ${h.fmtS(servers.pkgpush)} during pkgpush's sync, ${h.fmtS(servers.floor)} during curl's${servers.peer === undefined ? "" : `, ${h.fmtS(servers.peer)} during curl + twine's`}. On the same 2 cores, pkgpush's run cannot take much less than (its CPU + theirs) / 2 = ${h.fmtS(bound)}${peer ? `, which bounds the speed-up over curl + twine near ${(peer.wall / bound).toFixed(2)}x` : ""}.`,
      );
    }
    if (plainNode) {
      notes.push(
        `A plain Node.js client doing only the copy (bench/sync-minimal-client.mjs: node:http, sha256 only, no configuration, checks, metadata or progress) took ${h.fmtS(plainNode.wall)}: ${(plainNode.wall / floor.wall).toFixed(2)}x curl on the wire${peer ? ` and ${(peer.wall / plainNode.wall).toFixed(2)}x faster than curl + twine x3, which itself is ${(peer.wall / floor.wall).toFixed(2)}x curl's time` : ""}. That is what Node's own start-up and I/O cost on this machine, before pkgpush does anything.`,
      );
    }
    return {
      id: "sync",
      title: "7. Sync a 10-file release from one index to 3 others",
      rows,
      notes,
      extra: { serverCpu: servers },
      targets: [
        ...(peer
          ? [
              h.target(
                "curl loop + twine x3 / pkgpush sync (speed-up)",
                peer.wall / pk.wall,
                ">=",
                3,
                {
                  best: peer.min / pk.min,
                  cpu: peer.cpu / pk.cpu,
                },
              ),
            ]
          : []),
        h.target("pkgpush sync / curl on the wire (overhead)", pk.wall / floor.wall, "<=", 1.5, {
          best: pk.min / floor.min,
          cpu: pk.cpu / floor.cpu,
        }),
      ],
    };
  } finally {
    await targets?.stop();
    await source.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
