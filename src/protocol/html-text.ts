/** HTML as servers send it in error pages and simple indexes, turned into plain text. */

const NAMED: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
  ndash: "–",
  mdash: "—",
  hellip: "…",
  laquo: "«",
  raquo: "»",
  middot: "·",
  copy: "©",
  reg: "®",
  trade: "™",
  rsquo: "’",
  lsquo: "‘",
  rdquo: "”",
  ldquo: "“",
};

/** Character references: the few named ones servers use, and every numeric one. */
export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, ref: string) => {
    if (ref[0] === "#") {
      const code =
        ref[1] === "x" || ref[1] === "X"
          ? Number.parseInt(ref.slice(2), 16)
          : Number.parseInt(ref.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED[ref.toLowerCase()] ?? whole;
  });
}

/** An HTML page (not an empty or plain-text body served as text/html): a proxy or login page. */
export function looksLikeHtmlPage(body: string): boolean {
  return /<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>]|form[\s>]|title[\s>])/i.test(
    body.slice(0, 4096),
  );
}

/** The page's `<title>`, decoded and on one line. */
export function htmlTitle(body: string): string | undefined {
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(body)?.[1];
  const text = title === undefined ? "" : decodeEntities(title).replace(/\s+/g, " ").trim();
  return text === "" ? undefined : text;
}

/** Visible text: head, scripts and styles dropped, tags removed, entities decoded, one line. */
export function htmlToText(body: string): string {
  return decodeEntities(
    body
      .replace(/<(head|script|style)[\s\S]*?<\/\1>/gi, " ")
      .replace(/<!--[\s\S]*?-->/g, " ")
      .replace(/<[^>]+>/g, " "),
  )
    .replace(/\s+/g, " ")
    .trim();
}
