// Entry point. Kept tiny: `--version` answers without loading anything else, and each command
// loads its modules on demand, so start-up stays close to bare Node.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === "--version" || args[0] === "-V")) {
  process.stdout.write(`${PKGPUSH_VERSION}\n`);
} else {
  const { main } = await import("./commands/program.js");
  process.exitCode = await main(args);
}
