/**
 * Project names, versions and distribution file names, as the test index server checks them.
 *
 * Deliberately independent of src/: the server is the oracle the client is tested against, so it
 * must not share the client's parsing code (a bug there would otherwise agree with itself).
 */

export type FileType = "bdist_wheel" | "sdist" | "bdist_egg";

export const FILE_TYPES: readonly FileType[] = ["bdist_wheel", "sdist", "bdist_egg"];

/** PEP 503 normalised name: lower case, runs of `-`, `_`, `.` become one `-`. */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

/** PEP 508 / core metadata `Name`: ASCII letters and digits, `.`, `_`, `-` inside. */
export function isValidProjectName(name: string): boolean {
  return /^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$/i.test(name);
}

// packaging's VERSION_PATTERN (PEP 440, appendix B), without the verbose-mode layout.
const VERSION_RE = new RegExp(
  "^\\s*v?" +
    "(?:(?<epoch>[0-9]+)!)?" +
    "(?<release>[0-9]+(?:\\.[0-9]+)*)" +
    "(?<pre>[-_.]?(?<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?<pre_n>[0-9]+)?)?" +
    "(?<post>(?:-(?<post_n1>[0-9]+))|(?:[-_.]?(?<post_l>post|rev|r)[-_.]?(?<post_n2>[0-9]+)?))?" +
    "(?<dev>[-_.]?(?<dev_l>dev)[-_.]?(?<dev_n>[0-9]+)?)?" +
    "(?:\\+(?<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?" +
    "\\s*$",
  "i",
);

/** Decimal digits without leading zeros; BigInt keeps 20-digit date versions exact. */
function int(digits: string | undefined): string {
  return digits === undefined || digits === "" ? "0" : BigInt(digits).toString();
}

/**
 * Canonical PEP 440 form (`V1.0-ALPHA.1` -> `1.0a1`), or undefined for a string that is not a
 * PEP 440 version. With `stripTrailingZeros`, `1.0.0` becomes `1`, which makes string equality
 * match PEP 440 version equality (what `packaging.version.Version.__eq__` does).
 */
export function canonicalVersion(
  version: string,
  options: { stripTrailingZeros?: boolean } = {},
): string | undefined {
  const m = VERSION_RE.exec(version);
  if (!m?.groups) return undefined;
  const g = m.groups;
  let out = "";
  if (g.epoch !== undefined && int(g.epoch) !== "0") out += `${int(g.epoch)}!`;
  const release = (g.release ?? "0").split(".").map(int);
  if (options.stripTrailingZeros) {
    while (release.length > 1 && release[release.length - 1] === "0") release.pop();
  }
  out += release.join(".");
  if (g.pre !== undefined) {
    const label = (g.pre_l ?? "").toLowerCase();
    const short =
      label === "alpha"
        ? "a"
        : label === "beta"
          ? "b"
          : /^(c|pre|preview)$/.test(label)
            ? "rc"
            : label;
    out += `${short}${int(g.pre_n)}`;
  }
  if (g.post !== undefined) out += `.post${int(g.post_n1 ?? g.post_n2)}`;
  if (g.dev !== undefined) out += `.dev${int(g.dev_n)}`;
  if (g.local !== undefined) {
    const parts = g.local.toLowerCase().split(/[-_.]/);
    out += `+${parts.map((p) => (/^[0-9]+$/.test(p) ? int(p) : p)).join(".")}`;
  }
  return out;
}

/**
 * Whether two versions name the same release: PEP 440 equality when both parse, otherwise a
 * case-insensitive string compare (legacy versions, which some servers still accept).
 */
export function sameVersion(a: string, b: string): boolean {
  const ca = canonicalVersion(a, { stripTrailingZeros: true });
  const cb = canonicalVersion(b, { stripTrailingZeros: true });
  if (ca !== undefined && cb !== undefined) return ca === cb;
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

/** File name extensions each server flavour takes, per file type. */
export function allowedExtensions(filetype: FileType, lenient: boolean): string[] {
  switch (filetype) {
    case "bdist_wheel":
      return [".whl"];
    case "bdist_egg":
      return [".egg"];
    case "sdist":
      // PyPI: PEP 527 left .tar.gz and .zip; older servers (devpi, pypiserver) take more.
      return lenient ? [".tar.gz", ".zip", ".tar.bz2", ".tgz", ".tar.xz"] : [".tar.gz", ".zip"];
  }
}

/** What a distribution file name says about its project and version. */
export interface FilenameInfo {
  filetype: FileType;
  /** Name and version as written in the file name. */
  name: string;
  version: string;
  /** Wheel python tag (`py3`), egg python version (`3.11`); absent for sdists. */
  pythonTag?: string;
}

/** A refusal: the message a Warehouse-like server puts in its 400 answer. */
export class FilenameError extends Error {}

const PEP527_HINT =
  "See https://www.python.org/dev/peps/pep-0527 and https://peps.python.org/pep-0625/ for more information.";

/**
 * Checks `filename` as an upload of `filetype` for the project and version given in the form, and
 * returns what the name says. Throws FilenameError with a Warehouse-style message otherwise.
 * `lenient` is the devpi/pypiserver flavour (more sdist archive formats).
 */
export function checkDistributionFilename(
  filename: string,
  filetype: FileType,
  formName: string,
  formVersion: string,
  lenient: boolean,
): FilenameInfo {
  // Only a plain base name: no directories, no hidden files, printable ASCII.
  if (!/^[A-Za-z0-9][A-Za-z0-9._+!-]*$/.test(filename)) {
    throw new FilenameError(`Invalid distribution file name '${filename}'.`);
  }
  const ext = allowedExtensions(filetype, lenient).find((e) => filename.toLowerCase().endsWith(e));
  if (ext === undefined) {
    const known = FILE_TYPES.flatMap((t) => allowedExtensions(t, lenient));
    if (known.some((e) => filename.toLowerCase().endsWith(e))) {
      throw new FilenameError(
        `Invalid distribution file. File extension does not match filetype '${filetype}'.`,
      );
    }
    throw new FilenameError(
      `Invalid file extension: Use .tar.gz, .whl or .zip extension. ${PEP527_HINT}`,
    );
  }
  const base = filename.slice(0, filename.length - ext.length);
  const info = splitFilename(filename, base, filetype, formName, formVersion);
  if (normalizeName(info.name) !== normalizeName(formName)) {
    throw new FilenameError(
      `Start filename for '${formName}' with '${normalizeName(formName).replace(/-/g, "_")}'.`,
    );
  }
  if (!sameVersion(info.version, formVersion)) {
    throw new FilenameError(
      `Version in filename should be '${formVersion}' not '${info.version}'.`,
    );
  }
  return info;
}

function splitFilename(
  filename: string,
  base: string,
  filetype: FileType,
  formName: string,
  formVersion: string,
): FilenameInfo {
  const parts = base.split("-");
  if (filetype === "bdist_wheel") {
    // {name}-{version}(-{build})?-{python}-{abi}-{platform}; name and version escape `-` as `_`.
    if ((parts.length !== 5 && parts.length !== 6) || parts.some((p) => p === "")) {
      throw new FilenameError(`Invalid wheel filename (wrong number of parts): ${filename}`);
    }
    if (parts.length === 6 && !/^[0-9]/.test(parts[2] ?? "")) {
      throw new FilenameError(`Invalid wheel filename (invalid build number): ${filename}`);
    }
    const [name = "", version = ""] = parts;
    if (!/^[A-Za-z0-9_.]+$/.test(name)) {
      throw new FilenameError(`Invalid wheel filename (invalid project name): ${filename}`);
    }
    return { filetype, name, version, pythonTag: parts[parts.length - 3] ?? "" };
  }
  if (filetype === "bdist_egg") {
    // {name}-{version}-py{X.Y}(-{platform})?
    const [name = "", version = "", py = ""] = parts;
    if (parts.length < 3 || name === "" || version === "" || !/^py[0-9]+(\.[0-9]+)?$/.test(py)) {
      throw new FilenameError(`Invalid egg filename: ${filename}`);
    }
    return { filetype, name, version, pythonTag: py.slice(2) };
  }
  // sdist: {name}-{version}; the name may itself contain `-` (old, non-normalised sdists such as
  // `demo-pkg-0.1.0.tar.gz`), so split where the form's name and version both fit, else report
  // the most useful mismatch.
  if (parts.length < 2) {
    throw new FilenameError(`Invalid sdist filename (no version): ${filename}`);
  }
  let nameOnly: FilenameInfo | undefined;
  for (let i = 1; i < parts.length; i++) {
    const name = parts.slice(0, i).join("-");
    const version = parts.slice(i).join("-");
    if (normalizeName(name) !== normalizeName(formName)) continue;
    if (sameVersion(version, formVersion)) return { filetype, name, version };
    nameOnly ??= { filetype, name, version };
  }
  return (
    nameOnly ?? {
      filetype,
      name: parts.slice(0, -1).join("-"),
      version: parts[parts.length - 1] ?? "",
    }
  );
}

/** The name and version a file name most likely carries, without a form to compare with. */
export function guessFromFilename(filename: string): FilenameInfo | undefined {
  for (const filetype of FILE_TYPES) {
    const ext = allowedExtensions(filetype, true).find((e) => filename.toLowerCase().endsWith(e));
    if (ext === undefined) continue;
    const parts = filename.slice(0, filename.length - ext.length).split("-");
    if (filetype === "sdist") {
      // The version starts at the first part that begins with a digit (or `v` + digit).
      const i = parts.findIndex((p, idx) => idx > 0 && /^v?[0-9]/.test(p));
      if (i < 1) return undefined;
      return { filetype, name: parts.slice(0, i).join("-"), version: parts.slice(i).join("-") };
    }
    const [name, version] = parts;
    if (name === undefined || version === undefined) return undefined;
    return { filetype, name, version };
  }
  return undefined;
}
