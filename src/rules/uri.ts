/**
 * Warehouse's URL rule (`warehouse.utils.http.is_valid_uri(url, require_authority=False)`):
 * rfc3986 2.0 parses the reference (percent-encoding path, query and fragment as
 * `uri_reference` does), and validates an http/https scheme, the authority's host and port, the
 * path and the query with rfc3986's ABNF patterns, rebuilt here from its abnf_regexp module.
 */
const UNRESERVED = "A-Za-z0-9._~\\-";
const SUB_DELIMS = "!$&'()*+,;=";
const SUB_DELIMS_RE = "!$&'()\\*+,;=";
const PCT = "%[A-Fa-f0-9]{2}";
const PCHAR = `([${UNRESERVED}${SUB_DELIMS_RE}:@]|${PCT})`;
const PCHAR_NC = `([${UNRESERVED}${SUB_DELIMS_RE}@]|${PCT})`;
const SEGMENT = `${PCHAR}*`;
const PATH = new RegExp(
  `^((/${SEGMENT})*|/(${PCHAR}+(/${SEGMENT})*)?|${PCHAR_NC}+(/${SEGMENT})*|${PCHAR}+(/${SEGMENT})*|)$`,
);
const QUERY = new RegExp(`^([/?:@${UNRESERVED}${SUB_DELIMS_RE}]|${PCT})*$`);
const REG_NAME = `((?:%[0-9A-Fa-f]{2}|[${SUB_DELIMS_RE}${UNRESERVED}])*)`;
const IPV4 = "([0-9]{1,3}\\.){3}[0-9]{1,3}";
const H = "[0-9A-Fa-f]{1,4}";
const LS32 = `(${H}:${H}|${IPV4})`;
const IPV6 = `((${H}:){6}${LS32}|::(${H}:){5}${LS32}|(${H})?::(${H}:){4}${LS32}|((${H}:)?${H})?::(${H}:){3}${LS32}|((${H}:){0,2}${H})?::(${H}:){2}${LS32}|((${H}:){0,3}${H})?::${H}:${LS32}|((${H}:){0,4}${H})?::${LS32}|((${H}:){0,5}${H})?::${H}|((${H}:){0,6}${H})?::)`;
const ZONE = `(?:[${UNRESERVED}]|${PCT})+`;
const IPV6_RFC4007 = `${IPV6}(?:(?:%25|%)${ZONE})?`;
const IPV_FUTURE = `v[0-9A-Fa-f]+\\.[${UNRESERVED}${SUB_DELIMS_RE}:]+`;
const IP_LITERAL = `\\[(${IPV6_RFC4007}|${IPV_FUTURE})\\]`;
const HOST = `(${REG_NAME}|${IPV4}|${IP_LITERAL})`;
const USERINFO = `([${UNRESERVED}${SUB_DELIMS_RE}:]|${PCT})+`;
const SUBAUTHORITY = new RegExp(
  `^(?:(?<userinfo>${USERINFO})@)?(?<host>${HOST}):?(?<port>[0-9]{1,5})?$`,
);
const IPV4_ONLY = new RegExp(`^${IPV4}$`);
const URI = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^\\/?#]*))?([^?#]*)(?:\?([^#]*))?/s;
const NON_PCT_ENCODED = new Set(
  `:/?#[]@${SUB_DELIMS}ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._!-~`,
);

/** rfc3986's `encode_component`: UTF-8 bytes outside its safe set become %XX. */
function encodeComponent(value: string): string {
  const percents = (value.match(/%[A-Fa-f0-9]{2}/g) ?? []).length;
  const bytes = Buffer.from(value, "utf8");
  const keepPercent = percents === bytes.filter((b) => b === 0x25).length;
  let out = "";
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if ((keepPercent && b === 0x25) || (b < 128 && NON_PCT_ENCODED.has(c))) out += c;
    else out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

const ipv4Bytes = (host: string) => host.split(".").every((b) => Number(b) <= 255);

/**
 * rfc3986's `normalize()` drops an authority it cannot split into userinfo, host and port (or
 * whose IPv4 host has a byte over 255): the reference is then judged without one. What is left
 * to refuse is a port over 65535 (the host pattern already matched as part of the authority).
 */
function authorityIsValid(authority: string | undefined): boolean {
  // A port needs a colon (or an IP literal before its digits): without either, nothing here
  // refuses, and the large pattern (compiled on first use) is not needed for most URLs.
  if (!authority || !/[:[]/.test(authority)) return true;
  const sub = SUBAUTHORITY.exec(authority)?.groups;
  if (!sub) return true;
  const host = sub.host ?? "";
  if (host && IPV4_ONLY.test(host) && !ipv4Bytes(host)) return true;
  return sub.port === undefined || Number(sub.port) <= 65535;
}

export function isValidUri(uri: string): boolean {
  const m = URI.exec(uri);
  if (!m) return false;
  const scheme = m[1]?.toLowerCase();
  if (scheme !== "http" && scheme !== "https") return false;
  if (!authorityIsValid(m[2])) return false;
  if (!PATH.test(encodeComponent(m[3] ?? ""))) return false;
  return m[4] === undefined || QUERY.test(encodeComponent(m[4]));
}
