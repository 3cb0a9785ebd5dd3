/**
 * CLI entry of the test index server (bundled as build/index-server.js by scripts/build.mjs, used
 * by the demo and by end-to-end tests that want the servers in another process). See
 * cli-args.ts for the command line.
 */
import { CliError, parseCli, USAGE } from "./cli-args.js";
import { type IndexServer, type RecordedRequest, startIndexServer } from "./index-server.js";

function logLine(name: string, r: RecordedRequest): string {
  const what = r.file
    ? ` ${r.file.filename} (${r.file.size} bytes)`
    : r.action
      ? ` ${r.action}`
      : "";
  const status = r.status ? `${r.status} ${r.reason}` : r.outcome;
  const faults = r.faults.length ? ` [fault: ${r.faults.join("; ")}]` : "";
  const user = r.user ? ` user=${r.user}` : "";
  return `[${name}] ${r.method} ${r.path}${what}${user} -> ${status}${faults}\n`;
}

async function main(argv: string[]): Promise<number> {
  let config: ReturnType<typeof parseCli>;
  try {
    config = parseCli(argv);
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    process.stderr.write(`index-server: error: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (config.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }

  const servers: Array<{ name: string; server: IndexServer }> = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= Promise.allSettled(servers.map(({ server }) => server.close())).then(
      () => undefined,
    );
    return stopping;
  };
  // Handlers first: a signal during start-up still closes what has started.
  const done = new Promise<number>((resolve) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      process.once(signal, () => void stop().then(() => resolve(0)));
    }
    if (config.exitOnStdinEnd) {
      process.stdin.on("end", () => void stop().then(() => resolve(0)));
      process.stdin.on("error", () => void stop().then(() => resolve(0)));
      process.stdin.resume();
    }
  });

  try {
    for (const spec of config.servers) {
      const onRequest = config.log
        ? (r: RecordedRequest) => void process.stderr.write(logLine(spec.name, r))
        : undefined;
      const server = await startIndexServer({
        ...spec.options,
        ...(onRequest ? { onRequest } : {}),
      });
      servers.push({ name: spec.name, server });
    }
  } catch (err) {
    await stop();
    process.stderr.write(`index-server: error: ${(err as Error).message}\n`);
    return 1;
  }
  for (const { name, server } of servers) {
    const line = {
      name,
      url: server.url,
      uploadUrl: server.uploadUrl,
      simpleUrl: server.simpleUrl,
      filesUrl: server.filesUrl,
      storeDir: server.storeDir,
    };
    process.stdout.write(`${JSON.stringify(line)}\n`);
  }
  return done;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `index-server: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
