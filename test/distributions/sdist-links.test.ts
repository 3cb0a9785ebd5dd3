/**
 * Sdists whose tar holds links: a PKG-INFO that is a link is followed (as Python's tarfile, and so
 * twine, read it); members Python's `tarfile` data filter refuses give a warning. The verdicts are
 * checked against Python's own `tarfile.data_filter` on the same archives.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import tar from "tar-stream";
import { describe, expect, it } from "vitest";
import { inspectDistribution } from "../../src/distributions/inspect.js";

const dir = mkdtempSync(join(tmpdir(), "pkgpush-sdist-links-"));
const PKG_INFO = "Metadata-Version: 2.1\nName: linked\nVersion: 1.0\nSummary: s\n";

type Entry =
  | { name: string; data: string }
  | { name: string; symlink: string }
  | { name: string; hardlink: string };

async function sdist(file: string, entries: Entry[]): Promise<string> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  pack.on("data", (c: unknown) => {
    chunks.push(c as Buffer);
  });
  const done = new Promise<void>((resolve) => pack.on("end", () => resolve()));
  for (const e of entries) {
    if ("data" in e) pack.entry({ name: e.name }, e.data);
    else if ("symlink" in e) pack.entry({ name: e.name, type: "symlink", linkname: e.symlink });
    else pack.entry({ name: e.name, type: "link", linkname: e.hardlink });
  }
  pack.finalize();
  await done;
  const path = join(dir, file);
  writeFileSync(path, gzipSync(Buffer.concat(chunks)));
  return path;
}

/** Names of the members Python's data filter refuses, asked of Python itself. */
function pythonRefuses(path: string): string[] {
  const script = `
import sys, tarfile
with tarfile.open(sys.argv[1]) as t:
    for m in t.getmembers():
        try:
            tarfile.data_filter(m, "/tmp/dest")
        except tarfile.FilterError:
            print(m.name)
`;
  return execFileSync("python3", ["-c", script, path], { encoding: "utf8" })
    .split("\n")
    .filter(Boolean);
}

describe("sdist links", () => {
  it("a PKG-INFO symlink is followed, to a member after it or before it", async () => {
    for (const [file, entries] of [
      [
        "linked-1.0.tar.gz",
        [
          { name: "linked-1.0/PKG-INFO", symlink: "linked.egg-info/PKG-INFO" },
          { name: "linked-1.0/linked.egg-info/PKG-INFO", data: PKG_INFO },
        ],
      ],
      [
        "linked-1.0.tar.gz",
        [
          { name: "linked-1.0/meta/PKG-INFO", data: PKG_INFO },
          { name: "linked-1.0/PKG-INFO", hardlink: "linked-1.0/meta/PKG-INFO" },
        ],
      ],
    ] as Array<[string, Entry[]]>) {
      const dist = await inspectDistribution(await sdist(file, entries));
      expect(dist.name).toBe("linked");
      expect(dist.version).toBe("1.0");
      expect(dist.warnings).toBeUndefined();
    }
  });

  it("members leaving the folder: a warning each, where Python's data filter refuses them", async () => {
    const path = await sdist("linked-1.0.tar.gz", [
      { name: "linked-1.0/PKG-INFO", data: PKG_INFO },
      { name: "linked-1.0/../evil.py", data: "x" }, // still inside the extraction folder
      { name: "linked-1.0/../../evil.py", data: "x" },
      { name: "linked-1.0/up", symlink: "../../etc/passwd" },
      { name: "linked-1.0/abs", symlink: "/etc/passwd" },
      { name: "linked-1.0/fine", symlink: "sub/../PKG-INFO" },
    ]);
    const dist = await inspectDistribution(path);
    const warned = (dist.warnings ?? []).map((w) => /member (\S+):/.exec(w)?.[1]);
    expect(warned).toEqual(["linked-1.0/../../evil.py", "linked-1.0/up", "linked-1.0/abs"]);
    expect(dist.warnings?.[0]).toMatch(/data filter\) and pip would refuse to extract it/);
    expect(pythonRefuses(path).sort()).toEqual([...(warned as string[])].sort());
  });
});
