/**
 * The refusal before anything is sent (`upload` and `register`). For every server: metadata that
 * is broken for every index and installer (metadata-rules.ts, `all` scope). For a file bound for
 * a server with PyPI's rules (pypi.org, test.pypi.org, or `rules = pypi`): PyPI's verdict
 * (verdict.ts; `register` judges the metadata part only), since PyPI's refusals are final and a
 * release would otherwise land on some indexes and not on PyPI. One line per problem: the file,
 * the rule, the reason (Warehouse's or packaging's words) and the fix.
 */
import { hasPypiRules } from "../config/pypirc.js";
import type { ServerConfig } from "../config/types.js";
import { displayPath } from "../distributions/inspect.js";
import { metadataProblems } from "../distributions/metadata-rules.js";
import type { Distribution } from "../distributions/types.js";
import { AggregateInputError, DistributionError } from "../errors.js";
// Types only: PyPI's rules (their data is most of the CLI's code) load when a server has them.
import type { PypiVerdict, RuleResult } from "./verdict.js";

const REBUILD = "rebuild the distribution with a current build backend";

/** What to do about each rule's refusal. */
export function fixFor(refusal: RuleResult): string {
  const { rule, message } = refusal;
  if (rule === "metadata:version" && message.includes("local versions"))
    return "release a version without the +local part to PyPI, or send this build only to other indexes";
  if (message.includes("introduced in metadata version") || rule === "metadata:metadata-version")
    return REBUILD;
  if (rule === "metadata:classifier")
    return "use classifiers listed at https://pypi.org/classifiers/ (none deprecated, no Private ::) and rebuild";
  if (rule.startsWith("metadata:")) return "fix the field in the project's metadata and rebuild";
  const fixes: Record<string, string> = {
    form: "PyPI takes wheels and .tar.gz sdists only: build them with python -m build",
    "project-name": "choose another project name: PyPI keeps standard-library names",
    description: `fix the description (${refusal.detail ?? "pkgpush check shows where"}) or set its Description-Content-Type, then rebuild`,
    filename: "PyPI takes .whl and .tar.gz files only: build them with python -m build",
    size: "make the file smaller, or ask PyPI for a larger limit for the project",
    archive: REBUILD,
    "sdist-filename": "build the sdist with a current build backend (PEP 625 file name)",
    "wheel-platform":
      "repair the wheel to a manylinux/musllinux tag (auditwheel repair), or send it only to other indexes",
    "wheel-filename": "rebuild the wheel with a current build backend (normalized file name)",
    "license-file": "include every License-File in the archive, or list only files it contains",
  };
  return fixes[rule] ?? REBUILD;
}

/** The problems with one file bound for these servers, as one-line errors. */
export async function preflightErrors(
  dist: Distribution,
  servers: ServerConfig[],
  action: "upload" | "register",
): Promise<DistributionError[]> {
  const display = displayPath(dist.path);
  const basic = metadataProblems(dist.metadata).filter((p) => p.scope === "all");
  const errors = basic.map(
    (p) =>
      new DistributionError(
        `${display}: ${p.field}: ${p.reason} (refused for every server); ${REBUILD}`,
      ),
  );
  const pypi = servers.filter(hasPypiRules).map((s) => s.name);
  // Broken metadata is already refused for every server; PyPI's verdict would say it again.
  if (pypi.length === 0 || errors.length > 0) return errors;
  const { formVerdict, pypiVerdict } = await import("./pypi-verdict.js");
  const verdict: PypiVerdict =
    action === "upload" ? await pypiVerdict(dist) : formVerdict(dist, { metadataOnly: true });
  if (!verdict.refusal) return errors;
  const { rule, message } = verdict.refusal;
  return [
    new DistributionError(
      `${display}: ${rule}: ${message} (PyPI refuses it; the file is bound for ${pypi.join(", ")}); ${fixFor(verdict.refusal)}`,
    ),
  ];
}

/** Throws every problem of every routed file at once, before anything is sent. */
export async function refuseBeforeSending(
  routes: Array<{ dist: Distribution; servers: ServerConfig[] }>,
  action: "upload" | "register",
): Promise<void> {
  const errors: DistributionError[] = [];
  // A few files at a time: PyPI's rules read each archive once.
  for (let i = 0; i < routes.length; i += 8) {
    const batch = routes.slice(i, i + 8);
    const found = await Promise.all(batch.map((r) => preflightErrors(r.dist, r.servers, action)));
    errors.push(...found.flat());
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateInputError(errors);
}
