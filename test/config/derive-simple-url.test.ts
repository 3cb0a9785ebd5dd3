import { describe, expect, it } from "vitest";
import { deriveSimpleUrl } from "../../src/config/derive-simple-url.js";

/** Upload URL -> [simple URL, kind] as each product documents it (docs/protocol.md). */
const CASES: Array<[string, string, string]> = [
  ["https://upload.pypi.org/legacy/", "https://pypi.org/simple/", "PyPI"],
  ["https://test.pypi.org/legacy/", "https://test.pypi.org/simple/", "PyPI"],
  [
    "https://my_domain-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/my_repo/",
    "https://my_domain-111122223333.d.codeartifact.us-west-2.amazonaws.com/pypi/my_repo/simple/",
    "AWS CodeArtifact",
  ],
  [
    "https://europe-west1-python.pkg.dev/proj/repo/",
    "https://europe-west1-python.pkg.dev/proj/repo/simple/",
    "Google Artifact Registry",
  ],
  [
    "https://pkgs.dev.azure.com/org/proj/_packaging/feed/pypi/upload/",
    "https://pkgs.dev.azure.com/org/proj/_packaging/feed/pypi/simple/",
    "Azure Artifacts",
  ],
  [
    "https://acme.jfrog.io/artifactory/api/pypi/pypi-local",
    "https://acme.jfrog.io/artifactory/api/pypi/pypi-local/simple/",
    "JFrog Artifactory",
  ],
  [
    "https://gitlab.example.com/api/v4/projects/42/packages/pypi",
    "https://gitlab.example.com/api/v4/projects/42/packages/pypi/simple/",
    "GitLab",
  ],
  [
    "https://gitea.example.com/api/packages/acme/pypi",
    "https://gitea.example.com/api/packages/acme/pypi/simple/",
    "Gitea/Forgejo",
  ],
  [
    "http://nexus.example:8081/repository/pypi-internal/",
    "http://nexus.example:8081/repository/pypi-internal/simple/",
    "Sonatype Nexus",
  ],
  ["http://127.0.0.1:8000/legacy/", "http://127.0.0.1:8000/simple/", "Warehouse"],
  ["https://pypi.acme.example/simple/", "https://pypi.acme.example/simple/", "pypicloud"],
  ["https://devpi.example/alice/dev/", "https://devpi.example/alice/dev/+simple/", "devpi"],
  ["https://devpi.example/alice/dev", "https://devpi.example/alice/dev/+simple/", "devpi"],
  ["http://localhost:8080/", "http://localhost:8080/simple/", "pypiserver"],
];

describe("simple index URLs derived from upload URLs", () => {
  it.each(CASES)("%s -> %s (%s)", (upload, simple, kind) => {
    const derived = deriveSimpleUrl(upload);
    expect(derived).toMatchObject({ url: simple, kind });
    expect(derived?.certain).toBe(kind === "PyPI");
  });

  it("no rule: unknown layouts, query strings, other schemes", () => {
    expect(deriveSimpleUrl("https://uploads.example/a/b/c/")).toBeUndefined();
    expect(deriveSimpleUrl("https://uploads.example/upload?token=1")).toBeUndefined();
    expect(deriveSimpleUrl("ftp://uploads.example/")).toBeUndefined();
    expect(deriveSimpleUrl("not a url")).toBeUndefined();
    // devpi's own + paths are not indexes.
    expect(deriveSimpleUrl("https://devpi.example/+api/x/")).toBeUndefined();
  });

  it("the simple URL stays on the upload URL's origin (credentials may follow it)", () => {
    for (const [upload] of CASES.filter(([, , kind]) => kind !== "PyPI")) {
      const derived = deriveSimpleUrl(upload);
      expect(new URL(derived?.url ?? "").origin).toBe(new URL(upload).origin);
    }
  });
});
