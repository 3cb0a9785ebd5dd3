// @ts-check
// The licence notices of the packages bundled into dist/: MIT, ISC and Apache-2.0 all ask that
// the notice travel with copies of the code, and the bundle is such a copy.
import { readdirSync, readFileSync } from "node:fs";

/**
 * Text of THIRD-PARTY-NOTICES.txt from an esbuild metafile (packages whose files were bundled).
 * @param {import("esbuild").Metafile} metafile
 * @param {URL} root the repository folder
 * @returns {string}
 */
export function thirdPartyNotices(metafile, root) {
  const packages = new Map();
  for (const input of Object.keys(metafile.inputs)) {
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (!match) continue;
    const dir = input.slice(0, match.index + match[0].length);
    packages.set(match[1], dir.replace(/^\//, ""));
  }
  const sections = [...packages]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, dir]) => {
      const base = new URL(dir, root);
      const meta = JSON.parse(readFileSync(new URL("package.json", base), "utf8"));
      const licenceFile = readdirSync(base).find((f) => /^(licen[cs]e|copying)(\.|$)/i.test(f));
      const text = licenceFile
        ? readFileSync(new URL(licenceFile, base), "utf8").trim()
        : `License: ${meta.license ?? "see the package"}`;
      return `${name} ${meta.version} (${meta.license ?? "unknown"})\n\n${text}\n`;
    });
  return `pkgpush bundles the following packages; their notices follow.\n\n${sections.join(`\n${"-".repeat(72)}\n\n`)}`;
}
