/**
 * src/ imports in tests as the bundles build it: vitest.config.ts defines what esbuild defines
 * (scripts/defines.mjs), so modules that read PKGPUSH_VERSION load without a ReferenceError.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/commands/program.js";
import { USER_AGENT } from "../../src/transport/user-agent.js";

const version = JSON.parse(
  readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
).version;

describe("build-time constants in tests", () => {
  it("the User-Agent names package.json's version", () => {
    expect(USER_AGENT).toMatch(new RegExp(`^pkgpush/${version.replace(/\./g, "\\.")} \\(node `));
  });

  it("the command line answers --version with it", () => {
    const program = buildProgram(() => {}, new AbortController().signal);
    expect(program.version()).toBe(version);
  });
});
