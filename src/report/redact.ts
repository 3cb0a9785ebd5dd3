/**
 * Last line of defence against leaks: every secret a run learns (passwords, tokens, the Basic
 * header built from them) is registered with the run's Redactor, with the forms a server may echo
 * it back in, and everything printed, written or returned goes through its `redact`. Each run (and
 * the CLI process) owns its own Redactor: there is no module-wide list of secrets.
 *
 * A secret of 8 characters or more is masked wherever it appears. A shorter one could be an
 * ordinary word ("you supplied the wrong credentials" with `-p wrong`): it is masked only where it
 * stands as a credential (`user:secret`, `key=secret`, `"password": "secret"`), and in its
 * encodings that cannot be words (Basic header, JSON/URL escapes of 8 characters or more).
 * Callers warn about such passwords (`isShortSecret`, credentials/short-secret.ts).
 */

import { isShortSecret } from "../credentials/short-secret.js";

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** How servers and our own encoders may spell a secret: JSON (also ASCII-only), URL, collapsed. */
export function secretForms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  const asciiJson = json.replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const forms = [
    secret,
    json,
    asciiJson,
    asciiJson.replace(/\\u([0-9a-f]{4})/g, (_, hex: string) => `\\u${hex.toUpperCase()}`),
    encodeURIComponent(secret),
    encodeURIComponent(secret).replace(/%20/g, "+"),
    // Server text is shown with runs of white space collapsed (a .pypirc continuation line).
    secret.replace(/\s+/g, " ").trim(),
    secret
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;"),
  ];
  return [...new Set(forms)].filter((form) => form.length > 0);
}

const PATTERNS: Array<[RegExp, string]> = [
  // `Authorization: Basic x`, also quoted as in JSON or Python reprs: `"authorization": "Basic x"`.
  [/(authorization["']?\s*[:=]\s*["']?(?:basic|bearer|token)\s+)[^\s"',}]+/gi, "$1***"],
  [/\bpypi-[A-Za-z0-9_-]{16,}/g, "pypi-***"],
];

export class Redactor {
  /** Forms masked wherever they appear, longest first (a form may contain another). */
  private everywhere: string[] = [];
  /** Short secrets, masked in credential contexts only. */
  private readonly contextual: RegExp[] = [];
  private readonly known = new Set<string>();

  registerSecret(secret: string | undefined): void {
    if (secret === undefined || secret === "") return;
    for (const form of secretForms(secret)) {
      if (!isShortSecret(form)) this.addEverywhere(form);
      else if (form === secret || form === secret.trim()) this.addContextual(form);
    }
  }

  registerCredentials(username: string | undefined, password: string | undefined): void {
    if (password === undefined) return;
    this.registerSecret(password);
    const basic = Buffer.from(`${username ?? ""}:${password}`, "utf8").toString("base64");
    this.registerSecret(basic);
    // Without padding, as some servers log it.
    this.registerSecret(basic.replace(/=+$/, ""));
  }

  /** Bound, so it can be handed around as a plain function. */
  readonly redact = (text: string): string => {
    let out = text;
    for (const form of this.everywhere) if (out.includes(form)) out = out.split(form).join("***");
    for (const pattern of this.contextual) out = out.replace(pattern, "$1***");
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };

  /** Every string inside a value redacted: for JSON, before it is encoded (escapes change the text). */
  redactValues<T>(value: T): T {
    if (typeof value === "string") return this.redact(value) as T;
    if (Array.isArray(value)) return value.map((v) => this.redactValues(v)) as T;
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(
        Object.entries(value).map(([key, v]) => [key, this.redactValues(v)]),
      ) as T;
    }
    return value;
  }

  /** JSON text for stdout or a report file: values redacted first, then the text once more. */
  json(value: unknown): string {
    return escapeControls(this.redact(`${JSON.stringify(this.redactValues(value), null, 2)}\n`));
  }

  /** Human output: redacted, control characters escaped. */
  safeText(text: string): string {
    return escapeControls(this.redact(text));
  }

  private addEverywhere(form: string): void {
    if (this.known.has(form)) return;
    this.known.add(form);
    this.everywhere = [...this.everywhere, form].sort((a, b) => b.length - a.length);
  }

  private addContextual(secret: string): void {
    if (this.known.has(`\0${secret}`)) return;
    this.known.add(`\0${secret}`);
    const s = escapeRegExp(secret);
    const end = "(?![\\p{L}\\p{N}_])";
    this.contextual.push(
      // password=s, password: s, "password": "s", token=s
      new RegExp(`((?:pass(?:word|wd)?|pwd|token|secret)["']?\\s*[:=]\\s*["']?)${s}${end}`, "giu"),
      // any key=s (query strings, logged settings); prose rarely puts a word right after `=`
      new RegExp(`(=\\s*["']?)${s}${end}`, "gu"),
      // user:s (Basic credentials in clear, URL user info)
      new RegExp(`((?:^|[\\s"'(/=])[^\\s:"'/@]+:)${s}(?=$|[\\s"'),;@}\\]])`, "gu"),
    );
  }
}

/**
 * Control characters from servers and file names (ESC sequences that recolour, retitle or clear
 * the terminal, carriage returns that overwrite a line, bidirectional overrides) shown as `\uXXXX`.
 * Line feeds and tabs stay. The same escape is valid inside JSON strings, so JSON stays JSON.
 */
export function escapeControls(text: string): string {
  return text.replace(
    // biome-ignore lint/suspicious/noControlCharactersInRegex: matching them is the point
    /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
