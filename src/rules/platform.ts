/**
 * Warehouse's wheel platform-tag rule (`_valid_platform_tag` in forklift/legacy.py), from the
 * generated data (data/warehouse.json). Python's `re.match`: anchored at the start only.
 */
import { PLATFORM_RULES as R } from "./data.js";

export function isPypiPlatformTag(tag: string): boolean {
  if (R.allowed.has(tag)) return true;
  const mac = R.macosx.exec(tag)?.groups;
  if (mac && R.macosxArches.has(mac.arch as string)) {
    // `macosx_10_{minor}` for the 10.x series, `macosx_{major}_0` after it.
    if (mac.major === "10") return true;
    if (R.macosxMajors.has(mac.major as string) && mac.minor === "0") return true;
  }
  const linux = R.linux.exec(tag)?.groups;
  if (linux?.libc === "musl") return R.musllinuxArches.has(linux.arch as string);
  if (linux?.libc === "many") return R.manylinuxArches.has(linux.arch as string);
  const ios = R.ios.exec(tag)?.groups;
  if (ios && R.iosArches.has(ios.arch as string)) return true;
  const android = R.android.exec(tag)?.groups;
  if (android && R.androidArches.has(android.arch as string)) return true;
  return R.pyemscripten.test(tag);
}
