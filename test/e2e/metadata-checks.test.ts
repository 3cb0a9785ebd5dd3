/**
 * The refusal before anything is sent: a file whose metadata packaging refuses never leaves the
 * machine, with one line naming the file, the field, packaging's reason and the fix. Rules scoped
 * `pypi` apply only when the file is bound for PyPI; `all` rules apply to every server.
 */
import { basename } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMetadataCases, type MetadataCase } from "../fixtures/metadata-cases.js";
import { fieldsOf, pypirc, runCli, uploadArgs, workspace } from "../helpers/cli.js";
import { type IndexServer, startIndexServer } from "../server/index-server.js";

let company: IndexServer;
let config: string;
let cases: Record<string, MetadataCase>;

beforeAll(async () => {
  cases = await ensureMetadataCases();
  company = await startIndexServer({ mode: "devpi", users: { ci: "pw-company" } });
  ({ config } = workspace(
    pypirc({
      distutils: { "index-servers": ["pypi", "company"] },
      // The real PyPI URL: only --dry-run runs touch it, and they send nothing.
      pypi: { username: "__token__", password: "pypi-unused", "release-packages": "case-.*" },
      company: {
        repository: company.uploadUrl,
        username: "ci",
        password: "pw-company",
        "release-packages": "case-.*",
      },
    }),
  ));
});

afterAll(async () => {
  await company?.close();
});

const sentFor = (file: string) =>
  company.requests.filter((r) => r.file?.filename === basename(file));

describe("metadata packaging refuses is refused before anything is sent", () => {
  it("covers every scope", () => {
    const scopes = new Set(Object.values(cases).map((c) => c.scope));
    expect([...scopes].sort()).toEqual(["all", "none", "pypi"]);
  });

  it("bound for PyPI and another index: every rule, one line per problem, nothing sent", async () => {
    for (const [key, c] of Object.entries(cases)) {
      const r = await runCli(["upload", "--config-file", config, "--dry-run", c.path]);
      if (c.scope === "none") {
        expect(r.code, `${key}: ${r.stderr}`).toBe(0);
        continue;
      }
      expect(r.code, key).toBe(2);
      const line = r.stderr.split("\n").find((l) => l.includes(basename(c.path)));
      expect(line, `${key}: ${r.stderr}`).toBeDefined();
      expect(line).toContain(c.reason);
      // What every index refuses: pkgpush's line; what PyPI refuses: Warehouse's rule and words.
      if (c.field)
        expect(line).toContain(
          c.scope === "all" ? `${c.field}: ` : `metadata:${c.field.toLowerCase()}: `,
        );
      expect(line).toMatch(
        c.scope === "all"
          ? /rebuild the (distribution|wheel) with a current build backend/
          : /\(PyPI refuses it; the file is bound for pypi\); .*rebuild/,
      );
      expect(r.stdout).toBe("");
    }
  });

  it("bound for another index only: `all` rules refuse, `pypi` rules do not", async () => {
    for (const [key, c] of Object.entries(cases)) {
      const r = await runCli(["upload", "--config-file", config, "-r", "company", c.path]);
      if (c.scope === "all") {
        expect(r.code, key).toBe(2);
        expect(r.stderr, key).toContain(c.reason);
        expect(sentFor(c.path), key).toEqual([]);
      } else {
        expect(r.code, `${key}: ${r.stderr}`).toBe(0);
        expect(
          sentFor(c.path).map((q) => q.status),
          key,
        ).toEqual([200]);
      }
    }
  });

  it("License-File under Metadata-Version 2.1 is not sent (setuptools writes it; PyPI refuses it)", async () => {
    // Its own server: the test does not depend on uploads made by the others.
    const own = await startIndexServer({ mode: "devpi" });
    try {
      const file = cases.licensefile21?.path ?? "";
      const { config: ownConfig } = workspace(
        pypirc({
          distutils: { "index-servers": ["own"] },
          own: { repository: own.uploadUrl, username: "u", password: "pw-own-index" },
        }),
      );
      const r = await runCli(uploadArgs(ownConfig, "own", file));
      expect(r.code, r.stderr).toBe(0);
      const request = own.requests.find((q) => q.file?.filename === basename(file));
      expect(request?.status).toBe(200);
      expect(fieldsOf(request).get("license_file")).toBeUndefined();
      expect(fieldsOf(request).get("metadata_version")).toEqual(["2.1"]);
    } finally {
      await own.close();
    }
  });

  it("a pypi-scoped problem names the PyPI server it was bound for", async () => {
    const r = await runCli([
      "upload",
      "--config-file",
      config,
      "--dry-run",
      cases.lexpr21?.path ?? "",
    ]);
    expect(r.stderr).toContain(
      "metadata:license-expression: license-expression introduced in metadata version 2.4, not 2.1. See https://packaging.python.org/specifications/core-metadata for more information. (PyPI refuses it; the file is bound for pypi); rebuild the distribution with a current build backend",
    );
  });
});
