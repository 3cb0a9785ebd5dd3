import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { collectFiles } from "../../src/distributions/collect.js";
import { AggregateInputError, DistributionError } from "../../src/errors.js";

// collectFiles only looks at names, so empty files stand in for distributions.
let root: string;
const at = (...parts: string[]) => join(root, ...parts);

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "pkgpush-collect-"));
  await mkdir(at("dist"));
  await mkdir(at("dist", "nested"));
  await mkdir(at("other"));
  await mkdir(at("empty"));
  const files = [
    "dist/b-1.0-py3-none-any.whl",
    "dist/a-1.0.tar.gz",
    "dist/a-1.0.tar.gz.asc",
    "dist/b-1.0-py3-none-any.whl.publish.attestation",
    "dist/c-1.0-py2.7.egg",
    "dist/.hidden-1.0.tar.gz",
    "dist/nested/n-1.0.tar.gz",
    "other/z-1.0.zip",
    "other/y-1.0.tar.bz2",
    "other/notes.txt",
    "lit[1]-1.0.tar.gz",
    "x.txt",
    "only.asc",
  ];
  for (const f of files) await writeFile(at(f), "");
  await symlink(at("dist", "a-1.0.tar.gz"), at("other", "link-1.0.tar.gz"));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function failure(args: string[]): Promise<Error> {
  const err = await collectFiles(args, root).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(Error);
  return err as Error;
}

describe("collectFiles", () => {
  it("takes the distributions directly inside a directory, sorted, skipping side files", async () => {
    expect(await collectFiles(["dist"], root)).toEqual([
      at("dist", "a-1.0.tar.gz"),
      at("dist", "b-1.0-py3-none-any.whl"),
      at("dist", "c-1.0-py2.7.egg"),
    ]);
  });

  it("expands globs the shell left alone (the default dist/*)", async () => {
    expect(await collectFiles(["dist/*"], root)).toEqual([
      at("dist", "a-1.0.tar.gz"),
      at("dist", "b-1.0-py3-none-any.whl"),
      at("dist", "c-1.0-py2.7.egg"),
    ]);
    expect(await collectFiles(["dist/*.whl"], root)).toEqual([
      at("dist", "b-1.0-py3-none-any.whl"),
    ]);
    expect(await collectFiles(["*/*.{zip,egg}"], root)).toEqual([
      at("dist", "c-1.0-py2.7.egg"),
      at("other", "z-1.0.zip"),
    ]);
    expect(await collectFiles([`${root}/dist/**/*.tar.gz`], "/")).toEqual([
      at("dist", "a-1.0.tar.gz"),
      at("dist", "nested", "n-1.0.tar.gz"),
    ]);
  });

  it("keeps the argument order and deduplicates, symlinks included", async () => {
    const files = await collectFiles(
      ["other/z-1.0.zip", "dist", "dist/a-1.0.tar.gz", "other/link-1.0.tar.gz", "other"],
      root,
    );
    expect(files).toEqual([
      at("other", "z-1.0.zip"),
      at("dist", "a-1.0.tar.gz"),
      at("dist", "b-1.0-py3-none-any.whl"),
      at("dist", "c-1.0-py2.7.egg"),
      at("other", "y-1.0.tar.bz2"),
    ]);
  });

  it("takes an existing file literally even if its name looks like a pattern", async () => {
    expect(await collectFiles(["lit[1]-1.0.tar.gz"], root)).toEqual([at("lit[1]-1.0.tar.gz")]);
  });

  it("accepts absolute paths", async () => {
    expect(await collectFiles([at("other", "y-1.0.tar.bz2")], "/")).toEqual([
      at("other", "y-1.0.tar.bz2"),
    ]);
  });

  it("skips signatures and attestations named explicitly", async () => {
    expect(
      await collectFiles(["dist/a-1.0.tar.gz.asc", "dist/a-1.0.tar.gz", "only.asc"], root),
    ).toEqual([at("dist", "a-1.0.tar.gz")]);
  });

  it("returns nothing for no arguments (the caller passes dist/*)", async () => {
    expect(await collectFiles([], root)).toEqual([]);
  });
});

describe("collectFiles errors", () => {
  it("a glob matching nothing", async () => {
    const err = await failure(["dist/*.nope"]);
    expect(err).toBeInstanceOf(DistributionError);
    expect(err.message).toBe("dist/*.nope matched no files");
  });

  it("a glob matching only other files", async () => {
    const err = await failure(["other/*.txt"]);
    expect(err.message).toBe(
      "other/*.txt: no distribution files there (expected .whl, .tar.gz, .zip, .tar.bz2 or .egg)",
    );
  });

  it("a file with an unknown extension", async () => {
    const err = await failure(["x.txt"]);
    expect(err).toBeInstanceOf(DistributionError);
    expect(err.message).toBe(
      "x.txt: not a distribution (expected .whl, .tar.gz, .zip, .tar.bz2 or .egg)",
    );
  });

  it("a missing file and an empty directory", async () => {
    expect((await failure(["dist/missing-1.0.tar.gz"])).message).toBe(
      "dist/missing-1.0.tar.gz: no such file or directory",
    );
    expect((await failure(["empty"])).message).toBe("empty: the directory is empty");
  });

  it("reports every bad argument together", async () => {
    const err = await failure(["x.txt", "dist", "nothing/*.whl"]);
    expect(err).toBeInstanceOf(AggregateInputError);
    expect((err as AggregateInputError).errors.map((e) => e.message)).toEqual([
      "x.txt: not a distribution (expected .whl, .tar.gz, .zip, .tar.bz2 or .egg)",
      "nothing/*.whl matched no files",
    ]);
  });
});
