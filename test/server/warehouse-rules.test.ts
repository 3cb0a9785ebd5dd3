/**
 * The test server's Warehouse rules as pure functions: each rule's verdict and message, without
 * HTTP. (index-server.test.ts checks the same rules end to end, in Warehouse's order.)
 */
import { describe, expect, it } from "vitest";
import type { Answer } from "./answers.js";
import { Refusal } from "./answers.js";
import {
  authenticate,
  type ContentDigests,
  checkAction,
  checkAttestations,
  checkContentPart,
  checkDigests,
  checkExisting,
  checkFileFields,
  checkFormShape,
  checkMetadata,
  checkOwner,
  type FormFields,
  parseBasic,
  releaseKey,
  type StoreLookup,
  uploadedAnswer,
} from "./warehouse-rules.js";

/** The answer a rule refuses with; fails the test when the rule passes. */
function refusal(rule: () => unknown): Answer {
  try {
    rule();
  } catch (err) {
    if (err instanceof Refusal) return err.answer;
    throw err;
  }
  throw new Error("the rule passed");
}

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

const form = (fields: Record<string, string>): FormFields => Object.entries(fields);

const META = {
  ":action": "file_upload",
  protocol_version: "1",
  metadata_version: "2.1",
  name: "demo",
  version: "1.0",
};

describe(":action", () => {
  it("uploads pass everywhere; register and verify only in devpi mode", () => {
    expect(checkAction(form({ ":action": "file_upload" }), "pypi")).toBe("file_upload");
    expect(checkAction(form({ ":action": "submit" }), "devpi")).toBe("submit");
    const gone = refusal(() => checkAction(form({ ":action": "submit" }), "pypi"));
    expect(gone.status).toBe(410);
    expect(gone.reason).toMatch(/^Project pre-registration is no longer required/);
  });

  it("a missing, documentation or unknown action is refused", () => {
    expect(refusal(() => checkAction([], "pypi")).reason).toBe("Missing ':action' field.");
    expect(refusal(() => checkAction(form({ ":action": "doc_upload" }), "devpi")).status).toBe(410);
    expect(refusal(() => checkAction(form({ ":action": "x" }), "devpi")).reason).toBe(
      "Unknown :action 'x'.",
    );
  });
});

describe("authentication", () => {
  const users = { alice: "secret" };

  it("anonymous servers accept anyone and still name a Basic user", () => {
    expect(authenticate(undefined, {})).toBeUndefined();
    expect(authenticate(basic("bob", "x"), {})).toBe("bob");
  });

  it("with users, only matching credentials pass; wrong or missing ones get Warehouse's 403", () => {
    expect(authenticate(basic("alice", "secret"), { users })).toBe("alice");
    for (const header of [undefined, basic("alice", "wrong"), basic("toString", ""), "Bearer x"]) {
      const answer = refusal(() => authenticate(header, { users }));
      expect(answer.status).toBe(403);
      expect(answer.reason).toMatch(/^Invalid or non-existent authentication information/);
    }
  });

  it("authChallenge answers a missing header with 401 and the realm", () => {
    const answer = refusal(() =>
      authenticate(undefined, { users, authChallenge: true, realm: "devpi" }),
    );
    expect(answer.status).toBe(401);
    expect(answer.headers).toEqual({ "WWW-Authenticate": 'Basic realm="devpi"' });
    expect(
      refusal(() => authenticate(basic("alice", "no"), { users, authChallenge: true })).status,
    ).toBe(403);
  });

  it("parses Basic credentials as UTF-8, the password may contain colons", () => {
    expect(parseBasic(basic("zoë", "a:b"))).toEqual({ user: "zoë", password: "a:b" });
    expect(parseBasic("Basic bm9jb2xvbg==")).toBeUndefined();
    expect(parseBasic(undefined)).toBeUndefined();
  });
});

describe("form shape and core metadata", () => {
  it("protocol_version must be 1 and single-valued fields come once", () => {
    expect(() => checkFormShape(form(META))).not.toThrow();
    expect(refusal(() => checkFormShape(form({ ...META, protocol_version: "2" }))).reason).toBe(
      "Unknown protocol version.",
    );
    const twice = [...form(META), ["name", "other"] as const];
    expect(refusal(() => checkFormShape(twice)).reason).toBe(
      "Field 'name' was sent more than once.",
    );
  });

  it("returns name and version of a valid form", () => {
    expect(checkMetadata(form(META), "pypi", false)).toEqual({ name: "demo", version: "1.0" });
  });

  it("Metadata-Version: required, known, and one packaging knows in pypi mode (not 2.0)", () => {
    const { metadata_version: _mv, ...noVersion } = META;
    expect(refusal(() => checkMetadata(form(noVersion), "pypi", false)).reason).toMatch(
      /^'' is an invalid value for Metadata-Version\. Error: This field is required\./,
    );
    expect(
      refusal(() => checkMetadata(form({ ...META, metadata_version: "3.0" }), "devpi", false))
        .reason,
    ).toMatch(/Use a known metadata version\./);
    expect(
      refusal(() => checkMetadata(form({ ...META, metadata_version: "2.0" }), "pypi", false))
        .reason,
    ).toMatch(/^'2\.0' is not a valid metadata version\./);
    expect(checkMetadata(form({ ...META, metadata_version: "2.0" }), "devpi", false).name).toBe(
      "demo",
    );
    // devpi tolerates a registration without Metadata-Version, as distutils' register sent.
    expect(checkMetadata(form(noVersion), "devpi", true).version).toBe("1.0");
  });

  it("pypi mode refuses a field newer than the declared Metadata-Version", () => {
    const answer = refusal(() =>
      checkMetadata(form({ ...META, license_file: "LICENSE" }), "pypi", false),
    );
    expect(answer.reason).toMatch(/^license-file introduced in metadata version 2\.4, not 2\.1/);
  });

  it("name, version and summary rules", () => {
    const bad = (fields: Record<string, string>, mode: "pypi" | "devpi" = "pypi") =>
      refusal(() => checkMetadata(form({ ...META, ...fields }), mode, false)).reason;
    expect(bad({ name: "-demo" })).toMatch(/^'-demo' is an invalid value for Name/);
    expect(bad({ version: "one" })).toMatch(/Must be a valid PEP 440 version\./);
    expect(checkMetadata(form({ ...META, version: "one" }), "devpi", false).version).toBe("one");
    expect(bad({ version: "1 0" }, "devpi")).toMatch(/Must not contain spaces or '\/'\./);
    expect(bad({ summary: "a\nb" })).toMatch(/Use a single line only\./);
    expect(bad({ summary: "x".repeat(513) })).toMatch(/Use 512 characters or fewer\./);
  });
});

describe("owners", () => {
  const owners = { "Demo.Pkg": ["alice"] };

  it("restricts listed projects (PEP 503 names) to their users", () => {
    expect(() => checkOwner(owners, "demo-pkg", "alice")).not.toThrow();
    expect(() => checkOwner(owners, "other", "bob")).not.toThrow();
    expect(() => checkOwner(undefined, "demo-pkg", "bob")).not.toThrow();
    const answer = refusal(() => checkOwner(owners, "demo_pkg", "bob"));
    expect(answer.status).toBe(403);
    expect(answer.reason).toMatch(/^The user 'bob' isn't allowed to upload to project 'demo_pkg'/);
  });
});

describe("filetype and pyversion", () => {
  const fields = (filetype: string, pyversion?: string) =>
    form({ filetype, ...(pyversion === undefined ? {} : { pyversion }) });

  it("accepts the known pairs", () => {
    expect(checkFileFields(fields("sdist"), "pypi")).toEqual({ filetype: "sdist", pyversion: "" });
    expect(checkFileFields(fields("sdist", "source"), "pypi").pyversion).toBe("source");
    expect(checkFileFields(fields("bdist_wheel", "py3"), "pypi").filetype).toBe("bdist_wheel");
    expect(checkFileFields(fields("bdist_egg", "3.11"), "devpi").filetype).toBe("bdist_egg");
  });

  it("refuses unknown types, eggs on PyPI and wrong pyversions", () => {
    expect(refusal(() => checkFileFields(fields("bdist_msi", "py3"), "pypi")).reason).toMatch(
      /Use a known file type\./,
    );
    expect(refusal(() => checkFileFields(fields("bdist_egg", "3.11"), "pypi")).reason).toBe(
      "Invalid distribution file. .egg uploads are no longer supported.",
    );
    expect(refusal(() => checkFileFields(fields("sdist", "py3"), "pypi")).reason).toMatch(
      /Use 'source' as Python version for an sdist\./,
    );
    expect(refusal(() => checkFileFields(fields("bdist_wheel"), "pypi")).reason).toMatch(
      /Python version is required for binary distribution uploads\./,
    );
  });
});

const FILE: ContentDigests = {
  filename: "demo-1.0.tar.gz",
  size: 10,
  sha256: "a".repeat(64),
  blake2_256: "b".repeat(64),
  md5: "c".repeat(32),
  tooLarge: false,
};
const DEMO = { name: "demo", version: "1.0" };

describe("the content part", () => {
  it("exactly one, within the limit, named for the form's project and version", () => {
    const limits = { mode: "pypi" as const };
    expect(checkContentPart({ contentParts: 1, content: FILE }, DEMO, "sdist", limits)).toBe(FILE);
    expect(refusal(() => checkContentPart({ contentParts: 0 }, DEMO, "sdist", limits)).reason).toBe(
      "Upload payload does not have a file.",
    );
    expect(
      refusal(() => checkContentPart({ contentParts: 2, content: FILE }, DEMO, "sdist", limits))
        .reason,
    ).toBe("Upload payload has more than one 'content' file.");
    const big = { contentParts: 1, content: { ...FILE, tooLarge: true } };
    const tooLarge = refusal(() =>
      checkContentPart(big, DEMO, "sdist", { mode: "pypi", maxFileSize: 3 * 1024 * 1024 }),
    );
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.reason).toMatch(/^File too large\. Limit for project 'demo' is 3 MB\./);
    const other = { contentParts: 1, content: { ...FILE, filename: "other-1.0.tar.gz" } };
    expect(refusal(() => checkContentPart(other, DEMO, "sdist", limits)).reason).toBe(
      "Start filename for 'demo' with 'demo'.",
    );
  });
});

describe("digests and attestations", () => {
  it("pypi mode needs sha256 or blake2_256; devpi accepts none", () => {
    expect(refusal(() => checkDigests([], FILE, "pypi")).reason).toBe(
      "Include at least one message digest.",
    );
    expect(() => checkDigests([], FILE, "devpi")).not.toThrow();
    expect(() =>
      checkDigests(form({ sha256_digest: FILE.sha256.toUpperCase() }), FILE, "pypi"),
    ).not.toThrow();
  });

  it("every digest sent must match, md5 included", () => {
    for (const [name, value] of [
      ["sha256_digest", "0".repeat(64)],
      ["blake2_256_digest", "0".repeat(64)],
      ["md5_digest", "0".repeat(32)],
    ] as const) {
      const fields = form({ blake2_256_digest: FILE.blake2_256, [name]: value });
      expect(refusal(() => checkDigests(fields, FILE, "pypi")).reason).toBe(
        "The digest supplied does not match a digest calculated from the uploaded file.",
      );
    }
  });

  it("attestations must be a JSON array in pypi mode", () => {
    expect(() => checkAttestations(form({ attestations: "[]" }), "pypi")).not.toThrow();
    expect(() => checkAttestations(form({ attestations: "{" }), "devpi")).not.toThrow();
    expect(refusal(() => checkAttestations(form({ attestations: "{}" }), "pypi")).reason).toBe(
      "Invalid attestations supplied during upload: expected a JSON array.",
    );
  });
});

describe("files already there", () => {
  const empty: StoreLookup = {
    byName: () => undefined,
    byBlake2: () => undefined,
    releaseHasSdist: () => false,
  };
  const taken = (sha256: string, blake2_256: string): StoreLookup => ({
    ...empty,
    byName: (f) => (f === FILE.filename ? { sha256, blake2_256 } : undefined),
  });
  const policy = { mode: "pypi" as const, uploadUrl: "http://x/legacy/", user: "alice" };

  it("nothing there: store it", () => {
    expect(checkExisting(empty, FILE, DEMO, "sdist", policy)).toBeUndefined();
  });

  it("the very same file again is accepted (devpi says so)", () => {
    const same = taken(FILE.sha256, FILE.blake2_256);
    expect(checkExisting(same, FILE, DEMO, "sdist", policy)).toMatchObject({
      status: 200,
      body: "",
    });
    expect(checkExisting(same, FILE, DEMO, "sdist", { ...policy, mode: "devpi" })?.body).toBe(
      "Upload of identical file to non volatile index.\n",
    );
  });

  it("other bytes under a taken name: each server's own answer", () => {
    const other = taken("0".repeat(64), "");
    const answer = (existsStyle: "pypi" | "pypiserver" | "nexus" | "artifactory" | "gitlab") =>
      refusal(() => checkExisting(other, FILE, DEMO, "sdist", { ...policy, existsStyle }));
    expect(answer("pypi")).toMatchObject({ status: 400 });
    expect(answer("pypi").reason).toBe(
      `File already exists ('demo-1.0.tar.gz', with blake2_256 hash '${FILE.blake2_256}'). See https://pypi.org/help/#file-name-reuse for more information.`,
    );
    expect(answer("pypiserver").status).toBe(409);
    expect(answer("pypiserver").body).toContain(
      "Package &#39;demo-1.0.tar.gz&#39; already exists!",
    );
    expect(answer("nexus")).toMatchObject({
      status: 400,
      reason: "Repository does not allow updating assets: pypi-hosted",
    });
    expect(JSON.parse(answer("artifactory").body ?? "")).toEqual({
      errors: [
        {
          status: 403,
          message:
            "Not enough permissions to overwrite artifact 'pypi-local:demo/1.0/demo-1.0.tar.gz' (user 'alice' needs DELETE permission).",
        },
      ],
    });
    expect(answer("gitlab")).toMatchObject({ status: 400, contentType: "application/json" });
  });

  it("pypi mode: the same bytes under another name, and a second sdist per release", () => {
    const sameBytes = {
      ...empty,
      byBlake2: (b: string) => (b === FILE.blake2_256 ? {} : undefined),
    };
    expect(refusal(() => checkExisting(sameBytes, FILE, DEMO, "sdist", policy)).reason).toMatch(
      /^File already exists/,
    );
    expect(
      checkExisting(sameBytes, FILE, DEMO, "sdist", { ...policy, mode: "devpi" }),
    ).toBeUndefined();
    const hasSdist = { ...empty, releaseHasSdist: () => true };
    expect(refusal(() => checkExisting(hasSdist, FILE, DEMO, "sdist", policy)).reason).toBe(
      "Only one sdist may be uploaded per release.",
    );
    expect(checkExisting(hasSdist, FILE, DEMO, "bdist_wheel", policy)).toBeUndefined();
  });

  it("answers a stored upload like Warehouse (empty) or devpi (named)", () => {
    expect(uploadedAnswer("pypi", "a.whl").body).toBe("");
    expect(uploadedAnswer("devpi", "a.whl").body).toBe("Upload of a.whl succeeded.\n");
  });

  it("PEP 440-equal versions share a release", () => {
    expect(releaseKey("1.0")).toBe(releaseKey("1.0.0"));
    expect(releaseKey("1.0")).not.toBe(releaseKey("1.0.1"));
  });
});
