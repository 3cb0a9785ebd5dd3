import { copyFile, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_MEMBER_SIZE, readMember, readMetadataFile } from "../../src/distributions/archive.js";
import { parseFilename } from "../../src/distributions/filename.js";
import {
  checkMetadataVersion,
  inspectAll,
  inspectDistribution,
} from "../../src/distributions/inspect.js";
import { getAll, getField } from "../../src/distributions/metadata.js";
import { AggregateInputError, DistributionError } from "../../src/errors.js";
import { ensureFixtures, type FixtureKey, type FixtureSet } from "../fixtures/make-fixtures.js";

let fx: FixtureSet;
let tmp: string;
beforeAll(async () => {
  fx = await ensureFixtures();
  tmp = await mkdtemp(join(tmpdir(), "pkgpush-inspect-"));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const GOOD: FixtureKey[] = [
  "egg10",
  "sdist11",
  "sdist12zip",
  "wheel21",
  "wheel24",
  "wheel25",
  "sdistBz2",
  "oldWheel",
  "oldSdist",
  "collectiveFoo",
  "ploneBar",
  "acmeInternal",
  "localVersion",
  "bigWheel",
  "bigSdist",
];

/** The message's file name: relative to the working directory when inside it, else absolute. */
const shown = (path: string) => {
  const rel = relative(process.cwd(), path);
  return rel.startsWith("..") ? path : rel;
};

async function inspectError(path: string): Promise<DistributionError> {
  const err = await inspectDistribution(path).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DistributionError);
  const message = (err as Error).message;
  expect(message.startsWith(`${shown(path)}: `)).toBe(true);
  expect(message).not.toContain("\n");
  return err as DistributionError;
}

describe("inspectDistribution: good fixtures", () => {
  it.each(GOOD)("%s", async (key) => {
    const f = fx[key];
    const d = await inspectDistribution(f.path);
    expect(f.bad).toBe(false);
    expect(d.path).toBe(f.path);
    expect(d.filename).toBe(f.path.split("/").pop());
    expect(d.name).toBe(f.name);
    expect(d.version).toBe(f.version);
    expect(d.normalizedName).toBe(f.name.replace(/[-_.]+/g, "-").toLowerCase());
    expect(d.parsed.filetype).toBe(f.filetype);
    expect(d.parsed.pyversion).toBe(f.pyversion);
    expect(d.metadataVersion).toBe(f.metadataVersion);
    expect(getField(d.metadata, "Metadata-Version")).toBe(f.metadataVersion);
    expect(d.size).toBeGreaterThan(0);
  });

  it("reads a 1.0 egg's indented Description", async () => {
    const d = await inspectDistribution(fx.egg10.path);
    expect(getField(d.metadata, "Description")).toBe(
      "Products.HelloWorld\n===================\n\nA classic Zope 2 product.\n\n  Indented code block",
    );
    expect(d.parsed.archive).toBe("zip");
  });

  it("reads a 1.2 zip sdist written with CRLF, `|` continuations and latin-1", async () => {
    const d = await inspectDistribution(fx.sdist12zip.path);
    expect(getField(d.metadata, "Author")).toBe("José García");
    expect(getField(d.metadata, "Description")).toBe("Zip sdist\n\n    indented line\nlast line");
    expect(getField(d.metadata, "Requires-Python")).toBe(">=2.6");
  });

  it("reads a 2.1 markdown body with non-ASCII text, and finds .asc and attestation", async () => {
    const d = await inspectDistribution(fx.wheel21.path);
    expect(getField(d.metadata, "Summary")).toBe("Ünïcode ✓ summary");
    expect(d.metadata.body).toContain("Ünïcode ✓ description body.");
    expect(getField(d.metadata, "Description-Content-Type")).toBe("text/markdown");
    expect(d.signaturePath).toBe(`${fx.wheel21.path}.asc`);
    expect(d.attestationPaths).toEqual([`${fx.wheel21.path}.publish.attestation`]);
    expect(getAll(d.metadata, "Requires-Dist")).toEqual(["requests>=2", 'rich; extra == "cli"']);
  });

  it("reads 2.4 license fields and 2.5 import names", async () => {
    const lic = await inspectDistribution(fx.wheel24.path);
    expect(getField(lic.metadata, "License-Expression")).toBe("MIT OR Apache-2.0");
    expect(getAll(lic.metadata, "License-File")).toEqual(["LICENSE", "NOTICE"]);
    const imp = await inspectDistribution(fx.wheel25.path);
    expect(getAll(imp.metadata, "Import-Name")).toEqual(["importable", "importable.sub"]);
    expect(imp.signaturePath).toBeUndefined();
    expect(imp.attestationPaths).toEqual([]);
  });

  it("takes the sdist's top-level PKG-INFO, not a nested egg-info one", async () => {
    const d = await inspectDistribution(fx.oldSdist.path);
    expect(d.name).toBe("demo-pkg");
    const member = await readMetadataFile(fx.oldSdist.path, parseFilename(fx.oldSdist.path));
    expect(member.name).toBe("demo-pkg-0.1.0/PKG-INFO");
  });

  it("accepts a relative path and reports the absolute one", async () => {
    const d = await inspectDistribution(shown(fx.wheel24.path));
    expect(d.path).toBe(fx.wheel24.path);
  });
});

describe("inspectDistribution: bad files", () => {
  it("name disagreeing with the file name", async () => {
    const err = await inspectError(fx.badName.path);
    expect(err.message).toBe(
      `${shown(fx.badName.path)}: the file name says mismatch 1.0 but mismatch-1.0.dist-info/METADATA ` +
        "says other-project 1.0; rename the file or rebuild the distribution",
    );
  });

  it("wheel without METADATA", async () => {
    const err = await inspectError(fx.noMetadata.path);
    expect(err.message).toContain("no nometa-1.0.dist-info/METADATA in the wheel; rebuild it");
  });

  it("corrupt zip", async () => {
    const err = await inspectError(fx.corruptZip.path);
    expect(err.message).toContain(": not a valid zip archive (");
    expect(err.message).toContain("rebuild the distribution");
  });

  it("corrupt tar.gz", async () => {
    const err = await inspectError(fx.corruptTar.path);
    expect(err.message).toContain(": not a valid gzip-compressed tar archive (");
  });

  it("unknown Metadata-Version", async () => {
    const err = await inspectError(fx.futureMetadata.path);
    expect(err.message).toContain("unsupported Metadata-Version 9.0 (known: 1.0 to 2.5)");
  });

  it("zip bomb in place of METADATA", async () => {
    const err = await inspectError(fx.zipBomb.path);
    expect(err.message).toContain("bomb-1.0.dist-info/METADATA is larger than 10 MiB uncompressed");
  });

  it("missing file", async () => {
    const err = await inspectError(join(tmp, "missing-1.0-py3-none-any.whl"));
    expect(err.message).toContain(": no such file");
  });

  it("file name that is not a distribution", async () => {
    const path = join(tmp, "notes.txt");
    await writeFile(path, "hello");
    const err = await inspectError(path);
    expect(err.message).toContain("not a distribution (expected .whl");
  });

  it("version disagreeing with the file name", async () => {
    const path = join(tmp, "acme_internal-0.9.1-py3-none-any.whl");
    await copyFile(fx.acmeInternal.path, path);
    const err = await inspectError(path);
    expect(err.message).toContain("the file name says acme_internal 0.9.1 but");
    expect(err.message).toContain("says acme-internal 0.9.0");
  });

  it("sdist whose name only agrees under another split", async () => {
    // `plone_bar-2.0.0` split differently still has to match plone.bar 2.0.0.
    const path = join(tmp, "plone.bar-2.0.0.tar.gz");
    await copyFile(fx.ploneBar.path, path);
    expect((await inspectDistribution(path)).name).toBe("plone.bar");
  });

  it("empty file", async () => {
    const path = join(tmp, "empty-1.0.tar.gz");
    await writeFile(path, "");
    const err = await inspectError(path);
    expect(err.message).toContain("the file is empty");
  });
});

describe("checkMetadataVersion", () => {
  it.each(["1.0", "1.1", "1.2", "2.0", "2.1", "2.2", "2.3", "2.4", "2.5", "2.7"])("%s ok", (v) => {
    expect(checkMetadataVersion(v, "f")).toBe(v);
  });
  it.each(["3.0", "9.0", "1.3", "two", "2"])("%s refused", (v) => {
    expect(() => checkMetadataVersion(v, "f")).toThrow(/^f: unsupported Metadata-Version/);
  });
  it("missing", () => {
    expect(() => checkMetadataVersion(undefined, "f")).toThrow(
      /^f: the metadata has no Metadata-Version/,
    );
  });
});

describe("inspectAll", () => {
  it("inspects everything in order", async () => {
    const keys: FixtureKey[] = ["wheel21", "egg10", "sdist11", "sdistBz2", "wheel25", "ploneBar"];
    const dists = await inspectAll(keys.map((k) => fx[k].path));
    expect(dists.map((d) => d.name)).toEqual(keys.map((k) => fx[k].name));
  });

  it("reports every bad file, in order", async () => {
    const keys: FixtureKey[] = ["wheel21", "badName", "egg10", "corruptZip", "futureMetadata"];
    const err = await inspectAll(keys.map((k) => fx[k].path)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AggregateInputError);
    const agg = err as AggregateInputError;
    expect(agg.errors.map((e) => e.message.split(":")[0])).toEqual(
      ["badName", "corruptZip", "futureMetadata"].map((k) => shown(fx[k as FixtureKey].path)),
    );
    expect(agg.message.split("\n")).toHaveLength(3);
  });

  it("takes a folder's listing from the caller instead of reading the folder", async () => {
    // wheel21 has an .asc and an attestation beside it (found above when the folder is read).
    const folder = dirname(resolve(fx.wheel21.path));
    const [read] = await inspectAll([fx.wheel21.path]);
    expect(read?.signaturePath).toBe(`${fx.wheel21.path}.asc`);
    const [given] = await inspectAll(
      [fx.wheel21.path],
      1,
      new Map([[folder, Promise.resolve([])]]),
    );
    expect(given?.signaturePath).toBeUndefined();
    expect(given?.attestationPaths).toEqual([]);
    expect(given?.name).toBe(fx.wheel21.name);
  });
});

describe("readMember", () => {
  it("returns undefined when nothing matches", async () => {
    expect(await readMember(fx.wheel21.path, "zip", () => false)).toBeUndefined();
    expect(await readMember(fx.sdist11.path, "tar.gz", () => false)).toBeUndefined();
    expect(await readMember(fx.sdistBz2.path, "tar.bz2", () => false)).toBeUndefined();
  });

  it("reads from each archive format", async () => {
    const egg = await readMember(fx.egg10.path, "zip", (n) => n === "EGG-INFO/PKG-INFO");
    expect(egg?.data.toString()).toMatch(/^Metadata-Version: 1\.0\n/);
    const bz2 = await readMember(fx.sdistBz2.path, "tar.bz2", (n) => n.endsWith("/PKG-INFO"));
    expect(bz2?.name).toBe("bzipped-0.3/PKG-INFO");
    expect(bz2?.data.toString()).toContain("Name: bzipped");
  });

  it("enforces the size cap on zip and tar members", async () => {
    const pick = (n: string) => n.endsWith("PKG-INFO") || n.endsWith("METADATA");
    await expect(readMember(fx.wheel21.path, "zip", pick, { maxSize: 100 })).rejects.toThrow(
      /^unicode_demo-2\.1\.0-py3-none-any\.whl: unicode_demo-2\.1\.0\.dist-info\/METADATA is larger than/,
    );
    await expect(readMember(fx.sdist11.path, "tar.gz", pick, { maxSize: 100 })).rejects.toThrow(
      /is larger than/,
    );
    expect(MAX_MEMBER_SIZE).toBe(10 * 1024 * 1024);
  });

  it("reports a truncated tar.gz as corrupt", async () => {
    const path = join(tmp, "trunc-1.0.tar.gz");
    const { readFile } = await import("node:fs/promises");
    const data = await readFile(fx.bigSdist.path);
    await writeFile(path, data.subarray(0, 100_000));
    await expect(readMember(path, "tar.gz", () => false)).rejects.toThrow(
      /^trunc-1\.0\.tar\.gz: not a valid gzip-compressed tar archive/,
    );
  });

  it("reports a corrupt tar.bz2 as corrupt", async () => {
    const path = join(tmp, "bad-1.0.tar.bz2");
    await writeFile(path, "BZh9 this is not bzip2 data at all".repeat(50));
    await expect(readMember(path, "tar.bz2", () => false)).rejects.toThrow(
      /^bad-1\.0\.tar\.bz2: not a valid bzip2-compressed tar archive/,
    );
  });
});
