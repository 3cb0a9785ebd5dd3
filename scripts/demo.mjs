// @ts-check
// `npm run demo`: starts three local index servers (a PyPI-like one, a Plone/devpi-like one and
// a company index), writes a .pypirc that routes projects with release-packages, and runs
// `pkgpush upload` on the example distributions, then `pkgpush register` (routed the same way).
import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";

const root = resolve(import.meta.dirname, "..");
const dist = join(root, "examples/dist");
const work = mkdtempSync(join(tmpdir(), "pkgpush-demo-"));

// Demo credentials for demo servers that only listen on 127.0.0.1.
const users = {
  pypi: ["__token__", "pypi-demo-token"],
  plone: ["tarek", "demo-plone"],
  company: ["ci", "demo-company"],
};
const servers = spawn(
  process.execPath,
  [
    join(root, "build/index-server.js"),
    "--log",
    "--server",
    `name=pypi,mode=pypi,user=${users.pypi.join(":")}`,
    "--server",
    `name=plone,mode=devpi,user=${users.plone.join(":")}`,
    "--server",
    `name=company,mode=devpi,user=${users.company.join(":")}`,
  ],
  { stdio: ["ignore", "pipe", "pipe"] },
);
servers.stderr.on("data", (d) =>
  process.stdout.write(`  ${String(d).trimEnd().replace(/\n/g, "\n  ")}\n`),
);

/** @typedef {{ name: string, uploadUrl: string, simpleUrl: string }} ServerLine */
/** @type {Record<string, ServerLine>} */
const urls = {};
for await (const line of createInterface({ input: servers.stdout })) {
  const info = JSON.parse(line);
  urls[info.name] = info;
  if (Object.keys(urls).length === 3) break;
}
/** @param {string} name */
const server = (name) => {
  const info = urls[name];
  if (!info) throw new Error(`demo: the index server did not start '${name}'`);
  return info;
};

const pypirc = `[distutils]
index-servers =
    pypi
    plone
    company

# A local stand-in for PyPI: public Zope/Plone projects go there.
[pypi]
repository = ${server("pypi").uploadUrl}
username = ${users.pypi[0]}
password = ${users.pypi[1]}
release-packages =
    Products\\..*
    collective\\..*

[plone]
repository = ${server("plone").uploadUrl}
username = ${users.plone[0]}
password = ${users.plone[1]}
release-packages =
    Products\\..*
    collective\\..*

# Company-only projects never leave the company index.
[company]
repository = ${server("company").uploadUrl}
username = ${users.company[0]}
password = ${users.company[1]}
release-packages = acme-.*
`;
const config = join(work, ".pypirc");
writeFileSync(config, pypirc);
chmodSync(config, 0o600);

/** @param {string[]} args */
function run(args) {
  console.log(`\n$ pkgpush ${args.join(" ")}`);
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [join(root, "bin/pkgpush.cjs"), ...args], {
      stdio: "inherit",
      cwd: root,
      env: { ...process.env, PKGPUSH_CONFIG_FILE: config },
    });
    child.on("close", (code) => resolvePromise(code ?? 1));
  });
}

let failed = 0;
try {
  console.log(`Demo .pypirc (${config}):\n${pypirc.replace(/password = .*/g, "password = ***")}`);
  const files = readdirSync(dist).map((f) => join("examples/dist", f));
  failed += (await run(["servers"])) !== 0 ? 1 : 0;
  failed += (await run(["upload", "--dry-run", ...files])) !== 0 ? 1 : 0;
  failed += (await run(["upload", ...files])) !== 0 ? 1 : 0;
  // Routed like uploads; the PyPI-like server answers 410 (pre-registration is gone): "not-needed".
  failed += (await run(["register", ...files])) !== 0 ? 1 : 0;
  for (const [name, info] of Object.entries(urls)) {
    const index = await fetch(info.simpleUrl, {
      headers: { accept: "application/vnd.pypi.simple.v1+json" },
    });
    const page = /** @type {{ projects: Array<{ name: string }> }} */ (await index.json());
    const projects = page.projects.map((p) => p.name);
    console.log(`\n${name} (${info.simpleUrl}) now lists: ${projects.join(", ") || "(nothing)"}`);
  }
} finally {
  servers.kill("SIGTERM");
  rmSync(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
