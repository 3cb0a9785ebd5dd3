/**
 * The simple index URL of a server, derived from its upload URL for the server kinds whose
 * layout is documented (pure; each rule's source is in docs/protocol.md, "Simple index URLs").
 * A derived URL other than PyPI's is a guess until one request confirms it (see simple/locate.ts).
 */

export interface DerivedSimpleUrl {
  url: string;
  /** The server kind whose layout the rule follows (shown by `pkgpush servers`). */
  kind: string;
  /** PyPI and TestPyPI: fixed URLs, used without a confirming request. */
  certain: boolean;
}

interface Rule {
  kind: string;
  /** The simple URL for this upload URL, or undefined when the rule does not apply. */
  derive(url: URL): string | undefined;
}

const FIXED: Record<string, string> = {
  "https://upload.pypi.org/legacy/": "https://pypi.org/simple/",
  "https://test.pypi.org/legacy/": "https://test.pypi.org/simple/",
};

/** The upload URL's path as segments (empty ones dropped), and a URL builder on its origin. */
function segments(url: URL): string[] {
  return url.pathname.split("/").filter((s) => s !== "");
}

function at(url: URL, parts: string[]): string {
  return `${url.origin}/${parts.map((p) => `${p}/`).join("")}`;
}

/** Matches `pattern` against the end of the path; the captured prefix is kept. */
function suffix(url: URL, pattern: RegExp): RegExpExecArray | null {
  return pattern.exec(url.pathname.replace(/\/+$/, ""));
}

const RULES: Rule[] = [
  {
    // https://DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/pypi/REPO/ -> .../pypi/REPO/simple/
    kind: "AWS CodeArtifact",
    derive: (url) => {
      if (!/\.codeartifact\.[^.]+\.(amazonaws\.com|on\.aws)$/.test(url.hostname)) return undefined;
      const s = segments(url);
      return s.length === 2 && s[0] === "pypi" ? at(url, [...s, "simple"]) : undefined;
    },
  },
  {
    // https://REGION-python.pkg.dev/PROJECT/REPO/ -> .../PROJECT/REPO/simple/
    kind: "Google Artifact Registry",
    derive: (url) => {
      if (!url.hostname.endsWith("-python.pkg.dev")) return undefined;
      const s = segments(url);
      return s.length === 2 ? at(url, [...s, "simple"]) : undefined;
    },
  },
  {
    // .../_packaging/FEED/pypi/upload/ -> .../_packaging/FEED/pypi/simple/
    kind: "Azure Artifacts",
    derive: (url) => {
      const m = suffix(url, /^(.*\/_packaging\/[^/]+\/pypi)\/upload$/);
      return m ? `${url.origin}${m[1]}/simple/` : undefined;
    },
  },
  {
    // .../artifactory/api/pypi/REPO -> .../artifactory/api/pypi/REPO/simple/
    kind: "JFrog Artifactory",
    derive: (url) => {
      const m = suffix(url, /^(.*\/api\/pypi\/[^/]+)$/);
      return m ? `${url.origin}${m[1]}/simple/` : undefined;
    },
  },
  {
    // /api/v4/projects/ID/packages/pypi -> .../packages/pypi/simple/
    kind: "GitLab",
    derive: (url) => {
      const m = suffix(url, /^(.*\/api\/v4\/projects\/[^/]+\/packages\/pypi)$/);
      return m ? `${url.origin}${m[1]}/simple/` : undefined;
    },
  },
  {
    // /api/packages/OWNER/pypi -> /api/packages/OWNER/pypi/simple/
    kind: "Gitea/Forgejo",
    derive: (url) => {
      const m = suffix(url, /^(.*\/api\/packages\/[^/]+\/pypi)$/);
      return m ? `${url.origin}${m[1]}/simple/` : undefined;
    },
  },
  {
    // /repository/NAME/ -> /repository/NAME/simple/
    kind: "Sonatype Nexus",
    derive: (url) => {
      const m = suffix(url, /^(.*\/repository\/[^/]+)$/);
      return m ? `${url.origin}${m[1]}/simple/` : undefined;
    },
  },
  {
    // Warehouse (PyPI's own code, self-hosted): /legacy/ uploads, /simple/ beside it.
    kind: "Warehouse",
    derive: (url) => {
      const m = suffix(url, /^(.*\/)legacy$/);
      return m ? `${url.origin}${m[1]}simple/` : undefined;
    },
  },
  {
    // pypicloud takes uploads on the simple index URL itself.
    kind: "pypicloud",
    derive: (url) => (suffix(url, /\/simple$/) ? at(url, segments(url)) : undefined),
  },
  {
    // devpi: /USER/INDEX/ -> /USER/INDEX/+simple/
    kind: "devpi",
    derive: (url) => {
      const s = segments(url);
      return s.length === 2 && !s.some((p) => p.startsWith("+"))
        ? at(url, [...s, "+simple"])
        : undefined;
    },
  },
  {
    // pypiserver: uploads to the root, pages under /simple/
    kind: "pypiserver",
    derive: (url) => (segments(url).length === 0 ? `${url.origin}/simple/` : undefined),
  },
];

/** The simple index URL the upload URL's layout implies, or undefined when no rule knows it. */
export function deriveSimpleUrl(uploadUrl: string): DerivedSimpleUrl | undefined {
  const fixed = FIXED[uploadUrl];
  if (fixed) return { url: fixed, kind: "PyPI", certain: true };
  let url: URL;
  try {
    url = new URL(uploadUrl);
  } catch {
    return undefined;
  }
  if (url.search !== "" || (url.protocol !== "https:" && url.protocol !== "http:")) {
    return undefined;
  }
  for (const rule of RULES) {
    const derived = rule.derive(url);
    if (derived !== undefined) return { url: derived, kind: rule.kind, certain: false };
  }
  return undefined;
}
