/**
 * The description verdict against readme_renderer 45 + docutils themselves (the versions PyPI
 * runs, from ../shared/warehouse/site) via scripts/rst-oracle.py: every case of rst-cases.ts,
 * plain and with realistic mistakes added, must get the same verdict, and a docutils refusal
 * must be reported with docutils' own first message.
 */
import { execFile } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkDescription } from "../../../src/rules/readme/index.js";
import { root } from "../../helpers/cli.js";
import { SKIP_REASON, WAREHOUSE } from "../../helpers/warehouse.js";
import { RST_CASES } from "./rst-cases.js";

interface OracleVerdict {
  id: string;
  ok: boolean;
  message: string;
}

function oracle(
  docs: { id: string; text: string; contentType?: string }[],
): Promise<OracleVerdict[]> {
  return new Promise((ok, fail) => {
    const child = execFile(
      "/usr/bin/python3",
      [join(root, "scripts/rst-oracle.py"), "--site", join(WAREHOUSE as string, "site")],
      { maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) =>
        error
          ? fail(new Error(`${error.message}\n${stderr}`))
          : ok(
              stdout
                .trim()
                .split("\n")
                .map((l) => JSON.parse(l) as OracleVerdict),
            ),
    );
    child.stdin?.end(docs.map((d) => JSON.stringify(d)).join("\n"));
  });
}

/** Mistakes people make in READMEs, appended to or spliced into each case. */
const MUTATIONS: [string, (t: string) => string][] = [
  ["unknown role", (t) => `${t}\nSee :class:\`Config\`.\n`],
  ["sphinx directive", (t) => `${t}\n.. versionchanged:: 2.0\n`],
  ["dangling reference", (t) => `${t}\nRead the \`guide\`_.\n`],
  ["literal without block", (t) => `${t}\nExample::\n\nNot indented.\n`],
  ["no blank before indent", (t) => t.replace(/\n\n( +\S)/, "\n$1")],
  ["short underline", (t) => t.replace(/\n(=+)\n/, (_, u: string) => `\n${u.slice(0, -2)}\n`)],
  ["trailing transition", (t) => `${t.trimEnd()}\n\n--------\n`],
];

describe.skipIf(!WAREHOUSE)(
  `agrees with readme_renderer + docutils (${WAREHOUSE ?? SKIP_REASON})`,
  () => {
    it("on the recorded cases, as recorded", async () => {
      const verdicts = await oracle(RST_CASES.map((c, i) => ({ id: String(i), text: c.text })));
      RST_CASES.forEach((c, i) => {
        const o = verdicts[i] as OracleVerdict;
        expect({ case: c.name, docutilsFails: !o.ok }).toEqual({
          case: c.name,
          docutilsFails: c.fails,
        });
        if (c.reason) expect(o.message || "No content rendered", c.name).toContain(c.reason);
        const v = checkDescription(c.text);
        // docutils' first line (after "<string>:N: ") begins pkgpush's reason
        if (!v.ok && o.message)
          expect(v.reason, c.name).toContain(o.message.replace(/^<string>:\d*: /, ""));
      });
    });

    it("on the cases with realistic mistakes added, never refusing what docutils renders", async () => {
      const docs = RST_CASES.flatMap((c, i) =>
        MUTATIONS.map(([name, fn], k) => ({
          id: `${i}/${k}`,
          text: fn(c.text),
          label: `${c.name} + ${name}`,
        })),
      );
      const verdicts = await oracle(docs.map(({ id, text }) => ({ id, text })));
      const wrong: string[] = [];
      docs.forEach((d, i) => {
        const o = verdicts[i] as OracleVerdict;
        const v = checkDescription(d.text);
        if (v.ok !== o.ok)
          wrong.push(
            `${d.label}: docutils ${o.ok ? "renders" : `fails (${o.message})`}, pkgpush ${v.ok ? "renders" : `fails (${v.reason})`}`,
          );
      });
      expect(wrong).toEqual([]);
    });

    it("on Markdown and plain descriptions, through Warehouse's own dispatcher", async () => {
      const docs = [
        ["  \n", "text/markdown"],
        ["[a]: https://x.example\n", "text/markdown; variant=GFM"],
        ["# Title\n\n*unclosed", "text/markdown; variant=CommonMark"],
        ["<!-- hidden -->", "text/markdown"],
        ["*unclosed", "text/plain"],
        ["Title\n=====\n", "text/x-rst; charset=UTF-8"],
      ] as const;
      const verdicts = await oracle(
        docs.map(([text, contentType], i) => ({ id: String(i), text, contentType })),
      );
      docs.forEach(([text, contentType], i) => {
        expect({ text, ok: checkDescription(text, contentType).ok }).toEqual({
          text,
          ok: (verdicts[i] as OracleVerdict).ok,
        });
      });
    });
  },
);
