/**
 * Warehouse's field-vs-Metadata-Version rule (packaging's `Metadata.from_raw`, applied by PyPI
 * to the upload form): a form field the declared Metadata-Version does not have is refused.
 * Written here independently of src/ (the server is the client's oracle).
 */

/** Metadata-Versions packaging accepts, oldest first (2.0 is not one of them). */
export const PACKAGING_METADATA_VERSIONS = ["1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"];

/** Form field -> [core metadata name as packaging prints it, version that introduced it]. */
const FIELD_VERSIONS: Record<string, [string, string]> = {
  supported_platform: ["supported-platform", "1.1"],
  download_url: ["download-url", "1.1"],
  classifiers: ["classifier", "1.1"],
  requires: ["requires", "1.1"],
  provides: ["provides", "1.1"],
  obsoletes: ["obsoletes", "1.1"],
  maintainer: ["maintainer", "1.2"],
  maintainer_email: ["maintainer-email", "1.2"],
  requires_dist: ["requires-dist", "1.2"],
  requires_python: ["requires-python", "1.2"],
  requires_external: ["requires-external", "1.2"],
  project_urls: ["project-url", "1.2"],
  provides_dist: ["provides-dist", "1.2"],
  obsoletes_dist: ["obsoletes-dist", "1.2"],
  description_content_type: ["description-content-type", "2.1"],
  provides_extra: ["provides-extra", "2.1"],
  dynamic: ["dynamic", "2.2"],
  license_expression: ["license-expression", "2.4"],
  license_file: ["license-file", "2.4"],
  import_name: ["import-name", "2.5"],
  import_namespace: ["import-namespace", "2.5"],
};

/**
 * packaging's message for the first form field newer than `metadataVersion`, or undefined.
 * Empty values are ignored, as Warehouse treats them as absent.
 */
export function fieldTooNew(
  fields: ReadonlyArray<readonly [string, string]>,
  metadataVersion: string,
): string | undefined {
  const declared = PACKAGING_METADATA_VERSIONS.indexOf(metadataVersion);
  if (declared < 0) return undefined;
  for (const [name, value] of fields) {
    const rule = FIELD_VERSIONS[name];
    if (!rule || value === "") continue;
    if (PACKAGING_METADATA_VERSIONS.indexOf(rule[1]) > declared)
      return `${rule[0]} introduced in metadata version ${rule[1]}, not ${metadataVersion}`;
  }
  return undefined;
}
