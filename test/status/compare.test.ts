import { describe, expect, it } from "vitest";
import type { SimpleFile } from "../../src/simple/page.js";
import {
  compareIndexRelease,
  compareLocalRelease,
  type ProjectAnswer,
  referenceHash,
} from "../../src/status/compare.js";
import { parseProjectRequest, projectRequests, releasesListed } from "../../src/status/releases.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const file = (filename: string, sha256?: string): SimpleFile => ({
  filename,
  url: `https://x/${filename}`,
  hashes: sha256 ? { sha256 } : {},
});
const answers = (entries: Record<string, ProjectAnswer>) => new Map(Object.entries(entries));

describe("compare", () => {
  it("local files: same, missing, different, listed without a hash, unreachable", () => {
    const release = compareLocalRelease(
      {
        project: "demo",
        version: "1.0",
        files: [
          { filename: "demo-1.0.tar.gz", path: "/d/demo-1.0.tar.gz", sha256: A },
          { filename: "demo-1.0-py3-none-any.whl", path: "/d/w", sha256: B },
        ],
      },
      ["ok", "partial", "bad", "nohash", "down"],
      answers({
        ok: { files: [file("demo-1.0.tar.gz", A), file("demo-1.0-py3-none-any.whl", B)] },
        partial: { files: [file("demo-1.0.tar.gz", A)] },
        bad: { files: [file("demo-1.0.tar.gz", B), file("demo-1.0-py3-none-any.whl", B)] },
        nohash: { files: [file("demo-1.0.tar.gz"), file("demo-1.0-py3-none-any.whl", B)] },
        down: { error: "connection refused" },
      }),
    );
    expect(Object.fromEntries(Object.entries(release.cells).map(([k, c]) => [k, c.state]))).toEqual(
      {
        ok: "ok",
        partial: "incomplete",
        bad: "different",
        nohash: "incomplete",
        down: "unreachable",
      },
    );
    expect(release.cells.partial).toMatchObject({ same: 1, missing: 1, total: 2 });
    expect(release.cells.nohash).toMatchObject({ same: 1, unverified: 1 });
    expect(release.cells.down?.error).toBe("connection refused");
    expect(release.files[0]?.servers.bad).toEqual({ state: "different", sha256: B });
  });

  it("by name: the hash most servers hold is the reference; a tie goes to the first server", () => {
    const three = answers({
      s1: { files: [file("d-1.tar.gz", B)] },
      s2: { files: [file("d-1.tar.gz", A)] },
      s3: { files: [file("d-1.tar.gz", A)] },
    });
    expect(referenceHash("d-1.tar.gz", ["s1", "s2", "s3"], three)).toBe(A);
    expect(referenceHash("d-1.tar.gz", ["s1", "s2"], three)).toBe(B);
    const release = compareIndexRelease(
      { project: "d", version: "1", filenames: ["d-1.tar.gz"] },
      ["s1", "s2", "s3"],
      three,
    );
    expect(release.cells.s1?.state).toBe("different");
    expect(release.cells.s2?.state).toBe("ok");
  });
});

describe("releases", () => {
  it("NAME and NAME==VERSION are projects; paths and distribution names are files", () => {
    expect(parseProjectRequest("Products.Foo==1.2")).toEqual({
      project: "Products.Foo",
      version: "1.2",
    });
    expect(parseProjectRequest("collective.demo")).toEqual({
      project: "collective.demo",
      version: undefined,
    });
    expect(parseProjectRequest("dist/x.whl")).toBeUndefined();
    expect(parseProjectRequest("x-1.0.tar.gz")).toBeUndefined();
    expect(projectRequests(["dist"], () => true)).toBeUndefined();
    expect(projectRequests(["demo"], () => false)).toEqual([
      { project: "demo", version: undefined },
    ]);
    expect(() => projectRequests(["demo", "dist/*.whl"], () => false)).toThrow(/not both/);
  });

  it("groups listed files by release as PyPI does (1.0 and 1.0.0 are one), other projects' files left out", () => {
    const pages = [
      [file("Demo-1.0-py3-none-any.whl"), file("demo-1.0.tar.gz"), file("demo-2.0rc1.tar.gz")],
      [file("demo-1.0.0.zip"), file("demoextra-1.0.tar.gz"), file("not-a-dist.txt")],
    ];
    expect(releasesListed({ project: "demo", version: undefined }, pages)).toEqual([
      {
        version: "1.0",
        filenames: ["Demo-1.0-py3-none-any.whl", "demo-1.0.tar.gz", "demo-1.0.0.zip"],
      },
      { version: "2.0rc1", filenames: ["demo-2.0rc1.tar.gz"] },
    ]);
    expect(
      releasesListed({ project: "demo", version: "1.0.0" }, pages).map((r) => r.version),
    ).toEqual(["1.0"]);
    expect(
      releasesListed({ project: "demo", version: "2.0RC1" }, pages).map((r) => r.filenames),
    ).toEqual([["demo-2.0rc1.tar.gz"]]);
  });
});
