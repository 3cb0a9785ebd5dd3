import { describe, expect, it } from "vitest";
import {
  decodeMetadata,
  getAll,
  getDescription,
  getField,
  parseMetadata,
} from "../../src/distributions/metadata.js";

describe("parseMetadata", () => {
  it("keeps fields in order, repeated fields repeated", () => {
    const md = parseMetadata(
      "Metadata-Version: 2.1\nName: foo\nVersion: 1.0\nClassifier: A\nRequires-Dist: x\nClassifier: B\n",
    );
    expect(md.fields).toEqual([
      ["Metadata-Version", "2.1"],
      ["Name", "foo"],
      ["Version", "1.0"],
      ["Classifier", "A"],
      ["Requires-Dist", "x"],
      ["Classifier", "B"],
    ]);
    expect(md.body).toBeUndefined();
    expect(getAll(md, "classifier")).toEqual(["A", "B"]);
    expect(getField(md, "NAME")).toBe("foo");
    expect(getField(md, "Summary")).toBeUndefined();
    expect(getAll(md, "Summary")).toEqual([]);
  });

  it("keeps folded values as packaging reads them (continuation lines verbatim)", () => {
    const md = parseMetadata("Name: foo\nKeywords: a b\n   c\n\td\nSummary:   padded  \n");
    expect(getField(md, "Keywords")).toBe("a b\n   c\n\td");
    // Leading blanks go (compat32), trailing ones stay.
    expect(getField(md, "Summary")).toBe("padded  ");
  });

  it("undoes the 8-space indentation of a 1.0 Description", () => {
    const text =
      "Metadata-Version: 1.0\nName: foo\nVersion: 1.0\n" +
      "Description: Title\n        =====\n        \n        Para.\n        \n          code\n" +
      "Platform: UNKNOWN\n";
    const md = parseMetadata(text);
    expect(getField(md, "Description")).toBe("Title\n=====\n\nPara.\n\n  code");
    expect(getField(md, "Platform")).toBe("UNKNOWN");
    expect(getDescription(md)).toBe("Title\n=====\n\nPara.\n\n  code");
  });

  it("undoes the `       |` continuation form", () => {
    const md = parseMetadata("Description: one\n       |\n       |    two\n       |three\n");
    expect(getField(md, "Description")).toBe("one\n\n    two\nthree");
  });

  it("takes the body after the first blank line as the description (2.1+)", () => {
    const md = parseMetadata(
      "Metadata-Version: 2.1\nName: foo\n\n# Title\n\nText: not a header\n\n    code\n",
    );
    expect(md.fields).toHaveLength(2);
    expect(md.body).toBe("# Title\n\nText: not a header\n\n    code\n");
    expect(getDescription(md)).toBe(md.body);
  });

  it("handles CRLF and lone CR line endings", () => {
    const md = parseMetadata("Name: foo\r\nKeywords: a\r\n b\r\nVersion: 1\r\n\r\nbody\r\nmore\r");
    expect(md.fields).toEqual([
      ["Name", "foo"],
      ["Keywords", "a\r\n b"],
      ["Version", "1"],
    ]);
    // The body keeps its line endings, as packaging's parse_email does.
    expect(md.body).toBe("body\r\nmore\r");
  });

  it("keeps non-ASCII text", () => {
    const md = parseMetadata("Name: foo\nSummary: Ünïcode ✓\n\nÜnïcode ✓ body");
    expect(getField(md, "Summary")).toBe("Ünïcode ✓");
    expect(md.body).toBe("Ünïcode ✓ body");
  });

  it("treats whitespace-only lines as continuations, like the email parser", () => {
    const md = parseMetadata("Name: foo\n   \nVersion: 1\n");
    expect(md.fields).toEqual([
      ["Name", "foo\n   "],
      ["Version", "1"],
    ]);
  });

  it("starts the body at a line that is not a header (missing separator)", () => {
    const md = parseMetadata("Name: foo\nthis is no header\nVersion: 1\n");
    expect(md.fields).toEqual([["Name", "foo"]]);
    expect(md.body).toBe("this is no header\nVersion: 1\n");
  });

  it("drops defects the way compat32 does", () => {
    const md = parseMetadata(" leading continuation\n: no name\n cont\nName: foo\n");
    expect(md.fields).toEqual([["Name", "foo"]]);
  });

  it("accepts an empty value and a field with no space after the colon", () => {
    const md = parseMetadata("Name:foo\nLicense:\nVersion: 1\n");
    expect(md.fields).toEqual([
      ["Name", "foo"],
      ["License", ""],
      ["Version", "1"],
    ]);
  });

  it("ignores a UTF-8 byte order mark", () => {
    expect(parseMetadata("\uFEFFName: foo\n").fields).toEqual([["Name", "foo"]]);
  });

  it("returns no fields for empty input", () => {
    expect(parseMetadata("")).toEqual({ fields: [] });
  });
});

describe("decodeMetadata", () => {
  it("decodes UTF-8", () => {
    expect(decodeMetadata(Buffer.from("Author: Zoë ✓", "utf8"))).toBe("Author: Zoë ✓");
  });

  it("falls back to latin-1 for invalid UTF-8", () => {
    expect(decodeMetadata(Buffer.from("Author: Jos\xe9", "latin1"))).toBe("Author: José");
  });
});
