/**
 * The GitHub Action's inputs (action.yml), as the runner passes them (`INPUT_<NAME>`, upper-cased,
 * hyphens kept), and the Node API's options they stand for. Names and meanings follow
 * pypa/gh-action-pypi-publish, plus `repositories` and `pypirc` for many indexes at once.
 */
import { UsageError } from "../errors.js";
import type { ApiOptions } from "../publish/api-options.js";

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
 * The Node API's options for the inputs. Without a password, trusted publishing is tried for
 * every server that has none (as gh-action-pypi-publish does); without any server named, PyPI,
 * unless a .pypirc routes the files itself. Nobody can answer a prompt in a workflow, and a
 * runner has no keyring.
 */
export function uploadOptions(
  inputs: ActionInputs,
  files: { configFile?: string | undefined },
): ApiOptions {
  const named = inputs.repositoryUrl !== undefined || inputs.repositories.length > 0;
  return {
    files: [inputs.packagesDir],
    configFile: files.configFile,
    repositories: named || inputs.pypirc ? inputs.repositories : ["pypi"],
    repositoryUrl: inputs.repositoryUrl,
    ...(inputs.password !== undefined
      ? { username: inputs.user, password: inputs.password }
      : { trustedPublishing: "always" as const }),
    skipExisting: inputs.skipExisting,
    attestations: inputs.attestations,
    verbosity: inputs.verbose ? "verbose" : "normal",
    keyring: false,
  };
}
