import { describe, expect, it } from "vitest";
import {
  isSidecar,
  isUploadable,
  normalizeVersion,
  parseFilename,
  versionsEqual,
} from "../../src/distributions/filename.js";
import { DistributionError } from "../../src/errors.js";

describe("parseFilename: valid names", () => {
  it.each([
    // [file, kind, name, version, pyversion, archive, platforms (wheels)]
    ["foo-1.0-py3-none-any.whl", "wheel", "foo", "1.0", "py3", "zip", ["any"]],
    ["foo_bar-2.0.1-py2.py3-none-any.whl", "wheel", "foo_bar", "2.0.1", "py2.py3", "zip", ["any"]],
    [
      "numpy-2.1.0-1-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
      "wheel",
      "numpy",
      "2.1.0",
      "cp312",
      "zip",
      ["manylinux_2_17_x86_64", "manylinux2014_x86_64"],
    ],
    [
      "Products.HelloWorld-1.2.3-py3-none-any.whl",
      "wheel",
      "Products.HelloWorld",
      "1.2.3",
      "py3",
      "zip",
      ["any"],
    ],
    ["pkg-1.0+local.1-py3-none-any.whl", "wheel", "pkg", "1.0+local.1", "py3", "zip", ["any"]],
    [
      "pkg-1!2.0rc1.dev3-cp39-abi3-win_amd64.whl",
      "wheel",
      "pkg",
      "1!2.0rc1.dev3",
      "cp39",
      "zip",
      ["win_amd64"],
    ],
    ["foo-1.0.tar.gz", "sdist", "foo", "1.0", "source", "tar.gz"],
    ["demo-pkg-0.1.0.tar.gz", "sdist", "demo-pkg", "0.1.0", "source", "tar.gz"],
    [
      "Products.HelloWorld-1.2.3.tar.gz",
      "sdist",
      "Products.HelloWorld",
      "1.2.3",
      "source",
      "tar.gz",
    ],
    ["foo-1.0-1.tar.gz", "sdist", "foo", "1.0-1", "source", "tar.gz"],
    ["py-3parse-2.0.tar.gz", "sdist", "py-3parse", "2.0", "source", "tar.gz"],
    ["foo-2-1.0.zip", "sdist", "foo-2", "1.0", "source", "zip"],
    ["zope.interface-3.8.0.zip", "sdist", "zope.interface", "3.8.0", "source", "zip"],
    ["bzipped-0.3.tar.bz2", "sdist", "bzipped", "0.3", "source", "tar.bz2"],
    ["legacy-2004d.tar.gz", "sdist", "legacy", "2004d", "source", "tar.gz"],
    ["Foo-1.0.TAR.GZ", "sdist", "Foo", "1.0", "source", "tar.gz"],
    ["Products.HelloWorld-1.0-py2.7.egg", "egg", "Products.HelloWorld", "1.0", "2.7", "zip"],
    ["lxml-2.3-py2.7-linux-x86_64.egg", "egg", "lxml", "2.3", "2.7", "zip"],
    ["foo_bar-1.0.dev1-py3.12.egg", "egg", "foo_bar", "1.0.dev1", "3.12", "zip"],
  ])("%s", (file, kind, name, version, pyversion, archive, platforms?: string[]) => {
    const parsed = parseFilename(file);
    expect(parsed).toEqual({
      kind,
      filetype: { wheel: "bdist_wheel", sdist: "sdist", egg: "bdist_egg" }[kind],
      name,
      version,
      pyversion,
      archive,
      platforms,
    });
  });

  it("parses only the base name of a path", () => {
    expect(parseFilename("/tmp/dist/foo-1.0-py3-none-any.whl").name).toBe("foo");
  });
});

describe("parseFilename: invalid names", () => {
  it.each([
    ["foo.whl", "invalid wheel file name (1 dash-separated parts"],
    ["foo-1.0-py3-none.whl", "invalid wheel file name (4 dash-separated parts"],
    ["foo-1.0-x-y-py3-none-any.whl", "invalid wheel file name (7 dash-separated parts"],
    ["foo-1.0-abc-py3-none-any.whl", 'invalid build tag "abc" (must start with a digit'],
    ["-1.0-py3-none-any.whl", 'invalid project name ""'],
    ["foo-bar-py3-none-any.whl", 'invalid version "bar"'],
    ["foo.tar.gz", "invalid sdist file name (expected {name}-{version}.tar.gz"],
    ["foo-bar.zip", "invalid sdist file name (expected {name}-{version}.zip"],
    ["-1.0.tar.bz2", "invalid sdist file name (expected {name}-{version}.tar.bz2"],
    ["foo-1.0.egg", "invalid egg file name (expected {name}-{version}-py{X.Y}(-{platform})?.egg)"],
    ["foo-1.0-cp27.egg", "invalid egg file name"],
    ["notes.txt", "not a distribution (expected .whl, .tar.gz, .zip, .tar.bz2 or .egg)"],
    ["foo-1.0.tar", "not a distribution (expected"],
    ["foo-1.0.tar.gz.asc", "a signature or attestation, not a distribution"],
    ["foo-1.0-py3-none-any.whl.publish.attestation", "a signature or attestation"],
  ])("%s", (file, message) => {
    let error: unknown;
    try {
      parseFilename(file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DistributionError);
    const text = (error as Error).message;
    expect(text.startsWith(`${file}: `)).toBe(true);
    expect(text).toContain(message);
    expect(text).not.toContain("\n");
  });

  it("names the file as the caller displays it", () => {
    expect(() => parseFilename("foo.whl", "dist/foo.whl")).toThrow(/^dist\/foo\.whl: /);
  });
});

describe("upload targets", () => {
  it.each([
    ["a-1.0-py3-none-any.whl", true, false],
    ["a-1.0.tar.gz", true, false],
    ["dist/a-1.0.ZIP", true, false],
    ["a-1.0.tar.bz2", true, false],
    ["a-1.0-py2.7.egg", true, false],
    ["a-1.0.tar.gz.asc", false, true],
    ["a-1.0.tar.gz.sig", false, true],
    ["a-1.0-py3-none-any.whl.publish.attestation", false, true],
    ["a-1.0-py3-none-any.whl.other.attestation", false, true],
    ["a-1.0.tar.gz.sigstore.json", false, true],
    ["a-1.0.tar.gz.sha256", false, true],
    ["README.txt", false, false],
    [".whl", false, false],
  ])("%s: uploadable %s, sidecar %s", (file, uploadable, sidecar) => {
    expect(isUploadable(file)).toBe(uploadable);
    expect(isSidecar(file)).toBe(sidecar);
  });
});

describe("PEP 440", () => {
  it.each([
    ["1.0", "1.0"],
    ["v1.0", "1.0"],
    ["1.0-1", "1.0.post1"],
    ["1.0.post", "1.0.post0"],
    ["1.0-r2", "1.0.post2"],
    ["1.0RC1", "1.0rc1"],
    ["1.0.c1", "1.0rc1"],
    ["1.0alpha2", "1.0a2"],
    ["1.0-beta", "1.0b0"],
    ["1.0.dev", "1.0.dev0"],
    ["1.0_dev_3", "1.0.dev3"],
    ["0!01.002", "1.2"],
    ["2!1.0", "2!1.0"],
    ["1.0+Ubuntu-1", "1.0+ubuntu.1"],
    ["1.0+local_007.x", "1.0+local.7.x"],
    [" 1.0 ", "1.0"],
    ["99999999999999999999.1", "99999999999999999999.1"],
    ["1.0.0a1.post2.dev3+abc", "1.0.0a1.post2.dev3+abc"],
  ])("normalizeVersion(%j) = %s", (input, output) => {
    expect(normalizeVersion(input)).toBe(output);
  });

  it.each(["", "1.0-", "foo", "1.0+", "1..0", "2004d"])("%j is not PEP 440", (v) => {
    expect(normalizeVersion(v)).toBeUndefined();
  });

  it.each([
    ["1.0", "1.0.0", true],
    ["1.0.0", "1", true],
    ["1.0-1", "1.0.post1", true],
    ["1.0_1", "1.0.post1", true], // wheel file names escape `-` as `_`
    ["1.0.0.post1+local.1", "1.0.0-1+LOCAL-1", true],
    ["1.0rc1", "1.0c1", true],
    ["1.0", "1.0.1", false],
    ["1.0", "1.0+local", false],
    ["1.0a1", "1.0b1", false],
    ["1!1.0", "1.0", false],
    ["2004d", "2004D", true], // legacy versions compare as text
    ["2004d", "2004e", false],
  ])("versionsEqual(%j, %j) = %s", (a, b, same) => {
    expect(versionsEqual(a, b)).toBe(same);
    expect(versionsEqual(b, a)).toBe(same);
  });
});
