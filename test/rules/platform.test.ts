/**
 * Warehouse's wheel platform-tag rule (`_valid_platform_tag`), from the generated data: a table
 * of tags and Warehouse's verdict on each, the first and last of every family.
 */
import { describe, expect, it } from "vitest";
import { isPypiPlatformTag } from "../../src/rules/platform.js";

/** Platform tags and Warehouse's verdict on them (forklift/legacy.py `_valid_platform_tag`). */
const TAGS: Array<[tag: string, allowed: boolean]> = [
  ["any", true],
  ["win_amd64", true],
  ["linux_armv7l", true],
  ["linux_x86_64", false],
  ["linux_aarch64", false],
  ["manylinux1_x86_64", true],
  ["manylinux2014_aarch64", true],
  ["manylinux2014_riscv64", false],
  ["manylinux_2_17_x86_64", true],
  ["manylinux_2_31_riscv64", true],
  ["manylinux_2_17_ppc64", true],
  ["musllinux_1_2_ppc64", false],
  ["musllinux_1_1_aarch64", true],
  ["macosx_10_9_x86_64", true],
  ["macosx_10_15_universal2", true],
  ["macosx_11_0_arm64", true],
  ["macosx_11_1_arm64", false],
  ["macosx_16_0_arm64", false],
  ["macosx_26_0_arm64", true],
  ["macosx_11_0_sparc", false],
  ["ios_13_0_arm64_iphoneos", true],
  ["ios_13_0_arm64_iphonesimulator", true],
  ["android_21_arm64_v8a", true],
  ["android_21_mips", false],
  ["pyemscripten_2024_0_wasm32", true],
  ["emscripten_3_1_58_wasm32", false],
  ["cygwin_x86_64", false],
];

describe("PyPI's platform tags", () => {
  it.each(TAGS)("%s -> %s", (tag, allowed) => {
    expect(isPypiPlatformTag(tag)).toBe(allowed);
  });
});
