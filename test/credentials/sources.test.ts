import { beforeEach, describe, expect, it, vi } from "vitest";
import type { ServerConfig } from "../../src/config/types.js";

// The keyring module, replaced: records every call, answers from `store`, can fail or hang.
const keyringState = vi.hoisted(() => ({
  store: new Map<string, string>(),
  calls: [] as string[],
  mode: "ok" as "ok" | "fail" | "hang",
  options: [] as unknown[],
}));
vi.mock("@napi-rs/keyring", () => {
  const act = <T>(value: () => T, signal?: AbortSignal | null): Promise<T> => {
    if (keyringState.mode === "fail")
      return Promise.reject(new Error("zbus error: no session bus"));
    if (keyringState.mode === "hang")
      return new Promise((_, reject) =>
        signal?.addEventListener("abort", () => reject(new Error("aborted"))),
      );
    return Promise.resolve(value());
  };
  class AsyncEntry {
    constructor(
      private readonly service: string,
      private readonly user: string,
      options?: unknown,
    ) {
      keyringState.options.push(options);
    }
    getPassword(signal?: AbortSignal | null): Promise<string | null> {
      keyringState.calls.push(`get ${this.service} ${this.user}`);
      return act(() => keyringState.store.get(`${this.service}\0${this.user}`) ?? null, signal);
    }
    setPassword(password: string, signal?: AbortSignal | null): Promise<void> {
      keyringState.calls.push(`set ${this.service} ${this.user}`);
      return act(() => {
        keyringState.store.set(`${this.service}\0${this.user}`, password);
      }, signal);
    }
  }
  const findCredentialsAsync = (
    service: string,
    _target?: string | null,
    signal?: AbortSignal | null,
  ) => {
    keyringState.calls.push(`find ${service}`);
    return act(
      () =>
        [...keyringState.store]
          .filter(([key]) => key.startsWith(`${service}\0`))
          .map(([key, password]) => ({ account: key.split("\0")[1] as string, password })),
      signal,
    );
  };
  return { AsyncEntry, findCredentialsAsync };
});

const { credentialSources } = await import("../../src/publish/credentials.js");
const { optionsFromFlags } = await import("../../src/publish/from-flags.js");
const { Redactor } = await import("../../src/report/redact.js");
const { keyringEnabled, keyringSource, storeInKeyring } = await import(
  "../../src/credentials/keyring.js"
);
// The replaced module lives in this process: call it here (production runs a child process,
// tested against a real and a silent session bus in test/e2e/credentials-keyring*.test.ts).
const { inProcessKeyringCall: call } = await import("../../src/credentials/keyring-call.js");
const { requireCredentials, resolveCredentials } = await import("../../src/credentials/resolve.js");
const { commandLineSource, environmentSource, pypircSource, sectionEnvPrefix } = await import(
  "../../src/credentials/sources.js"
);
const { passwordOnPypiWarning, checkCredentialTransport } = await import(
  "../../src/credentials/transport-safety.js"
);
const { CredentialsError } = await import("../../src/errors.js");

import type { CredentialSource } from "../../src/credentials/types.js";
import type { PublishFlags } from "../../src/publish/flags.js";
import { server as unitServer } from "../helpers/builders.js";

/** A .pypirc server (see helpers/builders), with the section it was read from. */
function server(name: string, extra: Partial<ServerConfig> = {}): ServerConfig {
  return unitServer(name, { location: { file: "~/.pypirc", section: name }, ...extra });
}

/** A source that records being asked and answers with a fixed hit. */
function spy(
  label: string,
  hit: { username?: string; password?: string } | undefined,
  asked: string[],
): CredentialSource {
  return {
    describe: () => label,
    lookup: async () => {
      asked.push(label);
      return hit;
    },
  };
}

/** The sources a run with these flags and environment asks, as the CLI builds them. */
async function sourcesFor(flags: PublishFlags, env: NodeJS.ProcessEnv = {}) {
  const options = await optionsFromFlags("upload", [], flags, env, "/");
  return credentialSources(options, new Redactor());
}

function cliOptions(extra: Partial<PublishFlags> = {}): PublishFlags {
  return {
    repository: [],
    concurrency: "4",
    perServer: "2",
    retries: "3",
    connectTimeout: "10",
    timeout: "120",
    keyring: true,
    preflight: true,
    check: true,
    ...extra,
  };
}

beforeEach(() => {
  keyringState.store.clear();
  keyringState.calls.length = 0;
  keyringState.options.length = 0;
  keyringState.mode = "ok";
});

describe("order of sources, each half from the first source that has it", () => {
  it("the sources publish uses, in twine's order extended: cli, env, .pypirc, keyring, trusted publishing, prompt", async () => {
    const s = server("plone");
    const described = (await sourcesFor(cliOptions())).map((src) => src.describe(s));
    expect(described).toHaveLength(6);
    expect(described[0]).toMatch(/^command line/);
    expect(described[1]).toMatch(/^environment \(PKGPUSH_PLONE_USERNAME/);
    expect(described[2]).toBe("~/.pypirc [plone]");
    expect(described[3]).toMatch(/^system keyring \(service https:\/\/plone\.example\/legacy\/\)/);
    expect(described[4]).toMatch(/^trusted publishing/);
    expect(described[5]).toMatch(/^interactive prompt/);
  });

  it("--no-keyring, PKGPUSH_KEYRING=0 drop the keyring; --keyring wins over the variable; a dry run never prompts", async () => {
    const names = async (opts: Partial<PublishFlags>, env: NodeJS.ProcessEnv = {}) =>
      (await sourcesFor(cliOptions(opts), env)).map(
        (src) => src.describe(server("a")).split(" ")[0],
      );
    expect(await names({ keyring: false })).not.toContain("system");
    expect(await names({ keyring: undefined }, { PKGPUSH_KEYRING: "0" })).not.toContain("system");
    expect(await names({ keyring: undefined }, { PKGPUSH_KEYRING: "off" })).not.toContain("system");
    expect(await names({ keyring: true }, { PKGPUSH_KEYRING: "0" })).toContain("system");
    expect(await names({ keyring: undefined }, {})).toContain("system");
    expect((await names({ dryRun: true })).at(-1)).toBe("trusted");
    expect(keyringEnabled(undefined, { PKGPUSH_KEYRING: "1" })).toBe(true);
    expect(keyringEnabled(undefined, { PKGPUSH_KEYRING: "No" })).toBe(false);
  });

  it("-u/-p beat every other source", async () => {
    const s = server("plone", { username: "rc-user", password: "rc-pass" });
    const env = {
      PKGPUSH_PLONE_USERNAME: "sec-user",
      PKGPUSH_PLONE_PASSWORD: "sec-pass",
      TWINE_USERNAME: "tw",
      TWINE_PASSWORD: "twp",
    };
    const c = await resolveCredentials(s, [
      commandLineSource("cli-user", "cli-pass"),
      environmentSource(env),
      pypircSource(),
    ]);
    expect(c).toEqual({
      username: "cli-user",
      password: "cli-pass",
      usernameSource: "command line (-u/-p)",
      passwordSource: "command line (-u/-p)",
    });
  });

  it("per-section variables beat PKGPUSH_USERNAME/PASSWORD, which beat TWINE_*", async () => {
    const s = server("my-index.eu");
    expect(sectionEnvPrefix(s)).toBe("PKGPUSH_MY_INDEX_EU_");
    const all = {
      PKGPUSH_MY_INDEX_EU_USERNAME: "sec-user",
      PKGPUSH_MY_INDEX_EU_PASSWORD: "sec-pass",
      PKGPUSH_USERNAME: "g-user",
      PKGPUSH_PASSWORD: "g-pass",
      TWINE_USERNAME: "tw-user",
      TWINE_PASSWORD: "tw-pass",
    };
    const pick = async (env: NodeJS.ProcessEnv) => {
      const c = await resolveCredentials(s, [environmentSource(env)]);
      return `${c.username}/${c.password}`;
    };
    expect(await pick(all)).toBe("sec-user/sec-pass");
    // where each half came from names the variable
    expect(
      await resolveCredentials(s, [
        environmentSource({ PKGPUSH_USERNAME: "g", TWINE_PASSWORD: "t" }),
      ]),
    ).toMatchObject({
      usernameSource: "environment (PKGPUSH_USERNAME)",
      passwordSource: "environment (TWINE_PASSWORD)",
    });
    const { PKGPUSH_MY_INDEX_EU_PASSWORD: _a, ...noSectionPassword } = all;
    expect(await pick(noSectionPassword)).toBe("sec-user/g-pass");
    expect(
      await pick({
        TWINE_USERNAME: "tw-user",
        TWINE_PASSWORD: "tw-pass",
        PKGPUSH_USERNAME: "g-user",
      }),
    ).toBe("g-user/tw-pass");
    // another section's variables do not apply
    expect(await pick({ PKGPUSH_PLONE_PASSWORD: "x-pass", TWINE_PASSWORD: "tw-pass" })).toBe(
      "undefined/tw-pass",
    );
    // empty values count as unset
    expect(await pick({ PKGPUSH_MY_INDEX_EU_PASSWORD: "", PKGPUSH_PASSWORD: "g-pass" })).toBe(
      "undefined/g-pass",
    );
  });

  it("user name and password may come from different sources", async () => {
    const s = server("plone", { username: "rc-user", password: "rc-pass" });
    const c = await resolveCredentials(s, [
      commandLineSource(undefined, undefined),
      environmentSource({ PKGPUSH_PLONE_PASSWORD: "env-pass" }),
      pypircSource(),
    ]);
    expect(c).toMatchObject({
      username: "rc-user",
      usernameSource: "~/.pypirc [plone]",
      password: "env-pass",
    });
    expect(c.passwordSource).toMatch(/^environment/);
  });

  it("stops asking once both halves are known; later sources see what was found", async () => {
    const asked: string[] = [];
    const seen: unknown[] = [];
    const later: CredentialSource = {
      describe: () => "later",
      lookup: async (_s, found) => {
        seen.push({ ...found });
        return { password: "later-pass" };
      },
    };
    const c = await resolveCredentials(server("a"), [
      spy("one", { username: "u1" }, asked),
      spy("two", { username: "u2" }, asked),
      later,
      spy("last", { password: "x" }, asked),
    ]);
    expect(asked).toEqual(["one", "two"]);
    expect(seen).toEqual([{ username: "u1", usernameSource: "one" }]);
    expect(c).toMatchObject({ username: "u1", password: "later-pass", passwordSource: "later" });
  });

  it("a pair (trusted publishing's minted token) replaces a user name found earlier", async () => {
    const pair: CredentialSource = {
      describe: () => "tp",
      lookup: async () => ({ username: "__token__", password: "minted", pair: true }),
    };
    const c = await resolveCredentials(server("a"), [spy("rc", { username: "alice" }, []), pair]);
    expect(c).toEqual({
      username: "__token__",
      password: "minted",
      usernameSource: "tp",
      passwordSource: "tp",
    });
  });

  it("the prompt (last) is asked only when nothing earlier gave a password", async () => {
    const asked: string[] = [];
    await resolveCredentials(server("a"), [
      spy("rc", { username: "u", password: "p" }, asked),
      spy("prompt", { password: "typed" }, asked),
    ]);
    expect(asked).toEqual(["rc"]);
    const c = await resolveCredentials(server("a"), [
      spy("rc", { username: "u" }, asked),
      spy("prompt", { password: "typed" }, asked),
    ]);
    expect(c.password).toBe("typed");
    expect(asked).toEqual(["rc", "rc", "prompt"]);
  });

  it("no password anywhere: the error names the server and every source tried", async () => {
    const s = server("plone");
    const error = (await requireCredentials(
      s,
      await sourcesFor(cliOptions({ keyring: false })),
    ).catch((e: unknown) => e)) as InstanceType<typeof CredentialsError>;
    expect(error).toBeInstanceOf(CredentialsError);
    expect(error.message).toMatch(
      /^no password for server 'plone' \(https:\/\/plone\.example\/legacy\/\); tried: command line.*; environment \(PKGPUSH_PLONE_USERNAME.*; ~\/\.pypirc \[plone\]; trusted publishing.*; interactive prompt \(no terminal\)$/,
    );
    expect(error.hint).toContain("PKGPUSH_PLONE_PASSWORD");
  });

  it("a password without user name goes as __token__", async () => {
    const c = await requireCredentials(server("a"), [commandLineSource(undefined, "pypi-tok")]);
    expect(c.username).toBe("__token__");
  });
});

describe("keyring source", () => {
  const debug: string[] = [];
  const src = () => keyringSource({ debug: (m) => debug.push(m), timeoutMs: 300, call });

  it("only asked when no password was found; keyed by repository URL and user name", async () => {
    keyringState.store.set("https://plone.example/legacy/\0alice", "kr-pass");
    const asked = await resolveCredentials(server("plone", { username: "alice" }), [
      pypircSource(),
      src(),
    ]);
    expect(asked).toMatchObject({
      username: "alice",
      password: "kr-pass",
      passwordSource: "system keyring (service https://plone.example/legacy/)",
    });
    expect(keyringState.calls).toEqual(["get https://plone.example/legacy/ alice"]);
    // pinned to the Secret Service on Linux, where Python keyring looks
    expect(keyringState.options[0]).toEqual({ linux: { store: "secret-service" } });

    keyringState.calls.length = 0;
    const notAsked = await resolveCredentials(
      server("plone", { username: "alice", password: "rc-pass" }),
      [pypircSource(), src()],
    );
    expect(notAsked.password).toBe("rc-pass");
    expect(keyringState.calls).toEqual([]);
  });

  it("without a user name: the only entry for the service gives both halves; several give none", async () => {
    keyringState.store.set("https://plone.example/legacy/\0bob", "bob-pass");
    expect(await resolveCredentials(server("plone"), [src()])).toMatchObject({
      username: "bob",
      password: "bob-pass",
    });
    keyringState.store.set("https://plone.example/legacy/\0carol", "carol-pass");
    expect(await resolveCredentials(server("plone"), [src()])).toEqual({});
    expect(keyringState.calls.filter((c) => c.startsWith("find"))).toHaveLength(2);
  });

  it("a keyring failure is a debug message, and the keyring is not asked again in this run", async () => {
    keyringState.mode = "fail";
    debug.length = 0;
    const source = src();
    expect(await source.lookup(server("a", { username: "u" }), { username: "u" })).toBeUndefined();
    expect(await source.lookup(server("b", { username: "u" }), { username: "u" })).toBeUndefined();
    expect(keyringState.calls).toHaveLength(1);
    expect(debug.join("\n")).toMatch(
      /lookup for https:\/\/a\.example\/legacy\/ failed: zbus error/,
    );
  });

  it("a hanging keyring times out (bounded): said once, then skipped", async () => {
    keyringState.mode = "hang";
    debug.length = 0;
    const started = Date.now();
    expect(await src().lookup(server("a"), { username: "u" })).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(debug.join("\n")).toMatch(/no answer within 0\.3 s .*skipped for the rest of this run/);
    await expect(
      storeInKeyring("https://a.example/", "u", "p", { timeoutMs: 200, call }),
    ).rejects.toThrow(/timed out/);
  });

  it("storeInKeyring writes where lookups read", async () => {
    await storeInKeyring("https://a.example/legacy/", "u", "stored-pass", { call });
    const c = await resolveCredentials(server("a", { username: "u" }), [pypircSource(), src()]);
    expect(c.password).toBe("stored-pass");
  });
});

describe("transport safety", () => {
  it("plain http only to loopback, unless allowed (flag or section)", () => {
    const far = server("far", { repository: "http://index.example.org/legacy/" });
    expect(() => checkCredentialTransport(far, false)).toThrow(
      /over plain http to index\.example\.org/,
    );
    expect(() => checkCredentialTransport(far, true)).not.toThrow();
    expect(() =>
      checkCredentialTransport({ ...far, allowInsecureHttp: true }, false),
    ).not.toThrow();
    for (const url of [
      "http://127.0.0.1:8080/",
      "http://localhost/",
      "http://[::1]:9/legacy/",
      "https://index.example.org/",
    ]) {
      expect(() => checkCredentialTransport(server("x", { repository: url }), false)).not.toThrow();
    }
  });

  it("PyPI refuses passwords: a warning unless the user is __token__ (or none, which means __token__)", () => {
    const pypi = server("pypi", { repository: "https://upload.pypi.org/legacy/" });
    expect(passwordOnPypiWarning(pypi, { username: "alice", password: "pw" })).toMatch(
      /API tokens only/,
    );
    expect(
      passwordOnPypiWarning(server("t", { repository: "https://test.pypi.org/legacy/" }), {
        username: "alice",
        password: "pw",
      }),
    ).toMatch(/API tokens only/);
    expect(
      passwordOnPypiWarning(pypi, { username: "__token__", password: "pypi-x" }),
    ).toBeUndefined();
    expect(passwordOnPypiWarning(pypi, { password: "pypi-x" })).toBeUndefined();
    expect(
      passwordOnPypiWarning(server("p"), { username: "alice", password: "pw" }),
    ).toBeUndefined();
    expect(
      passwordOnPypiWarning(server("x", { repository: "https://notpypi.org/legacy/" }), {
        username: "alice",
        password: "pw",
      }),
    ).toBeUndefined();
  });
});
