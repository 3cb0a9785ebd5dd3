/**
 * vitest globalSetup: build the distribution fixtures once, before any test file runs, and give
 * the run one scratch folder. Test files create their workspaces with `tmpdir()`; pointing TMPDIR
 * at a folder removed at the end keeps a run from leaving hundreds of folders in /tmp, whatever
 * a test forgets or a timeout skips. The CLI under test gets its own environment (test/helpers/cli.ts).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureFixtures } from "./fixtures/make-fixtures.js";

export default async function setup(): Promise<() => Promise<void>> {
  const scratch = await mkdtemp(join(tmpdir(), "pkgpush-tests-"));
  // The workers start after this and inherit it; os.tmpdir() reads TMPDIR on every call.
  process.env.TMPDIR = scratch;
  await ensureFixtures();
  return async () => {
    await rm(scratch, { recursive: true, force: true });
  };
}
