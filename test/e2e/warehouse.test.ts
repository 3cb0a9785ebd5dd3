/**
 * pkgpush against PyPI's own upload code (../shared/warehouse `serve`, Warehouse's file_upload run
 * unmodified): every fixture, example and real distribution is uploaded with the real CLI, and
 * Warehouse's answer must be the one it gives twine 7 for the same file (`judge`), except where
 * listed below with the reason. A file pkgpush refuses before sending must be one PyPI refuses.
 */
import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inspectDistribution } from "../../src/distributions/inspect.js";
import { getField } from "../../src/distributions/metadata.js";
import type { Distribution } from "../../src/distributions/types.js";
import { uploadFields } from "../../src/protocol/fields.js";
import { ensureFixtures } from "../fixtures/make-fixtures.js";
import { ensureMetadataCases } from "../fixtures/metadata-cases.js";
import { ensureRealDists, type RealDists } from "../fixtures/real-dists.js";
import { exampleDist, runCli } from "../helpers/cli.js";
import {
  type JudgeFields,
  type JudgeVerdict,
  judge,
  judgeFields,
  SKIP_REASON,
  startWarehouse,
  WAREHOUSE,
  type WarehouseLogLine,
  type WarehouseServer,
} from "../helpers/warehouse.js";

/**
 * Files where pkgpush's upload gets another answer than twine 7's, on purpose. Key: file name.
 */
const INTENDED: Record<string, { status: number; why: string }> = {
  "classic-1.1.0.tar.gz": {
    status: 200,
    why:
      "pkgpush removes the Description header's 8-space continuation prefix (the core metadata " +
      "spec's reading); twine 7 sends it, and PyPI then fails to render the reStructuredText",
  },
};

/** Bad fixtures pkgpush refuses though PyPI would take them, on purpose. Key: file name. */
const INTENDED_REFUSALS: Record<string, string> = {
  "bomb-1.0-py3-none-any.whl":
    "an 11 MiB METADATA: pkgpush bounds what it reads from a file (10 MiB per metadata member)",
  "case_twodistinfo-1.0-py3-none-any.whl":
    "two .dist-info directories: pip refuses to install such a wheel; Warehouse reads only the one named after the file",
};

interface Outcome {
  file: string;
  code: number | null;
  stderr: string;
  request: WarehouseLogLine | undefined;
}

let server: WarehouseServer;
let files: string[] = [];
let bad: string[] = [];
let real: RealDists;
let verdicts: Map<string, JudgeVerdict>;
let twineForms: Map<string, JudgeFields>;
const dists = new Map<string, Distribution>();
/** The form pkgpush builds for each file (with the digests it sent, when it sent it), by path. */
const builtForms = new Map<string, Form>();
const outcomes = new Map<string, Outcome>();

/** Upload one file with the real CLI; the request Warehouse answered, if one was sent. */
async function upload(file: string): Promise<Outcome> {
  const r = await runCli(
    ["upload", "--repository-url", server.uploadUrl, "-u", "u", "-p", "pw", "--no-check", file],
    { timeoutMs: 120_000 },
  );
  const name = basename(file);
  const request = (await server.log()).findLast((l) =>
    (l.fields.content as Array<{ filename?: string }> | undefined)?.some(
      (c) => c.filename === name,
    ),
  );
  return { file, code: r.code, stderr: r.stderr, request };
}

/** Run `work` over `items`, `n` at a time (the machine is shared). */
async function pool<T>(items: T[], n: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: n }, worker));
}

describe.skipIf(!WAREHOUSE)(
  `uploads judged by PyPI's own code (${WAREHOUSE ?? SKIP_REASON})`,
  () => {
    beforeAll(async () => {
      const fixtures = await ensureFixtures();
      real = await ensureRealDists();
      const all = Object.values(fixtures);
      files = [
        ...all.filter((f) => !f.bad).map((f) => f.path),
        ...readdirSync(exampleDist).map((f) => join(exampleDist, f)),
        ...real.built,
        ...real.debianWheels,
      ];
      const cases = Object.values(await ensureMetadataCases());
      bad = [...all.filter((f) => f.bad).map((f) => f.path)];
      // Metadata cases pkgpush refuses for every server fail inspection-time checks; the others
      // are uploaded like any file (this server is not a PyPI host, so `pypi` rules let them go).
      bad.push(...cases.filter((c) => c.scope === "all").map((c) => c.path));
      files.push(...cases.filter((c) => c.scope !== "all").map((c) => c.path));
      const log = join(mkdtempSync(join(tmpdir(), "pkgpush-warehouse-")), "requests.jsonl");
      [server, verdicts, twineForms] = await Promise.all([
        startWarehouse(log),
        judge([...files, ...bad]),
        judgeFields(files),
      ]);
      // Uploads one at a time per file (each its own CLI run), three runs at once.
      await pool(files, 3, async (file) => {
        outcomes.set(file, await upload(file));
      });
      for (const file of files) {
        const dist = await inspectDistribution(file);
        dists.set(file, dist);
        builtForms.set(file, builtForm(dist, outcomes.get(file)?.request));
      }
    }, 600_000);

    afterAll(async () => {
      await server?.close();
    });

    it("built every real distribution the machine can build (nothing skipped silently)", () => {
      expect(real.skipped).toEqual({});
      expect(real.built.map((f) => basename(f)).sort()).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^pkgpush_real_setuptools-.*\.whl$/),
          expect.stringMatching(/^pkgpush_real_flit-.*\.whl$/),
          expect.stringMatching(/^pkgpush_real_hatchling-.*\.whl$/),
          expect.stringMatching(/\.egg$/),
          expect.stringMatching(/\.zip$/),
        ]),
      );
      expect(real.debianWheels.length).toBeGreaterThanOrEqual(2);
    });

    it("every file PyPI accepts from twine 7 it accepts from pkgpush; refusals say the same", () => {
      const differences: Record<string, unknown> = {};
      let accepted = 0;
      for (const file of files) {
        const v = verdicts.get(file);
        const o = outcomes.get(file);
        if (!v || !o) throw new Error(`no verdict or outcome for ${file}`);
        const name = basename(file);
        const intended = INTENDED[name];
        if (!o.request) {
          // Refused before sending: only where PyPI refuses too (exit 2, one line naming the file).
          if (o.code !== 2 || v.verdict !== "refuse" || !o.stderr.includes(name))
            differences[name] = { judge: v, pkgpush: { code: o.code, stderr: o.stderr } };
          continue;
        }
        if (o.request.status === 200) accepted++;
        const expected = intended ? { status: intended.status } : { status: v.status };
        const got = { status: o.request.status };
        const sameMessage =
          intended ||
          o.request.status === 200 ||
          setsSorted(o.request.detail) === setsSorted(v.message);
        if (JSON.stringify(expected) !== JSON.stringify(got) || !sameMessage)
          differences[name] = {
            twine7: { status: v.status, message: v.message },
            pkgpush: { status: o.request.status, message: o.request.detail },
            ...(intended ? { intended: intended.why } : {}),
          };
      }
      expect(differences).toEqual({});
      const judgeAccepts = files.filter((f) => verdicts.get(f)?.verdict === "accept").length;
      expect(judgeAccepts).toBeGreaterThanOrEqual(10);
      expect(accepted).toBeGreaterThanOrEqual(judgeAccepts);
    });

    it("files pkgpush refuses at inspection are files PyPI refuses", () => {
      expect(bad.length).toBeGreaterThanOrEqual(5);
      for (const file of bad) {
        const name = basename(file);
        const verdict = verdicts.get(file)?.verdict;
        if (INTENDED_REFUSALS[name]) expect(verdict, name).toBe("accept");
        else expect(verdict, name).not.toBe("accept");
      }
    });

    it("pkgpush's form is twine 7's form (judge --fields), but for the listed differences", () => {
      const differences: Record<string, unknown> = {};
      for (const file of files) {
        const dist = dists.get(file) as Distribution;
        const twine = twineForm(twineForms.get(file), dist);
        const ours = comparable(builtForms.get(file) as Form);
        const keys = [...new Set([...Object.keys(twine), ...Object.keys(ours)])].sort();
        const differing = keys.filter((k) => JSON.stringify(twine[k]) !== JSON.stringify(ours[k]));
        if (differing.length > 0)
          differences[basename(file)] = Object.fromEntries(
            differing.map((k) => [k, { twine7: twine[k], pkgpush: ours[k] }]),
          );
      }
      expect(differences).toEqual({});
    });

    it("what reached Warehouse is the form pkgpush built (values intact through multipart)", () => {
      let compared = 0;
      for (const file of files) {
        const request = outcomes.get(file)?.request;
        if (!request) continue;
        const { content: _content, gpg_signature: _signature, ...wire } = request.fields;
        expect(wire, basename(file)).toEqual(builtForms.get(file));
        compared++;
      }
      expect(compared).toBeGreaterThanOrEqual(20);
    });
  },
);

type Form = Record<string, string[]>;

/** Python prints sets (`['a', 'b']` built from a set) in a hash-seeded order: sort them. */
function setsSorted(message: string | null): string | null {
  return (
    message?.replace(
      /\[('[^']*'(?:, '[^']*')*)\]/g,
      (_m, list: string) => `[${list.split(", ").sort().join(", ")}]`,
    ) ?? null
  );
}

function group(fields: Array<[string, string]>): Form {
  const form: Form = {};
  for (const [k, v] of fields) form[k] = [...(form[k] ?? []), v];
  return form;
}

/** The Description header as pkgpush reads it: continuation prefix removed (metadata.ts). */
function unindent(value: string): string {
  return value
    .trim()
    .split(/\r\n|\r|\n/)
    .map((line) =>
      line.startsWith("        ") || line.startsWith("       |") ? line.slice(8) : line,
    )
    .join("\n");
}

/** twine's `_safe_name` (pkg_resources.safe_name). */
const safeName = (name: string): string => name.replace(/[^A-Za-z0-9.]+/g, "-");

/**
 * twine 7's form, with the intended differences applied (each with its reason):
 * - `name`: pkgpush sends the name as the metadata writes it; twine sends pkg_resources'
 *   safe_name. Warehouse canonicalises both to the same project.
 * - `description` from a Description header: pkgpush removes the continuation prefix (8 spaces
 *   or `       |`) as the core metadata spec tells readers to; twine sends it, and PyPI then
 *   cannot render old reStructuredText descriptions (classic-1.1.0.tar.gz above).
 */
function twineForm(judged: JudgeFields | undefined, dist: Distribution): Form {
  if (!judged?.fields) throw new Error(`judge has no form for ${dist.filename}`);
  const form = group(judged.fields);
  if (form.name?.[0] === safeName(dist.name)) form.name = [dist.name];
  if (form.description && getField(dist.metadata, "Description") !== undefined)
    form.description = form.description.map(unindent);
  return form;
}

function builtForm(dist: Distribution, request: WarehouseLogLine | undefined): Form {
  const built = group(uploadFields(dist, undefined));
  if (request) {
    for (const k of ["sha256_digest", "blake2_256_digest", "md5_digest"])
      if (request.fields[k]) built[k] = request.fields[k] as string[];
  }
  return built;
}

/**
 * pkgpush's form, with the intended differences applied:
 * - `requires_python` empty when the metadata has none: GitLab refuses uploads without the
 *   field; Warehouse ignores empty values.
 * - `import_name`, `import_namespace` (Metadata 2.5): twine 7's field list predates them;
 *   Warehouse reads them.
 */
function comparable(built: Form): Form {
  const form = structuredClone(built);
  if (form.requires_python?.join("") === "") delete form.requires_python;
  delete form.import_name;
  delete form.import_namespace;
  return form;
}
