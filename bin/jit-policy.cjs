"use strict";
// Most runs of the CLI last well under a second, and V8's optimizing compilers (TurboFan; Maglev
// too from V8 12, Node 22) spend that second compiling code on the second core that the run never
// gets to reuse, while the BLAKE2b and description threads need that core; Node also waits for
// pending compile jobs at exit. So they are off for the first `ms` of a run and back on after it,
// for the runs that last (a 2000-file upload is slower with them off for good). A user's own V8
// flags for these compilers win. Measured in BENCHMARKS.md ("Optimizing compilers after the first
// second").
const GIVEN = /(^|\s)--(no-)?(opt|turbofan|maglev|jitless)(\s|=|$)/;

/** @param {number} ms how long a run goes without optimizing compilers */
function deferOptimizingCompilers(ms) {
  const given = [...process.execArgv, process.env.NODE_OPTIONS ?? ""].join(" ");
  if (GIVEN.test(given)) return;
  const v8 = require("node:v8");
  // Maglev is on by default from V8 11.7; turning it on where it is off would change Node 20.
  const maglev = Number(process.versions.v8.split(".")[0]) >= 12;
  v8.setFlagsFromString("--no-turbofan");
  if (maglev) v8.setFlagsFromString("--no-maglev");
  setTimeout(() => {
    v8.setFlagsFromString("--turbofan");
    if (maglev) v8.setFlagsFromString("--maglev");
  }, ms).unref();
}

module.exports = { deferOptimizingCompilers };
