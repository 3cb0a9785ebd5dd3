/**
 * What PyPI refuses in a file whatever its content, known from the file name and version alone:
 * Warehouse's file types and extensions (forklift/forms.py, `_validate_filename`), its wheel
 * platform tags (`_valid_platform_tag` in forklift/legacy.py) and its no-local-versions rule
 * (forklift/metadata.py). Messages are Warehouse's own. Checked against Warehouse's code in
 * test/distributions/pypi-file-rules.test.ts.
 */
import { normalizeVersion } from "./filename.js";
import type { Distribution } from "./types.js";

export interface FileProblem {
  field: string;
  /** Warehouse's words. */
  reason: string;
  fix: string;
}

const STATIC_PLATFORMS = new Set([
  "any",
  "win32",
  "win_arm64",
  "win_amd64",
  "win_ia64",
  "manylinux1_x86_64",
  "manylinux1_i686",
  "manylinux2010_x86_64",
  "manylinux2010_i686",
  "manylinux2014_x86_64",
  "manylinux2014_i686",
  "manylinux2014_aarch64",
  "manylinux2014_armv7l",
  "manylinux2014_ppc64",
  "manylinux2014_ppc64le",
  "manylinux2014_s390x",
  "linux_armv6l",
  "linux_armv7l",
]);
const MACOS_ARCHES = new Set(
  "ppc ppc64 i386 x86_64 arm64 intel fat fat3 fat64 universal universal2".split(" "),
);
const MACOS_MAJORS = new Set(["11", "12", "13", "14", "15", "26"]);
const LINUX_ARCHES = new Set("x86_64 i686 aarch64 armv7l ppc64le s390x riscv64".split(" "));
const IOS_ARCHES = new Set(["arm64", "x86_64"]);
const ANDROID_ARCHES = new Set(["armeabi_v7a", "arm64_v8a", "x86", "x86_64"]);

/** Warehouse's rule for one platform tag (Python's `re.match`: anchored at the start only). */
export function isPypiPlatformTag(tag: string): boolean {
  if (STATIC_PLATFORMS.has(tag)) return true;
  const mac = /^macosx_(\d+)_(\d+)_(.*)$/s.exec(tag);
  if (mac && MACOS_ARCHES.has(mac[3] as string)) {
    if (mac[1] === "10" || (MACOS_MAJORS.has(mac[1] as string) && mac[2] === "0")) return true;
  }
  const linux = /^(many|musl)linux_\d+_\d+_(.*)$/s.exec(tag);
  if (linux) {
    const arch = linux[2] as string;
    return LINUX_ARCHES.has(arch) || (linux[1] === "many" && arch === "ppc64");
  }
  const ios = /^ios_\d+_\d+_(.*)_(iphoneos|iphonesimulator)/s.exec(tag);
  if (ios && IOS_ARCHES.has(ios[1] as string)) return true;
  const android = /^android_\d+_(.*)$/s.exec(tag);
  if (android && ANDROID_ARCHES.has(android[1] as string)) return true;
  return /^pyemscripten_\d+_\d+_wasm32/.test(tag);
}

/** The problems PyPI would find with this file before reading it. */
export function pypiFileProblems(dist: Distribution): FileProblem[] {
  const problems: FileProblem[] = [];
  const { filename } = dist;
  if (dist.parsed.kind === "egg") {
    problems.push({
      field: "filetype",
      reason: "Invalid value for filetype. Error: Use a known file type.",
      fix: "PyPI takes wheels and .tar.gz sdists only: build a wheel (python -m build --wheel)",
    });
  } else if (dist.parsed.kind === "sdist" && !filename.endsWith(".tar.gz")) {
    problems.push({
      field: "filename",
      reason: filename.endsWith(".zip")
        ? `Filename '${filename}' is invalid, should be '${dist.normalizedName.replace(/-/g, "_")}-${normalizeVersion(dist.version) ?? dist.version}.tar.gz'.`
        : "Invalid file extension: Use .tar.gz, .whl or .zip extension.",
      fix: "build a .tar.gz sdist (python -m build --sdist)",
    });
  }
  if (dist.version.includes("+")) {
    problems.push({
      field: "version",
      // Warehouse quotes packaging's normal form of the version.
      reason: `The use of local versions in '${normalizeVersion(dist.version) ?? dist.version}' is not allowed.`,
      fix: "release a version without the +local part to PyPI, or send this build only to other indexes",
    });
  }
  // Warehouse stops at the first tag it refuses.
  const refusedTag = dist.parsed.platforms?.find((tag) => !isPypiPlatformTag(tag));
  if (refusedTag !== undefined) {
    problems.push({
      field: "filename",
      reason: `Binary wheel '${filename}' has an unsupported platform tag '${refusedTag}'.`,
      fix: "repair the wheel to a manylinux/musllinux tag (auditwheel repair), or send it only to other indexes",
    });
  }
  return problems;
}
