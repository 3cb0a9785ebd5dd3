/**
 * The GitHub Action's inputs (action.yml), as the runner passes them (`INPUT_<NAME>`, upper-cased,
 * hyphens kept), and the pkgpush command line they stand for. Names and meanings follow
 * pypa/gh-action-pypi-publish, plus `repositories` and `pypirc` for many indexes at once.
 */
import { UsageError } from "../errors.js";

export interface ActionInputs {
  repositoryUrl?: string | undefined;
  repositories: string[];
  packagesDir: string;
  skipExisting: boolean;
  verbose: boolean;
  printHash: boolean;
  user: string;
  password?: string | undefined;
  attestations: boolean;
  /** The .pypirc file's content (from a secret). */
  pypirc?: string | undefined;
}

function input(env: NodeJS.ProcessEnv, name: string): string {
  return (env[`INPUT_${name.toUpperCase()}`] ?? "").trim();
}

/** YAML 1.2 core booleans, as @actions/core's getBooleanInput reads them. */
function booleanInput(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = input(env, name);
  if (value === "") return fallback;
  if (["true", "True", "TRUE"].includes(value)) return true;
  if (["false", "False", "FALSE"].includes(value)) return false;
  throw new UsageError(`input '${name}' must be true or false, got '${value}'`);
}

export function readInputs(env: NodeJS.ProcessEnv): ActionInputs {
  // The .pypirc content keeps its own whitespace (continuation lines are indented).
  const pypirc = env.INPUT_PYPIRC ?? "";
  return {
    repositoryUrl: input(env, "repository-url") || undefined,
    repositories: input(env, "repositories")
      .split(/[\s,]+/)
      .filter(Boolean),
    packagesDir: input(env, "packages-dir") || "dist",
    skipExisting: booleanInput(env, "skip-existing", false),
    verbose: booleanInput(env, "verbose", false),
    printHash: booleanInput(env, "print-hash", false),
    user: input(env, "user") || "__token__",
    password: input(env, "password") || undefined,
    attestations: booleanInput(env, "attestations", false),
    pypirc: pypirc.trim() === "" ? undefined : pypirc,
  };
}

/**
 * The `pkgpush upload` arguments for the inputs. Without a password, trusted publishing is tried
 * for every server that has none (as gh-action-pypi-publish does); without any server named,
 * PyPI, unless a .pypirc routes the files itself.
 */
export function uploadArgs(
  inputs: ActionInputs,
  files: { configFile?: string | undefined; report: string },
): string[] {
  const args = ["upload", inputs.packagesDir, "--report", files.report, "--no-progress"];
  if (files.configFile) args.push("--config-file", files.configFile);
  for (const name of inputs.repositories) args.push("-r", name);
  if (inputs.repositoryUrl) args.push("--repository-url", inputs.repositoryUrl);
  if (!inputs.repositoryUrl && inputs.repositories.length === 0 && !inputs.pypirc) {
    args.push("-r", "pypi");
  }
  if (inputs.password !== undefined) args.push("-u", inputs.user, "-p", inputs.password);
  else args.push("--trusted-publishing", "always");
  if (inputs.skipExisting) args.push("--skip-existing");
  if (inputs.attestations) args.push("--attestations");
  if (inputs.verbose) args.push("--verbose");
  // Nobody can answer a prompt in a workflow.
  args.push("--non-interactive", "--no-keyring");
  return args;
}
