/**
 * Helpers of the transport end-to-end tests: a free (closed) port, a .pypirc for several
 * servers, and an openssl-made CA with server and client certificates.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach } from "vitest";
import {
  type ExistsStyle,
  type FaultPlan,
  type IndexServer,
  startIndexServer,
} from "../server/index-server.js";
import { type CliResult, pypirc, spawnCli, workspace } from "./cli.js";

export async function runTimed(
  args: string[],
  options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult & { ms: number }> {
  return spawnCli(args, options).done;
}

/** Resolves once `predicate` holds (polled), or rejects after `timeoutMs`. */
export async function waitFor(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > until) throw new Error("waitFor: timed out");
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A .pypirc with one section per server (user `u`, password `pw-<name>`), plus extra keys.
 * Existence checks are off (`check-url = none`) unless a test gives `check-url` or `simple-url`: these tests
 * are about what servers answer to uploads; derived simple URLs have their own (test/simple/).
 */
export function configFor(servers: Record<string, { url: string } & Record<string, string>>): {
  config: string;
  dir: string;
} {
  const sections: Record<string, Record<string, string | string[]>> = {
    distutils: { "index-servers": Object.keys(servers) },
  };
  for (const [name, { url, ...extra }] of Object.entries(servers)) {
    sections[name] = {
      repository: url,
      username: "u",
      password: `pw-${name}`,
      ...("check-url" in extra || "simple-url" in extra ? {} : { "check-url": "none" }),
      ...extra,
    };
  }
  return workspace(pypirc(sections));
}

/**
 * A factory of index servers that live for one test (each is closed after it): PyPI mode, user
 * `u` with password `pw-<name>` (as configFor writes it), the given fault plan and exists style.
 * Call once at the top level of a test file.
 */
export function serversPerTest(): (
  name: string,
  faults?: FaultPlan,
  existsStyle?: ExistsStyle,
) => Promise<IndexServer> {
  const open: IndexServer[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (name, faults = [], existsStyle = "pypi") => {
    const s = await startIndexServer({
      mode: "pypi",
      users: { u: `pw-${name}` },
      faults,
      existsStyle,
    });
    open.push(s);
    return s;
  };
}

export interface Pki {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  /** Client certificate and key in one PEM file (twine's client_cert). */
  clientPem: string;
  ca: string;
  cert: string;
  key: string;
}

/** A throw-away CA, a server certificate for 127.0.0.1/localhost and a client certificate. */
export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), "pkgpush-pki-"));
  const p = (name: string): string => join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  };
  ssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=pkgpush test CA",
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.pem"),
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  );
  const leaf = (name: string, subject: string, ext: string): void => {
    ssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      subject,
      "-keyout",
      p(`${name}.key`),
      "-out",
      p(`${name}.csr`),
    );
    writeFileSync(p(`${name}.ext`), ext);
    ssl(
      "x509",
      "-req",
      "-in",
      p(`${name}.csr`),
      "-CA",
      p("ca.pem"),
      "-CAkey",
      p("ca.key"),
      "-CAcreateserial",
      "-days",
      "2",
      "-out",
      p(`${name}.pem`),
      "-extfile",
      p(`${name}.ext`),
    );
  };
  leaf(
    "server",
    "/CN=127.0.0.1",
    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  leaf("client", "/CN=pkgpush client", "extendedKeyUsage=clientAuth\n");
  writeFileSync(
    p("client-bundle.pem"),
    readFileSync(p("client.pem"), "utf8") + readFileSync(p("client.key"), "utf8"),
  );
  return {
    dir,
    caCert: p("ca.pem"),
    serverCert: p("server.pem"),
    serverKey: p("server.key"),
    clientPem: p("client-bundle.pem"),
    ca: readFileSync(p("ca.pem"), "utf8"),
    cert: readFileSync(p("server.pem"), "utf8"),
    key: readFileSync(p("server.key"), "utf8"),
  };
}
