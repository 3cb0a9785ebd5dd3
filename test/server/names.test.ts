import { describe, expect, it } from "vitest";
import { FaultEngine, validateFaultPlan } from "./faults.js";
import {
  canonicalVersion,
  checkDistributionFilename,
  guessFromFilename,
  normalizeName,
  sameVersion,
} from "./names.js";

describe("names and versions", () => {
  it("normalises project names (PEP 503)", () => {
    expect(normalizeName("Products.HelloWorld")).toBe("products-helloworld");
    expect(normalizeName("a__b--c..d")).toBe("a-b-c-d");
  });

  it.each([
    ["1.0", "1.0"],
    ["v1.0", "1.0"],
    ["1.0-ALPHA.1", "1.0a1"],
    ["1.0beta2", "1.0b2"],
    ["1.0c1", "1.0rc1"],
    ["1.0-pre3", "1.0rc3"],
    ["1.0-1", "1.0.post1"],
    ["1.0.rev2", "1.0.post2"],
    ["1.0.dev", "1.0.dev0"],
    ["0!1.01", "1.1"],
    ["2!1.0", "2!1.0"],
    ["1.0+Ubuntu-01", "1.0+ubuntu.1"],
    ["20240101000000000000", "20240101000000000000"],
  ])("canonical form of %s is %s", (input, expected) => {
    expect(canonicalVersion(input)).toBe(expected);
  });

  it("refuses non-PEP 440 versions and compares legacy ones literally", () => {
    expect(canonicalVersion("1.0 beta")).toBeUndefined();
    expect(canonicalVersion("2004d")).toBeUndefined();
    expect(sameVersion("1.0", "1.0.0")).toBe(true);
    expect(sameVersion("1.0", "1.0.1")).toBe(false);
    expect(sameVersion("2004d", "2004D")).toBe(true);
  });

  it("checks distribution file names against the form", () => {
    expect(
      checkDistributionFilename(
        "demo_pkg-1.0-py3-none-any.whl",
        "bdist_wheel",
        "Demo.Pkg",
        "1.0.0",
        false,
      ),
    ).toEqual({
      filetype: "bdist_wheel",
      name: "demo_pkg",
      version: "1.0",
      pythonTag: "py3",
    });
    expect(
      checkDistributionFilename("demo-pkg-0.1.0.tar.gz", "sdist", "demo_pkg", "0.1.0", false),
    ).toMatchObject({
      name: "demo-pkg",
      version: "0.1.0",
    });
    expect(
      checkDistributionFilename(
        "demo-1.0-py3.11-linux_x86_64.egg",
        "bdist_egg",
        "demo",
        "1.0",
        true,
      ).pythonTag,
    ).toBe("3.11");
    expect(() =>
      checkDistributionFilename("demo-1.0.tar.bz2", "sdist", "demo", "1.0", false),
    ).toThrow(/Invalid file extension/);
    expect(
      checkDistributionFilename("demo-1.0.tar.bz2", "sdist", "demo", "1.0", true).version,
    ).toBe("1.0");
    expect(() =>
      checkDistributionFilename("demo-1.0-x-py3-none-any.whl", "bdist_wheel", "demo", "1.0", false),
    ).toThrow(/invalid build number/);
    expect(() =>
      checkDistributionFilename("demo-pkg-2.0.tar.gz", "sdist", "demo-pkg", "1.0", false),
    ).toThrow("Version in filename should be '1.0' not '2.0'.");
    expect(() =>
      checkDistributionFilename("demo-1.0-py3.egg", "bdist_egg", "other", "1.0", true),
    ).toThrow("Start filename for 'other' with 'other'.");
    expect(() =>
      checkDistributionFilename("a/demo-1.0.tar.gz", "sdist", "demo", "1.0", false),
    ).toThrow(/Invalid distribution file name/);
  });

  it("guesses name and version for seeding", () => {
    expect(guessFromFilename("demo-pkg-0.1.0.tar.gz")).toEqual({
      filetype: "sdist",
      name: "demo-pkg",
      version: "0.1.0",
    });
    expect(guessFromFilename("demo_pkg-1.0-py3-none-any.whl")).toEqual({
      filetype: "bdist_wheel",
      name: "demo_pkg",
      version: "1.0",
    });
    expect(guessFromFilename("README.md")).toBeUndefined();
  });
});

describe("fault engine", () => {
  it("applies rules in order, first terminal rule wins, latency stacks", () => {
    const engine = new FaultEngine([
      { on: "any", times: "always", action: { delayMs: 10 } },
      { on: "upload", skip: 1, times: 1, action: { status: 503 } },
      { on: "upload", times: 2, action: { status: 500 } },
    ]);
    const upload = { kinds: new Set(["upload", "post"] as const) };
    const first = engine.select(upload);
    expect([first.delayMs, first.rule?.index]).toEqual([10, 2]);
    // Second upload: rule #1's turn (it skipped one); rule #2 does not see the request at all.
    expect(engine.select(upload).rule?.index).toBe(1);
    expect(engine.select(upload).rule?.index).toBe(2);
    expect(engine.select(upload).rule).toBeUndefined();
  });

  it("counts one request once across its two classifications", () => {
    const engine = new FaultEngine([{ on: "any", skip: 1, action: { status: 500 } }]);
    const seen = new Set<number>();
    expect(engine.select({ kinds: new Set(["post"]) }, seen).rule).toBeUndefined();
    expect(engine.select({ kinds: new Set(["upload"]) }, seen).rule).toBeUndefined();
    expect(engine.select({ kinds: new Set(["post"]) }).rule?.index).toBe(0);
  });

  it("validates plans", () => {
    expect(() => validateFaultPlan({})).toThrow(/array/);
    expect(() => validateFaultPlan([{ on: "uploads", action: { status: 500 } }])).toThrow(
      /unknown kind/,
    );
    expect(() => validateFaultPlan([{ action: { status: 500, stallMs: 5 } }])).toThrow(/mixes/);
    expect(() => validateFaultPlan([{ action: {} }])).toThrow(/does nothing/);
    expect(() => validateFaultPlan([{ times: -1, action: { drop: true } }])).toThrow(/times/);
  });
});
