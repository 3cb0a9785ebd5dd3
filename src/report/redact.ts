/**
 * Last line of defence against leaks: every secret pkgpush learns (passwords, tokens, the Basic
 * header built from them) is registered here, and everything printed goes through `redact`.
 */
const secrets = new Set<string>();

export function registerSecret(secret: string | undefined): void {
  // Very short strings would mask ordinary words; such "secrets" are rejected by servers anyway.
  if (secret === undefined || secret.length < 4) return;
  secrets.add(secret);
  // JSON output (--json, --report) is redacted after stringifying: `"` and `\` come escaped.
  const escaped = JSON.stringify(secret).slice(1, -1);
  if (escaped !== secret) secrets.add(escaped);
}

export function registerCredentials(
  username: string | undefined,
  password: string | undefined,
): void {
  if (password === undefined) return;
  registerSecret(password);
  const basic = Buffer.from(`${username ?? ""}:${password}`, "utf8").toString("base64");
  registerSecret(basic);
  registerSecret(encodeURIComponent(password));
}

const PATTERNS: Array<[RegExp, string]> = [
  // `Authorization: Basic x`, also quoted as in JSON or Python reprs: `"authorization": "Basic x"`.
  [/(authorization["']?\s*[:=]\s*["']?(?:basic|bearer|token)\s+)[^\s"',}]+/gi, "$1***"],
  [/\bpypi-[A-Za-z0-9_-]{16,}/g, "pypi-***"],
];

export function redact(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join("***");
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** Writers for stdout/stderr that never let a registered secret through. */
export const out = (text: string): void => {
  process.stdout.write(redact(text));
};
export const err = (text: string): void => {
  process.stderr.write(redact(text));
};
