import { setMaxListeners } from "node:events";
import { Command, CommanderError, Option } from "commander";
import { environmentSecrets } from "../credentials/sources.js";
import { ExitCode, PkgpushError } from "../errors.js";
import type { PublishFlags } from "../publish/flags.js";
import { err, out, registerSecret } from "./output.js";
import type { PublishContext } from "./publish.js";
import type { StatusFlags } from "./status.js";

/** Repeatable options: commander calls this once per occurrence (no default, so --help stays clean). */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** Options of `upload` and `register`: where to, how, and what to check and print. */
function addPublishOptions(command: Command): Command {
  return addOutputOptions(addTransferOptions(addTargetOptions(command)));
}

/** Which servers, and as whom. */
function addTargetOptions(command: Command): Command {
  command
    .option(
      "-r, --repository <name>",
      "server to use: a .pypirc section name or a repository URL (repeatable, or a comma list)",
      collect,
    )
    .option("--repository-url <url>", "upload to this URL (an ad-hoc server)")
    .addOption(
      new Option("--publish-url <url>", "the same as --repository-url (uv)").env("UV_PUBLISH_URL"),
    )
    .option("--index <name>", "upload to [[tool.uv.index]] NAME of ./pyproject.toml (uv)");
  return addCredentialOptions(command, "every selected server");
}

/** The .pypirc, and credentials given for every server the command sends to (`whom`). */
function addCredentialOptions(command: Command, whom: string): Command {
  return command
    .addOption(
      new Option("--config-file <path>", "the .pypirc to read (default ~/.pypirc)").env(
        "PKGPUSH_CONFIG_FILE",
      ),
    )
    .addOption(
      new Option("-u, --username <name>", `user name for ${whom}`).env("UV_PUBLISH_USERNAME"),
    )
    .addOption(
      new Option("-p, --password <secret>", `password or token for ${whom}`).env(
        "UV_PUBLISH_PASSWORD",
      ),
    )
    .addOption(
      new Option("-t, --token <token>", `API token for ${whom}: user __token__ (uv)`).env(
        "UV_PUBLISH_TOKEN",
      ),
    );
}

/** The words of the transfer options that differ between `upload` and `sync`. */
interface TransferWording {
  dryRun: string;
  timeout: string;
  /** Whom trusted publishing is for ("" or " for the targets"). */
  trustedFor: string;
}

const UPLOAD_WORDING: TransferWording = {
  dryRun: "print what would be sent where, and send nothing",
  timeout:
    "abort a request that makes no progress, or whose answer is not complete, within this long",
  trustedFor: "",
};

const SYNC_WORDING: TransferWording = {
  dryRun: "print what would be copied where, and copy nothing",
  timeout: "abort a request or download that makes no progress for this long",
  trustedFor: " for the targets",
};

/**
 * How to send. The concurrency defaults come from BENCHMARKS.md (scenario 4): with latency,
 * requests in flight are what count; per-server pacing (execute/server-pacing.ts) lowers a
 * server's share while its answers queue, so the per-server ceiling is a ceiling, not a target.
 */
function addTransferOptions(command: Command, wording: TransferWording = UPLOAD_WORDING): Command {
  return command
    .option("--non-interactive", "never prompt for credentials (env TWINE_NON_INTERACTIVE)")
    .option("--dry-run", wording.dryRun)
    .option("--concurrency <n>", "requests in flight at once", "24")
    .option(
      "--per-server <n>",
      "at most this many requests at once to one server (fewer while it queues)",
      "8",
    )
    .option("--retries <n>", "retries after a connection error, timeout, 5xx, 408 or 429", "3")
    .option("--connect-timeout <seconds>", "give up connecting after this long", "10")
    .option("--timeout <seconds>", wording.timeout, "120")
    .addOption(
      new Option("--cert <path>", "CA bundle to trust in addition to the system's (PEM)").env(
        "TWINE_CERT",
      ),
    )
    .option("--client-cert <path>", "client certificate and key (PEM)")
    .option("--allow-insecure-http", "allow sending credentials over plain http to non-local hosts")
    .option("--keyring", "look up passwords in the system keyring (default; env PKGPUSH_KEYRING)")
    .option("--no-keyring", "do not look up passwords in the system keyring")
    .addOption(
      new Option(
        "--trusted-publishing <mode>",
        `OIDC trusted publishing${wording.trustedFor}: auto (or automatic), always or never`,
      )
        .choices(["auto", "automatic", "always", "never"])
        .env("PKGPUSH_TRUSTED_PUBLISHING"),
    );
}

/** What to check before sending, and what to print. */
function addOutputOptions(command: Command): Command {
  command
    .addOption(
      new Option(
        "--simple-url <url>",
        "simple index to look up existing files in (NAME=URL with several servers)",
      ).argParser(collect),
    )
    .addOption(
      new Option("--check-url <url>", "the same as --simple-url (uv)")
        .argParser(collect)
        .env("UV_PUBLISH_CHECK_URL"),
    )
    .option("--no-simple-index", "do not ask simple indexes whether files already exist")
    .addOption(new Option("--no-check", "the same as --no-simple-index (older name)").hideHelp())
    .option(
      "--no-rules",
      "skip PyPI's rules (pkgpush check) before sending to servers that apply them",
    )
    .addOption(new Option("--no-rules-check", "the same as --no-rules").hideHelp())
    .option("--no-preflight", "skip the checks of every server before the first upload");
  return addReportOptions(command);
}

/** What to print, and where the JSON report goes. */
function addReportOptions(command: Command): Command {
  return command
    .option("--json", "print a JSON report on stdout (the summary goes to stderr)")
    .option("--report <file>", "also write the JSON report to this file")
    .option("--no-progress", "no progress bars, plain lines (also --disable-progress-bar)")
    .addOption(new Option("--disable-progress-bar", "the same as --no-progress (twine)").hideHelp())
    .option("--no-color", "no colours (pkgpush prints none; accepted for twine's scripts)")
    .option("-q, --quiet", "print only failures and the summary")
    .option("-v, --verbose", "print more detail");
}

/** `upload` and `register`: the same options, the same pipeline (publish.ts). */
function addPublishCommands(
  program: Command,
  run: (promise: Promise<number>) => void,
  ctx: PublishContext,
): void {
  addPublishOptions(
    program
      .command("upload")
      .description("upload distributions (default: dist/*) to every server they belong to")
      .argument("[files...]", "wheels, sdists, eggs, directories or glob patterns"),
  )
    .option("--skip-existing", "report files the server already has as skipped, not failed")
    .option("-c, --comment <text>", "comment sent with each upload")
    .option("-s, --sign", "sign each file with GPG (<file>.asc) and send the signature")
    .option("--sign-with <program>", "the GPG program to sign with (default gpg)")
    .option("-i, --identity <key>", "the GPG key to sign with (gpg --local-user)")
    .addHelpText("after", UPLOAD_EXAMPLES)
    .option("--attestations", "send <file>.*.attestation files (PEP 740) with each upload")
    .action((files: string[], opts: PublishFlags) => {
      run(import("./publish.js").then((m) => m.publish("upload", files, opts, ctx)));
    });

  addPublishOptions(
    program
      .command("register")
      .description(
        "register releases (:action=submit) from distributions' metadata (default: dist/*)",
      )
      .argument("[files...]", "wheels, sdists, eggs, directories or glob patterns"),
  ).action((files: string[], opts: PublishFlags) => {
    run(import("./publish.js").then((m) => m.publish("register", files, opts, ctx)));
  });
}

function addCheckCommand(
  program: Command,
  run: (promise: Promise<number>) => void,
  ctx: PublishContext,
): void {
  program
    .command("check")
    .description("PyPI's verdict on each file (default: dist/*) before any server gets a byte")
    .argument("[files...]", "wheels, sdists, eggs, directories or glob patterns")
    .addOption(
      new Option("--rules <set>", "pypi: PyPI's upload rules; basic: what every index refuses")
        .choices(["pypi", "basic"])
        .default("pypi"),
    )
    .option("--strict", "fail on warnings too (what PyPI accepts but e-mails the owners about)")
    .option("--json", "print the verdicts as JSON")
    .addHelpText("after", CHECK_HELP)
    .action((files: string[], opts: { json?: boolean; strict?: boolean; rules?: string }) => {
      // The description thread starts before the rules load here: it is ready by the first file.
      const early =
        opts.rules === "basic"
          ? Promise.resolve()
          : import("../rules/readme/description-thread.js").then((m) => m.startDescriptionThread());
      run(
        early
          .then(() => import("./check.js"))
          .then((m) => m.check(files, opts, ctx.cwd, ctx.signal)),
      );
    });
}

function addSyncCommand(
  program: Command,
  run: (promise: Promise<number>) => void,
  ctx: PublishContext,
): void {
  const sync = program
    .command("sync")
    .description(
      "copy the files of releases that other indexes lack from one index (downloaded once, sha256-verified)",
    )
    .argument("<releases...>", "NAME (every version the source has) or NAME==VERSION")
    .requiredOption("--from <server>", "the index to copy from: a .pypirc section name or a URL")
    .option(
      "--to <server>",
      "an index to copy to (repeatable, or a comma list; default: every server whose release-packages match)",
      collect,
    )
    .option("--max-download-size <size>", "refuse a download larger than this", "4G");
  // No --no-preflight: reading every target's index is how sync finds what to copy.
  addReportOptions(addTransferOptions(addCredentialOptions(sync, "every target"), SYNC_WORDING))
    .addHelpText("after", SYNC_EXAMPLES)
    .action((releases: string[], opts) => {
      run(import("./sync.js").then((m) => m.sync(releases, opts, ctx)));
    });
}

function addServersCommand(
  program: Command,
  run: (promise: Promise<number>) => void,
  ctx: PublishContext,
): void {
  program
    .command("servers")
    .description("list configured servers, their URLs, routing patterns and credential sources")
    .addOption(
      new Option("--config-file <path>", "the .pypirc to read (default ~/.pypirc)").env(
        "PKGPUSH_CONFIG_FILE",
      ),
    )
    .option("--json", "print as JSON")
    .option("--keyring", "look up passwords in the system keyring (default; env PKGPUSH_KEYRING)")
    .option("--no-keyring", "do not look up passwords in the system keyring")
    .option("-v, --verbose", "print more detail (keyring look-ups)")
    .action(
      (opts: { configFile?: string; json?: boolean; keyring?: boolean; verbose?: boolean }) => {
        run(import("./servers.js").then((m) => m.listServers(opts, ctx)));
      },
    );
}

function addStatusCommand(
  program: Command,
  run: (promise: Promise<number>) => void,
  ctx: PublishContext,
): void {
  program
    .command("status")
    .description("where every file of a release is: on which servers, with which sha256")
    .argument(
      "[files...]",
      "distributions (default dist/*), or project names: NAME or NAME==VERSION",
    )
    .option("-r, --repository <name>", "server to ask (repeatable, or a comma list)", collect)
    .addOption(
      new Option("--config-file <path>", "the .pypirc to read (default ~/.pypirc)").env(
        "PKGPUSH_CONFIG_FILE",
      ),
    )
    .option("--json", "print the result as JSON (schema pkgpush-status/1)")
    .option("--concurrency <n>", "requests in flight at once", "24")
    .option("--per-server <n>", "requests in flight at once to one server", "8")
    .option("--retries <n>", "retries after a connection error, timeout, 5xx, 408 or 429", "3")
    .option("--connect-timeout <seconds>", "give up connecting after this long", "10")
    .option("--timeout <seconds>", "abort a request that makes no progress within this long", "120")
    .addOption(
      new Option("--cert <path>", "CA bundle to trust in addition to the system's (PEM)").env(
        "TWINE_CERT",
      ),
    )
    .option("--client-cert <path>", "client certificate and key (PEM)")
    .option("--allow-insecure-http", "allow sending credentials over plain http to non-local hosts")
    .option("--keyring", "look up passwords in the system keyring (default; env PKGPUSH_KEYRING)")
    .option("--no-keyring", "do not look up passwords in the system keyring")
    .option("-q, --quiet", "no warnings")
    .option("-v, --verbose", "list every file per server, and trace requests")
    .addHelpText("after", STATUS_EXAMPLES)
    .action((files: string[], opts: StatusFlags) => {
      run(import("./status.js").then((m) => m.runStatus(files, opts, ctx)));
    });
}

function addLoginCommand(
  program: Command,
  run: (promise: Promise<number>) => void,
  ctx: PublishContext,
): void {
  program
    .command("login")
    .description("store a password or token for a server in the system keyring")
    .option("-r, --repository <name>", "a .pypirc section name or a repository URL")
    .option("-u, --username <name>", "user name (default: the section's, else __token__)")
    .option("--password-stdin", "read the password from standard input instead of prompting")
    .addOption(
      new Option("--config-file <path>", "the .pypirc to read (default ~/.pypirc)").env(
        "PKGPUSH_CONFIG_FILE",
      ),
    )
    .action((opts) => {
      run(import("./login.js").then((m) => m.login(opts, ctx)));
    });
}

function addCompletionCommand(program: Command, run: (promise: Promise<number>) => void): void {
  program
    .command("completion")
    .description("print a shell completion script (bash, zsh or fish)")
    .argument("<shell>", "bash, zsh or fish")
    .addHelpText("after", COMPLETION_HELP)
    .action((shell: string) => {
      run(
        import("./completion.js").then((m) => {
          out(m.completionScript(program, shell));
          return ExitCode.ok;
        }),
      );
    });
}

export function buildProgram(
  run: (promise: Promise<number>) => void,
  signal: AbortSignal,
): Command {
  const program = new Command("pkgpush")
    .description("Publish Python distributions to many package indexes at once.")
    .version(PKGPUSH_VERSION, "-V, --version")
    .showSuggestionAfterError()
    .exitOverride()
    // Before the subcommands are added: they copy these settings when created.
    .configureOutput({
      writeOut: (text) => out(text),
      writeErr: (text) => err(text),
      outputError: (text, write) => write(`pkgpush: ${hideOptionValues(text)}`),
    });

  const ctx = { env: process.env, cwd: process.cwd(), signal };

  addPublishCommands(program, run, ctx);
  addCheckCommand(program, run, ctx);
  addSyncCommand(program, run, ctx);
  addServersCommand(program, run, ctx);
  addStatusCommand(program, run, ctx);
  addLoginCommand(program, run, ctx);
  addCompletionCommand(program, run);

  program.addHelpText("after", PROGRAM_EXAMPLES);
  return program;
}

const PROGRAM_EXAMPLES = `
Examples:
  pkgpush upload                          every file in dist/ to every server it belongs to
  pkgpush upload --dry-run                the plan (file -> servers, URL, user); nothing sent
  pkgpush upload -r pypi -r company dist/*
  pkgpush upload --repository-url https://pypi.acme.example/ -u ci dist/*.whl
  pkgpush upload -t "$PYPI_TOKEN"         uv's --token (twine's flags work too)
  pkgpush upload --json --report out.json machine-readable results
  pkgpush sync demo==1.0 --from plone     copy what other indexes lack of a release
  pkgpush servers                         what ~/.pypirc defines and where passwords come from
  pkgpush status                          which servers hold the releases in dist/, same sha256?
  pkgpush login -r company                store a password in the system keyring
  eval "$(pkgpush completion bash)"       tab completion in bash (also zsh, fish)

Run \`pkgpush <command> --help\` for a command's options.
`;

const UPLOAD_EXAMPLES = `
Examples:
  pkgpush upload                          dist/* to every server whose release-packages match
  pkgpush upload -r plone dist/Products.Foo-1.0*
  pkgpush upload --skip-existing --json > report.json
  pkgpush upload -s -i releases@acme.example   sign with gpg (PyPI ignores signatures)
  pkgpush upload --index acme             [[tool.uv.index]] "acme" of ./pyproject.toml
  TWINE_USERNAME=__token__ TWINE_PASSWORD=pypi-... pkgpush upload --non-interactive
`;

const CHECK_HELP = `
Each file gets the verdict PyPI's upload endpoint (Warehouse's file_upload) would give to the
request pkgpush sends: the form, the metadata (packaging's and Warehouse's rules, classifiers,
SPDX License-Expression, e-mails, URLs), standard-library project names, the description,
the file name, type and size (100 MiB), the archive (structure, compression, zip framing),
sdist and wheel names, platform tags, License-File entries, RECORD and entry_points.txt,
with Warehouse's own message and rule. Warnings: what PyPI accepts but e-mails the owners
about (a RECORD mismatch).

Not judged (needs PyPI's database): whether the name is taken, prohibited or too similar to
another project's, existing releases and files, quotas and rate limits. Files already on an
index: see \`upload --check-url\`.

Exit status: 0 all pass, 1 some fail, 2 bad input.
`;

const STATUS_EXAMPLES = `
Examples:
  pkgpush status                          the releases in dist/ on every server they route to
  pkgpush status Products.Foo==1.2 -r pypi -r plone
  pkgpush status collective.foo --json    every version on every server with a simple index

Exit: 0 every file everywhere with one sha256, 1 something missing or different, 2 an error
(a server that could not tell).
`;

const SYNC_EXAMPLES = `
Examples:
  pkgpush sync Products.Foo==1.2 --from plone          to every server whose release-packages match
  pkgpush sync acme-tools --from company --to mirror   every version company has, to mirror
  pkgpush sync demo==2.0 --from https://pypi.org/simple/ --to company --dry-run
`;

const COMPLETION_HELP = `
Install:
  bash  echo 'eval "$(pkgpush completion bash)"' >> ~/.bashrc
  zsh   pkgpush completion zsh > "\${fpath[1]}/_pkgpush"   (then restart zsh)
  fish  pkgpush completion fish > ~/.config/fish/completions/pkgpush.fish
`;

function printError(error: unknown): number {
  if (error instanceof PkgpushError) {
    for (const line of error.message.split("\n")) err(`pkgpush: error: ${line}\n`);
    if (error.hint) err(`pkgpush: hint: ${error.hint}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  err(`pkgpush: internal error: ${message}\n`);
  if (process.env.PKGPUSH_DEBUG && error instanceof Error && error.stack) err(`${error.stack}\n`);
  return ExitCode.failed;
}

/**
 * commander quotes an unknown option as given: `--pasword=SECRET` would print the secret. The value
 * of an unknown `--name=value` is never needed to see the mistake.
 */
export function hideOptionValues(text: string): string {
  return text.replace(/(unknown option '-[^'=\s]*=)[^']*'/g, "$1***'");
}

/** Long option names close to --password (typos): their values are secrets too. */
function looksLikePassword(name: string): boolean {
  return /pass|pw|secret|token/i.test(name) || editDistance(name.toLowerCase(), "password") <= 2;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(
        (row[j] as number) + 1,
        (next[j - 1] as number) + 1,
        (row[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    row = next;
  }
  return row[b.length] as number;
}

/**
 * Secrets known before any parsing: a password on the command line (even one commander rejects
 * and echoes, e.g. `--password=x` given to a command without that option) and the password
 * variables of the environment.
 */
function registerEarlySecrets(argv: string[], env: NodeJS.ProcessEnv): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") break;
    const long = /^--([^=]+)(?:=([\s\S]*))?$/.exec(arg);
    if (long) {
      if (
        looksLikePassword(long[1] as string) &&
        !/^(password-stdin|trusted-publishing)$/.test(long[1] as string)
      )
        registerSecret(long[2] ?? argv[i + 1]);
    } else if (/^-[^-]/.test(arg)) {
      // Short flags may be combined (-vp SECRET, -pSECRET); the first one taking a value ends them.
      for (let j = 1; j < arg.length; j++) {
        const flag = arg[j] as string;
        if (!"ruptci".includes(flag)) continue;
        if (flag === "p" || flag === "t")
          registerSecret(j + 1 < arg.length ? arg.slice(j + 1) : argv[i + 1]);
        break;
      }
    }
  }
  for (const value of environmentSecrets(env)) registerSecret(value);
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  registerEarlySecrets(argv, process.env);
  // A reader that went away (`pkgpush servers | head`, `2>&1 >/dev/null | head -1`) is not worth
  // a message, nor a reason to stop uploading: what is written there is dropped, the run goes on
  // and its report is still written.
  process.stderr.on("error", () => undefined);
  let stdoutFailed = false;
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || error.code === "ERR_STREAM_DESTROYED" || stdoutFailed) return;
    stdoutFailed = true; // e.g. `--json > /dev/full`: the output is lost, say so and fail
    process.exitCode = ExitCode.failed;
    err(`pkgpush: error: cannot write to standard output: ${error.message}\n`);
  });
  // Errors no code path caught (e.g. a dependency's stray socket error) are printed redacted too,
  // never as Node's default stack dump.
  const onUncaught = (error: unknown): void => {
    process.exit(printError(error));
  };
  process.on("uncaughtException", onUncaught);
  process.on("unhandledRejection", onUncaught);
  const controller = new AbortController();
  // Owned by this process: downloads and jobs in flight may well be more than ten listeners.
  setMaxListeners(0, controller.signal);
  let interrupts = 0;
  // `check` sends nothing: "aborting transfers" would tell its user something untrue.
  const stopping =
    argv.find((a) => !a.startsWith("-")) === "check" ? "stopping" : "aborting transfers";
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(ExitCode.interrupted);
    err(`pkgpush: interrupted; ${stopping} (press Ctrl-C again to quit at once)\n`);
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  let pending: Promise<number> | undefined;
  const program = buildProgram((p) => {
    pending = p;
  }, controller.signal);
  try {
    await program.parseAsync(argv, { from: "user" });
    return pending ? await pending : ExitCode.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are "errors" to commander; they have already been printed.
      return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
    }
    return printError(error);
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
