/**
 * Warehouse's e-mail rule for Author-email / Maintainer-email (forklift/metadata.py): the address
 * `email.utils.parseaddr` finds in the value, when there is one, must pass email_validator 2.3's
 * `validate_email(address, check_deliverability=False)`. Returns email_validator's message, which
 * Warehouse quotes. Ported from both (read, not copied); non-ASCII domains are converted with
 * Node's IDNA (UTS #46), where email_validator uses the `idna` package: the two agree on the
 * addresses seen in practice.
 */
import { domainToASCII } from "node:url";

const ATEXT = "a-zA-Z0-9_!#$%&'*+\\-/=?^`{|}~";
const DOT_ATOM = new RegExp(`^[${ATEXT}]+(?:\\.[${ATEXT}]+)*$`);
const DOT_ATOM_INTL = new RegExp(
  `^[${ATEXT}\\u0080-\\u{10FFFF}]+(?:\\.[${ATEXT}\\u0080-\\u{10FFFF}]+)*$`,
  "u",
);
const ATEXT_INTL_DOT = new RegExp(`^[.${ATEXT}\\u0080-\\u{10FFFF}]$`, "u");
const HOSTNAME_INTL_CHAR = /^[a-zA-Z0-9\-.\u0080-\u{10FFFF}]$/u;
const LABEL = "(?:(?:[a-zA-Z0-9][a-zA-Z0-9-]*)?[a-zA-Z0-9])";
const DOT_ATOM_HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
const SPECIAL_USE = ["arpa", "invalid", "local", "localhost", "onion", "test"];
const NAMES: Record<string, string> = { " ": "SPACE", "\u00a0": "NO-BREAK SPACE" };

/** email_validator's `safe_character_display`: Python's repr for visible characters. */
function display(c: string): string {
  if (c === "\\") return '"\\"';
  if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(c)) return c === "'" ? `"'"` : `'${c}'`;
  const cp = c.codePointAt(0) as number;
  return (
    NAMES[c] ??
    `U+${cp
      .toString(16)
      .toUpperCase()
      .padStart(cp < 0xffff ? 4 : 8, "0")}`
  );
}

const listed = (chars: Iterable<string>) => [...new Set([...chars].map(display))].sort().join(", ");

class Invalid extends Error {}

function unsafeChars(s: string, allowSpace: boolean): void {
  const bad: string[] = [];
  [...s].forEach((c, i) => {
    if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(c)) return;
    if (/^\p{M}$/u.test(c)) {
      if (i === 0) bad.push(c);
    } else if (/^\p{Zs}$/u.test(c)) {
      if (!allowSpace) bad.push(c);
    } else bad.push(c);
  });
  if (bad.length > 0)
    throw new Invalid(
      `The email address contains unsafe characters: ${[...new Set(bad)].sort().map(display).join(", ")}.`,
    );
}

function dotAtom(label: string, start: string, end: string, hostname: boolean): void {
  if (label.endsWith(".")) throw new Invalid(end.replace("{}", "period"));
  if (label.startsWith(".")) throw new Invalid(start.replace("{}", "period"));
  if (label.includes("..")) throw new Invalid("An email address cannot have two periods in a row.");
  if (!hostname) return;
  if (label.endsWith("-")) throw new Invalid(end.replace("{}", "hyphen"));
  if (label.startsWith("-")) throw new Invalid(start.replace("{}", "hyphen"));
  if (label.includes(".-") || label.includes("-."))
    throw new Invalid("An email address cannot have a period and a hyphen next to each other.");
}

function splitAt(text: string): [string, string] {
  let inQuote = false;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inQuote) {
      if (c === "\\" && !escaped) escaped = true;
      else {
        if (c === '"' && !escaped) inQuote = false;
        escaped = false;
      }
    } else if (c === '"') inQuote = true;
    else if (c === "@" || c === "<") return [text.slice(0, i), text.slice(i)];
  }
  if (text.includes("＠"))
    throw new Invalid(
      'The email address has the "full-width" at-sign (@) character instead of a regular at-sign.',
    );
  if (text.includes("﹫"))
    throw new Invalid(
      'The email address has the "small commercial at" character instead of a regular at-sign.',
    );
  throw new Invalid("An email address must have an @-sign.");
}

function localPart(local: string): void {
  if (local.length === 0) throw new Invalid("There must be something before the @-sign.");
  if (DOT_ATOM.test(local)) return;
  if (DOT_ATOM_INTL.test(local)) {
    unsafeChars(local, false);
    return;
  }
  const bad = [...local].filter((c) => !ATEXT_INTL_DOT.test(c));
  if (bad.length > 0)
    throw new Invalid(
      `The email address contains invalid characters before the @-sign: ${listed(bad)}.`,
    );
  dotAtom(
    local,
    "An email address cannot start with a {}.",
    "An email address cannot have a {} immediately before the @-sign.",
    false,
  );
  throw new Invalid("The email address contains invalid characters before the @-sign.");
}

function domainName(domain: string): string {
  const bad = [...domain].filter((c) => !HOSTNAME_INTL_CHAR.test(c));
  if (bad.length > 0)
    throw new Invalid(`The part after the @-sign contains invalid characters: ${listed(bad)}.`);
  unsafeChars(domain, false);
  const mapped = domain.normalize("NFKC").toLowerCase();
  dotAtom(
    mapped,
    "An email address cannot have a {} immediately after the @-sign.",
    "An email address cannot end with a {}.",
    true,
  );
  for (const label of mapped.split(".")) {
    if (/^..--/i.test(label) && !/^xn/i.test(label))
      throw new Invalid(
        "An email address cannot have two letters followed by two dashes immediately after the @-sign or after a period, except Punycode.",
      );
  }
  let ascii = mapped;
  if (!DOT_ATOM_HOSTNAME.test(mapped)) {
    ascii = domainToASCII(mapped);
    if (!ascii) throw new Invalid("The part after the @-sign is invalid (invalid IDNA).");
    if (!DOT_ATOM_HOSTNAME.test(ascii))
      throw new Invalid(
        "The email address contains invalid characters after the @-sign after IDNA encoding.",
      );
  }
  if (ascii.length > 253) {
    const diff = ascii.length - 253;
    throw new Invalid(
      ascii === domain
        ? `The email address is too long after the @-sign (${diff} character${diff > 1 ? "s" : ""} too many).`
        : `The email address is too long after the @-sign (${diff} byte${diff === 1 ? "" : "s"} too many after IDNA encoding).`,
    );
  }
  for (const label of ascii.split(".")) {
    if (label.length > 63) {
      const diff = label.length - 63;
      throw new Invalid(
        `After the @-sign, periods cannot be separated by so many characters (${diff} character${diff > 1 ? "s" : ""} too many).`,
      );
    }
  }
  if (!ascii.includes("."))
    throw new Invalid("The part after the @-sign is not valid. It should have a period.");
  if (!/[A-Za-z]$/.test(ascii))
    throw new Invalid(
      "The part after the @-sign is not valid. It is not within a valid top-level domain.",
    );
  if (SPECIAL_USE.some((d) => ascii === d || ascii.endsWith(`.${d}`)))
    throw new Invalid(
      "The part after the @-sign is a special-use or reserved name that cannot be used with email.",
    );
  return ascii;
}

function lengthCheck(address: string): void {
  const bytes = Buffer.byteLength(address, "utf8");
  const diff = bytes - 254;
  if (diff <= 0) return;
  if (bytes === address.length)
    throw new Invalid(
      `The email address is too long (${diff} character${diff > 1 ? "s" : ""} too many).`,
    );
  throw new Invalid(`The email address is too long (${diff} byte${diff > 1 ? "s" : ""} too many).`);
}

/** email_validator's verdict on one address (no display name): its message, or undefined. */
export function emailProblem(email: string): string | undefined {
  try {
    const [left, right] = splitAt(email);
    if (right.startsWith("<"))
      throw new Invalid(
        "A display name and angle brackets around the email address are not permitted here.",
      );
    let local = left;
    let quoted = false;
    if (local.startsWith('"') && local.endsWith('"') && local.length > 1) {
      local = local.slice(1, -1).replace(/\\(.)/g, "$1");
      quoted = true;
    }
    const domain = right.slice(1);
    if (quoted) {
      if (local.length === 0) throw new Invalid("There must be something before the @-sign.");
      if (!DOT_ATOM_INTL.test(local)) {
        throw new Invalid("Quoting the part before the @-sign is not allowed here.");
      }
    }
    localPart(local);
    if (quoted) throw new Invalid("Quoting the part before the @-sign is not allowed here.");
    if (domain.length === 0) throw new Invalid("There must be something after the @-sign.");
    if (domain.startsWith("[") && domain.endsWith("]"))
      throw new Invalid("A bracketed IP address after the @-sign is not allowed here.");
    const ascii = domainName(domain);
    lengthCheck(`${local}@${domain}`);
    lengthCheck(`${local}@${ascii}`);
    return undefined;
  } catch (error) {
    if (error instanceof Invalid) return error.message;
    throw error;
  }
}

/**
 * `email.utils.parseaddr(value)` (Python 3.11, strict): the address part of `Name <addr>`,
 * `addr (comment)` or `addr`; empty when the value holds several addresses or none.
 */
export function parseAddress(value: string): string {
  const text = value.replace(/\([^()]*\)/g, " ").trim();
  let quoted = false;
  for (const c of text) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === "," || c === ";")) return "";
  }
  const angle = /<([^<>]*)>\s*$/.exec(text);
  if (angle) return (angle[1] as string).trim();
  if (text.includes("<")) return "";
  if (!text.includes("@")) return text.split(/\s+/)[0] ?? "";
  return text;
}
