// Scenario "status" of bench/run.mjs (issue 14): `pkgpush status` for 20 releases x 4 servers,
// each server adding 20 ms to every request; the goal is well under a second. Four test index
// servers (one process each, as separate indexes would be) get the same releases (a 16 KiB wheel
// and sdist each) uploaded once, untimed; then `status` runs against them with the local files.
// There is no peer: no other tool compares a release across indexes. The floor in the notes is
// pkgpush's own start-up plus the round trips the requests need at the default ceilings.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * @typedef {import("./types.js").DistSpec} DistSpec
 * @typedef {import("./types.js").MeasuredScenario} MeasuredScenario
 * @typedef {import("./types.js").ScenarioHelpers} ScenarioHelpers
 */

const SERVERS = 4;
/** Pages a server is asked for at once (8 in flight per server, the default ceiling). */
const PER_SERVER = 8;

/**
 * @param {string} dir
 * @param {number} releases
 * @returns {DistSpec[]}
 */
function releaseSpecs(dir, releases) {
  return Array.from(
    { length: releases },
    (_, r) => `bench_status_${String(r + 1).padStart(2, "0")}`,
  ).flatMap((name) =>
    /** @type {const} */ (["wheel", "sdist"]).map(
      /** @returns {DistSpec} */
      (kind) => ({ kind, dir, name, version: "1.0", size: 16 * 1024 }),
    ),
  );
}

/**
 * A .pypirc naming the servers, each routing every bench_status project.
 * @param {string[]} urls
 * @param {ScenarioHelpers} h
 */
function pypirc(urls, h) {
  const names = urls.map((_, i) => `st${i + 1}`);
  const sections = urls.map(
    (url, i) =>
      `[${names[i]}]\nrepository = ${url}\nusername = ${h.USER}\npassword = ${h.PASSWORD}\nrelease-packages = bench_status_.*\n`,
  );
  return `[distutils]\nindex-servers = ${names.join(" ")}\n${sections.join("")}`;
}

/**
 * h: the runner's helpers (run.mjs).
 * @param {ScenarioHelpers} h
 * @returns {Promise<MeasuredScenario>}
 */
export async function scenarioStatus(h) {
  const releases = h.PROFILE.statusReleases;
  const latencyMs = h.PROFILE.latencyMs;
  const dir = join(h.work(), "status");
  mkdirSync(dir, { recursive: true });
  const files = h.makeDists(releaseSpecs(dir, releases));
  const idx = await h.startIndexes(SERVERS, { latencyMs, label: "st" });
  try {
    const config = join(dir, "pypirc");
    writeFileSync(
      config,
      pypirc(
        idx.servers.map((s) => s.uploadUrl),
        h,
      ),
      { mode: 0o600 },
    );
    const seed = await h.runTimed(h.cli("upload", "--config-file", config, "-q", ...files), {
      env: h.env(),
    });
    if (seed.code !== 0) throw new Error(`seeding the indexes failed: ${seed.stderr}`);
    const status = h.cli("status", "--config-file", config, "--json", ...files);
    // The measured command must find every release on every server, or it measures a failure.
    const check = await h.runTimed(status, { env: h.env() });
    const cells = releases * SERVERS;
    const ok = check.code === 0 ? JSON.parse(check.stdout).totals?.ok : undefined;
    if (ok !== cells) {
      throw new Error(`status before timing: exit ${check.code}, ${ok} of ${cells} cells ok`);
    }
    const entries = [
      h.entry("pkgpush", `pkgpush status, ${releases} releases x ${SERVERS} servers`, "pkgpush", [
        status,
      ]),
      h.entry(
        "plan",
        `pkgpush upload --dry-run of the same ${files.length} files (read, routed, planned; nothing sent)`,
        "info",
        [h.cli("upload", "--dry-run", "--config-file", config, "-q", ...files)],
      ),
      h.entry("version", "pkgpush --version (start-up)", "info", [h.cli("--version")]),
    ];
    const rows = await h.measureAll("status", entries, h.runsOr(h.PROFILE.statusRuns), 1);
    const pk = h.rowOf(rows, "pkgpush");
    for (const r of rows) r.vs = { label: "pkgpush status", x: r.wall / pk.wall };
    // One round trip confirms each derived simple URL, then the pages go 8 per server at a time.
    const trips = 1 + Math.ceil(releases / PER_SERVER);
    const floor = h.rowOf(rows, "version").wall + (trips * latencyMs) / 1000;
    return {
      id: "status",
      title: `9. status: ${releases} releases x ${SERVERS} servers, ${latencyMs} ms latency`,
      rows,
      notes: [
        `${releases} releases (a 16 KiB wheel and sdist each, ${files.length} files) on ${SERVERS} test index servers, each adding ${latencyMs} ms to every request. \`status\` confirms ${SERVERS} derived simple URLs, reads ${cells} project pages and hashes the ${files.length} local files; every cell is checked to be ok before timing. Floor: start-up (\`--version\`) + ${trips} round trips = ${(floor * 1000).toFixed(0)} ms; one request at a time would need ${cells + SERVERS} round trips (${(((cells + SERVERS) * latencyMs) / 1000).toFixed(2)} s) on top.`,
      ],
      targets: [
        h.target(`${releases} releases x ${SERVERS} servers: status, seconds`, pk.wall, "<", 1, {
          unit: "s",
        }),
      ],
    };
  } finally {
    await idx.stop();
  }
}
