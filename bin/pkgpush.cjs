#!/usr/bin/env node
"use strict";
// CommonJS on purpose: `--version` answers without starting the ES module loader, so it costs
// about what `node -e 0` costs. Everything else loads the bundled CLI.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${require("../package.json").version}\n`);
} else {
  import("../dist/cli.js");
}
