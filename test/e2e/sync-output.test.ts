/**
 * sync's progress, as upload's: on a real pseudo-terminal (util-linux `script`) bars for the
 * downloads and uploads, each leaving its finish line; in a pipe plain lines, no escape sequences.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { exampleDist, runCli, runOnTerminal } from "../helpers/cli.js";
import { configFor, serversPerTest } from "../helpers/transport.js";

const release = ["collective.demo-1.0.0-py3-none-any.whl", "collective.demo-1.0.0.tar.gz"];
const server = serversPerTest();

beforeAll(() => {
  if (spawnSync("sh", ["-c", "command -v script"]).status !== 0) {
    throw new Error(
      "the terminal test needs util-linux `script` (Debian: bsdutils); run `npm run setup`",
    );
  }
});

async function servers(slowFiles = false) {
  // A source slow to answer for files: the download bars are drawn before they end.
  const src = await server(
    "src",
    slowFiles ? [{ on: "files", times: "always", action: { delayMs: 400 } }] : [],
  );
  for (const f of release) await src.seed(f, readFileSync(join(exampleDist, f)));
  const a = await server("a");
  const { config } = configFor({
    src: { url: src.uploadUrl, "check-url": src.simpleUrl },
    a: { url: a.uploadUrl, "check-url": a.simpleUrl },
  });
  return ["sync", "collective.demo", "--from", "src", "--to", "a", "--config-file", config];
}

describe("sync progress", () => {
  it("on a terminal: a bar per download (from the source) and upload, each leaving its finish line, then the summary", async () => {
    const r = await runOnTerminal(await servers(true));
    expect(r.code, r.screen).toBe(0);
    for (const file of release) {
      const name = file.replace(/\./g, "\\.");
      expect(r.screen).toMatch(new RegExp(`\\| ${name} <- src \\|`));
      expect(r.screen).toMatch(new RegExp(`downloaded: ${name} in \\S+, sha256 verified`));
      expect(r.screen).toMatch(new RegExp(`uploaded: ${name} -> a`));
    }
    expect(r.screen).toMatch(/\| all files \|/);
    expect(r.screen).toMatch(/Summary: 2 uploaded/);
    expect(r.screen).toMatch(/Downloaded 2 of 2 files \(\S+ \S+\) from src, sha256 verified/);
  }, 60_000);

  it("in a pipe: plain lines for each download and upload, no escape sequences", async () => {
    const r = await runCli(await servers());
    expect(r.code, r.stderr).toBe(0);
    for (const file of release) {
      expect(r.stderr).toContain(`downloading ${file} (`);
      expect(r.stderr).toMatch(
        new RegExp(`downloaded: ${file.replace(/\./g, "\\.")} in \\S+, sha256 verified`),
      );
      expect(r.stderr).toContain(`uploading ${file} to a`);
    }
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the terminal's escape character
    expect(r.stderr).not.toMatch(/\x1b\[/);
  });
});
