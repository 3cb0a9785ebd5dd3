// Entry point of the bundle (bin/pkgpush.cjs answers --version, and starts check's description
// thread, before loading it). Each command loads its modules on demand, so start-up stays close
// to bare Node.
import { endWhenFlushed, exitWith } from "./commands/exit-guard.js";

const { main } = await import("./commands/program.js");
await exitWith(main(process.argv.slice(2)));
// The run has answered: nothing is left to do but free memory the system frees anyway.
endWhenFlushed();
