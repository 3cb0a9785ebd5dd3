/**
 * The description verdict (src/rules/readme): Warehouse's refusal message per content type,
 * the renderer choice, Markdown's empty-output rule, and the reST validator on the recorded
 * cases of rst-cases.ts (docutils-agreement.test.ts re-checks them against docutils).
 */
import { describe, expect, it } from "vitest";
import {
  checkDescription,
  parseContentType,
  refusalMessage,
} from "../../../src/rules/readme/index.js";
import { RST_CASES } from "./rst-cases.js";

describe("content type", () => {
  it("picks the renderer as warehouse/utils/readme.py does", () => {
    expect(parseContentType(undefined).renderer).toBe("rst");
    expect(parseContentType("").renderer).toBe("rst");
    expect(parseContentType("text/x-rst; charset=UTF-8").renderer).toBe("rst");
    expect(parseContentType("TEXT/MARKDOWN; variant=CommonMark")).toEqual({
      type: "text/markdown",
      params: { variant: "CommonMark" },
      renderer: "markdown",
    });
    expect(parseContentType('text/markdown; charset="UTF-8"').params.charset).toBe("UTF-8");
    expect(parseContentType("text/plain").renderer).toBe("plain");
    expect(parseContentType("text/html").renderer).toBe("plain");
    expect(parseContentType("markdown").type).toBe("text/plain");
  });

  it("words the refusal as Warehouse does, with or without a declared type", () => {
    expect(refusalMessage(undefined)).toBe(
      "The description failed to render in the default format of reStructuredText. See https://pypi.org/help/#description-content-type for more information.",
    );
    expect(refusalMessage("text/markdown; variant=GFM")).toBe(
      "The description failed to render for 'text/markdown; variant=GFM'. See https://pypi.org/help/#description-content-type for more information.",
    );
  });
});

describe("checkDescription", () => {
  it("passes an absent description and any plain text", () => {
    expect(checkDescription(undefined)).toEqual({ ok: true });
    expect(checkDescription("")).toEqual({ ok: true });
    expect(checkDescription("   \n", "text/plain")).toEqual({ ok: true });
    expect(checkDescription("*unclosed", "text/plain")).toEqual({ ok: true });
  });

  it("refuses Markdown that renders to nothing, only that", () => {
    expect(checkDescription("  \n\t\n", "text/markdown")).toMatchObject({ ok: false });
    expect(
      checkDescription('[a]: https://x.example\n[b]: <https://y.example> "t"\n', "text/markdown"),
    ).toMatchObject({
      ok: false,
      message: expect.stringContaining("'text/markdown'"),
    });
    for (const ok of [
      "# Title",
      "<!-- c -->",
      "\u00a0",
      "[^1]: a footnote",
      "*unclosed",
      "[a]:\n  https://x",
    ]) {
      expect(checkDescription(ok, "text/markdown; variant=CommonMark")).toEqual({ ok: true });
    }
  });

  it("refuses reST that docutils halts on, with docutils' message and line", () => {
    const v = checkDescription("Title\n=====\n\nSee :func:`x`.\n");
    expect(v).toEqual({
      ok: false,
      message: refusalMessage(undefined),
      reason: '(ERROR/3) Unknown interpreted text role "func".',
      line: 4,
    });
    expect(checkDescription("Title\n=====\n", "text/x-rst")).toMatchObject({
      ok: false,
      reason: "No content rendered from RST source.",
      message: expect.stringContaining("'text/x-rst'"),
    });
  });

  for (const c of RST_CASES) {
    it(`reST: ${c.name} ${c.fails ? "fails" : "renders"}`, () => {
      const v = checkDescription(c.text);
      expect(v.ok).toBe(!c.fails);
      if (!v.ok && c.reason) expect(v.reason).toContain(c.reason);
    });
  }

  it("stays linear on hostile input", () => {
    const inputs = [
      "*a ".repeat(60_000),
      "`x ".repeat(60_000),
      `${"a_b".repeat(50_000)}_`,
      `:${"x".repeat(100_000)}`,
      `${"- ".repeat(2000)}x\n`,
      `${"   ".repeat(20_000)}x\n`,
      `${"|a ".repeat(50_000)}\n`,
      Array.from({ length: 3000 }, (_, i) => `${" ".repeat(i % 40)}- item ${i}`).join("\n"),
      `.. _${"a".repeat(100_000)}`,
      `+${"-+".repeat(2000)}\n${"|".repeat(4001)}\n`,
    ];
    for (const text of inputs) {
      const t0 = performance.now();
      checkDescription(text);
      expect(performance.now() - t0).toBeLessThan(2000);
    }
  });
});
