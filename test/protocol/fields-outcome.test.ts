import { describe, expect, it } from "vitest";
import { metadataFields, registerFields, uploadFields } from "../../src/protocol/fields.js";
import {
  classifyRegister,
  classifyUpload,
  describeResponse,
  isAlreadyExists,
} from "../../src/protocol/outcome.js";
import type { HttpResponse } from "../../src/transport/http.js";
import { dist } from "../helpers/builders.js";

const response = (status: number, statusText: string, body = "", headers = {}): HttpResponse => ({
  status,
  statusText,
  body,
  headers,
});

describe("metadata form fields", () => {
  it("uses twine 7's field names, repeats multi-valued fields, drops unknown headers", () => {
    const fields = metadataFields({
      fields: [
        ["Metadata-Version", "2.4"],
        ["Name", "demo"],
        ["Home-page", "https://example.org"],
        ["Classifier", "A"],
        ["Classifier", "B"],
        ["Project-URL", "Docs,https://docs "],
        ["License-File", "LICENSE"],
        ["Supported-Platform", "x"],
        ["Author-email", "a@b"],
        ["Import-Name", "demo"],
        ["Keywords", "a,b ,  c d"],
        ["X-Custom", "not sent"],
        ["Summary", "first"],
        ["Summary", "second"],
      ],
      body: "Long description",
    });
    expect(fields).toEqual([
      ["metadata_version", "2.4"],
      ["name", "demo"],
      ["home_page", "https://example.org"],
      ["classifiers", "A"],
      ["classifiers", "B"],
      ["project_urls", "Docs, https://docs"],
      ["license_file", "LICENSE"],
      ["supported_platform", "x"],
      ["author_email", "a@b"],
      ["import_name", "demo"],
      ["keywords", "a, b, c d"],
      // A repeated single-use field goes as written (inspection refuses such files).
      ["summary", "first"],
      ["summary", "second"],
      ["description", "Long description"],
    ]);
  });

  it("drops License-File below Metadata-Version 2.4, as twine 7 does (PyPI refuses it)", () => {
    for (const mv of ["1.0", "2.1", "2.2", "2.3"]) {
      const fields = metadataFields({
        fields: [
          ["Metadata-Version", mv],
          ["License-File", "LICENSE"],
        ],
      });
      expect(fields, mv).toEqual([["metadata_version", mv]]);
    }
    expect(
      metadataFields({
        fields: [
          ["Metadata-Version", "2.10"],
          ["License-File", "LICENSE"],
        ],
      }),
    ).toContainEqual(["license_file", "LICENSE"]);
  });

  it("sends Project-URLs as written when a label repeats (packaging leaves them unparsed)", () => {
    const fields = metadataFields({
      fields: [
        ["Project-URL", "Docs , https://a"],
        ["Project-URL", "Docs, https://b"],
      ],
    });
    expect(fields).toEqual([
      ["project_urls", "Docs , https://a"],
      ["project_urls", "Docs, https://b"],
    ]);
  });

  it("builds upload and register forms with the protocol fields", () => {
    const d = dist("collective.foo", "1.0");
    const upload = uploadFields(d, { sha256: "s", blake2_256: "b", md5: "m" }, { comment: "hi" });
    const names = upload.map(([n]) => n);
    expect(upload.slice(0, 7)).toEqual([
      [":action", "file_upload"],
      ["protocol_version", "1"],
      ["name", "collective.foo"],
      ["version", "1.0"],
      ["metadata_version", "2.1"],
      ["filetype", "bdist_wheel"],
      ["pyversion", "py3"],
    ]);
    expect(names.filter((n) => n === "name")).toHaveLength(1);
    expect(upload).toContainEqual(["requires_python", ""]);
    expect(upload).toContainEqual(["sha256_digest", "s"]);
    expect(upload).toContainEqual(["blake2_256_digest", "b"]);
    expect(upload).toContainEqual(["md5_digest", "m"]);
    expect(upload).toContainEqual(["comment", "hi"]);
    // No md5 computed (the default): no md5_digest field, as twine 7 and `uv publish`.
    const plain = uploadFields(d, { sha256: "s", blake2_256: "b" }).map(([n]) => n);
    expect(plain.filter((n) => n.endsWith("_digest"))).toEqual([
      "sha256_digest",
      "blake2_256_digest",
    ]);
    const register = registerFields(d);
    expect(register[0]).toEqual([":action", "submit"]);
    expect(register.map(([n]) => n)).not.toContain("sha256_digest");
  });
});

describe("server answers", () => {
  it("recognises every server's 'already exists' answer", () => {
    expect(isAlreadyExists(response(409, "Conflict"))).toBe(true);
    expect(isAlreadyExists(response(400, "File already exists ('a.whl')"))).toBe(true);
    expect(
      isAlreadyExists(response(400, "Bad Request", "<p>Package 'a.whl' already exists!</p>")),
    ).toBe(true);
    expect(
      isAlreadyExists(response(400, "Bad Request", "Repository does not allow updating assets")),
    ).toBe(true);
    expect(
      isAlreadyExists(response(403, "Forbidden", "Not enough permissions to overwrite artifact x")),
    ).toBe(true);
    expect(
      isAlreadyExists(
        response(400, "Bad Request", "Validation failed: File name has already been taken"),
      ),
    ).toBe(true);
    expect(isAlreadyExists(response(400, "Invalid version"))).toBe(false);
    expect(
      isAlreadyExists(response(403, "Invalid or non-existent authentication information.")),
    ).toBe(false);
  });

  it("skips only with --skip-existing", () => {
    const r = response(400, "File already exists");
    expect(classifyUpload(r, { url: "u" }, { skipExisting: false }).status).toBe("failed");
    expect(classifyUpload(r, { url: "u" }, { skipExisting: true }).status).toBe("skipped");
  });

  it("explains redirects, 405 and auth failures", () => {
    const redirect = classifyUpload(
      response(301, "Moved Permanently", "", { location: "https://x/legacy/" }),
      { url: "https://x/legacy" },
      {
        skipExisting: false,
      },
    );
    expect(redirect.status).toBe("failed");
    expect(redirect.reason).toMatch(/redirects https:\/\/x\/legacy to https:\/\/x\/legacy\//);
    const simple = classifyUpload(
      response(405, "Method Not Allowed"),
      { url: "https://x/root/pypi/+simple/" },
      { skipExisting: false },
    );
    expect(simple.reason).toMatch(
      /is https:\/\/x\/root\/pypi\/\+simple\/ the upload URL\? It looks like a simple index .*uploads usually go to https:\/\/x\/root\/pypi\/\)$/,
    );
    expect(simple.code).toBe("not-found");
    const notFound = classifyUpload(
      response(404, "Not Found"),
      { url: "https://x/up/", checkUrl: "https://x/simple/" },
      { skipExisting: false },
    );
    expect(notFound.reason).toMatch(
      /is https:\/\/x\/up\/ the upload URL\? \(the simple index is at https:\/\/x\/simple\/\)/,
    );
    const auth = classifyUpload(response(403, "Forbidden"), { url: "u" }, { skipExisting: false });
    expect(auth.reason).toMatch(/user name and password/);
    expect(auth.code).toBe("auth");
  });

  it("gives every refusal a reason code", () => {
    const code = (status: number, text: string, body = "") =>
      classifyUpload(response(status, text, body), { url: "u" }, { skipExisting: false }).code;
    expect(code(400, "File already exists ('a.whl')")).toBe("already-exists");
    expect(code(409, "Conflict")).toBe("already-exists");
    expect(code(401, "Unauthorized")).toBe("auth");
    expect(
      code(403, "The user 'bob' isn't allowed to upload to project 'x'. See https://pypi.org/help"),
    ).toBe("forbidden");
    expect(code(400, "Invalid value for version")).toBe("invalid-file");
    expect(code(413, "Payload Too Large")).toBe("too-large");
    expect(code(429, "Too Many Requests")).toBe("rate-limited");
    expect(code(502, "Bad Gateway")).toBe("server-error");
    expect(code(307, "Temporary Redirect")).toBe("redirect");
    expect(code(418, "I'm a teapot")).toBe("http-error");
  });

  it("an 'already exists' failure hints at --skip-existing and check-url", () => {
    const r = response(400, "File already exists ('a.whl')");
    expect(classifyUpload(r, { url: "u" }, { skipExisting: false }).reason).toMatch(
      /--skip-existing, or a check-url for this server/,
    );
    expect(
      classifyUpload(r, { url: "u", checkUrl: "https://x/simple/" }, { skipExisting: false })
        .reason,
    ).toMatch(/--skip-existing treats it as done\)$/);
  });

  it("treats register 410 as not needed", () => {
    expect(classifyRegister(response(410, "Gone"), { url: "u" }).status).toBe("not-needed");
    expect(classifyRegister(response(200, "OK"), { url: "u" }).status).toBe("registered");
    expect(classifyRegister(response(500, "Oops"), { url: "u" }).status).toBe("failed");
  });

  it("trims HTML bodies to one line", () => {
    const text = describeResponse(
      response(
        400,
        "Bad Request",
        "<html><body><h1>400</h1>\n<p>Package &#39;a&#39; already exists!</p></body></html>",
      ),
    );
    expect(text).toBe("400 Bad Request: 400 Package 'a' already exists!");
  });

  it("pypiserver's bottle page: entities decoded, the status and boilerplate said once", () => {
    const page = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html>\n<head>\n<title>Error: 409 Conflict</title>\n</head>\n<body>\n<h1>Error: 409 Conflict</h1>\n<p>Sorry, the requested URL <tt>&#039;http://h/&#039;</tt> caused an error:</p>\n<pre>Package &#039;a-1.0.tar.gz&#039; already exists!</pre>\n</body>\n</html>\n`;
    expect(describeResponse(response(409, "Conflict", page))).toBe(
      "409 Conflict: Package 'a-1.0.tar.gz' already exists!",
    );
  });

  it("a message repeated in the body appears once, on one line", () => {
    expect(
      describeResponse(
        response(
          400,
          "Bad Request",
          "Invalid version.\n\nInvalid version.\n  See the docs &amp; FAQ.",
        ),
      ),
    ).toBe("400 Bad Request: Invalid version. See the docs & FAQ.");
  });
});

describe("loopback detection", async () => {
  const { isLoopbackHost } = await import("../../src/credentials/transport-safety.js");
  it("knows loopback in every spelling the URL parser produces", () => {
    for (const host of [
      "127.0.0.1",
      "127.1.2.3",
      "localhost",
      "[::1]",
      new URL("http://[::ffff:127.0.0.1]/").hostname,
    ]) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ["10.0.0.1", "example.org", "foo.localhost", "[::2]", "128.0.0.1"]) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });
});
