/**
 * Document-wide state of one validation run: the first problem found (docutils under
 * readme_renderer's `halt_level = 2` stops at the first system message of level WARNING or
 * above, so the validator does too, by throwing `Halt`), reference names and targets
 * (docutils.nodes.document.note_* and set_duplicate_name), substitutions, footnotes,
 * custom roles, and a light element tree for the transforms that look at document structure
 * (doctitle promotion, docinfo, transitions, empty output).
 */

export type Level = 2 | 3 | 4;
const LEVEL_NAME: Record<Level, string> = { 2: "WARNING", 3: "ERROR", 4: "SEVERE" };

export interface RstProblem {
  level: Level;
  /** docutils' message, first line. */
  message: string;
  line?: number;
}

export class Halt extends Error {
  constructor(readonly problem: RstProblem) {
    super(`(${LEVEL_NAME[problem.level]}/${problem.level}) ${problem.message}`);
  }
}

export function fail(level: Level, message: string, line?: number): never {
  throw new Halt(line === undefined ? { level, message } : { level, message, line });
}

/** A block-level element as far as the structural transforms need to know it. */
export interface Elem {
  kind: string;
  children?: Elem[];
  /** For sections and transitions: the source line. */
  line?: number;
  /** Field lists: each field's name and the kinds of its body's elements. */
  fields?: { name: string; body: Elem[]; line: number; singleLine: boolean }[];
  /** External targets (with a URI) render nothing. */
  silent?: boolean;
  /** Paragraphs: what their inline markup held (substitution definitions check it). */
  inline?: { targets: number; anonymousRefs: number; autoFootnoteRefs: number };
  /** Bullet lists: each item's elements (list-table checks the two-level shape). */
  items?: Elem[][];
  /** Comments: an empty ".." (a figure may start with one). */
  empty?: boolean;
}

interface NameEntry {
  /** undefined: the name is a "dupname" (ambiguous). */
  target?: { refuri?: string; refname?: string };
  explicit: boolean;
}

export interface RefUse {
  name: string;
  line: number;
}

export class DocState {
  readonly names = new Map<string, NameEntry>();
  readonly refs: RefUse[] = [];
  readonly indirect: { refname: string; line: number; names: string[] }[] = [];
  /** Substitution names as defined (whitespace-normalised) and lower-cased. */
  readonly substitutionNames = new Set<string>();
  readonly substitutionLower = new Set<string>();
  readonly substitutionRefs: RefUse[] = [];
  anonymousRefs = 0;
  anonymousTargets = 0;
  autoFootnotes = 0;
  autoFootnoteRefs: number[] = [];
  symbolFootnotes = 0;
  symbolFootnoteRefs: number[] = [];
  readonly localRoles = new Map<string, "ok" | "raw">();
  defaultRole: "ok" | "raw" | "unknown" = "ok";
  titleStyles: string[] = [];
  /** Section titles' names with punctuation and spacing removed (see transforms.ts). */
  readonly titleKeys = new Set<string>();
  readonly root: Elem = { kind: "document", children: [] };
  /** Parts of the input the validator did not parse as reST although docutils does. */
  uncertain = false;

  noteTarget(
    name: string,
    explicit: boolean,
    target: { refuri?: string; refname?: string },
    line: number,
  ): void {
    const old = this.names.get(name);
    if (!old) {
      this.names.set(name, { target, explicit });
      return;
    }
    const same =
      old.target !== undefined &&
      ((target.refname !== undefined && target.refname === old.target.refname) ||
        (target.refuri !== undefined && target.refuri === old.target.refuri));
    if (same) return; // "Duplicate name for external target" (INFO); the old target stays
    if (explicit) {
      if (old.explicit) {
        fail(2, `Duplicate explicit target name: "${name}".`, line);
      }
      this.names.set(name, { target, explicit: true }); // overrides an implicit name
      return;
    }
    // a new implicit name (INFO): both become ambiguous unless the old one is explicit
    if (!old.explicit) this.names.set(name, { explicit: false });
  }

  noteRef(name: string, line: number): void {
    this.refs.push({ name, line });
  }
}
