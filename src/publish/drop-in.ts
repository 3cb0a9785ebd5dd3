/**
 * twine's and `uv publish`'s flags and variables, mapped onto pkgpush's own options so scripts
 * written for either keep working (README, "Coming from twine or uv"). Pure but for reading
 * pyproject.toml for `--index`.
 */
import { readUvIndex } from "../config/pyproject.js";
import { UsageError } from "../errors.js";
import type { PublishFlags } from "./flags.js";
import type { Environment } from "./options.js";

/** twine's boolean variables: set to a true-ish value (1, true, yes, on) to turn on. */
export function envFlag(env: Environment, name: string): boolean {
  const value = (env[name] ?? "").trim().toLowerCase();
  if (value === "" || ["0", "false", "no", "off"].includes(value)) return false;
  if (["1", "true", "yes", "on"].includes(value)) return true;
  throw new UsageError(`${name}=${env[name]}: expected 1/true/yes/on or 0/false/no/off`);
}

/** `-t/--token` (UV_PUBLISH_TOKEN): user `__token__` and the token as password, as uv does. */
function applyToken(opts: PublishFlags): void {
  if (opts.token === undefined) return;
  if (opts.password !== undefined) {
    throw new UsageError("--token and --password both give the password: use one of them");
  }
  if (opts.username !== undefined && opts.username !== "__token__") {
    throw new UsageError(`--token needs the user __token__, but --username is '${opts.username}'`);
  }
  opts.username = "__token__";
  opts.password = opts.token;
}

/** The upload URL from `--repository-url`, `--publish-url` (UV_PUBLISH_URL) or `--index`. */
async function applyUploadUrl(opts: PublishFlags, cwd: string): Promise<void> {
  const given = [
    opts.repositoryUrl !== undefined && "--repository-url",
    opts.publishUrl !== undefined && "--publish-url",
    opts.index !== undefined && "--index",
  ].filter(Boolean);
  if (given.length > 1 && !(given.length === 2 && opts.repositoryUrl === opts.publishUrl)) {
    throw new UsageError(`${given.join(" and ")} each name the upload URL: give one`);
  }
  if (opts.publishUrl !== undefined) opts.repositoryUrl = opts.publishUrl;
  if (opts.index !== undefined) {
    const index = await readUvIndex(cwd, opts.index);
    opts.repositoryUrl = index.publishUrl;
    // uv checks the index's own simple URL for files it already has.
    if (index.url && (opts.checkUrl ?? []).length === 0) opts.checkUrl = [index.url];
  }
}

/**
 * Folds the drop-in spellings into pkgpush's options, in place: token, upload URL, progress,
 * prompting and the trusted-publishing mode names.
 */
export async function applyDropInOptions(
  opts: PublishFlags,
  env: Environment,
  cwd: string,
): Promise<PublishFlags> {
  applyToken(opts);
  await applyUploadUrl(opts, cwd);
  if (opts.disableProgressBar) opts.progress = false;
  if (envFlag(env, "TWINE_NON_INTERACTIVE")) opts.nonInteractive = true;
  if (opts.trustedPublishing?.toLowerCase() === "automatic") opts.trustedPublishing = "auto";
  if (!opts.sign && (opts.identity !== undefined || opts.signWith !== undefined)) {
    throw new UsageError(
      `${opts.identity !== undefined ? "--identity" : "--sign-with"} needs -s/--sign`,
    );
  }
  return opts;
}
