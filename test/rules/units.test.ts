/**
 * The ported pieces of PyPI's rules, value by value: SPDX expressions (packaging), URLs
 * (rfc3986 as Warehouse calls it), e-mail addresses (email_validator), Python's repr, and the
 * choice of message among several metadata errors. Each expectation is what the Python code says
 * (checked with ../shared/warehouse/site when written).
 */
import { describe, expect, it } from "vitest";
import { emailProblem, parseAddress } from "../../src/rules/email.js";
import { entryPointsProblem } from "../../src/rules/entry-points.js";
import { metadataErrors, metadataMessage } from "../../src/rules/metadata.js";
import { pyRepr } from "../../src/rules/pyrepr.js";
import { licenseExpressionProblem } from "../../src/rules/spdx.js";
import { isValidUri } from "../../src/rules/uri.js";

describe("License-Expression (packaging.licenses)", () => {
  it.each([
    ["MIT", undefined],
    ["mit and (apache-2.0 or bsd-2-clause)", undefined],
    ["GPL-2.0-only WITH Classpath-exception-2.0", undefined],
    ["LicenseRef-Acme-1.0", undefined],
    ["Apache-2.0+", undefined],
    ["", "Invalid license expression: ''"],
    ["(mit", "Invalid license expression: '(mit'"],
    ["MIT OR", "Invalid license expression: 'MIT OR'"],
    ["MIT ()", "Invalid license expression: 'MIT ()'"],
    ["MIT Apache-2.0", "Invalid license expression: 'MIT Apache-2.0'"],
    ["Use-it-after-midnight", "Unknown license: 'use-it-after-midnight'"],
    ["MIT WITH nothing", "Unknown license exception: 'nothing'"],
    ["LicenseRef-a_b", "Invalid licenseref: 'licenseref-a_b'"],
  ])("%j", (expression, problem) => {
    expect(licenseExpressionProblem(expression)).toBe(problem);
  });
});

describe("URLs (is_valid_uri, require_authority=False)", () => {
  it.each([
    ["https://example.org/project", true],
    ["HTTP://Example.org:8080/a?b=c#d", true],
    ["https://example.org/a b", true],
    ["https://[::1]/", true],
    ["https://user:pw@example.org/", true],
    ["https:relative", true],
    ["www.example.org", false],
    ["ftp://example.org/", false],
    ["javascript:alert(1)", false],
    // rfc3986's normalize() drops an authority it cannot parse: judged without one.
    ["https://exa mple.org/", true],
    ["https://300.1.1.1/", true],
    ["https://example.org:99999/", false],
    ["https://example.org/[x]", false],
  ])("%j -> %j", (url, valid) => {
    expect(isValidUri(url)).toBe(valid);
  });
});

describe("e-mail addresses (parseaddr, then email_validator)", () => {
  it.each([
    ["Jane Doe <jane@example.org>", "jane@example.org"],
    ["jane@example.org (Jane)", "jane@example.org"],
    ["jane@example.org, bob@example.org", ""],
    ['"Doe, Jane" <jane@example.org>', "jane@example.org"],
    ["Jane Doe", "Jane"],
  ])("parseaddr(%j) -> %j", (value, address) => {
    expect(parseAddress(value)).toBe(address);
  });
  it.each([
    ["jane@example.org", undefined],
    ["jane.doe+tag@sub.example.co.uk", undefined],
    ["jane@example", "The part after the @-sign is not valid. It should have a period."],
    ["jane", "An email address must have an @-sign."],
    ["@example.org", "There must be something before the @-sign."],
    ["jane@", "There must be something after the @-sign."],
    ["jane.@example.org", "An email address cannot have a period immediately before the @-sign."],
    [
      "jane@localhost.local",
      "The part after the @-sign is a special-use or reserved name that cannot be used with email.",
    ],
    [
      "jane@example.123",
      "The part after the @-sign is not valid. It is not within a valid top-level domain.",
    ],
    [
      "ja ne@example.org",
      "The email address contains invalid characters before the @-sign: SPACE.",
    ],
    ["jane@-example.org", "An email address cannot have a hyphen immediately after the @-sign."],
  ])("%j -> %j", (address, problem) => {
    expect(emailProblem(address)).toBe(problem);
  });
});

describe("Python's repr", () => {
  it.each([
    ["abc", "'abc'"],
    ["it's", `"it's"`],
    [`it's "x"`, `'it\\'s "x"'`],
    ["a\nb\tc\\", "'a\\nb\\tc\\\\'"],
    ["\u0000\u00e9\u200b", "'\\x00é\\u200b'"],
  ])("%j -> %s", (value, repr) => {
    expect(pyRepr(value)).toBe(repr);
  });
});

describe("entry_points.txt (configparser, '=' only, script names)", () => {
  it.each([
    ["[console_scripts]\nfoo = foo:main\n", undefined],
    ["# c\n[console_scripts]\nfoo-bar.baz_1 = a.b:c [extra]\n  continued\n", undefined],
    ["foo = bar\n", "entry_points.txt is not a valid INI file: missing section header"],
    [
      "[console_scripts]\nfoo: bar\n",
      "entry_points.txt is not a valid INI file: a line without '='",
    ],
    ["[a]\nx = 1\n[a]\n", "entry_points.txt is not a valid INI file: duplicate section a"],
    [
      "[console_scripts]\n../evil = x:y\n",
      "Invalid entry point name '../evil' in 'console_scripts'",
    ],
  ])("%j", (text, problem) => {
    expect(entryPointsProblem(Buffer.from(text))).toBe(problem);
  });
});

describe("the metadata message Warehouse picks", () => {
  const form = (...extra: Array<[string, string]>): Array<[string, string]> => [
    ["metadata_version", "2.1"],
    ["name", "demo"],
    ["version", "1.0"],
    ...extra,
  ];
  it("metadata-version, name, version first; then the first field name in sorted order", () => {
    const errors = metadataErrors(
      form(["classifiers", "Nope :: Nope"], ["author_email", "x@y"], ["home_page", "nope"]),
    );
    expect(errors.map((e) => e.field).sort()).toEqual(["author-email", "classifier", "home-page"]);
    expect(metadataMessage(errors)?.message).toBe(
      "'x@y' is not a valid email address: The part after the @-sign is not valid. It should have a period. See https://packaging.python.org/specifications/core-metadata for more information.",
    );
    const local = metadataErrors(form(["classifiers", "Nope"])).concat(
      metadataErrors([
        ["metadata_version", "2.1"],
        ["name", "demo"],
        ["version", "1.0+local"],
      ]),
    );
    expect(metadataMessage(local)?.message).toBe(
      "The use of local versions in '1.0+local' is not allowed. See https://packaging.python.org/en/latest/specifications/version-specifiers/#local-version-identifiers for more information.",
    );
  });
  it("packaging's errors stop Warehouse's own rules; an unparsable field stops both", () => {
    const errors = metadataErrors(form(["license_expression", "MIT"], ["classifiers", "Nope"]));
    expect(errors).toEqual([
      {
        field: "license-expression",
        message: "license-expression introduced in metadata version 2.4, not 2.1",
      },
    ]);
    expect(metadataErrors(form(["summary", "a"], ["summary", "b"]))).toEqual([
      { field: "summary", message: "'summary' has invalid data" },
    ]);
  });
});
