// Entry point of the bundle (bin/pkgpush.cjs answers --version before loading it). Each command
// loads its modules on demand, so start-up stays close to bare Node.
const { main } = await import("./commands/program.js");
process.exitCode = await main(process.argv.slice(2));
