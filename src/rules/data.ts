/**
 * The data PyPI's rules use, generated from their sources by `npm run rules-data`
 * (scripts/rules-data.py; each file names its source and commit): trove-classifiers, packaging's
 * SPDX tables, the standard-library names Warehouse forbids as project names, and Warehouse's
 * platform-tag and metadata constants.
 */
import classifiersData from "./data/classifiers.json" with { type: "json" };
import spdxData from "./data/spdx.json" with { type: "json" };
import stdlibData from "./data/stdlib.json" with { type: "json" };
import warehouseData from "./data/warehouse.json" with { type: "json" };

export const CLASSIFIERS: ReadonlySet<string> = new Set(classifiersData.classifiers);
/** Deprecated classifier -> the classifiers that replace it (possibly none). */
export const DEPRECATED_CLASSIFIERS: ReadonlyMap<string, string[]> = new Map(
  Object.entries(classifiersData.deprecated as Record<string, string[]>),
);
/** Lower-cased SPDX id -> its spelling. */
export const SPDX_LICENSES: Readonly<Record<string, string>> = spdxData.licenses;
export const SPDX_EXCEPTIONS: Readonly<Record<string, string>> = spdxData.exceptions;
export const STDLIB_NAMES: ReadonlySet<string> = new Set(stdlibData.names);

const p = warehouseData.platforms;
export const PLATFORM_RULES = {
  allowed: new Set(p.allowed_platforms),
  macosx: new RegExp(`^${p.macosx_platform_re}`, "s"),
  macosxArches: new Set(p.macosx_arches),
  macosxMajors: new Set(p.macosx_major_versions),
  ios: new RegExp(`^${p.ios_platform_re}`, "s"),
  iosArches: new Set(p.ios_arches),
  android: new RegExp(`^${p.android_platform_re}`, "s"),
  androidArches: new Set(p.android_arches),
  linux: new RegExp(`^${p.linux_platform_re}`, "s"),
  manylinuxArches: new Set(p.manylinux_arches),
  musllinuxArches: new Set(p.musllinux_arches),
  pyemscripten: new RegExp(`^${p.pyemscripten_platform_re}`, "s"),
};

export const SUPPORTED_METADATA_VERSIONS: readonly string[] =
  warehouseData.metadata.SUPPORTED_METADATA_VERSIONS;
export const DYNAMIC_FIELDS: ReadonlySet<string> = new Set(
  warehouseData.metadata.DYNAMIC_FIELDS.map((f) => f.toLowerCase()),
);
export const SUMMARY_LIMIT: number = warehouseData.metadata._LENGTH_LIMITS.summary;
