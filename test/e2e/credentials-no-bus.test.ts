/**
 * Without a D-Bus session bus (CI containers, SSH sessions) the Secret Service cannot answer:
 * the keyring is reported unavailable from one stat instead of a child process that can only
 * fail. The real bus is in credentials-keyring.test.ts, a silent one in
 * credentials-keyring-silent.test.ts.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { exampleDist, reportOf, runCli } from "../helpers/cli.js";

describe("keyring without a session bus", () => {
  it("a dry run says why the keyring was not asked, and names the socket it looked for", async () => {
    const runtime = mkdtempSync(join(tmpdir(), "pkgpush-nobus-"));
    const r = await runCli(
      [
        "upload",
        "--dry-run",
        "--json",
        "-v",
        "--repository-url",
        "http://127.0.0.1:9/legacy/",
        exampleDist,
      ],
      { env: { XDG_RUNTIME_DIR: runtime } },
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      `keyring: lookup for http://127.0.0.1:9/legacy/ failed: no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set and ${runtime}/bus does not exist`,
    );
    expect(reportOf(r).credentials).toEqual([expect.objectContaining({ passwordFrom: null })]);
  });
});
