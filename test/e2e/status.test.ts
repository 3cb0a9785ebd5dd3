/**
 * `pkgpush status` against several real test index servers: all present, one missing, one with a
 * different file, one down, one serving PEP 503 HTML only, one that wants credentials for its
 * simple pages. The simple URLs are derived from the upload URLs (Warehouse layout) and confirmed.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exampleDist, pypirc, runCli, workspace } from "../helpers/cli.js";
import { closedPort } from "../helpers/transport.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

const FILES = [
  "collective.demo-1.0.0-py3-none-any.whl",
  "collective.demo-1.0.0.tar.gz",
  "Products.HelloWorld-1.2.3-py3-none-any.whl",
  "Products.HelloWorld-1.2.3.tar.gz",
];
const paths = FILES.map((f) => join(exampleDist, f));
const SECRET = "status-secret-5b7e21";

let full: IndexServer;
let partial: IndexServer;
let differs: IndexServer;
let htmlOnly: IndexServer;
let privateIndex: IndexServer;
let downUrl: string;

async function seedAll(server: IndexServer, skip: string[] = []): Promise<void> {
  for (const [i, file] of FILES.entries()) {
    if (!skip.includes(file)) await server.seed(file, readFileSync(paths[i] as string));
  }
}

beforeAll(async () => {
  [full, partial, differs, htmlOnly, privateIndex] = await Promise.all([
    startIndexServer({}),
    startIndexServer({}),
    startIndexServer({}),
    startIndexServer({ simpleFormats: "html", mode: "devpi" }),
    startIndexServer({ readAuth: true, users: { alice: SECRET } }),
  ]);
  await Promise.all([
    seedAll(full),
    seedAll(partial, ["Products.HelloWorld-1.2.3.tar.gz"]),
    seedAll(differs, ["collective.demo-1.0.0-py3-none-any.whl"]),
    seedAll(htmlOnly),
    seedAll(privateIndex),
  ]);
  await differs.seed("collective.demo-1.0.0-py3-none-any.whl", "other bytes");
  downUrl = `http://127.0.0.1:${await closedPort()}/legacy/`;
});

afterAll(async () => {
  await Promise.all([full, partial, differs, htmlOnly, privateIndex].map((s) => s?.close()));
});

const ROUTES = ["collective\\..*", "Products\\..*"];

function config(servers: string[], privatePassword: string | undefined = SECRET): string {
  const urls: Record<string, string> = {
    full: full.uploadUrl,
    partial: partial.uploadUrl,
    differs: differs.uploadUrl,
    html: htmlOnly.uploadUrl,
    private: privateIndex.uploadUrl,
    down: downUrl,
  };
  const sections: Record<string, Record<string, string | string[]>> = {
    distutils: { "index-servers": servers },
  };
  for (const name of servers) {
    sections[name] = { repository: urls[name] as string, "release-packages": ROUTES };
  }
  if (sections.private && privatePassword) {
    Object.assign(sections.private, { username: "alice", password: privatePassword });
  }
  return workspace(pypirc(sections)).config;
}

interface Report {
  schema: string;
  exitCode: number;
  mode: string;
  servers: Array<{ name: string; simpleUrl: string | null; simpleUrlSource: string }>;
  releases: Array<{
    project: string;
    version: string;
    files: Array<{
      filename: string;
      sha256: string | null;
      servers: Record<string, { state: string }>;
    }>;
    cells: Record<
      string,
      {
        state: string;
        same: number;
        missing: number;
        different: number;
        total: number;
        error: string | null;
      }
    >;
  }>;
  notFound: string[];
  totals: Record<string, number>;
}

const status = (args: string[]) => runCli(["status", "--no-keyring", "--retries", "0", ...args]);

/** Each release's cell states by server, e.g. `collective.demo 1.0.0: full=ok html=ok`. */
const cellStates = (report: Report): string[] =>
  report.releases.map(
    (x) =>
      `${x.project} ${x.version}: ${Object.entries(x.cells)
        .map(([server, cell]) => `${server}=${cell.state}`)
        .join(" ")}`,
  );

describe("pkgpush status: local files against the servers they route to", () => {
  it("all present, with an HTML-only index and one that wants credentials: exit 0", async () => {
    const cfg = config(["full", "html", "private"]);
    // Only this run's requests: the servers are shared with the other tests of this file.
    const seen = { html: htmlOnly.requests.length, private: privateIndex.requests.length };
    const r = await status(["--config-file", cfg, "--json", ...paths]);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ schema: "pkgpush-status/1", mode: "files", exitCode: 0 });
    expect(report.servers.map((s) => s.name)).toEqual(["full", "html", "private"]);
    expect(cellStates(report)).toEqual([
      "collective.demo 1.0.0: full=ok html=ok private=ok",
      "Products.HelloWorld 1.2.3: full=ok html=ok private=ok",
    ]);
    for (const release of report.releases) {
      for (const cell of Object.values(release.cells)) {
        expect(cell).toMatchObject({ same: 2, missing: 0, different: 0, total: 2, error: null });
      }
    }
    expect(report.totals).toMatchObject({ releases: 2, ok: 6 });
    // The HTML-only index answered HTML to a JSON-first Accept header, with the server's
    // credentials going to the private one only, never shown.
    const htmlPages = htmlOnly.requests
      .slice(seen.html)
      .filter((q) => q.path.startsWith("/simple/"));
    expect(htmlPages.length).toBeGreaterThan(0);
    expect(htmlPages.every((q) => q.headers.authorization === undefined)).toBe(true);
    const privatePages = privateIndex.requests
      .slice(seen.private)
      .filter((q) => q.path.startsWith("/simple/"));
    expect(privatePages.length).toBeGreaterThan(0);
    expect(privatePages.every((q) => q.headers.authorization === "Basic alice")).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(SECRET);
  });

  it("one missing, one different (the dangerous case): exit 1; -v lists every file", async () => {
    const cfg = config(["full", "partial", "differs"]);
    const r = await status(["--config-file", cfg, "-v", ...paths]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /^collective\.demo 1\.0\.0\s+2\/2 ok\s+2\/2 ok\s+1\/2: 1 DIFFERENT\s*$/m,
    );
    expect(r.stdout).toMatch(
      /^Products\.HelloWorld 1\.2\.3\s+2\/2 ok\s+1\/2: 1 missing\s+2\/2 ok\s*$/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}collective\.demo-1\.0\.0-py3-none-any\.whl\s+same\s+same\s+DIFFERENT [0-9a-f]{12}\s*$/m,
    );
    expect(r.stdout).toMatch(
      /^ {2}Products\.HelloWorld-1\.2\.3\.tar\.gz\s+same\s+missing\s+same\s*$/m,
    );
    expect(r.stdout).toContain("Summary: 4 ok, 1 incomplete, 1 with a DIFFERENT file");
  });

  it("a server down: its cells say unreachable and why, the others are still compared; exit 2", async () => {
    const cfg = config(["full", "down"]);
    const r = await status(["--config-file", cfg, "--json", ...paths]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as Report;
    expect(report).toMatchObject({ schema: "pkgpush-status/1", mode: "files", exitCode: 2 });
    for (const release of report.releases) {
      expect(release.cells.full?.state).toBe("ok");
      expect(release.cells.down?.state).toBe("unreachable");
      expect(release.cells.down?.error).toMatch(/connection refused/);
    }
    expect(report.totals).toMatchObject({ releases: 2, ok: 2, unreachable: 2 });
  });

  it("simple pages that want credentials, without them: unreachable with the 401, exit 2", async () => {
    const cfg = config(["private"], "");
    const r = await status(["--config-file", cfg, "--json", paths[0] as string]);
    expect(r.code).toBe(2);
    const report = JSON.parse(r.stdout) as Report;
    expect(cellStates(report)).toEqual(["collective.demo 1.0.0: private=unreachable"]);
    expect(report.releases[0]?.cells.private?.error).toMatch(/401/);
    expect(report.totals).toMatchObject({ releases: 1, unreachable: 1 });
  });
});

describe("pkgpush status NAME[==VERSION]: what the servers list", () => {
  it("every version of a project on the -r servers; the hash most servers hold is the reference", async () => {
    const cfg = config(["full", "partial", "differs"]);
    const r = await status([
      "--config-file",
      cfg,
      "--json",
      "collective.demo",
      "-r",
      "full,partial,differs",
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.mode).toBe("projects");
    expect(report.releases.map((x) => `${x.project} ${x.version}`)).toEqual([
      "collective.demo 1.0.0",
    ]);
    const [release] = report.releases;
    expect(release?.cells).toMatchObject({
      full: { state: "ok", same: 2, total: 2 },
      partial: { state: "ok" },
      differs: { state: "different", different: 1 },
    });
  });

  it("NAME==VERSION that no server lists is reported; default servers are the listed ones with a simple index", async () => {
    const cfg = config(["full", "html"]);
    const r = await status([
      "--config-file",
      cfg,
      "--json",
      "Products.HelloWorld==1.2.3",
      "collective.demo==9.9",
    ]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.mode).toBe("projects");
    expect(report.servers.map((s) => s.name)).toEqual(["full", "html"]);
    expect(cellStates(report)).toEqual(["Products.HelloWorld 1.2.3: full=ok html=ok"]);
    expect(report.releases[0]?.cells.full).toMatchObject({ same: 2, total: 2 });
    expect(report.notFound).toEqual(["collective.demo==9.9"]);
  });

  it("files and project names together are refused (exit 2)", async () => {
    const cfg = config(["full"]);
    const r = await status(["--config-file", cfg, "collective.demo", paths[0] as string]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/give distribution files or project names, not both/);
  });
});
