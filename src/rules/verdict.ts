/**
 * PyPI's verdict on one file, as Warehouse's `file_upload` would give it to the request pkgpush
 * sends: the form, the metadata, the project name, the description, the file name and size,
 * the archive, the sdist and wheel rules, in Warehouse's order; the first refusal is the answer,
 * with Warehouse's message. What needs PyPI's database (existing projects and files, similar
 * names, quotas) is not judged.
 */

import { normalizeVersion, versionsEqual } from "../distributions/filename.js";
import { normalizeName } from "../distributions/names.js";
import type { Distribution } from "../distributions/types.js";
import { metadataFields, uploadFields } from "../protocol/fields.js";
import { contentVerdict, type OpenZip, type ScanThread } from "./archive-rules.js";
import { STDLIB_NAMES } from "./data.js";
import { formProblem, sanitizeForm } from "./form.js";
import { metadataErrors, metadataMessage } from "./metadata.js";
import { isPypiPlatformTag } from "./platform.js";
import { pyRepr } from "./pyrepr.js";
import type { DescriptionVerdict } from "./readme/index.js";
import type { TarScan } from "./tar-scan.js";

export const MAX_FILESIZE = 100 * 1024 * 1024;

export interface RuleResult {
  /** Which rule: form, metadata, project-name, description, filename, size, archive, sdist-*, wheel-*. */
  rule: string;
  /** Warehouse's words (or packaging's, for what every index refuses). */
  message: string;
  /** Where Warehouse says less than helps: why (the description's first docutils problem). */
  detail?: string;
}

export interface PypiVerdict {
  verdict: "accept" | "refuse";
  refusal?: RuleResult;
  /** What PyPI accepts but e-mails the owners about (a RECORD mismatch). */
  warnings: RuleResult[];
  /** Rules this build could not judge (said, never counted as passed). */
  notJudged: RuleResult[];
  /**
   * Refusals PyPI makes only when the project is new there (a standard-library name): the
   * verdict for a new project; an existing project is not refused for them.
   */
  newProjectOnly: RuleResult[];
}

const refuse = (
  rule: string,
  message: string,
  rest: Partial<PypiVerdict> = {},
  detail?: string,
): PypiVerdict => ({
  verdict: "refuse",
  refusal: detail ? { rule, message, detail } : { rule, message },
  warnings: rest.warnings ?? [],
  notJudged: rest.notJudged ?? [],
  newProjectOnly: rest.newProjectOnly ?? [],
});

const get = (form: Array<[string, string]>, key: string) => form.find(([k]) => k === key)?.[1];

/** What the form's rules leave for the rest of the verdict: the description to render, and more. */
export interface FormPart {
  description: string | undefined;
  contentType: string | undefined;
  notJudged: RuleResult[];
  newProjectOnly: RuleResult[];
}

/**
 * The form's rules before the description: form, metadata, project name. A refusal, or what the
 * description's rendering and the file's rules need. `metadataOnly` (register): the file-type
 * fields of the form are not judged.
 */
export function formChecks(
  dist: Distribution,
  opts: { metadataOnly?: boolean } = {},
): PypiVerdict | FormPart {
  const form = sanitizeForm(uploadFields(dist, undefined));
  const notJudged: RuleResult[] = [];
  const formRefusal = opts.metadataOnly ? undefined : formProblem(form, { digests: true });
  if (formRefusal) return refuse("form", formRefusal);
  const metaForm = form.filter(
    ([k]) => !["filetype", "pyversion", "protocol_version", ":action", "comment"].includes(k),
  );
  const meta = metadataMessage(metadataErrors(metaForm));
  if (meta) return refuse(`metadata:${meta.field}`, meta.message);
  const name = get(form, "name") as string;
  const newProjectOnly: RuleResult[] = [];
  // ProjectService.create_project: only a project PyPI does not have yet is judged by name.
  if (STDLIB_NAMES.has(normalizeName(name.replace(/^[-_.]+|[-_.]+$/g, ""))))
    newProjectOnly.push({
      rule: "project-name",
      message: `The name ${pyRepr(name)} isn't allowed (conflict with Python Standard Library module name). See https://pypi.org/help/#project-name for more information.`,
    });
  return {
    description: get(form, "description"),
    contentType: get(form, "description_content_type"),
    notJudged,
    newProjectOnly,
  };
}

export const isVerdict = (part: PypiVerdict | FormPart): part is PypiVerdict => "verdict" in part;

/** The form's verdict once its description is rendered (checkDescription's answer). */
export function renderedVerdict(part: FormPart, rendering: DescriptionVerdict): PypiVerdict {
  const { newProjectOnly, notJudged } = part;
  if (!rendering.ok)
    return refuse(
      "description",
      rendering.message,
      { newProjectOnly, notJudged },
      `${rendering.reason}${rendering.line === undefined ? "" : ` (line ${rendering.line} of the description)`}`,
    );
  return { verdict: "accept", warnings: [], notJudged, newProjectOnly };
}

/** `_validate_filename` and the size limit. */
function filenameRefusal(dist: Distribution, name: string): RuleResult | undefined {
  const { filename } = dist;
  if ([...filename].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127))
    return {
      rule: "filename",
      message:
        "Cannot upload a file with non-printable characters (ordinals 0-31) or the DEL character (ordinal 127) in the name.",
    };
  if (filename.includes("/") || filename.includes("\\"))
    return { rule: "filename", message: "Cannot upload a file with '/' or '\\' in the name." };
  const ext = /^.+?(\.(tar\.gz|zip|whl))$/is.exec(filename)?.[1];
  if (!ext)
    return {
      rule: "filename",
      message:
        "Invalid file extension: Use .tar.gz, .whl or .zip extension. See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0715/ for more information",
    };
  const allowed = dist.parsed.filetype === "sdist" ? [".zip", ".tar.gz"] : [".whl"];
  if (!allowed.includes(ext))
    return {
      rule: "filename",
      message: `Invalid file extension: Extension ${ext} is invalid for filetype ${dist.parsed.filetype}. See https://www.python.org/dev/peps/pep-0527 for more information.`,
    };
  if (dist.size > MAX_FILESIZE)
    return {
      rule: "size",
      message: `File too large. Limit for project ${pyRepr(name)} is 100 MB. See https://docs.pypi.org/project-management/storage-limits#requesting-a-file-size-limit-increase for more information.`,
    };
  return undefined;
}

/** The sdist rules after the archive checks: file name parts, PEP 625 name, License-File. */
function sdistRefusal(
  dist: Distribution,
  names: Set<string>,
  licenseFiles: string[],
): RuleResult | undefined {
  const { filename } = dist;
  const stem = filename.replace(/\.(tar\.gz|zip)$/, "");
  const dash = stem.lastIndexOf("-");
  const version = stem.slice(dash + 1);
  if (dash < 0 || normalizeVersion(version) === undefined)
    return { rule: "sdist-filename", message: `Invalid source distribution filename: ${filename}` };
  let fileName = stem.slice(0, dash);
  const metaVersion = normalizeVersion(dist.version) ?? dist.version;
  if (
    /\.post\d+$/.test(metaVersion) &&
    normalizeName(fileName) !== normalizeName(dist.name) &&
    (filename.match(/-/g) ?? []).length >= 2
  ) {
    const candidate = filename
      .slice(0, filename.lastIndexOf("-"))
      .slice(0, filename.slice(0, filename.lastIndexOf("-")).lastIndexOf("-"));
    if (normalizeVersion(filename.slice(candidate.length + 1, -".tar.gz".length)) !== undefined)
      fileName = candidate;
  }
  const normalized = normalizeName(dist.name);
  if (normalizeName(fileName) !== normalized)
    return {
      rule: "sdist-filename",
      message: `Start filename for ${pyRepr(dist.name)} with ${pyRepr(normalized.replaceAll("-", "_"))}.`,
    };
  const expected = `${normalized.replaceAll("-", "_")}-${metaVersion}.tar.gz`;
  if (filename !== expected)
    return {
      rule: "sdist-filename",
      message: `Filename ${pyRepr(filename)} is invalid, should be ${pyRepr(expected)}.`,
    };
  const top = [...names].length > 0 ? commonTop(names) : "";
  for (const lf of licenseFiles) {
    const target = posixJoin(top, lf);
    if (!names.has(target))
      return {
        rule: "license-file",
        message: `License-File ${lf} does not exist in distribution file ${filename} at ${target}`,
      };
  }
  return undefined;
}

/** The wheel rules after the archive checks: tags, names, version, License-File. */
function wheelRefusal(
  dist: Distribution,
  names: Set<string>,
  licenseFiles: string[],
): RuleResult | undefined {
  const { filename } = dist;
  const tag = dist.parsed.platforms?.find((t) => !isPypiPlatformTag(t));
  if (tag !== undefined)
    return {
      rule: "wheel-platform",
      message: `Binary wheel '${filename}' has an unsupported platform tag '${tag}'.`,
    };
  const canonical = normalizeName(dist.name);
  if (canonical !== normalizeName(dist.parsed.name))
    return {
      rule: "wheel-filename",
      message: `Start filename for ${pyRepr(dist.name)} with ${pyRepr(canonical.replaceAll("-", "_"))}.`,
    };
  const fromFile = filename.split("-")[0] as string;
  if (fromFile !== canonical.replaceAll("-", "_"))
    return {
      rule: "wheel-filename",
      message: `Filename ${pyRepr(filename)} should contain the normalized project name ${pyRepr(canonical.replaceAll("-", "_"))}, not ${pyRepr(fromFile)}.`,
    };
  if (!versionsEqual(dist.version, dist.parsed.version))
    return {
      rule: "wheel-filename",
      message: `Version in filename should be ${pyRepr(normalizeVersion(dist.version) ?? dist.version)} not ${pyRepr(normalizeVersion(dist.parsed.version) ?? dist.parsed.version)}.`,
    };
  const [n, v] = filename.split("-");
  for (const lf of licenseFiles) {
    const target = `${n}-${v}.dist-info/licenses/${lf}`;
    if (!names.has(target))
      return {
        rule: "license-file",
        message: `License-File ${lf} does not exist in distribution file ${filename} at ${target}`,
      };
  }
  return undefined;
}

function commonTop(names: Set<string>): string {
  const split = [...names].map((n) => n.split("/").filter((c) => c !== "" && c !== "."));
  const first = split[0] ?? [];
  let k = first.length;
  for (const parts of split) {
    let i = 0;
    while (i < k && parts[i] === first[i]) i++;
    k = i;
  }
  return first.slice(0, k).join("/");
}

const posixJoin = (a: string, b: string) =>
  b.startsWith("/") ? b : a === "" || a.endsWith("/") ? a + b : `${a}/${b}`;

/**
 * The file's part of the verdict, after the form's: name and size, then the archive (read once
 * when `pre` has it opened), then the sdist or wheel rules.
 */
export async function fileVerdict(
  dist: Distribution,
  first: Pick<FormPart, "notJudged" | "newProjectOnly">,
  pre: { zip?: OpenZip; tar?: TarScan } = {},
  thread?: ScanThread,
): Promise<PypiVerdict> {
  const fileRefusal = filenameRefusal(dist, dist.name);
  if (fileRefusal)
    return {
      verdict: "refuse",
      refusal: fileRefusal,
      warnings: [],
      notJudged: first.notJudged,
      newProjectOnly: first.newProjectOnly,
    };
  const content = await contentVerdict(dist.path, dist.filename, dist.size, pre, thread);
  const done = (refusal: RuleResult | undefined): PypiVerdict => ({
    verdict: refusal ? "refuse" : "accept",
    ...(refusal ? { refusal } : {}),
    warnings: refusal ? [] : content.warnings,
    notJudged: first.notJudged,
    newProjectOnly: first.newProjectOnly,
  });
  if (content.refusal && !content.names) return done(content.refusal);
  const form = metadataFields(dist.metadata);
  const licenseFiles = form.filter(([k]) => k === "license_file").map(([, v]) => v);
  const names = content.names ?? new Set<string>();
  const rule =
    dist.parsed.filetype === "sdist"
      ? sdistRefusal(dist, names, licenseFiles)
      : wheelRefusal(dist, names, licenseFiles);
  // The wheel's RECORD/entry points/METADATA checks come after its name and License-File checks.
  return done(rule ?? content.refusal);
}
