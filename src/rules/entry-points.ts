/**
 * Warehouse's entry_points.txt rule (warehouse/utils/wheel.py `validate_entrypoints`): UTF-8,
 * a valid INI file for Python's `configparser` with `=` as the only delimiter (case-sensitive
 * keys, strict: no duplicate sections or options), and console/gui script names matching
 * `[\w.-]+`. Returns why it is invalid, or undefined.
 */
const NAME = /^[\p{L}\p{N}\p{Mn}\p{Pc}.-]+$/u;

export function entryPointsProblem(data: Buffer): string | undefined {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(data);
  } catch {
    return "entry_points.txt is not decodable as UTF-8";
  }
  const sections = new Map<string, Set<string>>();
  let current: Set<string> | undefined;
  let lastOption = false;
  let indentOfOption = 0;
  for (const line of text.split(/\r\n|\r|\n/)) {
    const stripped = line.trim();
    const indent = line.length - line.trimStart().length;
    if (stripped === "") {
      lastOption = false;
      continue;
    }
    if (/^[#;]/.test(stripped)) continue;
    if (current && lastOption && indent > indentOfOption) continue; // a continuation line
    const header = /^\[([^\]]+)\]/.exec(stripped);
    if ((header && indent === 0) || (header && !current)) {
      const name = (header as RegExpExecArray)[1] as string;
      if (sections.has(name))
        return `entry_points.txt is not a valid INI file: duplicate section ${name}`;
      current = new Set();
      sections.set(name, current);
      lastOption = false;
      continue;
    }
    if (!current) return "entry_points.txt is not a valid INI file: missing section header";
    const eq = stripped.indexOf("=");
    if (eq < 0) return "entry_points.txt is not a valid INI file: a line without '='";
    const key = stripped.slice(0, eq).trim();
    if (current.has(key))
      return `entry_points.txt is not a valid INI file: duplicate option ${key}`;
    current.add(key);
    lastOption = true;
    indentOfOption = indent;
  }
  for (const section of ["console_scripts", "gui_scripts"]) {
    for (const name of sections.get(section) ?? []) {
      if (!NAME.test(name)) return `Invalid entry point name '${name}' in '${section}'`;
    }
  }
  return undefined;
}
