import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import {
  displayPath,
  findServerByUrl,
  getServer,
  loadPypirc,
  PYPI_SIMPLE_URL,
  PYPI_UPLOAD_URL,
  TESTPYPI_UPLOAD_URL,
} from "../../src/config/pypirc.js";
import { matchesProject } from "../../src/config/release-pattern.js";
import type { PypircConfig } from "../../src/config/types.js";
import { ConfigError, ResolutionError } from "../../src/errors.js";

const dir = mkdtempSync(join(tmpdir(), "pkgpush-pypirc-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
/** Write a config file (mode 600 unless told) and load it explicitly. */
async function load(text: string, mode = 0o600): Promise<PypircConfig> {
  const path = join(dir, `pypirc-${counter++}`);
  writeFileSync(path, text);
  chmodSync(path, mode);
  return loadPypirc({ path, env: {} });
}

async function loadError(text: string): Promise<Error> {
  try {
    await load(text);
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected loading to fail");
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected an error");
}

const MULTI = `[distutils]
index-servers =
    pypi
    plone

[pypi]
username:tarek
password:secret
# routing key from collective.releaser
release-packages =
    .*
[plone]
repository: http://plone.org/products
username: tarek
password: secret
release-packages =
    Products\\..*

    collective\\..*
`;

describe("loadPypirc: multi-server format", () => {
  it("reads index-servers, sections, defaults for PyPI and built-ins", async () => {
    const config = await load(MULTI);
    expect(config.exists).toBe(true);
    expect(config.indexServers).toEqual(["pypi", "plone"]);
    expect([...config.servers.keys()]).toEqual(["pypi", "plone", "testpypi"]);
    expect(config.missingSections).toEqual([]);
    expect(config.warnings).toEqual([]);

    const pypi = getServer(config, "pypi");
    expect(pypi).toMatchObject({
      repository: PYPI_UPLOAD_URL,
      username: "tarek",
      password: "secret",
      realm: "pypi",
      checkUrl: PYPI_SIMPLE_URL,
      immutable: true,
      allowInsecureHttp: false,
      origin: "pypirc",
      location: { section: "pypi", line: 6 },
    });

    const plone = getServer(config, "plone");
    expect(plone.repository).toBe("http://plone.org/products");
    expect(plone.immutable).toBe(false);
    expect(plone.checkUrl).toBeUndefined();
    expect(plone.releasePackages.map((p) => [p.source, p.line])).toEqual([
      ["Products\\..*", 17],
      ["collective\\..*", 19],
    ]);
    expect(plone.options.username).toBe("tarek");

    const testpypi = getServer(config, "testpypi");
    expect(testpypi).toMatchObject({ repository: TESTPYPI_UPLOAD_URL, origin: "builtin" });
    expect(testpypi.location).toBeUndefined();
  });

  it("routes by release-packages on the name as written or normalised", async () => {
    const plone = getServer(await load(MULTI), "plone");
    expect(matchesProject(plone.releasePackages, "Products.Foo")).toBe(true);
    expect(matchesProject(plone.releasePackages, "collective.bar")).toBe(true);
    expect(matchesProject(plone.releasePackages, "Django")).toBe(false);
    const config = await load(
      "[distutils]\nindex-servers = plone\n[plone]\nrepository = https://p/\nrelease-packages = collective-.*\n",
    );
    expect(matchesProject(getServer(config, "plone").releasePackages, "collective.foo")).toBe(true);
  });

  it("compiles (?P<n>...)(?P=n) patterns", async () => {
    const config = await load(
      "[distutils]\nindex-servers = p\n[p]\nrepository = https://p/\nrelease-packages =\n  (?P<n>x)(?P=n)-.*\n",
    );
    const [pattern] = getServer(config, "p").releasePackages;
    expect(pattern?.line).toBe(6);
    expect(pattern?.regex.test("xx-a")).toBe(true);
    expect(pattern?.regex.test("xy-a")).toBe(false);
  });

  it("reports an invalid pattern with file, section and its own line", async () => {
    const e = await loadError(
      "[distutils]\nindex-servers = plone\n[plone]\nrepository = https://p/\nrelease-packages =\n    ok\\..*\n    foo(\n",
    );
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(
      /pypirc-\d+, section \[plone\], line 7: invalid release-packages pattern "foo\(": missing \)/,
    );
  });

  it("keeps sections without repository but refuses to use them", async () => {
    const config = await load("[distutils]\nindex-servers = plone\n\n[plone]\nusername = u\n");
    expect(config.servers.has("plone")).toBe(true);
    const e = errorOf(() => getServer(config, "plone"));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(
      /section \[plone\] \(line 4\): no repository URL; add "repository = /,
    );
  });

  it("refuses a listed name without a section, only when used", async () => {
    const config = await load("[distutils]\nindex-servers =\n  pypi\n  foo\n");
    expect(config.missingSections).toEqual(["foo"]);
    expect(getServer(config, "pypi").origin).toBe("builtin");
    const e = errorOf(() => getServer(config, "foo"));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(
      /^\[distutils\] index-servers lists 'foo' but .*pypirc-\d+ has no \[foo\] section; add it or remove the name$/,
    );
  });

  it("explains unknown and unlisted names", async () => {
    const config = await load(
      "[distutils]\nindex-servers = pypi\n[extra]\nrepository = https://e/\n",
    );
    const unknown = errorOf(() => getServer(config, "nope"));
    expect(unknown).toBeInstanceOf(ResolutionError);
    expect(unknown.message).toBe("no server named 'nope' (configured: pypi, testpypi)");
    const unlisted = errorOf(() => getServer(config, "extra"));
    expect(unlisted).toBeInstanceOf(ConfigError);
    expect(unlisted.message).toMatch(
      /has a \[extra\] section but it is not listed in \[distutils\] index-servers; add 'extra' there$/,
    );
  });

  it("rejects a repository that is not an http(s) URL when used", async () => {
    const config = await load("[distutils]\nindex-servers = x\n[x]\nrepository = ftp://x/\n");
    expect(() => getServer(config, "x")).toThrow(/is not an http\(s\) URL/);
  });
});

describe("loadPypirc: other semantics", () => {
  it("reads the old [server-login] format and offers it as pypi", async () => {
    const config = await load(
      "[server-login]\nusername:tarek\npassword:secret\nrepository:http://pypi.python.org/pypi\n",
    );
    expect(config.indexServers).toEqual([]);
    const login = getServer(config, "server-login");
    expect(login).toMatchObject({ repository: PYPI_UPLOAD_URL, username: "tarek", realm: "pypi" });
    const pypi = getServer(config, "pypi");
    expect(pypi).toMatchObject({ name: "pypi", username: "tarek", password: "secret" });
    expect(pypi.location?.section).toBe("server-login");
    expect(config.warnings).toEqual([
      expect.stringMatching(
        /line 4: \[server-login\] repository http:\/\/pypi\.python\.org\/pypi is a retired PyPI upload URL/,
      ),
    ]);
  });

  it("does not alias an old-format server that is not PyPI", async () => {
    const config = await load("[server-login]\nusername:u\nrepository: https://other.example/\n");
    expect(getServer(config, "server-login").repository).toBe("https://other.example/");
    expect(getServer(config, "pypi").origin).toBe("builtin");
    expect(getServer(config, "pypi").username).toBeUndefined();
  });

  it("applies [DEFAULT] to sections, with the DEFAULT line in errors", async () => {
    const config = await load(
      "[DEFAULT]\nusername = everyone\n[distutils]\nindex-servers = a\n[a]\nrepository = https://a/\n",
    );
    expect(getServer(config, "a").username).toBe("everyone");
    expect(getServer(config, "testpypi").username).toBeUndefined();
    const e = await loadError(
      "[DEFAULT]\nrelease-packages = (\n[distutils]\nindex-servers = a\n[a]\nrepository = https://a/\n",
    );
    expect(e.message).toMatch(/section \[DEFAULT\], line 2: invalid release-packages pattern/);
  });

  it("reads booleans the way Python's getboolean does", async () => {
    const config = await load(
      "[distutils]\nindex-servers = a b\n[a]\nrepository = http://a.example/\nimmutable = Yes\nallow-insecure-http = on\nmd5-digest = true\n[b]\nrepository = https://test.pypi.org/legacy/\nimmutable = 0\n",
    );
    expect(getServer(config, "a")).toMatchObject({
      immutable: true,
      allowInsecureHttp: true,
      md5Digest: true,
    });
    expect(getServer(config, "b").immutable).toBe(false);
    expect(getServer(config, "b").md5Digest).toBe(false);
    const e = await loadError("[pypi]\nimmutable = maybe\n");
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(
      /line 2: \[pypi\] immutable = "maybe" is not a boolean; use true or false$/,
    );
  });

  it("reads check-url / simple-url, certificates and keeps unknown keys", async () => {
    const config = await load(
      "[distutils]\nindex-servers = a b\n[a]\nrepository = https://a/\nsimple-url = https://a/simple/\nca_cert = ~/ca.pem\nfrobnicate = yes\n[b]\nrepository = https://b/\ncheck-url = https://b/+simple/\nclient_cert = /c.pem\n",
    );
    const a = getServer(config, "a");
    expect(a.checkUrl).toBe("https://a/simple/");
    expect(a.caCert).toBe(join(homedir(), "ca.pem"));
    expect(a.options.frobnicate).toBe("yes");
    expect(getServer(config, "b")).toMatchObject({
      checkUrl: "https://b/+simple/",
      clientCert: "/c.pem",
    });
  });

  it("finds servers by repository URL, ignoring trailing slashes and host case", async () => {
    const config = await load(MULTI);
    expect(findServerByUrl(config, "http://plone.org/products/")?.name).toBe("plone");
    expect(findServerByUrl(config, "HTTP://Plone.ORG/products")?.name).toBe("plone");
    expect(findServerByUrl(config, "https://upload.pypi.org/legacy")?.name).toBe("pypi");
    expect(findServerByUrl(config, "https://test.pypi.org/legacy/")?.name).toBe("testpypi");
    expect(findServerByUrl(config, "https://elsewhere/")).toBeUndefined();
  });

  it("accepts a BOM and CRLF line endings", async () => {
    const config = await load(
      "\uFEFF[distutils]\r\nindex-servers = a\r\n[a]\r\nrepository = https://a/\r\n",
    );
    expect(getServer(config, "a").location?.line).toBe(3);
  });

  it("reports syntax errors with the file name", async () => {
    const e = await loadError("[pypi]\nusername = a\nusername = b\n");
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.message).toMatch(
      /pypirc-\d+, line 3: duplicate option "username" in section \[pypi\] \(first set on line 2\)/,
    );
  });
});

describe("loadPypirc: file location and permissions", () => {
  const savedHome = process.env.HOME;
  afterEach(() => {
    process.env.HOME = savedHome;
  });

  it("uses built-in servers when ~/.pypirc does not exist", async () => {
    const home = mkdtempSync(join(dir, "home-"));
    process.env.HOME = home;
    const config = await loadPypirc({ env: {} });
    expect(config.path).toBe(join(home, ".pypirc"));
    expect(config.exists).toBe(false);
    expect([...config.servers.keys()]).toEqual(["pypi", "testpypi"]);
    expect(getServer(config, "pypi").checkUrl).toBe(PYPI_SIMPLE_URL);
  });

  it("reads PKGPUSH_CONFIG_FILE, and refuses explicit paths that do not exist", async () => {
    const path = join(dir, "from-env");
    writeFileSync(path, "[distutils]\nindex-servers = e\n[e]\nrepository = https://e/\n");
    const config = await loadPypirc({ env: { PKGPUSH_CONFIG_FILE: path } });
    expect(config.servers.has("e")).toBe(true);
    const missing = join(dir, "missing");
    const e = await loadPypirc({ path: missing, env: {} }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toBe(`config file ${missing} not found`);
    await expect(loadPypirc({ env: { PKGPUSH_CONFIG_FILE: missing } })).rejects.toThrow(
      /not found/,
    );
  });

  it.skipIf(process.platform === "win32")(
    "warns when a file with passwords is readable by others",
    async () => {
      const warned = await load("[pypi]\npassword = s\n", 0o644);
      expect(warned.warnings).toHaveLength(1);
      expect(warned.warnings[0]).toMatch(
        /pypirc-\d+ contains passwords but its permissions \(0644\) let other users read or change it; run: chmod 600 /,
      );
      expect((await load("[pypi]\npassword = s\n", 0o600)).warnings).toEqual([]);
      expect((await load("[pypi]\nusername = u\n", 0o644)).warnings).toEqual([]);
      expect((await load("[DEFAULT]\npassword = s\n", 0o640)).warnings).toHaveLength(1);
    },
  );

  it("shows paths under the home directory with ~", () => {
    expect(displayPath("/home/u/.pypirc", "/home/u")).toBe("~/.pypirc");
    expect(displayPath("/home/user2/.pypirc", "/home/u")).toBe("/home/user2/.pypirc");
  });
});

describe("check-url / simple-url", () => {
  it("a URL is configured, `none` turns checks off, unset leaves derivation to the run", async () => {
    const config = await load(
      "[distutils]\nindex-servers = a b c\n" +
        "[a]\nrepository = https://a.example/legacy/\ncheck-url = https://a.example/simple/\n" +
        "[b]\nrepository = https://b.example/legacy/\nsimple-url = NONE\n" +
        "[c]\nrepository = https://c.example/legacy/\n",
    );
    expect(getServer(config, "a")).toMatchObject({
      checkUrl: "https://a.example/simple/",
      checkUrlSource: "configured",
    });
    expect(getServer(config, "b").checkUrlSource).toBe("off");
    expect(getServer(config, "b").checkUrl).toBeUndefined();
    // Derived URLs other than PyPI's are confirmed with a request before use (src/simple).
    expect(getServer(config, "c").checkUrl).toBeUndefined();
    expect(getServer(config, "c").checkUrlSource).toBeUndefined();
    expect(getServer(config, "pypi")).toMatchObject({
      checkUrl: PYPI_SIMPLE_URL,
      checkUrlSource: "derived",
    });
  });

  it("a value that is neither a URL nor none names the line", async () => {
    const e = await loadError(
      "[distutils]\nindex-servers = a\n[a]\nrepository = https://a.example/\ncheck-url = nope\n",
    );
    expect(e.message).toMatch(/line 5: \[a\] check-url = nope is not an http\(s\) URL/);
  });
});
