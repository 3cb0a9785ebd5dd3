/**
 * `pkgpush completion bash|zsh|fish`, run by the shells themselves: bash's completion function
 * is called as bash calls it, fish's completer is asked with `complete -C`, and zsh loads the
 * script (syntax and compdef) in a fresh `zsh -f`.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";

const scripts: Record<string, string> = {};
const dir = mkdtempSync(join(tmpdir(), "pkgpush-completion-"));
const has = (shell: string): boolean => spawnSync("sh", ["-c", `command -v ${shell}`]).status === 0;

beforeAll(async () => {
  for (const shell of ["bash", "zsh", "fish"]) {
    const r = await runCli(["completion", shell]);
    expect(r.code, r.stderr).toBe(0);
    scripts[shell] = r.stdout;
    writeFileSync(join(dir, `pkgpush.${shell}`), r.stdout);
  }
});

/** What bash's completion offers for the words typed so far (the last one being completed). */
function bashComplete(words: string[]): string[] {
  const script = `source ${join(dir, "pkgpush.bash")}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_pkgpush; printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync("bash", ["--norc", "-c", script], { encoding: "utf8", cwd: dir });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.split("\n").filter(Boolean);
}

describe("bash", () => {
  it("completes commands, each command's options and option values", () => {
    expect(bashComplete(["pkgpush", "up"])).toEqual(["upload"]);
    expect(bashComplete(["pkgpush", "upload", "--trusted-p"])).toEqual(["--trusted-publishing"]);
    expect(bashComplete(["pkgpush", "upload", "--trusted-publishing", ""]).sort()).toEqual([
      "always",
      "auto",
      "automatic",
      "never",
    ]);
    expect(bashComplete(["pkgpush", "upload", "--sk"])).toEqual(["--skip-existing"]);
    // register has no --sign (twine's register does not sign either).
    // --sign is upload's; --simple-url (where existing files are looked up) is shared.
    expect(bashComplete(["pkgpush", "register", "--si"])).toEqual(["--simple-url"]);
    expect(bashComplete(["pkgpush", "upload", "--config-file", "pkgpush.b"])).toEqual([
      "pkgpush.bash",
    ]);
  });
});

describe.skipIf(!has("fish"))("fish (skipped without fish: `npm run setup` installs it)", () => {
  it("completes commands and options", () => {
    const ask = (line: string): string[] => {
      const r = spawnSync(
        "fish",
        ["--no-config", "-c", `source ${join(dir, "pkgpush.fish")}; complete -C '${line}'`],
        { encoding: "utf8" },
      );
      expect(r.status, r.stderr).toBe(0);
      return r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t")[0] as string);
    };
    expect(ask("pkgpush up")).toContain("upload");
    expect(ask("pkgpush upload --skip-e")).toContain("--skip-existing");
    expect(ask("pkgpush upload --trusted-publishing ")).toEqual(
      expect.arrayContaining(["auto", "never"]),
    );
  });
});

describe.skipIf(!has("zsh"))("zsh (skipped without zsh: `npm run setup` installs it)", () => {
  it("loads and registers its completer with compdef", () => {
    const r = spawnSync(
      "zsh",
      ["-f", "-c", `compdef() { print -r -- "$@" }; source ${join(dir, "pkgpush.zsh")}`],
      { encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe("_pkgpush pkgpush");
    expect(spawnSync("zsh", ["-n", join(dir, "pkgpush.zsh")]).status).toBe(0);
  });
});

describe("pkgpush completion", () => {
  it("refuses an unknown shell with the list of known ones", async () => {
    const r = await runCli(["completion", "tcsh"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("bash, zsh, fish");
  });

  it("--help shows examples", async () => {
    const r = await runCli(["--help"]);
    expect(r.stdout).toContain("Examples:");
    const upload = await runCli(["upload", "--help"]);
    expect(upload.stdout).toContain("Examples:");
    expect(upload.stdout).toContain("--sign");
  });
});
