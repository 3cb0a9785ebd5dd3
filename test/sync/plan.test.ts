import { describe, expect, it } from "vitest";
import { parseReleaseSpec, planSync, versionOf } from "../../src/sync/plan.js";
import type { ListedFile, Listing } from "../../src/sync/types.js";

const sha = (c: string): string => c.repeat(64);
const file = (filename: string, hash: string | undefined): ListedFile => ({
  filename,
  url: `https://src.example/files/${filename}`,
  sha256: hash,
});
const listed = (...files: ListedFile[]): Listing => ({ state: "listed", files, pageUrl: "x" });

const source = listed(
  file("demo-1.0-py3-none-any.whl", sha("a")),
  file("demo-1.0.tar.gz", sha("b")),
  file("demo-2.0-py3-none-any.whl", sha("c")),
  file("demo-2.0.tar.gz", undefined),
  file("demo-1.0.win32.exe", sha("d")),
);

function plan(
  specs: string[],
  targets: Record<string, Listing>,
  sourceListing: Listing = source,
): ReturnType<typeof planSync> {
  return planSync({
    specs: specs.map(
      (s) => parseReleaseSpec(s) as NonNullable<ReturnType<typeof parseReleaseSpec>>,
    ),
    source: "src",
    sourceListings: new Map([["demo", sourceListing]]),
    targetsOf: () => ["src", ...Object.keys(targets)],
    targetListing: (server) => targets[server] as Listing,
  });
}

describe("planSync", () => {
  it("copies each file a target lacks, once, to every target lacking it; the source is never a target", () => {
    const { plan: p, problems } = plan(["demo==1.0"], {
      a: listed(file("demo-1.0-py3-none-any.whl", sha("a"))),
      b: { state: "none", pageUrl: "x" },
    });
    expect(problems).toEqual([]);
    expect(p.copies.map((c) => [c.file.filename, c.targets])).toEqual([
      ["demo-1.0-py3-none-any.whl", ["b"]],
      ["demo-1.0.tar.gz", ["a", "b"]],
    ]);
    expect(p.present).toEqual([
      { filename: "demo-1.0-py3-none-any.whl", server: "a", verified: true },
    ]);
    expect(p.releases).toEqual(["demo==1.0"]);
  });

  it("a different hash on a target is a conflict, never a copy there; other targets still get it", () => {
    const { plan: p } = plan(["demo==1.0"], {
      a: listed(file("demo-1.0.tar.gz", sha("e")), file("demo-1.0-py3-none-any.whl", sha("a"))),
      b: listed(),
    });
    expect(p.conflicts).toEqual([
      { filename: "demo-1.0.tar.gz", server: "a", sourceSha256: sha("b"), targetSha256: sha("e") },
    ]);
    expect(p.copies.map((c) => [c.file.filename, c.targets])).toEqual([
      ["demo-1.0-py3-none-any.whl", ["b"]],
      ["demo-1.0.tar.gz", ["b"]],
    ]);
  });

  it("NAME alone selects every version; files without a sha256 or not distributions are set aside", () => {
    const { plan: p } = plan(["Demo"], { a: listed() });
    expect(p.releases).toEqual(["demo==1.0", "demo==2.0"]);
    expect(p.copies.map((c) => c.file.filename)).toEqual([
      "demo-1.0-py3-none-any.whl",
      "demo-1.0.tar.gz",
      "demo-2.0-py3-none-any.whl",
    ]);
    expect(p.ignored).toEqual([
      {
        filename: "demo-1.0.win32.exe",
        reason: expect.stringMatching(/not a wheel/),
        problem: false,
      },
      { filename: "demo-2.0.tar.gz", reason: expect.stringMatching(/no sha256/), problem: true },
    ]);
  });

  it("an unreachable target gets nothing and is reported once per project", () => {
    const { plan: p } = plan(["demo"], {
      a: { state: "unreachable", reason: "connection refused" },
      b: listed(),
    });
    expect(p.unreachable).toEqual([{ server: "a", project: "demo", reason: "connection refused" }]);
    expect(p.copies.every((c) => c.targets.join() === "b")).toBe(true);
  });

  it("a target listing a file without a hash counts as present, unverified", () => {
    const { plan: p } = plan(["demo==2.0"], {
      a: listed(file("demo-2.0-py3-none-any.whl", undefined)),
    });
    expect(p.copies).toEqual([]);
    expect(p.present).toEqual([
      { filename: "demo-2.0-py3-none-any.whl", server: "a", verified: false },
    ]);
  });

  it("a version or project the source lacks, or a source that cannot be read, is a problem", () => {
    expect(plan(["demo==3.0"], {}).problems).toEqual([
      {
        spec: "demo==3.0",
        message: "src has no files of demo 3.0 (versions there: 1.0, 2.0)",
        kind: "input",
      },
    ]);
    expect(plan(["demo"], {}, { state: "none", pageUrl: "x" }).problems[0]?.kind).toBe("input");
    expect(
      plan(["demo"], {}, { state: "unreachable", reason: "answered 503" }).problems[0],
    ).toMatchObject({ kind: "source", message: "src: answered 503" });
  });

  it("versions compare by PEP 440 (1.0 == 1.0.0)", () => {
    expect(plan(["demo==1.0.0"], { a: listed() }).plan.copies).toHaveLength(2);
  });
});

describe("parseReleaseSpec and versionOf", () => {
  it("reads NAME and NAME==VERSION, refuses other specifiers", () => {
    expect(parseReleaseSpec("Zope.Interface==5.0")).toEqual({
      text: "Zope.Interface==5.0",
      project: "zope-interface",
      version: "5.0",
    });
    expect(parseReleaseSpec("demo")?.version).toBeUndefined();
    expect(parseReleaseSpec("demo>=1.0")).toBeUndefined();
    expect(parseReleaseSpec("demo==")).toBeUndefined();
    expect(parseReleaseSpec("-demo")).toBeUndefined();
  });

  it("takes an ambiguous sdist's split that names the project", () => {
    expect(versionOf("foo-2-1.0.tar.gz", "foo-2")).toBe("1.0");
    expect(versionOf("foo-1.0.tar.gz", "bar")).toBeUndefined();
    expect(versionOf("foo-1.0-py3-none-any.whl", "foo")).toBe("1.0");
  });
});
