#!/usr/bin/env node
"use strict";
// CommonJS on purpose: `--version` answers without starting the ES module loader, so it costs
// about what `node -e 0` costs. Everything else loads the bundled CLI.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${require("../package.json").version}\n`);
} else {
  // Node >= 22.1 keeps V8's compiled code of the bundle between runs (under the OS temp folder;
  // NODE_DISABLE_COMPILE_CACHE=1 turns it off): a dry run on Node 24 runs ~10% fewer instructions.
  require("node:module").enableCompileCache?.();
  require("./jit-policy.cjs").deferOptimizingCompilers(1000);
  require("./early-thread.cjs").startEarlyThread(
    args,
    require("node:path").join(__dirname, "../dist"),
  );
  import("../dist/cli.js").catch((error) => {
    // A source checkout that was never built: say how to build, not Node's module error.
    if (error && error.code === "ERR_MODULE_NOT_FOUND" && /dist[\\/]cli\.js/.test(error.message)) {
      process.stderr.write("pkgpush: error: the CLI bundle (dist/cli.js) is missing\n");
      process.stderr.write("pkgpush: hint: in a source checkout, run: npm run build\n");
      process.exitCode = 2;
    } else {
      throw error;
    }
  });
}
