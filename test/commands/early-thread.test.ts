/**
 * The launcher starts check's description thread from the raw arguments, before the ES module
 * bundle loads (bin/early-thread.cjs): only for a check that renders descriptions.
 */
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

import { WORKER_OPTIONS } from "../../src/rules/readme/description-thread.js";

const launcher = createRequire(import.meta.url)("../../bin/early-thread.cjs") as {
  checkWithPypiRules(argv: string[]): boolean;
  WORKER_OPTIONS: unknown;
};
const { checkWithPypiRules } = launcher;

describe("the description worker's options", () => {
  it("are the same whether the launcher or the bundle starts it", () => {
    expect(launcher.WORKER_OPTIONS).toEqual(WORKER_OPTIONS);
  });
});

describe("checkWithPypiRules", () => {
  it("is a check under PyPI's rules (the default, or asked for)", () => {
    expect(checkWithPypiRules(["check"])).toBe(true);
    expect(checkWithPypiRules(["check", "dist/a-1.0-py3-none-any.whl", "--json"])).toBe(true);
    expect(checkWithPypiRules(["check", "--rules", "pypi", "x.whl"])).toBe(true);
    expect(checkWithPypiRules(["check", "--rules=pypi"])).toBe(true);
    // After "--", "basic" is a file name.
    expect(checkWithPypiRules(["check", "--", "--rules", "basic"])).toBe(true);
  });

  it("is not the basic rules, a check's help, or another command", () => {
    expect(checkWithPypiRules(["check", "--rules", "basic", "x.whl"])).toBe(false);
    expect(checkWithPypiRules(["check", "x.whl", "--rules=basic"])).toBe(false);
    expect(checkWithPypiRules(["check", "--help"])).toBe(false);
    expect(checkWithPypiRules(["check", "-h"])).toBe(false);
    expect(checkWithPypiRules(["upload", "check"])).toBe(false);
    expect(checkWithPypiRules([])).toBe(false);
  });
});
