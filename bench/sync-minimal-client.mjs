#!/usr/bin/env node
// Scenario 7's yardstick for a Node.js client (bench/scenario-sync.mjs): the least a Node program
// can do to copy a release, so that pkgpush's time can be told apart from Node's own.
//   node bench/sync-minimal-client.mjs DIR PROJECT_PAGE_URL USER PASSWORD TARGET_UPLOAD_URL...
// It reads the source's PEP 691 page, downloads the files (3 at once) into DIR while computing
// their sha256, and sends each file to every target as soon as it is on disk (node:http,
// keep-alive, 4 uploads at once per target), with the form curl's floor sends. Nothing else:
// no configuration, no retries, no metadata read from the files, no checks, no progress. It is
// not a tool; it is how fast plain Node is here.
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, statSync } from "node:fs";
import { Agent, request } from "node:http";
import { basename, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { syncFormFields } from "./sync-form.mjs";

const [dir, page, user, password, ...targets] = process.argv.slice(2);
if (!dir || !page || !user || password === undefined || targets.length === 0) {
  process.stderr.write("usage: sync-minimal-client.mjs DIR PAGE_URL USER PASSWORD TARGET...\n");
  process.exit(2);
}
const folder = dir;
const pageUrl = page;
const agent = new Agent({ keepAlive: true, maxSockets: 4 });
const auth = `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/**
 * @param {string} url
 * @param {import("node:http").RequestOptions} options
 * @param {(req: import("node:http").ClientRequest) => void} send
 * @returns {Promise<import("node:http").IncomingMessage>}
 */
function call(url, options, send) {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, ...options }, (res) => {
      if ((res.statusCode ?? 0) >= 300) reject(new Error(`${url}: HTTP ${res.statusCode}`));
      else resolve(res);
    });
    req.on("error", reject);
    send(req);
  });
}

/** @param {import("node:http").IncomingMessage} res */
async function text(res) {
  let body = "";
  for await (const chunk of res) body += chunk;
  return body;
}

const listing = JSON.parse(
  await text(
    await call(page, { headers: { accept: "application/vnd.pypi.simple.v1+json" } }, (r) =>
      r.end(),
    ),
  ),
);
/** @type {Array<{ filename: string, url: string, hashes: { sha256: string } }>} */
const files = listing.files;

/** @param {{ filename: string, url: string, hashes: { sha256: string } }} file */
async function download(file) {
  const path = join(folder, file.filename);
  const res = await call(new URL(file.url, pageUrl).href, {}, (r) => r.end());
  const hash = createHash("sha256");
  res.on("data", (chunk) => hash.update(chunk));
  await pipeline(res, createWriteStream(path));
  const sha256 = hash.digest("hex");
  if (sha256 !== file.hashes.sha256) throw new Error(`${file.filename}: sha256 mismatch`);
  return { path, sha256 };
}

/**
 * @param {string} target
 * @param {{ path: string, sha256: string }} file
 */
async function upload(target, file) {
  const name = basename(file.path);
  const fields = syncFormFields(name, file.sha256);
  const boundary = "minimal-client-boundary";
  const head = Buffer.from(
    `${Object.entries(fields)
      .map(
        ([k, v]) => `--${boundary}\r\ncontent-disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
      )
      .join(
        "",
      )}--${boundary}\r\ncontent-disposition: form-data; name="content"; filename="${name}"\r\ncontent-type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const size = statSync(file.path).size;
  const headers = {
    authorization: auth,
    "content-type": `multipart/form-data; boundary=${boundary}`,
    "content-length": String(head.length + size + tail.length),
  };
  const res = await call(target, { method: "POST", headers }, (req) => {
    req.write(head);
    const body = createReadStream(file.path, { highWaterMark: 1024 * 1024 });
    body.on("end", () => req.end(tail));
    body.pipe(req, { end: false });
  });
  await text(res);
}

// Wheels before the sdist on every target, as the floor's and pkgpush's orders have it.
const order = [...files].sort(
  (a, b) => Number(!a.filename.endsWith(".whl")) - Number(!b.filename.endsWith(".whl")),
);
/** @type {Promise<void>[]} */
const uploads = [];
let next = 0;
await Promise.all(
  [0, 1, 2].map(async () => {
    while (next < order.length) {
      const file = /** @type {typeof order[number]} */ (order[next++]);
      const local = await download(file);
      uploads.push(...targets.map((t) => upload(t, local)));
    }
  }),
);
await Promise.all(uploads);
agent.destroy();
