// The legacy upload form scenario 7's reference clients send for a benchmark file (curl's floor in
// scenario-sync.mjs, the plain Node client in sync-minimal-client.mjs): the fields the strict
// test server, like PyPI, requires, and nothing read from the file but its name and sha256.

/**
 * @param {string} filename a file of bench/make_dists.py's release (NAME-VERSION[-TAGS].whl or
 *   NAME-VERSION.tar.gz)
 * @param {string} sha256 its digest, hex
 * @returns {Record<string, string>}
 */
export function syncFormFields(filename, sha256) {
  const wheel = filename.endsWith(".whl");
  const [name = "", version = "", pyversion = "py3"] = filename
    .replace(/\.tar\.gz$/, "")
    .split("-");
  return {
    ":action": "file_upload",
    protocol_version: "1",
    metadata_version: "2.1",
    name,
    version,
    summary: "pkgpush benchmark payload",
    filetype: wheel ? "bdist_wheel" : "sdist",
    pyversion: wheel ? pyversion : "source",
    sha256_digest: sha256,
  };
}
