import type { KeyObject, X509Certificate } from "node:crypto";
import type { ServerConfig } from "../config/types.js";
import { ConfigError, type PkgpushError } from "../errors.js";
import { readRegularFile, regularFileProblem } from "../io/regular-file.js";

/** CA bundles of whole distributions run to a few hundred KiB; a client PEM to a few KiB. */
const MAX_PEM_BYTES = 4 * 1024 * 1024;

const CERT_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
const KEY_BLOCK = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]*?-----END \1-----/;

interface TlsFile {
  path: string;
  kind: "ca" | "client";
  /** Where it was given: `--cert`, `[section] ca_cert`... */
  origin: string;
}

/** The CA bundle and client certificate each server will use: options win over the section's. */
function tlsFiles(servers: ServerConfig[], cert?: string, clientCert?: string): TlsFile[] {
  const files = new Map<string, TlsFile>();
  const add = (path: string | undefined, kind: TlsFile["kind"], origin: string): void => {
    if (path && !files.has(`${kind}\0${path}`))
      files.set(`${kind}\0${path}`, { path, kind, origin });
  };
  for (const server of servers) {
    add(cert ?? server.caCert, "ca", cert ? "--cert" : `[${server.name}] ca_cert`);
    add(
      clientCert ?? server.clientCert,
      "client",
      clientCert ? "--client-cert" : `[${server.name}] client_cert`,
    );
  }
  return [...files.values()];
}

/** node:crypto, loaded when there is a file to check (most runs have none; a dry run too). */
type Crypto = typeof import("node:crypto");

function certificates(crypto: Crypto, text: string): X509Certificate[] {
  return [...text.matchAll(CERT_BLOCK)].map(([block]) => new crypto.X509Certificate(block));
}

/** Why a PEM file cannot serve, or undefined when it can. */
/** Completes "FILE: ...". */
function pemProblem(crypto: Crypto, text: string, kind: TlsFile["kind"]): string | undefined {
  let certs: X509Certificate[];
  try {
    certs = certificates(crypto, text);
  } catch (error) {
    return `holds a certificate that cannot be read (${(error as Error).message})`;
  }
  if (certs.length === 0) return "has no PEM certificate in it (-----BEGIN CERTIFICATE-----)";
  if (kind === "ca") return undefined;
  const block = KEY_BLOCK.exec(text);
  if (!block)
    return "has no PEM private key in it (a client certificate file holds the certificate and its key)";
  if (block[1] === "ENCRYPTED PRIVATE KEY" || /Proc-Type: 4,ENCRYPTED/.test(block[0])) {
    return "holds an encrypted private key; give an unencrypted one (openssl pkey -in KEY -out PLAIN)";
  }
  let key: KeyObject;
  try {
    key = crypto.createPrivateKey(block[0]);
  } catch (error) {
    return `holds a private key that cannot be read (${(error as Error).message})`;
  }
  if (!certs.some((c) => c.checkPrivateKey(key)))
    return "holds a private key that does not belong to the certificate";
  return undefined;
}

/**
 * Checks every CA bundle and client certificate before anything is sent (dry runs too): a regular
 * file of bounded size (a FIFO or /dev/zero is an error, not a hang), readable, valid PEM, and for
 * a client certificate a key that matches it. Returns the problems, one per file.
 */
export async function checkTlsFiles(
  servers: ServerConfig[],
  cert: string | undefined,
  clientCert: string | undefined,
): Promise<PkgpushError[]> {
  const problems: PkgpushError[] = [];
  for (const file of tlsFiles(servers, cert, clientCert)) {
    const what = file.kind === "ca" ? "CA bundle" : "client certificate";
    let why = await regularFileProblem(file.path, MAX_PEM_BYTES);
    if (!why) {
      try {
        const { bytes } = await readRegularFile(file.path, MAX_PEM_BYTES);
        why = pemProblem(await import("node:crypto"), bytes.toString("latin1"), file.kind);
      } catch (error) {
        why = `cannot be read (${(error as Error).message})`;
      }
    }
    if (why) {
      problems.push(
        new ConfigError(`${file.origin} ${file.path} ${why}`, {
          hint: `give a PEM ${what} file`,
        }),
      );
    }
  }
  return problems;
}
