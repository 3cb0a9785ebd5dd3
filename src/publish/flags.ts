/** The CLI's flags of `upload` and `register`, as commander hands them over (numbers as text). */
import { checkInt, checkMs } from "./options.js";

/** Options shared by `upload` and `register`, as commander hands them over. */
export interface PublishFlags {
  repository?: string[];
  repositoryUrl?: string;
  configFile?: string;
  username?: string;
  password?: string;
  dryRun?: boolean;
  skipExisting?: boolean;
  comment?: string;
  attestations?: boolean;
  concurrency: string;
  perServer: string;
  retries: string;
  connectTimeout: string;
  timeout: string;
  cert?: string;
  clientCert?: string;
  allowInsecureHttp?: boolean;
  /** undefined when neither --keyring nor --no-keyring is given. */
  keyring?: boolean;
  preflight: boolean;
  /** false with --no-check (older name of --no-simple-index). */
  check: boolean;
  /** false with --no-simple-index: no existing-file look-ups. */
  simpleIndex?: boolean;
  /** --check-url (uv's name) and --simple-url: simple indexes to look up existing files in. */
  checkUrl?: string[];
  simpleUrl?: string[];
  /** false with --no-rules (or --no-rules-check): PyPI's rules are not applied before sending. */
  rules?: boolean;
  rulesCheck?: boolean;
  trustedPublishing?: string;
  json?: boolean;
  report?: string;
  quiet?: boolean;
  verbose?: boolean;
  /** Never prompt (twine's --non-interactive, TWINE_NON_INTERACTIVE). */
  nonInteractive?: boolean;
  /** false with --no-progress (uv) or --disable-progress-bar (twine). */
  progress?: boolean;
  disableProgressBar?: boolean;
  /** false with --no-color; pkgpush prints no colour, so there is nothing to turn off. */
  color?: boolean;
  /** uv's -t/--token (UV_PUBLISH_TOKEN). */
  token?: string;
  /** uv's --publish-url (UV_PUBLISH_URL): the same as --repository-url. */
  publishUrl?: string;
  /** uv's --index NAME: [[tool.uv.index]] of ./pyproject.toml. */
  index?: string;
  /** twine's -s/--sign, --sign-with, -i/--identity. */
  sign?: boolean;
  signWith?: string;
  identity?: string;
}

export function positiveInt(value: string, option: string, min = 1, max = 1000): number {
  return checkInt(Number(value), option, min, max, value);
}

export function seconds(value: string, option: string): number {
  return checkMs(Number(value) * 1000, option, value);
}
