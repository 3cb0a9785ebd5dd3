// @ts-check
// Builds the Python wheel of pkgpush (python/ + the npm package's CLI bundle) with
// `python3 -m build --wheel --no-isolation`, offline, using the setuptools the system provides
// (Debian: python3-build, python3-setuptools).
//   node scripts/build-wheel.mjs [--from DIR] [--out DIR]
// --from: a checkout whose dist/ holds a release build (default: this one, built with --release
// if dist/cli.js is missing); --out: where the wheel goes (default build/wheel).
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const here = resolve(import.meta.dirname, "..");
const { values } = parseArgs({ options: { from: { type: "string" }, out: { type: "string" } } });
const from = resolve(values.from ?? here);
const out = resolve(values.out ?? join(here, "build/wheel"));

/** The first Python that can build offline: Debian's (python3-build) before PATH's. */
function buildPython() {
  for (const python of ["/usr/bin/python3", "python3"]) {
    try {
      execFileSync(python, ["-c", "import build, setuptools"], { stdio: "ignore" });
      return python;
    } catch {}
  }
  throw new Error(
    "no python3 with the build and setuptools modules (apt-get install python3-build python3-setuptools)",
  );
}

if (!existsSync(join(from, "dist/cli.js"))) {
  execFileSync(process.execPath, [join(from, "scripts/build.mjs"), "--release"], {
    stdio: "inherit",
  });
}
const pkg = JSON.parse(readFileSync(join(from, "package.json"), "utf8"));
const stage = mkdtempSync(join(tmpdir(), "pkgpush-wheel-"));
try {
  cpSync(join(here, "python"), stage, { recursive: true });
  for (const file of ["README.md", "LICENSE"]) cpSync(join(from, file), join(stage, file));
  const js = join(stage, "pkgpush/_js");
  mkdirSync(join(js, "dist"), { recursive: true });
  // The launcher and what it requires (bin/jit-policy.cjs, bin/early-thread.cjs).
  cpSync(join(from, "bin"), join(js, "bin"), { recursive: true });
  // The CLI's files only: no maps, and not the Node API's declarations (dist/types/).
  for (const entry of readdirSync(join(from, "dist"), { withFileTypes: true })) {
    if (entry.isFile() && !entry.name.endsWith(".map")) {
      cpSync(join(from, "dist", entry.name), join(js, "dist", entry.name));
    }
  }
  // The bundle is ES modules: the nearest package.json says so (and carries the version).
  writeFileSync(
    join(js, "package.json"),
    `${JSON.stringify({ name: pkg.name, version: pkg.version, type: "module", private: true }, null, 2)}\n`,
  );
  writeFileSync(join(stage, "pkgpush/VERSION"), `${pkg.version}\n`);
  mkdirSync(out, { recursive: true });
  try {
    execFileSync(
      buildPython(),
      ["-m", "build", "--wheel", "--no-isolation", "--outdir", out, stage],
      {
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1" },
      },
    );
  } catch (caught) {
    // setuptools is chatty when it works; show its output only when it did not.
    const error = /** @type {{ stdout?: string, stderr?: string }} */ (caught);
    process.stderr.write(`${error.stdout ?? ""}${error.stderr ?? ""}`);
    throw new Error("python -m build failed");
  }
  const wheel = readdirSync(out).find(
    (f) => f.startsWith(`pkgpush-${pkg.version}-`) && f.endsWith(".whl"),
  );
  if (!wheel) throw new Error(`no wheel in ${out}`);
  process.stdout.write(`${join(out, wheel)}\n`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
