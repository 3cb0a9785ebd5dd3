import { describe, expect, it } from "vitest";
import { parseMetadata } from "../../src/distributions/metadata.js";
import { metadataProblems } from "../../src/distributions/metadata-rules.js";
import {
  isValidVersion,
  requirementProblem,
  specifierSetProblem,
} from "../../src/distributions/requirements.js";

// packaging-compat.test.ts checks the same functions against packaging itself (where ../shared
// exists); these fixed cases run everywhere.
describe("PEP 508 / PEP 440 as packaging parses them", () => {
  it("accepts valid requirements and says why others are invalid", () => {
    expect(requirementProblem("requests[socks] (>=2.0, <3) ; python_version >= '3.8'")).toBe(
      undefined,
    );
    expect(requirementProblem("foo @ https://example.com/foo.whl ; os_name == 'nt'")).toBe(
      undefined,
    );
    expect(requirementProblem("requests (>=2.0")).toBe(
      "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier",
    );
    expect(requirementProblem("foo (1.0)")).toBe(
      "Expected matching RIGHT_PARENTHESIS for LEFT_PARENTHESIS, after version specifier",
    );
    expect(requirementProblem("foo>=1.0.*")).toBe(
      ".* suffix can only be used with `==` or `!=` operators",
    );
    expect(requirementProblem("rich; extra = 'cli'")).toMatch(/^Expected marker operator/);
  });

  it("checks specifier sets and versions", () => {
    expect(specifierSetProblem(">=2.6, !=3.0.*, <4")).toBeUndefined();
    expect(specifierSetProblem("3.8")).toBe("Invalid specifier: '3.8'");
    expect(isValidVersion("1.0.0-1+LOCAL-1")).toBe(true);
    expect(isValidVersion("1.0.x")).toBe(false);
  });
});

describe("metadata rules", () => {
  const problems = (text: string) =>
    metadataProblems(parseMetadata(text)).map((p) => `${p.scope} ${p.field}: ${p.reason}`);

  it("finds nothing wrong in ordinary metadata, License-File under 2.1 included", () => {
    expect(
      problems(
        "Metadata-Version: 2.1\nName: ok\nVersion: 1.0\nLicense-File: LICENSE\nRequires-Dist: a>=1\nProvides-Extra: cli\n\nBody\n",
      ),
    ).toEqual([]);
  });

  it("scopes each problem", () => {
    expect(
      problems(
        "Metadata-Version: 2.1\nName: x\nVersion: 1\nLicense-Expression: MIT\nRequires-Python: 3.8\nSummary: a\nSummary: b\n",
      ),
    ).toEqual([
      "all Summary: 'summary' has invalid data (given 2 times; it may appear once)",
      "pypi License-Expression: license-expression introduced in metadata version 2.4, not 2.1",
      "all Requires-Python: '3.8' is invalid for 'requires-python': Invalid specifier: '3.8'",
    ]);
  });
});
