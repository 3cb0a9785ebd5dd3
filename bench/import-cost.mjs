#!/usr/bin/env node
// Start-up attribution for bench/run.mjs: imports each module given, in order, in this one
// process, and prints [{"spec","ms"}] (milliseconds per import; later imports reuse what the
// earlier ones loaded). A spec is a file path or a package name (resolved from this folder, so
// from the project's node_modules).
//
//   node bench/import-cost.mjs undici
//   node bench/import-cost.mjs dist/program-XXXX.js dist/publish-XXXX.js
import { isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const specs = process.argv.slice(2);
const out = [];
for (const spec of specs) {
  const target =
    spec.startsWith(".") || isAbsolute(spec) ? pathToFileURL(resolve(spec)).href : spec;
  const started = performance.now();
  await import(target);
  out.push({ spec, ms: Math.round((performance.now() - started) * 10) / 10 });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
