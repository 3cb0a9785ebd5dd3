/**
 * `pkgpush completion bash|zsh|fish`: shell completion scripts generated from the program's own
 * commands and options, so they can never drift from the parser. Option values complete where
 * their set is known (choices, files for paths); file arguments complete as files.
 */
import type { Command, Option } from "commander";
import { UsageError } from "../errors.js";

export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];

interface OptionSpec {
  short?: string | undefined;
  long?: string | undefined;
  description: string;
  takesValue: boolean;
  choices?: readonly string[] | undefined;
  files: boolean;
}

interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** Takes file arguments (upload, register). */
  files: boolean;
}

const FILE_VALUE = /<(path|file)>/;

function specOf(option: Option): OptionSpec {
  return {
    short: option.short,
    long: option.long,
    description: option.description,
    takesValue: option.required || option.optional,
    choices: option.argChoices,
    files: FILE_VALUE.test(option.flags),
  };
}

function commandsOf(program: Command): CommandSpec[] {
  return program.commands.map((command) => ({
    name: command.name(),
    description: command.description(),
    files: command.registeredArguments.some((a) => a.name() === "files"),
    options: [
      ...command.options.filter((o) => !o.hidden).map(specOf),
      { long: "--help", short: "-h", description: "show help", takesValue: false, files: false },
    ],
  }));
}

/** Single-quoted for any of the three shells (no shell expands inside single quotes). */
function quote(text: string): string {
  return `'${text.replace(/'/g, "'\\''")}'`;
}

function bash(commands: CommandSpec[]): string {
  const cases = commands.map((command) => {
    const words = command.options.flatMap((o) => [o.short, o.long]).filter(Boolean);
    const values = command.options
      .filter((o) => o.takesValue)
      .map((o) => {
        const flags = [o.short, o.long].filter(Boolean).join("|");
        const action = o.choices
          ? `COMPREPLY=($(compgen -W ${quote(o.choices.join(" "))} -- "$cur"))`
          : o.files
            ? `COMPREPLY=($(compgen -f -- "$cur"))`
            : "COMPREPLY=()";
        return `        ${flags}) ${action}; return ;;`;
      });
    return [
      `    ${command.name})`,
      `      case "$prev" in`,
      ...values,
      "      esac",
      `      if [[ "$cur" == -* ]]; then COMPREPLY=($(compgen -W ${quote(words.join(" "))} -- "$cur"))`,
      `      else ${command.files ? `COMPREPLY=($(compgen -f -- "$cur"))` : "COMPREPLY=()"}; fi ;;`,
    ].join("\n");
  });
  return `# bash completion for pkgpush: eval "$(pkgpush completion bash)" in ~/.bashrc
_pkgpush() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="\${COMP_WORDS[COMP_CWORD-1]}" command="" i
  for ((i = 1; i < COMP_CWORD; i++)); do
    case "\${COMP_WORDS[i]}" in -*) ;; *) command="\${COMP_WORDS[i]}"; break ;; esac
  done
  case "$command" in
    "") COMPREPLY=($(compgen -W ${quote([...commands.map((c) => c.name), "--help", "--version"].join(" "))} -- "$cur")) ;;
${cases.join("\n")}
  esac
}
complete -o filenames -F _pkgpush pkgpush
`;
}

function zshOption(o: OptionSpec): string[] {
  const description = o.description.replace(/[[\]:\\]/g, "\\$&");
  const value = !o.takesValue
    ? ""
    : o.choices
      ? `:value:(${o.choices.join(" ")})`
      : o.files
        ? ":file:_files"
        : ":value: ";
  const flags = [o.short, o.long].filter((f): f is string => Boolean(f));
  if (flags.length === 2) {
    return [`'(${flags.join(" ")})'{${flags.join(",")}}${quote(`[${description}]${value}`)}`];
  }
  return flags.map((flag) => quote(`${flag}[${description}]${value}`));
}

function zsh(commands: CommandSpec[]): string {
  const described = commands.map((c) => quote(`${c.name}:${c.description.replace(/:/g, "\\:")}`));
  const cases = commands.map(
    (c) =>
      `    ${c.name})\n      _arguments -s \\\n        ${c.options.flatMap(zshOption).join(" \\\n        ")}${c.files ? " \\\n        '*:file:_files'" : ""} ;;`,
  );
  return `#compdef pkgpush
# zsh completion for pkgpush: pkgpush completion zsh > "\${fpath[1]}/_pkgpush"
_pkgpush() {
  local -a commands
  commands=(${described.join(" ")})
  if (( CURRENT == 2 )); then
    _describe -t commands 'pkgpush command' commands
    return
  fi
  case "$words[2]" in
${cases.join("\n")}
  esac
}
if [[ "$funcstack[1]" == "_pkgpush" ]]; then _pkgpush "$@"; else compdef _pkgpush pkgpush; fi
`;
}

function fish(commands: CommandSpec[]): string {
  const names = commands.map((c) => c.name).join(" ");
  const lines = commands.map(
    (c) =>
      `complete -c pkgpush -n "not __fish_seen_subcommand_from ${names}" -f -a ${c.name} -d ${quote(c.description)}`,
  );
  for (const c of commands) {
    if (c.files) lines.push(`complete -c pkgpush -n "__fish_seen_subcommand_from ${c.name}" -F`);
    for (const o of c.options) {
      const parts = [`complete -c pkgpush -n "__fish_seen_subcommand_from ${c.name}"`];
      if (o.short) parts.push(`-s ${o.short.slice(1)}`);
      if (o.long) parts.push(`-l ${o.long.slice(2)}`);
      if (o.takesValue) parts.push(o.files ? "-r -F" : "-r -f");
      if (o.choices) parts.push(`-a ${quote(o.choices.join(" "))}`);
      parts.push(`-d ${quote(o.description)}`);
      lines.push(parts.join(" "));
    }
  }
  return `# fish completion for pkgpush: pkgpush completion fish > ~/.config/fish/completions/pkgpush.fish
complete -c pkgpush -f
${lines.join("\n")}
`;
}

/** The completion script for `shell`, built from `program`. */
export function completionScript(program: Command, shell: string): string {
  const commands = commandsOf(program);
  switch (shell) {
    case "bash":
      return bash(commands);
    case "zsh":
      return zsh(commands);
    case "fish":
      return fish(commands);
    default:
      throw new UsageError(`completion: unknown shell '${shell}'; use one of ${SHELLS.join(", ")}`);
  }
}
