/**
 * What a command loads from the built bundle (dist/, `npm test` builds it first). PyPI's rules
 * and their data (classifiers, SPDX, the standard library, YARA rules, the reST validator) are
 * most of the CLI's code: an upload loads them only when a server has PyPI's rules, `check`
 * always. Follows each chunk's static imports, as Node does before running it.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../helpers/cli.js";

const dist = join(root, "dist");

/** Every file a chunk loads before it runs: itself and its static imports, transitively. */
function staticClosure(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    const code = readFileSync(join(dist, file), "utf8");
    for (const m of code.matchAll(/\bimport\s*(?:[^"'()]*?\bfrom\s*)?["']\.\/([^"']+\.js)["']/g)) {
      if (m[1]) pending.push(m[1]);
    }
  }
  return [...seen];
}

function chunk(prefix: string): string {
  const found = readdirSync(dist).find((f) => f.startsWith(`${prefix}-`) && f.endsWith(".js"));
  if (!found) throw new Error(`no dist/${prefix}-*.js: run npm run build`);
  return found;
}

const holdsRulesData = (file: string): boolean =>
  readFileSync(join(dist, file), "utf8").includes("Development Status :: 5 - Production/Stable");

describe("the rules load only where they are needed", () => {
  it("check loads them (the control: the search finds the data when it is there)", () => {
    expect(staticClosure(chunk("check")).some(holdsRulesData)).toBe(true);
  });

  it("upload and register (dist/publish) do not load them before a server with PyPI's rules asks", () => {
    expect(staticClosure(chunk("publish")).filter(holdsRulesData)).toEqual([]);
  });

  it("the Node API's entry does not load them before check() is called", () => {
    expect(staticClosure("index.js").filter(holdsRulesData)).toEqual([]);
  });
});

const holdsRstValidator = (file: string): boolean =>
  readFileSync(join(dist, file), "utf8").includes("exceeds the line-length-limit");

describe("check's reST validator loads on its thread", () => {
  it("the description thread's worker loads it (the control)", () => {
    expect(staticClosure("readme-worker.js").some(holdsRstValidator)).toBe(true);
  });

  it("check's main thread does not, unless the thread fails and it renders a description", () => {
    expect(staticClosure(chunk("check")).filter(holdsRstValidator)).toEqual([]);
  });
});
