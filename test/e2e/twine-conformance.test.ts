import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureFixtures, type FixtureSet } from "../fixtures/make-fixtures.js";
import { exampleDist, fieldsOf, runCli } from "../helpers/cli.js";
import {
  type IndexServer,
  type RecordedRequest,
  startIndexServer,
} from "../server/index-server.js";

const run = promisify(execFile);
// Debian's twine belongs to /usr/bin/python3 (docs/protocol.md, "Machine notes").
const PYTHON = "/usr/bin/python3";

let twineServer: IndexServer;
let ourServer: IndexServer;
let fixtures: FixtureSet;

beforeAll(async () => {
  fixtures = await ensureFixtures();
  [twineServer, ourServer] = await Promise.all([
    startIndexServer({ mode: "devpi", users: { u: "pw-conformance" } }),
    startIndexServer({ mode: "devpi", users: { u: "pw-conformance" } }),
  ]);
});

afterAll(async () => {
  await Promise.all([twineServer?.close(), ourServer?.close()]);
});

async function twineUpload(file: string): Promise<RecordedRequest> {
  try {
    await run(
      PYTHON,
      [
        "-m",
        "twine",
        "upload",
        "--non-interactive",
        "--disable-progress-bar",
        "--repository-url",
        twineServer.uploadUrl,
        file,
      ],
      {
        env: {
          PATH: process.env.PATH ?? "",
          HOME: "/nonexistent",
          TWINE_USERNAME: "u",
          TWINE_PASSWORD: "pw-conformance",
        },
      },
    );
  } catch (error) {
    throw new Error(
      `twine is required for this test (Debian package 'twine', installed by npm run setup): ${(error as Error).message}`,
    );
  }
  const request = twineServer.requests.findLast((r) => r.file?.filename === file.split("/").pop());
  if (!request) throw new Error("twine's request did not reach the server");
  return request;
}

async function pkgpushUpload(file: string): Promise<RecordedRequest> {
  const r = await runCli([
    "upload",
    "--repository-url",
    ourServer.uploadUrl,
    "-u",
    "u",
    "-p",
    "pw-conformance",
    file,
  ]);
  expect(r.code, r.stderr).toBe(0);
  const request = ourServer.requests.findLast((q) => q.file?.filename === file.split("/").pop());
  if (!request) throw new Error("pkgpush's request did not reach the server");
  return request;
}

type Fields = Map<string, string[]>;

/**
 * Intended differences from twine 4.0.2 (Debian's), each with its reason. Everything else must be
 * equal, value for value and in the same multiplicity.
 * 1. `provides_extras` (twine) vs `provides_extra` (us): Warehouse's field is provides_extra;
 *    twine 4 misspells it, so PyPI ignores the extras twine sends.
 * 2. `requires_python`: we always send it (empty when the metadata has none) because GitLab
 *    rejects uploads without it; twine omits it. Empty values are ignored on both sides.
 * 3. `pyversion` of an sdist: we send `source` (distutils, Warehouse's documented value); twine
 *    sends nothing.
 * 4. `pyversion` of an egg: we send the `X.Y` of the file name; twine 4.0.2 sends the project's
 *    version there (`py_version = dist.metadata["Version"]` in twine/package.py), a twine bug.
 * Field order is not compared: servers read the whole form first, and for files of 32 MiB and
 * more pkgpush sends the digests after the file (computed in the same pass as sending).
 * 5. `description` in Metadata 1.x: we undo the `       |` continuation prefix setuptools writes
 *    (the core metadata spec's reading); Debian's pkginfo 1.8 leaves it in the text.
 * 6. `md5_digest`: twine 4.0.2 sends it; twine 6.2+ and `uv publish` do not, and neither do we
 *    unless the server's section says `md5-digest = true` (README, "Digests").
 * 7. Folded values (other than the description): twine 4's pkginfo joins the continuation lines
 *    with spaces; we keep them as packaging's `parse_email` does, as twine 7 sends them and PyPI
 *    validates them (a folded Summary is refused there). warehouse.test.ts compares our form
 *    with twine 7's on every fixture.
 */
function normalise(
  fields: Fields,
  side: "twine" | "pkgpush",
  file: string,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [key, values] of fields) {
    const nonEmpty = values.filter((v) => v !== "");
    if (nonEmpty.length === 0) continue;
    const unfolded =
      side === "pkgpush" && key !== "description"
        ? nonEmpty.map((v) => v.replace(/[ \t]*\r?\n[ \t]*/g, " ")) // (7)
        : nonEmpty;
    out[side === "twine" && key === "provides_extras" ? "provides_extra" : key] = unfolded; // (1), (2)
  }
  if (side === "twine") {
    if (/\.(tar\.gz|zip|tar\.bz2)$/.test(file) && out.pyversion === undefined)
      out.pyversion = ["source"]; // (3)
    const egg = /-py(\d+\.\d+)(-.+)?\.egg$/.exec(file);
    if (egg?.[1]) out.pyversion = [egg[1]]; // (4)
    delete out.md5_digest; // (6)
    if (out.description && Number.parseFloat(out.metadata_version?.[0] ?? "2") < 2.1) {
      out.description = out.description.map((d) => d.replace(/\n {7}\|/g, "\n")); // (5)
    }
  }
  return out;
}

describe("conformance with twine (same file, same server, same form)", () => {
  const cases: Array<[string, () => string]> = [
    [
      "setuptools wheel (Metadata 2.1, Markdown body, non-ASCII)",
      () => join(exampleDist, "collective.demo-1.0.0-py3-none-any.whl"),
    ],
    ["setuptools sdist", () => join(exampleDist, "collective.demo-1.0.0.tar.gz")],
    ["flit sdist with old-style name", () => join(exampleDist, "acme-internal-0.3.0.tar.gz")],
    ["flit wheel", () => join(exampleDist, "acme_internal-0.3.0-py3-none-any.whl")],
    ["Metadata 1.0 egg", () => fixtures.egg10.path],
    ["Metadata 1.1 sdist", () => fixtures.sdist11.path],
    ["Metadata 1.2 zip sdist", () => fixtures.sdist12zip.path],
    ["Metadata 2.1 wheel with extras and project URLs", () => fixtures.wheel21.path],
  ];

  it.each(cases)("%s", async (_label, file) => {
    const path = file();
    const [theirs, ours] = [await twineUpload(path), await pkgpushUpload(path)];
    expect(theirs.status, theirs.reason).toBe(200);
    expect(ours.status, ours.reason).toBe(200);
    const a = normalise(fieldsOf(theirs), "twine", path);
    const b = normalise(fieldsOf(ours), "pkgpush", path);
    // Differences shown per field, so a failure says which field and what each side sent.
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    const differing = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
    expect(Object.fromEntries(differing.map((k) => [k, { twine: a[k], pkgpush: b[k] }]))).toEqual(
      {},
    );
    expect(Object.keys(b).length).toBeGreaterThan(8);
    expect(ours.file?.sha256).toBe(theirs.file?.sha256);
    expect(ours.file?.contentType).toBe(theirs.file?.contentType);
  });
});
