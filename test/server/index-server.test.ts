import { createHash, randomBytes } from "node:crypto";
import { readdir, readFile, rm } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type IndexServer,
  type IndexServerOptions,
  sanitizeReason,
  startIndexServer,
  wantsJson,
} from "./index-server.js";
import {
  buildMultipart,
  closing,
  type FormPart,
  partHead,
  type UploadFormOptions,
  uploadParts,
} from "./multipart.js";
import { basicAuth, httpRequest, postForm, writeChunk } from "./test-client.js";

const ALICE: [string, string] = ["alice", "secret"];
const servers: IndexServer[] = [];

async function start(options: IndexServerOptions = {}): Promise<IndexServer> {
  const server = await startIndexServer({ users: { alice: "secret" }, ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const SDIST = "demo_pkg-1.0.tar.gz";
const WHEEL = "demo_pkg-1.0-py3-none-any.whl";

async function upload(
  server: IndexServer,
  filename: string,
  data: string | Buffer,
  extra: Partial<UploadFormOptions> = {},
  auth: [string, string] | null = ALICE,
) {
  const parts = await uploadParts({ filename, data, ...extra });
  return postForm(server.uploadUrl, parts, auth ? { auth } : {});
}

async function incomingFiles(server: IndexServer): Promise<string[]> {
  return readdir(path.join(server.storeDir, ".incoming"));
}

describe("good uploads", () => {
  it("stores a file and lists it in the simple index (JSON and HTML) and serves it", async () => {
    const server = await start();
    const data = "sdist bytes";
    const res = await upload(server, SDIST, data, {
      name: "Demo.Pkg",
      extra: [["requires_python", ">=3.8"]],
    });
    expect(res.status).toBe(200);

    const [file] = server.files();
    const sha256 = createHash("sha256").update(data).digest("hex");
    expect(file).toMatchObject({
      filename: SDIST,
      project: "Demo.Pkg",
      normalizedName: "demo-pkg",
      version: "1.0",
      sha256,
      size: 11,
      uploader: "alice",
    });
    expect(await readFile(file?.path ?? "", "utf8")).toBe(data);
    expect(await incomingFiles(server)).toEqual([]);

    const json = await httpRequest(`${server.simpleUrl}demo-pkg/`, {
      headers: { Accept: "application/vnd.pypi.simple.v1+json" },
    });
    expect(json.status).toBe(200);
    expect(json.headers["content-type"]).toBe("application/vnd.pypi.simple.v1+json");
    expect(JSON.parse(json.text)).toMatchObject({
      meta: { "api-version": "1.1" },
      name: "demo-pkg",
      versions: ["1.0"],
      files: [
        {
          filename: SDIST,
          url: `${server.filesUrl}${SDIST}`,
          hashes: { sha256 },
          "requires-python": ">=3.8",
          size: 11,
        },
      ],
    });

    const html = await httpRequest(`${server.simpleUrl}demo-pkg/`);
    expect(html.headers["content-type"]).toMatch(/^text\/html/);
    expect(html.text).toContain(
      `<a href="../../files/${SDIST}#sha256=${sha256}" data-requires-python="&#62;=3.8">${SDIST}</a>`,
    );

    const download = await httpRequest(`${server.filesUrl}${SDIST}`);
    expect(download.status).toBe(200);
    expect(download.text).toBe(data);

    const list = await httpRequest(server.simpleUrl, {
      headers: { Accept: "application/vnd.pypi.simple.v1+json" },
    });
    expect(JSON.parse(list.text).projects).toEqual([{ name: "demo-pkg" }]);
    expect((await httpRequest(server.simpleUrl)).text).toContain(
      '<a href="demo-pkg/">demo-pkg</a>',
    );
  });

  it("records the request: fields in order, file digests, redacted credentials", async () => {
    const server = await start();
    await upload(server, WHEEL, "wheel", {
      extra: [
        ["classifiers", "A :: B"],
        ["classifiers", "C :: D"],
        ["description", "Ünïcödé ☃ text"],
      ],
    });
    const rec = server.requests[0];
    expect(rec).toMatchObject({
      method: "POST",
      path: "/legacy/",
      action: "file_upload",
      status: 200,
      outcome: "answered",
      chunked: false,
      user: "alice",
    });
    expect(rec?.headers.authorization).toBe("Basic alice");
    expect(rec?.contentLength).toBe(rec?.bodyBytes);
    expect(rec?.fields.slice(0, 3)).toEqual([
      [":action", "file_upload"],
      ["protocol_version", "1"],
      ["metadata_version", "2.1"],
    ]);
    expect(rec?.fields.filter(([k]) => k === "classifiers").map(([, v]) => v)).toEqual([
      "A :: B",
      "C :: D",
    ]);
    expect(rec?.fields.find(([k]) => k === "description")?.[1]).toBe("Ünïcödé ☃ text");
    expect(rec?.file).toMatchObject({
      filename: WHEEL,
      size: 5,
      contentType: "application/octet-stream",
      sha256: createHash("sha256").update("wheel").digest("hex"),
    });
  });

  it("accepts non-normalised file names that agree with the form (PEP 503 / PEP 440 compare)", async () => {
    const server = await start();
    expect(
      (await upload(server, "Demo-Pkg-1.0.0.tar.gz", "a", { name: "demo_pkg", version: "1.0" }))
        .status,
    ).toBe(200);
    expect(
      (
        await upload(server, "Products.HelloWorld-1.2.3-py3-none-any.whl", "b", {
          name: "products-helloworld",
          version: "v1.2.3",
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await upload(server, "demo_pkg-2.0rc1-1-py2.py3-none-any.whl", "c", {
          name: "demo-pkg",
          version: "2.0-RC.1",
          pyversion: "py2.py3",
        })
      ).status,
    ).toBe(200);
    expect(server.projects().map((p) => p.normalizedName)).toEqual([
      "demo-pkg",
      "products-helloworld",
    ]);
  });

  it("records a gpg signature and attestations", async () => {
    const server = await start();
    const parts: FormPart[] = await uploadParts({
      filename: SDIST,
      data: "x",
      extra: [["attestations", "[]"]],
    });
    parts.push({
      name: "gpg_signature",
      filename: `${SDIST}.asc`,
      data: "-----BEGIN PGP SIGNATURE-----",
    });
    expect((await postForm(server.uploadUrl, parts, { auth: ALICE })).status).toBe(200);
    expect(server.files()[0]).toMatchObject({
      signature: { filename: `${SDIST}.asc`, size: 29 },
      attestations: "[]",
    });
    expect(server.requests[0]?.signature).toEqual({ filename: `${SDIST}.asc`, size: 29 });
  });

  it("streams a 50 MB upload to disk", async () => {
    const server = await start();
    const chunk = randomBytes(1024 * 1024);
    const chunks = 50;
    const sha = createHash("sha256");
    for (let i = 0; i < chunks; i++) sha.update(chunk);
    const sha256 = sha.digest("hex");
    const boundary = "big-upload-boundary";
    const fields: FormPart[] = [
      { name: ":action", value: "file_upload" },
      { name: "protocol_version", value: "1" },
      { name: "metadata_version", value: "2.1" },
      { name: "name", value: "big" },
      { name: "version", value: "1.0" },
      { name: "filetype", value: "sdist" },
      { name: "pyversion", value: "source" },
      { name: "sha256_digest", value: sha256 },
    ];
    const head = Buffer.concat([
      ...fields.map((f) =>
        Buffer.concat([partHead(boundary, f), Buffer.from(`${"value" in f ? f.value : ""}\r\n`)]),
      ),
      partHead(boundary, { name: "content", filename: "big-1.0.tar.gz", data: "" }),
    ]);
    const tail = Buffer.concat([Buffer.from("\r\n"), closing(boundary)]);
    const res = await httpRequest(server.uploadUrl, {
      method: "POST",
      headers: {
        "Content-Type": `multipart/form-data; boundary=${boundary}`,
        "Content-Length": head.length + chunks * chunk.length + tail.length,
        Authorization: basicAuth(...ALICE),
      },
      body: async (req) => {
        await writeChunk(req, head);
        for (let i = 0; i < chunks; i++) await writeChunk(req, chunk);
        req.end(tail);
      },
    });
    expect(res.reason).toBe("OK");
    expect(server.files()[0]).toMatchObject({
      filename: "big-1.0.tar.gz",
      size: 50 * 1024 * 1024,
      sha256,
    });
  });
});

describe("simple index", () => {
  it("redirects non-normalised names and missing slashes, 404s unknown projects", async () => {
    const server = await start();
    await upload(server, SDIST, "x");
    const r1 = await httpRequest(`${server.simpleUrl}Demo_Pkg/`);
    expect(r1.status).toBe(301);
    expect(r1.headers.location).toBe("/simple/demo-pkg/");
    const r2 = await httpRequest(`${server.simpleUrl}demo-pkg`);
    expect(r2.status).toBe(301);
    expect(r2.headers.location).toBe("/simple/demo-pkg/");
    expect((await httpRequest(`${server.simpleUrl}nope/`)).status).toBe(404);
    expect((await httpRequest(`${server.url}/simple`)).headers.location).toBe("/simple/");
    expect((await httpRequest(`${server.filesUrl}nope-1.0.tar.gz`)).status).toBe(404);
    const head = await httpRequest(`${server.filesUrl}${SDIST}`, { method: "HEAD" });
    expect([head.status, head.headers["content-length"], head.body.length]).toEqual([200, "1", 0]);
  });

  it("negotiates PEP 691 content types", () => {
    expect(wantsJson(undefined)).toBe(false);
    expect(wantsJson("*/*")).toBe(false);
    expect(wantsJson("application/vnd.pypi.simple.v1+json")).toBe(true);
    expect(
      wantsJson(
        "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01",
      ),
    ).toBe(true);
    expect(wantsJson("text/html, application/vnd.pypi.simple.v1+json;q=0.5")).toBe(false);
    expect(wantsJson("application/vnd.pypi.simple.latest+json")).toBe(true);
  });

  it("seeds files by content or by digest", async () => {
    const server = await start();
    await server.seed("seeded-1.0.tar.gz", "seed bytes");
    await server.seed(
      "other-2.0-py3-none-any.whl",
      { sha256: "ab".repeat(32) },
      { requiresPython: ">=3.9" },
    );
    const seeded = JSON.parse(
      (
        await httpRequest(`${server.simpleUrl}other/`, {
          headers: { Accept: "application/vnd.pypi.simple.v1+json" },
        })
      ).text,
    );
    expect(seeded.files[0]).toMatchObject({
      filename: "other-2.0-py3-none-any.whl",
      hashes: { sha256: "ab".repeat(32) },
      "requires-python": ">=3.9",
    });
    expect((await httpRequest(`${server.filesUrl}other-2.0-py3-none-any.whl`)).status).toBe(404); // no bytes
    expect((await upload(server, "seeded-1.0.tar.gz", "seed bytes")).status).toBe(200); // identical
    expect((await upload(server, "seeded-1.0.tar.gz", "other")).status).toBe(400);
  });

  it("can redirect simple pages elsewhere", async () => {
    const server = await start({
      redirectSimpleTo: "http://127.0.0.2:9/elsewhere/",
      redirectStatus: 302,
    });
    const res = await httpRequest(`${server.simpleUrl}demo/`);
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe("http://127.0.0.2:9/elsewhere/demo/");
  });
});

describe("strict upload checks", () => {
  type Case = [
    label: string,
    options: Partial<UploadFormOptions>,
    status: number,
    reason: string | RegExp,
  ];
  const cases: Case[] = [
    [
      "unknown protocol version",
      { override: { protocol_version: "2" } },
      400,
      "Unknown protocol version.",
    ],
    ["missing protocol version", { omit: ["protocol_version"] }, 400, "Unknown protocol version."],
    ["missing :action", { omit: [":action"] }, 400, "Missing ':action' field."],
    ["unknown :action", { override: { ":action": "upload" } }, 400, "Unknown :action 'upload'."],
    [
      "doc upload",
      { override: { ":action": "doc_upload" } },
      410,
      /^Uploading documentation is no longer supported/,
    ],
    [
      "missing metadata_version",
      { omit: ["metadata_version"] },
      400,
      /^'' is an invalid value for Metadata-Version\. Error: This field is required\./,
    ],
    [
      "unknown metadata_version",
      { metadataVersion: "3.0" },
      400,
      /^'3.0' is an invalid value for Metadata-Version\. Error: Use a known metadata version\./,
    ],
    [
      "field newer than the Metadata-Version (packaging's rule, as Warehouse applies it)",
      { extra: [["license_file", "LICENSE"]] },
      400,
      /^license-file introduced in metadata version 2\.4, not 2\.1\. See https:\/\/packaging/,
    ],
    [
      "classifiers under Metadata-Version 1.0",
      { metadataVersion: "1.0", extra: [["classifiers", "Framework :: Zope2"]] },
      400,
      /^classifier introduced in metadata version 1\.1, not 1\.0\./,
    ],
    [
      "Metadata-Version 2.0 (unknown to packaging)",
      { metadataVersion: "2.0" },
      400,
      /^'2\.0' is not a valid metadata version\./,
    ],
    [
      "missing name",
      { omit: ["name"] },
      400,
      /^'' is an invalid value for Name\. Error: This field is required\./,
    ],
    ["invalid name", { name: "-demo" }, 400, /^'-demo' is an invalid value for Name\./],
    [
      "missing version",
      { omit: ["version"] },
      400,
      /^'' is an invalid value for Version\. Error: This field is required\./,
    ],
    [
      "non-PEP 440 version",
      { version: "1.0 beta" },
      400,
      /^'1.0 beta' is an invalid value for Version\./,
    ],
    [
      "multi-line summary",
      { override: { summary: "one\ntwo" } },
      400,
      /is an invalid value for Summary\. Error: Use a single line only\./,
    ],
    [
      "missing filetype",
      { omit: ["filetype"] },
      400,
      /invalid value for Filetype\. Error: This field is required/,
    ],
    [
      "unknown filetype",
      { filetype: "bdist_rpm" },
      400,
      /^'bdist_rpm' is an invalid value for Filetype/,
    ],
    ["sdist pyversion", { pyversion: "py3" }, 400, /Use 'source' as Python version for an sdist/],
    [
      "binary without pyversion",
      { filename: WHEEL, pyversion: "" },
      400,
      /Python version is required for binary distribution uploads/,
    ],
    ["no content part", { omit: ["content"] }, 400, "Upload payload does not have a file."],
    [
      "no digest",
      { omit: ["sha256_digest", "blake2_256_digest"] },
      400,
      "Include at least one message digest.",
    ],
    [
      "bad sha256",
      { override: { sha256_digest: "0".repeat(64) } },
      400,
      "The digest supplied does not match a digest calculated from the uploaded file.",
    ],
    [
      "bad blake2",
      { override: { blake2_256_digest: "0".repeat(64) } },
      400,
      "The digest supplied does not match a digest calculated from the uploaded file.",
    ],
    [
      "bad md5",
      { override: { md5_digest: "0".repeat(32) } },
      400,
      "The digest supplied does not match a digest calculated from the uploaded file.",
    ],
    ["name mismatch", { name: "other" }, 400, "Start filename for 'other' with 'other'."],
    ["version mismatch", { version: "1.1" }, 400, "Version in filename should be '1.1' not '1.0'."],
    [
      "bad extension",
      { filename: "demo_pkg-1.0.rar", name: "demo_pkg", version: "1.0" },
      400,
      /^Invalid file extension: Use \.tar\.gz, \.whl or \.zip extension\./,
    ],
    [
      "filetype/extension mismatch",
      { filename: WHEEL, filetype: "sdist", pyversion: "source" },
      400,
      /File extension does not match filetype 'sdist'/,
    ],
    [
      "wheel with too few parts",
      { filename: "demo_pkg-1.0-py3-any.whl", name: "demo_pkg", version: "1.0" },
      400,
      /^Invalid wheel filename \(wrong number of parts\)/,
    ],
    [
      "path in the file name",
      { filename: "../demo_pkg-1.0.tar.gz", name: "demo_pkg", version: "1.0" },
      400,
      /^Invalid distribution file name/,
    ],
    [
      "repeated single field",
      { extra: [["version", "1.0"]] },
      400,
      "Field 'version' was sent more than once.",
    ],
    [
      "egg on PyPI",
      { filename: "demo_pkg-1.0-py3.11.egg", name: "demo_pkg", version: "1.0" },
      400,
      "Invalid distribution file. .egg uploads are no longer supported.",
    ],
    [
      "attestations not a list",
      { extra: [["attestations", "{}"]] },
      400,
      /^Invalid attestations supplied during upload/,
    ],
  ];

  it.each(cases)("%s", async (_label, options, status, reason) => {
    const server = await start();
    const res = await upload(server, options.filename ?? SDIST, "payload", options);
    expect(res.status).toBe(status);
    // The reason is in the status text and in the body, like Warehouse.
    if (typeof reason === "string") expect(res.reason).toBe(reason);
    else expect(res.reason).toMatch(reason);
    expect(res.text).toContain(res.reason);
    expect(server.files()).toEqual([]);
    expect(await incomingFiles(server)).toEqual([]);
  });

  it("applies the Metadata-Version rules in pypi mode only, ignoring empty fields", async () => {
    const pypi = await start({ mode: "pypi" });
    const empty = await upload(pypi, SDIST, "payload", {
      metadataVersion: "1.0",
      extra: [["requires_python", ""]],
    });
    expect(empty.status, empty.reason).toBe(200);
    const devpi = await start({ mode: "devpi" });
    const old = await upload(devpi, SDIST, "payload", {
      metadataVersion: "2.0",
      extra: [["license_file", "LICENSE"]],
    });
    expect(old.status, old.reason).toBe(200);
  });

  it("checks an md5_digest sent after the file, too", async () => {
    const server = await start();
    const late = async (md5: string) => {
      const parts = await uploadParts({ filename: SDIST, data: "late", omit: ["md5_digest"] });
      parts.push({ name: "md5_digest", value: md5 });
      return postForm(server.uploadUrl, parts, { auth: ALICE });
    };
    expect((await late("0".repeat(32))).status).toBe(400);
    const md5 = createHash("md5").update("late").digest("hex");
    expect((await late(md5)).status).toBe(200);
    expect(server.files()[0]?.md5).toBe(md5);
  });

  it("refuses bodies that are not multipart/form-data", async () => {
    const server = await start();
    const body = Buffer.from(":action=file_upload&protocol_version=1");
    const res = await httpRequest(server.uploadUrl, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-www-form-urlencoded",
        "Content-Length": body.length,
        Authorization: basicAuth(...ALICE),
      },
      body,
    });
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/Content-Type must be multipart\/form-data/);
  });

  it("refuses a malformed multipart body", async () => {
    const server = await start();
    const { body, contentType } = buildMultipart([{ name: ":action", value: "file_upload" }]);
    const cut = body.subarray(0, body.length - 10);
    const res = await httpRequest(server.uploadUrl, {
      method: "POST",
      headers: { "Content-Type": contentType, "Content-Length": cut.length },
      body: cut,
    });
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/^Invalid multipart\/form-data body: Unexpected end of form/);
  });

  it("refuses a content part without a file name", async () => {
    const server = await start();
    const parts = (await uploadParts({ filename: SDIST, data: "x" })).map(
      (p): FormPart => (p.name === "content" ? { name: "content", value: "x" } : p),
    );
    const res = await postForm(server.uploadUrl, parts, { auth: ALICE });
    expect([res.status, res.reason]).toEqual([400, "Upload payload does not have a file."]);
  });

  it("refuses two content parts", async () => {
    const server = await start();
    const parts = await uploadParts({ filename: SDIST, data: "x" });
    parts.push({ name: "content", filename: SDIST, data: "x" });
    const res = await postForm(server.uploadUrl, parts, { auth: ALICE });
    expect([res.status, res.reason]).toEqual([
      400,
      "Upload payload has more than one 'content' file.",
    ]);
  });

  it("answers 413 over maxFileSize and stores nothing", async () => {
    const server = await start({ maxFileSize: 1024 * 1024 });
    const res = await upload(server, SDIST, Buffer.alloc(1024 * 1024 + 1));
    expect(res.status).toBe(413);
    expect(res.reason).toMatch(/^File too large\. Limit for project 'demo_pkg' is 1 MB\./);
    expect((await upload(server, SDIST, Buffer.alloc(1024 * 1024))).status).toBe(200);
  });

  it("refuses chunked bodies with 411 Length Required", async () => {
    const server = await start();
    const { body, contentType } = buildMultipart(await uploadParts({ filename: SDIST, data: "x" }));
    const res = await httpRequest(server.uploadUrl, {
      method: "POST",
      headers: {
        "Content-Type": contentType,
        "Transfer-Encoding": "chunked",
        Authorization: basicAuth(...ALICE),
      },
      body: async (req) => {
        await writeChunk(req, body.subarray(0, 100));
        req.end(body.subarray(100));
      },
    });
    expect([res.status, res.reason]).toEqual([411, "Length Required"]);
    expect(server.requests[0]?.chunked).toBe(true);
    expect(server.files()).toEqual([]);
  });

  it("devpi mode accepts eggs, other sdist formats, legacy versions and missing digests", async () => {
    const server = await start({ mode: "devpi" });
    expect((await upload(server, "demo_pkg-1.0-py3.11.egg", "egg")).status).toBe(200);
    expect(
      (
        await upload(server, "demo_pkg-1.0.tar.bz2", "bz2", {
          filetype: "sdist",
          name: "demo_pkg",
          version: "1.0",
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await upload(server, "demo-2004d.tar.gz", "legacy", {
          omit: ["sha256_digest", "blake2_256_digest", "md5_digest"],
        })
      ).status,
    ).toBe(200);
    expect(
      server
        .files()
        .map((f) => f.filename)
        .sort(),
    ).toEqual(["demo-2004d.tar.gz", "demo_pkg-1.0-py3.11.egg", "demo_pkg-1.0.tar.bz2"]);
  });

  it("sanitises reasons for the status line", () => {
    expect(sanitizeReason("a\r\nb\tc ☃ é")).toBe("a b c ? é");
    expect(sanitizeReason("x".repeat(2000))).toHaveLength(1024);
  });

  it("answers a non-ASCII reason without breaking the status line", async () => {
    const server = await start();
    const res = await upload(server, SDIST, "x", { version: "1.0☃" });
    expect(res.status).toBe(400);
    expect(res.reason).toMatch(/^'1\.0\?' is an invalid value for Version/);
    expect(res.text).toContain("'1.0☃' is an invalid value for Version");
  });
});

describe("existing files", () => {
  it("answers 200 for the very same file again", async () => {
    const server = await start();
    expect((await upload(server, SDIST, "same")).status).toBe(200);
    const again = await upload(server, SDIST, "same");
    expect([again.status, again.reason]).toEqual([200, "OK"]);
    expect(server.files()).toHaveLength(1);
  });

  it("devpi says so for an identical re-upload", async () => {
    const server = await start({ mode: "devpi" });
    await upload(server, SDIST, "same");
    const again = await upload(server, SDIST, "same");
    expect([again.status, again.text]).toEqual([
      200,
      "Upload of identical file to non volatile index.\n",
    ]);
  });

  const styles = [
    [
      "pypi",
      400,
      /^File already exists \('demo_pkg-1\.0\.tar\.gz', with blake2_256 hash '[0-9a-f]{64}'\)\. See https:\/\/pypi\.org\/help\/#file-name-reuse for more information\.$/,
      "File already exists",
    ],
    ["pypiserver", 409, /^Conflict$/, "Package &#39;demo_pkg-1.0.tar.gz&#39; already exists!"],
    [
      "nexus",
      400,
      /^Repository does not allow updating assets/,
      "Repository does not allow updating assets",
    ],
    [
      "artifactory",
      403,
      /^Forbidden$/,
      "Not enough permissions to overwrite artifact 'pypi-local:demo-pkg/1.0/demo_pkg-1.0.tar.gz'",
    ],
    ["gitlab", 400, /^Bad Request$/, "Validation failed: File name has already been taken"],
  ] as const;

  it.each(styles)(
    "refuses other content under a taken name, %s style",
    async (existsStyle, status, reason, body) => {
      const server = await start({ existsStyle });
      await upload(server, SDIST, "first");
      const res = await upload(server, SDIST, "second");
      expect(res.status).toBe(status);
      expect(res.reason).toMatch(reason);
      expect(res.text).toContain(body);
      expect(server.files()[0]?.sha256).toBe(createHash("sha256").update("first").digest("hex"));
      expect(await incomingFiles(server)).toEqual([]);
    },
  );

  it("PyPI refuses the same bytes under another name and a second sdist per release", async () => {
    const server = await start();
    await upload(server, SDIST, "bytes");
    const renamed = await upload(server, "demo_pkg-1.0.zip", "bytes");
    expect(renamed.status).toBe(400);
    expect(renamed.reason).toMatch(/^File already exists \('demo_pkg-1\.0\.zip'/);
    const second = await upload(server, "demo_pkg-1.0.zip", "other bytes");
    expect([second.status, second.reason]).toEqual([
      400,
      "Only one sdist may be uploaded per release.",
    ]);
  });

  it("lets exactly one of two concurrent conflicting uploads win", async () => {
    const server = await start();
    const results = await Promise.all([upload(server, SDIST, "one"), upload(server, SDIST, "two")]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 400]);
    expect(server.files()).toHaveLength(1);
  });
});

describe("register (:action=submit)", () => {
  const registerParts: FormPart[] = [
    { name: ":action", value: "submit" },
    { name: "protocol_version", value: "1" },
    { name: "metadata_version", value: "1.0" },
    { name: "name", value: "Products.HelloWorld" },
    { name: "version", value: "1.2.3" },
    { name: "summary", value: "Hello" },
  ];

  it("PyPI answers 410 Gone, credentials or not", async () => {
    const server = await start();
    for (const auth of [ALICE, undefined]) {
      const res = await postForm(server.uploadUrl, registerParts, auth ? { auth } : {});
      expect([res.status, res.reason]).toEqual([
        410,
        "Project pre-registration is no longer required or supported, upload your files instead.",
      ]);
    }
    expect(server.projects()).toEqual([]);
  });

  it("devpi records it and creates the project", async () => {
    const server = await start({ mode: "devpi" });
    const res = await postForm(server.uploadUrl, registerParts, { auth: ALICE });
    expect(res.status).toBe(200);
    expect(server.requests[0]?.action).toBe("submit");
    expect(server.projects()).toEqual([
      {
        name: "Products.HelloWorld",
        normalizedName: "products-helloworld",
        releases: [
          {
            version: "1.2.3",
            files: [],
            registrations: [registerParts.map((p) => [p.name, "value" in p ? p.value : ""])],
          },
        ],
      },
    ]);
    expect((await httpRequest(`${server.simpleUrl}products-helloworld/`)).status).toBe(200);
    expect((await postForm(server.uploadUrl, registerParts)).status).toBe(403);
  });
});

describe("authentication", () => {
  it("answers 403 without or with wrong credentials (Warehouse)", async () => {
    const server = await start();
    for (const auth of [
      null,
      ["alice", "wrong"] as [string, string],
      ["bob", "secret"] as [string, string],
    ]) {
      const res = await upload(server, SDIST, "x", {}, auth);
      expect(res.status).toBe(403);
      expect(res.reason).toBe(
        "Invalid or non-existent authentication information. See https://pypi.org/help/#invalid-auth for more information.",
      );
    }
    expect(server.requests[1]?.headers.authorization).toBe("Basic alice");
    expect(JSON.stringify(server.requests)).not.toContain("wrong");
    expect(server.files()).toEqual([]);
  });

  it("challenges with 401 when asked to", async () => {
    const server = await start({ authChallenge: true, realm: "devpi" });
    const res = await upload(server, SDIST, "x", {}, null);
    expect(res.status).toBe(401);
    expect(res.headers["www-authenticate"]).toBe('Basic realm="devpi"');
    expect((await upload(server, SDIST, "x", {}, ["alice", "nope"])).status).toBe(403);
  });

  it("accepts anonymous uploads without users, and tokens as users", async () => {
    const open = await startIndexServer({});
    servers.push(open);
    expect((await upload(open, SDIST, "x", {}, null)).status).toBe(200);
    const tokens = await start({ users: { __token__: "pypi-AgEIcHlwaS5vcmc" } });
    expect(
      (await upload(tokens, SDIST, "x", {}, ["__token__", "pypi-AgEIcHlwaS5vcmc"])).status,
    ).toBe(200);
  });

  it("enforces project owners", async () => {
    const server = await start({
      users: { alice: "secret", bob: "pw" },
      owners: { "demo-pkg": ["bob"] },
    });
    const res = await upload(server, SDIST, "x");
    expect(res.status).toBe(403);
    expect(res.reason).toBe(
      "The user 'alice' isn't allowed to upload to project 'demo_pkg'. See https://pypi.org/help/#project-name for more information.",
    );
    expect((await upload(server, SDIST, "x", {}, ["bob", "pw"])).status).toBe(200);
  });
});

describe("wrong URLs and redirects", () => {
  it("answers 405 for a POST to the simple index, 404 elsewhere, 405 for GET of the upload URL", async () => {
    const server = await start();
    const parts = await uploadParts({ filename: SDIST, data: "x" });
    const toSimple = await postForm(server.simpleUrl, parts, { auth: ALICE });
    expect([toSimple.status, toSimple.headers.allow]).toEqual([405, "GET, HEAD"]);
    expect((await postForm(`${server.url}/upload/`, parts, { auth: ALICE })).status).toBe(404);
    const get = await httpRequest(server.uploadUrl);
    expect([get.status, get.headers.allow]).toEqual([405, "POST"]);
    expect(server.files()).toEqual([]);
  });

  it("redirects uploads to another origin when configured", async () => {
    const server = await start({
      redirectUploadTo: "http://127.0.0.2:9/legacy/",
      redirectStatus: 308,
    });
    const res = await upload(server, SDIST, "x");
    expect([res.status, res.headers.location]).toEqual([308, "http://127.0.0.2:9/legacy/"]);
    expect(server.files()).toEqual([]);
  });
});

describe("interrupted uploads", () => {
  it("stores nothing when the client disconnects mid-body", async () => {
    const server = await start();
    const { body, contentType } = buildMultipart(
      await uploadParts({ filename: SDIST, data: randomBytes(256 * 1024) }),
    );
    const socket = net.connect(server.port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    socket.write(
      `POST /legacy/ HTTP/1.1\r\nHost: x\r\nContent-Type: ${contentType}\r\nContent-Length: ${body.length}\r\nAuthorization: ${basicAuth(...ALICE)}\r\n\r\n`,
    );
    socket.write(body.subarray(0, 128 * 1024));
    await expect
      .poll(
        () =>
          server.requests[0]?.file === undefined &&
          (server.requests[0]?.bodyBytes ?? 0) >= 128 * 1024,
      )
      .toBe(true);
    socket.destroy();
    await expect.poll(() => server.requests[0]?.outcome).toBe("aborted");
    await server.idle();
    expect(server.files()).toEqual([]);
    expect(await incomingFiles(server)).toEqual([]);
    expect(server.requests[0]?.status).toBe(0);
  });
});

describe("faults", () => {
  it("answers a status a given number of times, then normally", async () => {
    const server = await start({ faults: [{ on: "upload", times: 2, action: { status: 503 } }] });
    expect((await upload(server, SDIST, "x")).status).toBe(503);
    expect((await upload(server, SDIST, "x")).status).toBe(503);
    expect((await upload(server, SDIST, "x")).status).toBe(200);
    expect(server.requests.map((r) => r.faults)).toEqual([["status 503"], ["status 503"], []]);
    expect(server.faultsApplied.map((f) => f.requestId)).toEqual([1, 2]);
  });

  it("sends Retry-After with 429", async () => {
    const server = await start({
      faults: [{ action: { status: 429, retryAfter: 1, reason: "Too Many Requests" } }],
    });
    const res = await upload(server, SDIST, "x");
    expect([res.status, res.reason, res.headers["retry-after"]]).toEqual([
      429,
      "Too Many Requests",
      "1",
    ]);
    expect(server.files()).toEqual([]);
  });

  it("skips, matches file names and projects, and ignores other kinds", async () => {
    const server = await start({
      faults: [
        { on: "simple", times: "always", action: { status: 500 } },
        { on: "upload", skip: 1, match: { filename: /\.whl$/ }, action: { status: 502 } },
        { on: "upload", match: { project: "Other_Pkg" }, action: { status: 504 } },
      ],
    });
    expect((await upload(server, WHEEL, "w1")).status).toBe(200);
    expect((await upload(server, SDIST, "s")).status).toBe(200);
    expect(
      (await upload(server, "demo_pkg-1.0-py2-none-any.whl", "w2", { pyversion: "py2" })).status,
    ).toBe(502);
    expect((await upload(server, "other_pkg-1.0.tar.gz", "o")).status).toBe(504);
    expect((await httpRequest(`${server.simpleUrl}demo-pkg/`)).status).toBe(500);
    expect((await httpRequest(`${server.filesUrl}${SDIST}`)).status).toBe(200);
  });

  it("resets the connection mid-body and stores nothing", async () => {
    const server = await start({ faults: [{ action: { resetAfterBytes: 64 * 1024 } }] });
    await expect(upload(server, SDIST, randomBytes(2 * 1024 * 1024))).rejects.toThrow(
      /ECONNRESET|EPIPE|socket hang up/,
    );
    await server.idle();
    expect(server.requests[0]?.outcome).toBe("reset");
    expect(server.files()).toEqual([]);
    expect(await incomingFiles(server)).toEqual([]);
    expect((await upload(server, SDIST, "x")).status).toBe(200);
  });

  it("stalls: stops reading and answering, then drops the connection", async () => {
    const server = await start({ faults: [{ action: { stallMs: 300 } }] });
    const t0 = Date.now();
    await expect(upload(server, SDIST, randomBytes(4 * 1024 * 1024))).rejects.toThrow();
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await server.idle();
    expect(server.requests[0]?.outcome).toBe("stalled");
    expect(server.files()).toEqual([]);
  });

  it("close() ends a long stall", async () => {
    const server = await startIndexServer({ faults: [{ action: { stallMs: 60_000 } }] });
    const pending = upload(server, SDIST, "x", {}, null);
    await expect.poll(() => server.requests[0]?.outcome).toBe("stalled");
    const t0 = Date.now();
    const failed = expect(pending).rejects.toThrow();
    await server.close();
    await failed;
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("adds latency", async () => {
    const server = await start({
      faults: [
        { on: "any", times: "always", action: { delayMs: 150 } },
        { action: { status: 503 } },
      ],
    });
    const t0 = Date.now();
    expect((await upload(server, SDIST, "x")).status).toBe(503);
    expect((await httpRequest(server.simpleUrl)).status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(server.requests[0]?.faults).toEqual(["delay 150 ms", "status 503"]);
  });

  it("can store the upload and still fail the answer (afterCommit), or drop it", async () => {
    const server = await start({
      faults: [
        { action: { status: 502, afterCommit: true } },
        { action: { drop: true, afterCommit: true } },
      ],
    });
    expect((await upload(server, SDIST, "x")).status).toBe(502);
    expect(server.files()).toHaveLength(1);
    // The retry finds the file there: the very same bytes are accepted again... but the drop
    // rule was for the second upload: the answer is lost even so.
    await expect(upload(server, SDIST, "x")).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect((await upload(server, SDIST, "x")).status).toBe(200);
    expect(server.requests.map((r) => r.outcome)).toEqual(["answered", "dropped", "answered"]);
  });

  it("drops a request without answering and stores nothing", async () => {
    const server = await start({ faults: [{ action: { drop: true } }] });
    await expect(upload(server, SDIST, "x")).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect(server.files()).toEqual([]);
  });

  it("answers early while the body is still being sent, then closes the connection", async () => {
    const server = await start({ faults: [{ on: "post", action: { status: 503, early: true } }] });
    // The client may read the answer or see its write fail first: both are what a real early
    // refusal looks like.
    const outcome = await upload(server, SDIST, randomBytes(4 * 1024 * 1024)).then(
      (res) => res.status,
      (err: NodeJS.ErrnoException) => err.code,
    );
    expect([503, "ECONNRESET", "EPIPE"]).toContain(outcome);
    await server.idle();
    expect(server.requests[0]).toMatchObject({ status: 503, outcome: "answered" });
    expect(server.requests[0]?.bodyBytes).toBeLessThan(4 * 1024 * 1024);
    expect(server.files()).toEqual([]);
    expect((await upload(server, SDIST, "x")).status).toBe(200);
  });

  it("can be replaced at run time", async () => {
    const server = await start();
    server.setFaults([{ on: "files", action: { status: 404 } }]);
    await upload(server, SDIST, "x");
    expect((await httpRequest(`${server.filesUrl}${SDIST}`)).status).toBe(404);
    expect((await httpRequest(`${server.filesUrl}${SDIST}`)).status).toBe(200);
    expect(() => server.setFaults([{ action: { status: 42 } }])).toThrow(/not an HTTP status/);
  });
});

describe("lifecycle", () => {
  it("listens on ::1 when asked", async () => {
    let server: IndexServer;
    try {
      server = await start({ host: "::1" });
    } catch {
      return; // no IPv6 loopback on this machine
    }
    expect(server.url).toMatch(/^http:\/\/\[::1\]:\d+$/);
    expect((await upload(server, SDIST, "x")).status).toBe(200);
  });

  it("removes its temporary store on close, keeps a given one", async () => {
    const temp = await startIndexServer({});
    await temp.seed(SDIST, "x");
    await temp.close();
    await expect(readdir(temp.storeDir)).rejects.toThrow(/ENOENT/);

    const kept = await startIndexServer({
      storeDir: path.join(temp.storeDir, "..", `kept-${process.pid}-${Date.now()}`),
    });
    await upload(kept, SDIST, "x", {}, null);
    await kept.close();
    expect(await readdir(kept.storeDir)).toEqual([SDIST]);
    await rm(kept.storeDir, { recursive: true });
  });
});
