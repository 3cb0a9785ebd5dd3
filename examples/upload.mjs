// A release script on pkgpush's Node API: shows the plan, uploads, prints one line per file and
// server, and exits as the CLI would (0 all landed, 1 something did not, 2 nothing was sent).
//
//   node examples/upload.mjs [FILES...]          (default dist/*)
//
// Servers come from ~/.pypirc (routed by release-packages) unless UPLOAD_URL names one; the
// password from the usual places (PKGPUSH_<SECTION>_PASSWORD, TWINE_PASSWORD, .pypirc, keyring),
// or UPLOAD_TOKEN as an API token.
import { PkgpushError, plan, Redactor, upload } from "pkgpush";

const files = process.argv.slice(2);
// One redactor for the run and for this script's own output: secrets never print.
const redactor = new Redactor();
const options = {
  files: files.length > 0 ? files : ["dist/*"],
  ...(process.env.UPLOAD_URL ? { repositoryUrl: process.env.UPLOAD_URL } : {}),
  ...(process.env.UPLOAD_TOKEN ? { token: process.env.UPLOAD_TOKEN } : {}),
  skipExisting: true,
  redactor,
};
const say = (line) => process.stderr.write(`${redactor.safeText(line)}\n`);

try {
  const dry = await plan(options);
  say(`plan: ${dry.plan.length} upload(s) to ${dry.servers.map((s) => s.name).join(", ")}`);

  const report = await upload(options, {
    onMessage: (level, text) => say(`${level}: ${text}`),
    onFinish: ({ job, outcome }) =>
      say(`${outcome.status}: ${job.dist.filename} -> ${job.server.name}`),
  });
  for (const r of report.results) {
    const file = report.files.find((f) => f.file === r.file);
    console.log(`${r.status}\t${r.server}\t${r.file}\tsha256=${file?.sha256 ?? "-"}`);
  }
  process.exitCode = report.exitCode;
} catch (error) {
  // Nothing was sent: bad options, configuration, files or credentials.
  if (!(error instanceof PkgpushError)) throw error;
  say(`error [${error.code}]: ${error.message}${error.hint ? ` (${error.hint})` : ""}`);
  process.exitCode = error.exitCode;
}
