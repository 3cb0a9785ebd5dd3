import { test } from "vitest";
import { ensureFixtures } from "../fixtures/make-fixtures.js";
import { inspectDistribution } from "../../src/distributions/inspect.js";
test("scratch", async () => {
  const t0 = Date.now();
  const fx = await ensureFixtures();
  console.log("fixtures", Date.now() - t0, "ms");
  for (const [k, f] of Object.entries(fx)) {
    const t1 = Date.now();
    try {
      const d = await inspectDistribution(f.path);
      console.log(k, d.name, d.version, d.metadataVersion, d.parsed.pyversion, d.signaturePath ?? "", d.attestationPaths, JSON.stringify(d.metadata).slice(0, 600), Date.now() - t1);
    } catch (e) { console.log(k, "ERR", (e as Error).message); }
  }
});
