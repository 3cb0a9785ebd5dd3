/**
 * The checks docutils makes after parsing (its transforms, in priority order), on what the
 * parser recorded: undefined substitutions (references.Substitutions), the document title
 * and subtitle promotion (frontmatter.DocTitle, doctitle_xform/sectsubtitle_xform on),
 * empty bibliographic fields (frontmatter.DocInfo), anonymous reference/target counts
 * (references.AnonymousHyperlinks), indirect targets to nowhere (IndirectHyperlinks),
 * auto-numbered and symbol footnote counts (Footnotes), misplaced transitions
 * (misc.Transitions), unknown or ambiguous reference names (DanglingReferences), and
 * readme_renderer's own "No content rendered" when the HTML body comes out empty.
 */
import { type DocState, type Elem, fail } from "./document.js";
import { looseKey } from "./text.js";

const PREBIBLIOGRAPHIC = new Set([
  "comment",
  "target",
  "substitution_definition",
  "pending",
  "title",
]);
const IGNORED_BY_TRANSITIONS = new Set([
  "target",
  "substitution_definition",
  "title",
  "comment",
  "pending",
]);
const BIBLIOGRAPHIC = new Set([
  "author",
  "authors",
  "organization",
  "address",
  "contact",
  "version",
  "revision",
  "status",
  "date",
  "copyright",
  "dedication",
  "abstract",
]);
const SINGLE_PARAGRAPH = new Set([
  "author",
  "organization",
  "address",
  "contact",
  "version",
  "revision",
  "status",
  "date",
  "copyright",
]);

export function applyTransforms(doc: DocState): void {
  for (const ref of doc.substitutionRefs) {
    if (
      !doc.substitutionNames.has(ref.name) &&
      !doc.substitutionLower.has(ref.name.toLowerCase())
    ) {
      fail(3, `Undefined substitution referenced: "${ref.name}".`, ref.line);
    }
  }
  const body = promoteTitles(doc.root.children ?? []);
  docinfo(body);
  if (!doc.uncertain && doc.anonymousRefs !== doc.anonymousTargets) {
    fail(
      3,
      `Anonymous hyperlink mismatch: ${doc.anonymousRefs} references but ${doc.anonymousTargets} targets.`,
    );
  }
  for (const t of doc.indirect) {
    const entry = doc.names.get(t.refname);
    if (!entry && !looselyKnown(doc, t.refname)) {
      fail(
        3,
        `Indirect hyperlink target "${t.names[0]}"${idOf(t.names[0] ?? "")} refers to target "${t.refname}", which does not exist.`,
        t.line,
      );
    }
  }
  footnotes(doc);
  transitions(doc.root, true);
  dangling(doc);
  if (!body.some(rendersSomething)) fail(2, "No content rendered from RST source.");
}

/** DocTitle: a lone top section becomes the title, a lone subsection the subtitle. */
function promoteTitles(children: Elem[]): Elem[] {
  let body = children;
  for (let k = 0; k < 2; k++) {
    const index = body.findIndex((e) => !PREBIBLIOGRAPHIC.has(e.kind));
    const sec = body[index];
    if (index < 0 || index !== body.length - 1 || sec?.kind !== "section") break;
    body = [...body.slice(0, index), ...(sec.children ?? []).filter((e) => e.kind !== "title")];
  }
  return body;
}

function docinfo(body: Elem[]): void {
  const first = body.find((e) => !PREBIBLIOGRAPHIC.has(e.kind));
  if (first?.kind !== "field_list") return;
  for (const f of first.fields ?? []) {
    const name = f.name.trim().replace(/\s+/g, " ").toLowerCase();
    if (!BIBLIOGRAPHIC.has(name)) continue;
    if (f.body.length === 0)
      fail(2, `Cannot extract empty bibliographic field "${f.name}".`, f.line);
    const single = f.body.length === 1 && f.body[0]?.kind === "paragraph";
    const enumeratedName = f.body[0]?.kind === "enumerated_list" && f.singleLine;
    if (SINGLE_PARAGRAPH.has(name) && !single && !enumeratedName) {
      fail(2, `Bibliographic field "${f.name}"`, f.line);
    }
  }
}

function footnotes(doc: DocState): void {
  if (doc.uncertain) return;
  if (doc.autoFootnoteRefs.length > doc.autoFootnotes) {
    const n = doc.autoFootnotes;
    fail(
      3,
      `Too many autonumbered footnote references: only ${n} corresponding footnote${n > 1 ? "s" : ""} available.`,
      doc.autoFootnoteRefs[n],
    );
  }
  if (doc.symbolFootnoteRefs.length > doc.symbolFootnotes) {
    fail(
      3,
      `Too many symbol footnote references: only ${doc.symbolFootnotes} corresponding footnotes available.`,
      doc.symbolFootnoteRefs[doc.symbolFootnotes],
    );
  }
}

/** misc.Transitions; `last` says whether nothing follows this container in the document. */
function transitions(container: Elem, last: boolean): void {
  const kids = container.children ?? [];
  const counted = (s: Elem) => !IGNORED_BY_TRANSITIONS.has(s.kind);
  const first = kids.findIndex(counted);
  const lastCounted = kids.length - 1 - [...kids].reverse().findIndex(counted);
  kids.forEach((e, k) => {
    if (e.kind === "section") transitions(e, last && k === kids.length - 1);
    if (e.kind !== "transition") return;
    const before = first >= 0 && first < k;
    const after = first >= 0 && lastCounted > k;
    if (!after && last) fail(2, "Transition at the end of the document.", e.line);
    if (!before)
      fail(
        2,
        `Transition at the start of the ${container.kind === "section" ? "section" : "document"}.`,
        e.line,
      );
    if (kids[k - 1]?.kind === "transition")
      fail(2, "At least one body element should separate transitions.", e.line);
  });
}

/** The element id docutils gives a name (nodes.make_id, readme_renderer's id_prefix). */
function idOf(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[-0-9]+|-+$/g, "");
  return id ? ` (id="user-content-${id}")` : "";
}

/**
 * A reference that matches a section title once punctuation and spacing are ignored is not
 * reported: the validator's idea of a title's text (after inline markup) may differ from
 * docutils' in small ways. Names of explicit targets are computed exactly, so they match exactly.
 */
function looselyKnown(doc: DocState, name: string): boolean {
  return doc.titleKeys.has(looseKey(name));
}

function dangling(doc: DocState): void {
  if (doc.uncertain) return;
  for (const ref of doc.refs) {
    const entry = doc.names.get(ref.name);
    if (entry && entry.target === undefined) {
      fail(
        3,
        `Duplicate target name, cannot be used as a unique reference: "${ref.name}".`,
        ref.line,
      );
    }
    if (!entry && !looselyKnown(doc, ref.name))
      fail(3, `Unknown target name: "${ref.name}".`, ref.line);
  }
}

function rendersSomething(e: Elem): boolean {
  if (e.kind === "comment" || e.kind === "substitution_definition" || e.kind === "title")
    return false;
  return !e.silent;
}
