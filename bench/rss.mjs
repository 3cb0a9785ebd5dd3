#!/usr/bin/env node
// Peak memory of one upload of a 1 GiB wheel to two index servers: proves that pkgpush streams
// (hashing and sending) instead of holding files in memory.
//
//   npm run build && node bench/rss.mjs [--size-mib 1024] [--limit-mib 192]
//   RSS_TRACE=1 node bench/rss.mjs     # also print VmRSS every 0.5 s (which phase peaks)
//
// Measured (2 cores, Node 20, Aug 2026): peak ~168 MiB for 1 GiB, the same for 512 MiB: the
// peak is in the hashing pre-pass (4 MiB read chunks on two threads, BLAKE2b worker), the upload
// phase itself stays at 100-120 MiB. The bound is independent of the file size.
//
// The wheel is a real zip (readable by pkgpush's inspection) whose first member is 1 GiB of
// zeros stored uncompressed in a sparse hole, so it costs no disk space. The two test index
// servers (build/index-server.js) run in their own process; pkgpush's VmHWM (peak resident set)
// is sampled from /proc/<pid>/status while it runs. Exits 1 when the peak exceeds the limit.
import { spawn } from "node:child_process";
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { crc32 } from "node:zlib";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({
  options: {
    "size-mib": { type: "string", default: "1024" },
    "limit-mib": { type: "string", default: "192" },
  },
});
const SIZE = Number(values["size-mib"]) * 1024 * 1024;
const LIMIT_MIB = Number(values["limit-mib"]);
if (SIZE >= 2 ** 32) throw new Error("--size-mib must stay below 4 GiB (no zip64 here)");

/**
 * A wheel whose first member (`rssbench/data.bin`) is SIZE zero bytes in a sparse hole.
 * @param {string} path
 */
function writeSparseWheel(path) {
  const name = "rssbench";
  const version = "1.0.0";
  const distInfo = `${name}-${version}.dist-info`;
  /** @type {[string, string][]} the small members: name and text */
  const smallText = [
    [
      `${distInfo}/METADATA`,
      `Metadata-Version: 2.1\nName: ${name}\nVersion: ${version}\nSummary: 1 GiB of zeros for the RSS bench\nRequires-Python: >=3.8\n`,
    ],
    [
      `${distInfo}/WHEEL`,
      "Wheel-Version: 1.0\nGenerator: pkgpush-bench\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    ],
    [`${distInfo}/RECORD`, ""],
  ];
  const small = smallText.map(([n, text]) => ({ fileName: n, data: Buffer.from(text) }));

  let zerosCrc = 0;
  const block = Buffer.alloc(16 * 1024 * 1024);
  for (let done = 0; done < SIZE; done += block.length) {
    zerosCrc = crc32(block.subarray(0, Math.min(block.length, SIZE - done)), zerosCrc);
  }

  /**
   * @param {string} fileName
   * @param {number} crc
   * @param {number} size
   */
  const localHeader = (fileName, crc, size) => {
    const n = Buffer.from(fileName);
    const h = Buffer.alloc(30);
    h.writeUInt32LE(0x04034b50, 0);
    h.writeUInt16LE(20, 4); // version needed
    h.writeUInt16LE(0, 6); // flags
    h.writeUInt16LE(0, 8); // stored
    h.writeUInt16LE(0, 10); // time
    h.writeUInt16LE(0x21, 12); // date 1980-01-01
    h.writeUInt32LE(crc >>> 0, 14);
    h.writeUInt32LE(size, 18);
    h.writeUInt32LE(size, 22);
    h.writeUInt16LE(n.length, 26);
    h.writeUInt16LE(0, 28);
    return Buffer.concat([h, n]);
  };
  /**
   * @param {string} fileName
   * @param {number} crc
   * @param {number} size
   * @param {number} offset of the local header
   */
  const centralHeader = (fileName, crc, size, offset) => {
    const n = Buffer.from(fileName);
    const h = Buffer.alloc(46);
    h.writeUInt32LE(0x02014b50, 0);
    h.writeUInt16LE(0x031e, 4); // made by: unix, 3.0
    h.writeUInt16LE(20, 6);
    h.writeUInt16LE(0, 8);
    h.writeUInt16LE(0, 10);
    h.writeUInt16LE(0, 12);
    h.writeUInt16LE(0x21, 14);
    h.writeUInt32LE(crc >>> 0, 16);
    h.writeUInt32LE(size, 20);
    h.writeUInt32LE(size, 24);
    h.writeUInt16LE(n.length, 28);
    h.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    h.writeUInt32LE(offset, 42);
    return Buffer.concat([h, n]);
  };

  const fd = openSync(path, "w");
  const central = [];
  const bigName = `${name}/data.bin`;
  const bigHeader = localHeader(bigName, zerosCrc, SIZE);
  writeSync(fd, bigHeader, 0, bigHeader.length, 0);
  central.push(centralHeader(bigName, zerosCrc, SIZE, 0));
  let offset = bigHeader.length + SIZE;
  ftruncateSync(fd, offset); // the hole: SIZE zero bytes that take no disk blocks
  for (const { fileName, data } of small) {
    const crc = crc32(data);
    const header = localHeader(fileName, crc, data.length);
    central.push(centralHeader(fileName, crc, data.length, offset));
    const chunk = Buffer.concat([header, data]);
    writeSync(fd, chunk, 0, chunk.length, offset);
    offset += chunk.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(central.length, 8);
  end.writeUInt16LE(central.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  const tail = Buffer.concat([cd, end]);
  writeSync(fd, tail, 0, tail.length, offset);
  closeSync(fd);
}

/**
 * Starts the two index servers in one child process; resolves with their upload URLs.
 * @param {string} storeDir
 * @returns {Promise<{ child: import("node:child_process").ChildProcess, urls: { a: string, b: string } }>}
 */
function startServers(storeDir) {
  const child = spawn(
    process.execPath,
    [
      join(root, "build/index-server.js"),
      "--exit-on-stdin-end",
      "--server",
      `name=a,mode=pypi,user=u:pw,store-dir=${join(storeDir, "a")}`,
      "--server",
      `name=b,mode=devpi,user=u:pw,store-dir=${join(storeDir, "b")}`,
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  return new Promise((resolvePromise, reject) => {
    /** @type {Record<string, string | undefined>} upload URLs by server name */
    const urls = {};
    let buffer = "";
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`index servers exited early (${code})`)));
    child.stdout.on("data", (data) => {
      buffer += data;
      for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
        const line = JSON.parse(buffer.slice(0, i));
        buffer = buffer.slice(i + 1);
        urls[line.name] = line.uploadUrl;
        const { a, b } = urls;
        if (a && b) resolvePromise({ child, urls: { a, b } });
      }
    });
  });
}

/**
 * A size field of /proc/<pid>/status, in KiB; undefined once the process is gone.
 * @param {number | undefined} pid
 * @param {string} field
 */
function statusKiB(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(
      readFileSync(`/proc/${pid}/status`, "utf8"),
    );
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined; // exited between samples
  }
}

const work = mkdtempSync(join(tmpdir(), "pkgpush-rss-"));
/** @type {Awaited<ReturnType<typeof startServers>> | undefined} */
let servers;
try {
  const wheel = join(work, "rssbench-1.0.0-py3-none-any.whl");
  writeSparseWheel(wheel);
  servers = await startServers(work);
  const config = join(work, ".pypirc");
  writeFileSync(
    config,
    `[distutils]\nindex-servers =\n    a\n    b\n\n[a]\nrepository = ${servers.urls.a}\nusername = u\npassword = pw\n\n[b]\nrepository = ${servers.urls.b}\nusername = u\npassword = pw\n`,
    { mode: 0o600 },
  );

  const started = Date.now();
  const pkgpush = spawn(
    process.execPath,
    [
      join(root, "bin/pkgpush.cjs"),
      "upload",
      "--config-file",
      config,
      "-r",
      "a,b",
      "--json",
      wheel,
    ],
    { env: { PATH: process.env.PATH, HOME: work, CI: "true" }, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  pkgpush.stdout.on("data", (d) => (stdout += d));
  pkgpush.stderr.on("data", (d) => (stderr += d));
  let hwm = 0;
  let rss = 0;
  /** @type {string[]} */
  const timeline = [];
  const sample = () => {
    if (process.env.RSS_TRACE)
      timeline.push(`${Date.now() - started}ms ${statusKiB(pkgpush.pid, "VmRSS")}`);
    hwm = Math.max(hwm, statusKiB(pkgpush.pid, "VmHWM") ?? 0);
    rss = Math.max(rss, statusKiB(pkgpush.pid, "VmRSS") ?? 0);
  };
  const timer = setInterval(sample, 50);
  const code = await new Promise((r) => pkgpush.on("exit", (c) => r(c)));
  clearInterval(timer);
  if (process.env.RSS_TRACE) console.log(timeline.filter((_, i) => i % 10 === 0).join("\n"));
  const seconds = (Date.now() - started) / 1000;

  if (code !== 0) {
    process.stderr.write(`${stderr}\n${stdout}\n`);
    throw new Error(`pkgpush exited with ${code}`);
  }
  /** @type {{ results: { server: string, status: string }[] }} pkgpush's --json report */
  const report = JSON.parse(stdout);
  const statuses = report.results.map((r) => `${r.server}:${r.status}`).join(" ");
  /** @param {number} kib */
  const mib = (kib) => (kib / 1024).toFixed(1);
  const sent = (2 * SIZE) / 1024 / 1024;
  console.log(
    `file ${mib(SIZE / 1024)} MiB x 2 servers (${statuses}) in ${seconds.toFixed(1)} s (${(sent / seconds).toFixed(0)} MiB/s sent)`,
  );
  console.log(
    `pkgpush peak RSS (VmHWM): ${mib(hwm)} MiB; highest sampled VmRSS: ${mib(rss)} MiB; limit ${LIMIT_MIB} MiB`,
  );
  if (hwm === 0) throw new Error("no /proc samples (Linux only)");
  if (hwm / 1024 > LIMIT_MIB) {
    console.error(`FAIL: peak RSS ${mib(hwm)} MiB is over the limit of ${LIMIT_MIB} MiB`);
    process.exitCode = 1;
  } else {
    console.log("OK: memory stays bounded while streaming");
  }
} finally {
  if (servers) {
    const { child } = servers;
    child.removeAllListeners("exit");
    child.kill("SIGTERM");
    await new Promise((r) => child.on("exit", r));
  }
  rmSync(work, { recursive: true, force: true });
}
