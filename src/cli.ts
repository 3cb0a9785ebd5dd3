// Entry point of the bundle (bin/pkgpush.cjs answers --version before loading it). Each command
// loads its modules on demand, so start-up stays close to bare Node.
import { startEarlyThread } from "./commands/early-thread.js";
import { endWhenFlushed, exitWith } from "./commands/exit-guard.js";

await startEarlyThread(process.argv.slice(2));

const { main } = await import("./commands/program.js");
await exitWith(main(process.argv.slice(2)));
// The run has answered: nothing is left to do but free memory the system frees anyway.
endWhenFlushed();
