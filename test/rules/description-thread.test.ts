/**
 * `check` renders descriptions on a worker thread while the main thread reads the archives
 * (src/rules/readme/description-thread.ts). The verdicts are the ones the main thread gives
 * alone, file by file and in order, whatever the worker does: renders, crashes, throws, never
 * answers, or is missing (as under these tests, which run the sources: the worker here is built
 * from them with esbuild, as scripts/build.mjs builds dist/readme-worker.js).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { InterruptedError } from "../../src/errors.js";
import { checkFiles, type FileVerdict } from "../../src/rules/check-file.js";
import {
  BEHIND,
  DescriptionThread,
  MAX_QUEUED,
} from "../../src/rules/readme/description-thread.js";
import { root } from "../helpers/cli.js";

const launcher = createRequire(import.meta.url)("../../bin/early-thread.cjs") as {
  EARLY_WORKER: symbol;
  startEarlyThread(argv: string[], distDir: string): void;
};
const { EARLY_WORKER } = launcher;
/** Where the launcher leaves the worker it started. */
const slots = globalThis as unknown as Record<symbol, unknown>;

/**
 * Wheels with these descriptions (and metadata): [name, extra headers, body, platform tag,
 * the module's source].
 */
const PYARMOR = "__pyarmor__(__name__, __file__, b'...')\n";
const WHEELS: Array<[string, Array<[string, string]>, string, (string | null)?, string?]> = [
  ["thr_goodrst", [], "Title\n=====\n\nSome *text*.\n"],
  ["thr_badrst", [], "Title\n=====\n\nSome *text.\n\nMore lines.\n"],
  ["thr_markdown", [["Description-Content-Type", "text/markdown"]], "# Title\n\ntext\n"],
  ["thr_emptymd", [["Description-Content-Type", "text/markdown"]], "\n  \n"],
  ["thr_plain", [["Description-Content-Type", "text/plain"]], "*not* `rst\n"],
  // Warehouse renders the description before it reads the file: its refusal wins.
  ["thr_badrst_linux", [], "Broken `reference\n", "linux_x86_64"],
  // ... and judges the metadata before the description.
  ["thr_badrst_classifier", [["Classifier", "Not :: A :: Classifier"]], "Broken `reference\n"],
  ["asyncio", [], "Broken `reference\n"],
  ["thr_nodescription", [], ""],
  ["thr_goodrst_linux", [], "Fine.\n", "linux_x86_64"],
  // PyPI's YARA rules (the members are inflated and searched on the thread too)...
  ["thr_pyarmor", [], "Fine.\n", null, PYARMOR],
  // ... come after the description.
  ["thr_badrst_pyarmor", [], "Broken `reference\n", null, PYARMOR],
];

const MAKE_WHEELS = `
import base64, hashlib, json, sys, zipfile
out, specs = sys.argv[1], json.loads(sys.argv[2])
for spec in specs:
    name, headers, body, tag, source = (spec + [None, None])[:5]
    dist = f"{name}-1.0.dist-info"
    wheel = f"{name}-1.0-py3-none-{tag or 'any'}.whl"
    head = f"Metadata-Version: 2.1\\nName: {name}\\nVersion: 1.0\\n"
    head += "".join(f"{k}: {v}\\n" for k, v in headers)
    files = {
        f"{name}/__init__.py": (source or "VALUE = 1\\n").encode(),
        f"{dist}/METADATA": (head + "\\n" + body).encode(),
        f"{dist}/WHEEL": f"Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-{tag or 'any'}\\n".encode(),
    }
    def digest(data):
        return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    record = "".join(f"{n},sha256={digest(d)},{len(d)}\\n" for n, d in files.items()) + f"{dist}/RECORD,,\\n"
    with zipfile.ZipFile(f"{out}/{wheel}", "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files.items():
            z.writestr(n, d)
        z.writestr(f"{dist}/RECORD", record)
    print(f"{out}/{wheel}")
`;

let paths: string[];
let workerUrl: URL;
/** The real worker, answering each YARA scan only after 200 ms. */
let slowScanUrl: URL;
let dir: string;
/** The verdicts of the main thread alone (no description thread). */
let alone: FileVerdict[];

/** `entry` bundled as dir/NAME.js (the worker's own modules inlined, as in dist/). */
async function bundled(name: string, entry: string): Promise<URL> {
  await build({
    absWorkingDir: root,
    entryPoints: { [name]: entry },
    outdir: dir,
    bundle: true,
    format: "esm",
    platform: "node",
    logLevel: "warning",
  });
  return pathToFileURL(join(dir, `${name}.js`));
}

/**
 * What a stand-in worker starts with: `onRequest` hears the requests, not the first message (the
 * shared memory, render-worker.ts SharedProgress), which only a worker that counts and claims uses.
 */
const STAND_IN = `import { parentPort } from "node:worker_threads";
const onRequest = (handle) => parentPort.on("message", (m) => "shared" in m || handle(m));`;

/** A worker script written for one test. */
function worker(name: string, source: string): URL {
  const file = join(dir, `${name}.mjs`);
  writeFileSync(file, `${STAND_IN}\n${source}\n`);
  return pathToFileURL(file);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "pkgpush-thread-"));
  const made = spawnSync("python3", ["-c", MAKE_WHEELS, dir, JSON.stringify(WHEELS)], {
    encoding: "utf8",
  });
  expect(made.status, made.stderr).toBe(0);
  paths = made.stdout.trim().split("\n");
  workerUrl = await bundled("readme-worker", "src/rules/readme/render-worker.ts");
  // Scans late: by then the main thread has released the archive and read the next ones.
  writeFileSync(
    join(dir, "slow-scan.ts"),
    `${STAND_IN}
     import { scanYara } from ${JSON.stringify(join(root, "src/rules/yara.ts"))};
     onRequest(({ id, work }) => {
       if (!("yara" in work)) return parentPort?.postMessage({ id, verdict: { ok: true } });
       setTimeout(() => {
         try { parentPort?.postMessage({ id, match: scanYara(work.yara) ?? null }); }
         catch (e) { parentPort?.postMessage({ id, error: String(e) }); }
       }, 200);
     });`,
  );
  slowScanUrl = await bundled("slow-scan", join(dir, "slow-scan.ts"));
  alone = await checkFiles(paths, "pypi");
}, 60_000);

const byFile = (verdicts: FileVerdict[]) =>
  verdicts.map((v) => [v.file.replace(/.*\//, ""), v.verdict, v.refusal?.rule ?? null]);

describe("descriptions rendered on a worker thread", () => {
  it("the control: the main thread alone refuses what Warehouse refuses, in Warehouse's order", () => {
    expect(byFile(alone)).toEqual([
      ["thr_goodrst-1.0-py3-none-any.whl", "pass", null],
      ["thr_badrst-1.0-py3-none-any.whl", "fail", "description"],
      ["thr_markdown-1.0-py3-none-any.whl", "pass", null],
      ["thr_emptymd-1.0-py3-none-any.whl", "fail", "description"],
      ["thr_plain-1.0-py3-none-any.whl", "pass", null],
      ["thr_badrst_linux-1.0-py3-none-linux_x86_64.whl", "fail", "description"],
      ["thr_badrst_classifier-1.0-py3-none-any.whl", "fail", "metadata:classifier"],
      ["asyncio-1.0-py3-none-any.whl", "fail", "project-name"],
      ["thr_nodescription-1.0-py3-none-any.whl", "pass", null],
      ["thr_goodrst_linux-1.0-py3-none-linux_x86_64.whl", "fail", "wheel-platform"],
      ["thr_pyarmor-1.0-py3-none-any.whl", "fail", "archive"],
      ["thr_badrst_pyarmor-1.0-py3-none-any.whl", "fail", "description"],
    ]);
    expect(alone[10]?.refusal?.message).toMatch(/pyarmor/i);
    expect(alone[7]?.notJudged.at(-1)?.message).toMatch(/an existing project: description: /);
  });

  it("gives the same verdicts, in the same order, with the worker rendering", async () => {
    const thread = new DescriptionThread(workerUrl);
    try {
      expect(thread.threaded).toBe(true);
      expect(await checkFiles(paths, "pypi", { thread })).toEqual(alone);
      // Every description that needs rendering went there (reST and Markdown, not plain or
      // empty ones, not the file whose metadata is refused first): 9; and the wheels' YARA
      // scans and framing walks (11 each) that came while it was not behind (else they are
      // done here).
      expect(thread.answered).toBeGreaterThanOrEqual(9);
      expect(thread.answered).toBeLessThanOrEqual(31);
      expect(thread.threaded).toBe(true);
    } finally {
      await thread.close();
    }
  });

  it("adopts the worker the launcher started before the bundle loaded (bin/early-thread.cjs)", async () => {
    // dir holds the bundled worker as readme-worker.js, as dist/ does.
    launcher.startEarlyThread(["check", "x.whl"], dir);
    expect(slots[EARLY_WORKER]).toBeDefined();
    // The sources' own worker URL has no bundle: only the adopted worker can render.
    const thread = new DescriptionThread();
    try {
      expect(slots[EARLY_WORKER]).toBeUndefined();
      expect(thread.threaded).toBe(true);
      expect(await checkFiles(paths, "pypi", { thread })).toEqual(alone);
      expect(thread.answered).toBeGreaterThanOrEqual(9);
    } finally {
      await thread.close();
    }
  });

  it("does not adopt a launcher's worker that ended before the bundle loaded", async () => {
    const dead = mkdtempSync(join(tmpdir(), "pkgpush-thread-dead-"));
    writeFileSync(join(dead, "readme-worker.js"), "process.exit(3);\n");
    launcher.startEarlyThread(["check"], dead);
    const early = slots[EARLY_WORKER] as { failed: boolean };
    while (!early.failed) await new Promise((resolve) => setTimeout(resolve, 10));
    const thread = new DescriptionThread();
    try {
      expect(slots[EARLY_WORKER]).toBeUndefined();
      expect(thread.threaded).toBe(false);
      expect(await checkFiles(paths, "pypi", { thread })).toEqual(alone);
    } finally {
      await thread.close();
    }
  });

  it("falls back to the main thread when the worker dies, with the same verdicts", async () => {
    const thread = new DescriptionThread(worker("dies", `onRequest(() => process.exit(3));`));
    try {
      expect(await checkFiles(paths, "pypi", { thread })).toEqual(alone);
      expect(thread.answered).toBe(0);
      expect(thread.threaded).toBe(false);
    } finally {
      await thread.close();
    }
  });

  it("renders here what the worker's renderer failed on, and takes its other answers", async () => {
    // A stand-in that fails on every YARA scan and framing walk and on the descriptions saying
    // "Broken", and calls the others fine.
    const thread = new DescriptionThread(
      worker(
        "throws",
        `onRequest(({ id, work }) =>
           parentPort.postMessage(
             !("text" in work) || work.text.includes("Broken")
               ? { id, error: "boom" }
               : { id, verdict: { ok: true } }));`,
      ),
    );
    try {
      const verdicts = await checkFiles(paths, "pypi", { thread });
      expect(thread.answered).toBe(6);
      expect(byFile(verdicts)).toEqual([
        ["thr_goodrst-1.0-py3-none-any.whl", "pass", null],
        // The worker's answers are used as given...
        ["thr_badrst-1.0-py3-none-any.whl", "pass", null],
        ["thr_markdown-1.0-py3-none-any.whl", "pass", null],
        ["thr_emptymd-1.0-py3-none-any.whl", "pass", null],
        ["thr_plain-1.0-py3-none-any.whl", "pass", null],
        // ... and what it failed on is rendered here.
        ["thr_badrst_linux-1.0-py3-none-linux_x86_64.whl", "fail", "description"],
        ["thr_badrst_classifier-1.0-py3-none-any.whl", "fail", "metadata:classifier"],
        ["asyncio-1.0-py3-none-any.whl", "fail", "project-name"],
        ["thr_nodescription-1.0-py3-none-any.whl", "pass", null],
        ["thr_goodrst_linux-1.0-py3-none-linux_x86_64.whl", "fail", "wheel-platform"],
        ["thr_pyarmor-1.0-py3-none-any.whl", "fail", "archive"],
        ["thr_badrst_pyarmor-1.0-py3-none-any.whl", "fail", "description"],
      ]);
      expect(verdicts[5]).toEqual(alone[5]);
      expect(verdicts[10]).toEqual(alone[10]);
      expect(verdicts[7]).toEqual(alone[7]);
      expect(thread.threaded).toBe(true);
    } finally {
      await thread.close();
    }
  });

  it("reads each archive's YARA members after the main thread has moved on: the file stays open", async () => {
    const thread = new DescriptionThread(slowScanUrl);
    // Three files: fewer requests than BEHIND, so every scan is the worker's.
    const three = [0, 10, 11];
    try {
      const verdicts = await checkFiles(
        three.map((i) => paths[i] as string),
        "pypi",
        { thread },
      );
      // The stand-in passes every description: the pyarmor wheels are refused for what the
      // worker found in them, 200 ms after their archives were released (a closed file would
      // fail the scan and the check).
      expect(byFile(verdicts)).toEqual([
        ["thr_goodrst-1.0-py3-none-any.whl", "pass", null],
        ["thr_pyarmor-1.0-py3-none-any.whl", "fail", "archive"],
        ["thr_badrst_pyarmor-1.0-py3-none-any.whl", "fail", "archive"],
      ]);
      expect(verdicts[1]).toEqual(alone[10]);
      expect(thread.answered).toBe(6);
    } finally {
      await thread.close();
    }
  });

  it("takes back the scans and walks the worker has not started once every archive is read", async () => {
    // The worker's protocol (claims each request, counts it finished), stuck 300 ms on its
    // first scan or walk: the main thread takes the newest ones back meanwhile.
    writeFileSync(
      join(dir, "stuck.ts"),
      `import { parentPort } from "node:worker_threads";
       import { scanYara } from ${JSON.stringify(join(root, "src/rules/yara.ts"))};
       import { framingOfFile } from ${JSON.stringify(join(root, "src/rules/zip-scan.ts"))};
       import { CLAIMED_BY_WORKER, CLAIMS, FINISHED } from ${JSON.stringify(join(root, "src/rules/readme/thread-progress.ts"))};
       let progress, claims;
       let stuck = false;
       parentPort?.on("message", (message) => {
         if ("shared" in message) {
           ({ progress, claims } = message.shared);
           return Atomics.store(progress, CLAIMS, 1);
         }
         const { id, work } = message;
         const mine = Atomics.compareExchange(claims, id % claims.length, 0, CLAIMED_BY_WORKER) === 0;
         if (mine && !("text" in work) && !stuck) {
           stuck = true;
           Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
         }
         if (mine)
           parentPort?.postMessage(
             "yara" in work ? { id, match: scanYara(work.yara) ?? null }
             : "framing" in work ? { id, framing: framingOfFile(work.framing.fd, work.framing.size) ?? null }
             : { id, verdict: { ok: true } });
         Atomics.add(progress, FINISHED, 1);
       });`,
    );
    const thread = new DescriptionThread(await bundled("stuck", join(dir, "stuck.ts")));
    try {
      // Up (claiming) before the files are read.
      expect(await thread.check("Warm-up.\n", undefined)).toEqual({ ok: true });
      const verdicts = await checkFiles(paths, "pypi", { thread });
      expect(thread.takenBack).toBeGreaterThan(0);
      // The stand-in passes every description; the archives' verdicts are the main thread's.
      expect(byFile(verdicts).filter(([, , rule]) => rule === "archive")).toEqual([
        ["thr_pyarmor-1.0-py3-none-any.whl", "fail", "archive"],
        ["thr_badrst_pyarmor-1.0-py3-none-any.whl", "fail", "archive"],
      ]);
      expect(verdicts[10]).toEqual(alone[10]);
      expect(verdicts[11]?.refusal).toEqual(alone[10]?.refusal);
    } finally {
      await thread.close();
    }
  });

  it("is behind once more than BEHIND requests wait after its first answer (the main thread then scans)", async () => {
    // Answers the first request only, then falls silent.
    const thread = new DescriptionThread(
      worker(
        "silent-behind",
        `let first = true;
onRequest(({ id }) => {
  if (first) parentPort.postMessage({ id, verdict: { ok: true } });
  first = false;
});`,
      ),
    );
    const answers: Array<Promise<unknown>> = [];
    for (let i = 0; i <= BEHIND; i++) answers.push(thread.check(`text ${i}\n`, undefined));
    // Starting (no answer yet): what waits is not a backlog.
    expect(thread.behind()).toBe(false);
    await answers[0];
    expect(thread.behind()).toBe(false);
    answers.push(thread.check("one more\n", undefined));
    expect(thread.behind()).toBe(true);
    for (const a of answers) a.catch(() => undefined);
    await thread.close();
    expect(thread.behind()).toBe(false);
  });

  it("without its bundle (the sources), the main thread renders everything", async () => {
    const thread = new DescriptionThread(pathToFileURL(join(dir, "missing", "readme-worker.js")));
    expect(thread.threaded).toBe(false);
    expect(await checkFiles(paths, "pypi", { thread })).toEqual(alone);
    await thread.close();
  });

  it("bounds what waits for the worker, and close() ends it with nothing left waiting", async () => {
    const thread = new DescriptionThread(worker("silent", `onRequest(() => {});`));
    const text = `${"x".repeat(MAX_QUEUED / 2)}\n`;
    const answers = [thread.check(text, undefined), thread.check(text, undefined)];
    for (const a of answers) a.catch(() => undefined);
    let roomMade = false;
    const room = thread.room().then(() => {
      roomMade = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(roomMade).toBe(false);
    await thread.close();
    await room;
    for (const a of answers) await expect(a).rejects.toThrow(/closed/);
  });

  it("stops claiming files once interrupted", async () => {
    const thread = new DescriptionThread(workerUrl);
    try {
      const controller = new AbortController();
      controller.abort();
      await expect(
        checkFiles(paths, "pypi", { thread, signal: controller.signal }),
      ).rejects.toBeInstanceOf(InterruptedError);
      expect(thread.answered).toBe(0);
    } finally {
      await thread.close();
    }
  });
});
