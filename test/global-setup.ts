/** vitest globalSetup: build the distribution fixtures once, before any test file runs. */
import { ensureFixtures } from "./fixtures/make-fixtures.js";

export default async function setup(): Promise<void> {
  await ensureFixtures();
}
