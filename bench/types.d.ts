// The shapes bench/run.mjs and its scenario modules pass around (JSDoc imports them:
// `@typedef {import("./types.js").Row} Row`). Types only: nothing here runs.

/** What a contender is: the machine's floor, the peer tool (twine), pkgpush, or context. */
export type Role = "floor" | "peer" | "pkgpush" | "info";

/** One command run once by runTimed (bench/run.mjs). */
export interface TimedRun {
  /** Seconds, the runner's clock. */
  wall: number;
  rssKiB: number;
  /** CPU seconds. */
  user: number;
  sys: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface RunTimedOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stdout?: "pipe" | "ignore";
}

/** What an entry may add to its id, label, role and steps. */
export interface EntryExtra {
  /** Set-up and tear-down of one run, outside the timing. */
  before?: () => Promise<void>;
  after?: () => Promise<void>;
  /** Steps made after `before` (they need the fresh servers' URLs). */
  stepsFor?: () => string[][];
  /** Throws when the outputs (one per step) are wrong. */
  check?: (outputs: string[]) => void;
  env?: NodeJS.ProcessEnv;
  stdout?: "pipe" | "ignore";
  /** Exit codes other than 0 that count as success. */
  okCodes?: number[];
  note?: string;
  /** At most this many measured rounds. */
  runs?: number | undefined;
}

/** One contender: `steps` run one after another; wall and CPU add up, RSS is the largest. */
export interface Entry extends EntryExtra {
  id: string;
  label: string;
  role: Role;
  steps: string[][];
}

/** One measured run of an entry. */
export interface Sample {
  wall: number;
  cpu: number;
  rssKiB: number;
  outputs: string[];
  /** What a self-timing script (the hash runners) reported. */
  inProcessMs: number | undefined;
}

/** An entry's statistics over its runs: one row of a scenario's table. */
export interface Row {
  id: string;
  label: string;
  role: Role;
  commands: string[];
  note: string | undefined;
  runs: number;
  wall: number;
  min: number;
  max: number;
  cpu: number;
  rssMiB: number;
  outputs: string[];
  inProcessMs: number | undefined;
  samples: { wall: number; cpu: number; rssKiB: number }[];
  /** Wall time relative to a reference row, shown in the "ratio" column. */
  vs?: { label: string; x: number };
  /** Scenario 2: the file size the row belongs to. */
  group?: string;
}

export type Op = "<=" | "<" | ">=" | ">";

/** Details a target may carry besides its verdict. */
export interface TargetDetail {
  /** The fastest runs' ratio. */
  best?: number;
  /** The CPU-time ratio. */
  cpu?: number;
  /** Scenario 2: the file size (bytes). */
  size?: number;
  /** How the value is shown: seconds, MiB, or (none) a ratio. */
  unit?: "s" | "MiB";
  /** Shown beside the goals but not one of them: where the goal applies instead. */
  reference?: string;
}

/** `value` compared with `goal` by `op`. */
export interface Target extends TargetDetail {
  label: string;
  value: number;
  op: Op;
  goal: number;
  met: boolean;
}

/** Scenario 1: how long importing a module took (after the ones before it in its chain). */
export interface MeasuredImport {
  spec: string;
  after: string | undefined;
  ms: number;
  bytes: number | undefined;
  error?: undefined;
}

/** Scenario 1: a chain of imports that failed. */
export interface FailedImport {
  spec: string;
  error: string | undefined;
  after?: undefined;
  ms?: undefined;
  bytes?: undefined;
}

export type ImportTime = MeasuredImport | FailedImport;

export interface ChunkComposition {
  chunk: string;
  bytes: number;
  packages: { name: string; bytes: number }[];
  sharedChunks: number;
  sharedBytes: number;
}

export interface Attribution {
  imports: ImportTime[];
  composition: { chunks?: ChunkComposition[]; error?: string };
}

/** A scenario that ran. */
export interface MeasuredScenario {
  id: string;
  title: string;
  rows: Row[];
  notes: string[];
  targets: Target[];
  extra?: {
    attribution?: Attribution;
    size?: number;
    /** Scenarios 3, 4 and 7: the index servers' CPU per run (median of the runs), by entry id. */
    serverCpu?: Record<string, number>;
  };
  seconds?: number;
  error?: undefined;
}

/** A scenario that crashed: its error instead of rows. */
export interface CrashedScenario {
  id: string;
  title: string;
  error: string;
  targets: Target[];
  rows?: undefined;
  notes?: undefined;
  extra?: undefined;
  seconds?: number;
}

export type ScenarioResult = MeasuredScenario | CrashedScenario;

export interface MachineInfo {
  nproc: number;
  model: string;
  sha: string;
  simd: string;
  memGiB: number;
  kernel: string;
}

export interface Versions {
  node: string;
  pkgpush: string;
  twine: string;
  python: string;
  curl: string;
  coreutils: string;
  openssl: string;
  gnuTime: string;
  hashWasm: string;
  undici: string;
  esbuild: string;
  nobleHashes: string;
}

/** Everything a run measured: what the report renders and bench/results/latest.json keeps. */
export interface Results {
  /** The package.json "bin" entry, relative to the package. */
  bin: string;
  date: string;
  machine: MachineInfo;
  versions: Versions;
  distBuilt: string;
  load: { start: number[]; end: number[] };
  smoke: boolean;
  scenarios: ScenarioResult[];
  seconds: number;
  /** The hand-written block between the notes markers of the existing report. */
  notes?: string;
}

/** A file bench/make_dists.py writes (with `dir`) or the runner asks for. */
export interface DistSpec {
  kind: "wheel" | "sdist" | "raw";
  dir?: string;
  name?: string;
  version?: string;
  size: number;
  tag?: string;
  file?: string;
}

/** A server process started by the runner. */
export interface StartedServer {
  uploadUrl: string;
  stop: () => Promise<void>;
  /** The server process's CPU time so far (user + system, Linux's /proc), or undefined. */
  cpuSeconds: () => number | undefined;
}

export interface IndexServers {
  servers: (StartedServer & { argv: string[] })[];
  stop: () => Promise<void>;
}

/** The runner's benchmark profile (smoke or full). */
export interface Profile {
  startupRuns: number;
  warmup: number;
  importRuns: number;
  sizes: string[];
  bigRuns: number;
  releaseFile: string;
  releaseRuns: number;
  manyProjects: number;
  manyFile: string;
  manyRuns: number;
  latencyMs: number;
  hashSize: string;
  hashRuns: number;
  filesFew: number;
  filesMany: number;
  filesRuns: number;
  syncFile: string;
  syncRuns: number;
  checkWheels: number;
  checkRuns: number;
  statusReleases: number;
  statusRuns: number;
  timeout: number;
}

/** What a scenario module (bench/scenario-*.mjs) gets from the runner. */
export interface ScenarioHelpers {
  work: () => string;
  env: () => NodeJS.ProcessEnv;
  PROFILE: Profile;
  SMOKE: boolean;
  TOOLS: { twine?: boolean };
  USER: string;
  PASSWORD: string;
  MiB: number;
  parseSize: (text: string) => number;
  sizeLabel: (bytes: number) => string;
  makeDists: (specs: DistSpec[]) => string[];
  startIndexes: (
    count: number,
    options?: { latencyMs?: number; label?: string },
  ) => Promise<IndexServers>;
  runTimed: (argv: string[], options?: RunTimedOptions) => Promise<TimedRun>;
  cli: (...args: string[]) => string[];
  twineUpload: (url: string, files: string[]) => string[];
  entry: (id: string, label: string, role: Role, steps: string[][], extra?: EntryExtra) => Entry;
  measureAll: (title: string, entries: Entry[], runs: number, warmup?: number) => Promise<Row[]>;
  runsOr: (n: number) => number;
  byId: (rows: Row[], id: string) => Row | undefined;
  /** The row of an entry the scenario always measures. */
  rowOf: (rows: Row[], id: string) => Row;
  target: (label: string, value: number, op: Op, goal: number, detail?: TargetDetail) => Target;
  median: (xs: number[]) => number;
  /** Seconds as "1.23 s" or "456 ms". */
  fmtS: (seconds: number | undefined) => string;
}
