/**
 * `uv publish --index NAME`: the named `[[tool.uv.index]]` of ./pyproject.toml gives the upload
 * URL (`publish-url`) and the simple index used to check for existing files (`url`). Parsed with
 * smol-toml (a TOML 1.0 parser), never with regexes: tables, inline tables and arrays of tables
 * all spell the same index.
 */
import { open } from "node:fs/promises";
import { join } from "node:path";
import { parse, TomlError } from "smol-toml";
import { ConfigError } from "../errors.js";

/** pyproject.toml files are a few kB; anything past this is not one. */
const MAX_BYTES = 1024 * 1024;

export interface UvIndex {
  name: string;
  publishUrl: string;
  /** The index's simple URL, for existence checks. */
  url?: string | undefined;
}

async function readBounded(path: string): Promise<string> {
  const handle = await open(path, "r").catch((error: NodeJS.ErrnoException) => {
    throw new ConfigError(
      error.code === "ENOENT"
        ? `--index: no pyproject.toml in ${join(path, "..")} to read [[tool.uv.index]] from`
        : `--index: cannot read ${path}: ${error.message}`,
      { hint: "run in the project directory, or give the URL with --publish-url" },
    );
  });
  try {
    const buffer = Buffer.alloc(MAX_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_BYTES)
      throw new ConfigError(`${path}: larger than 1 MiB; not a pyproject.toml`);
    return buffer.subarray(0, bytesRead).toString("utf8");
  } finally {
    await handle.close();
  }
}

/** The indexes of `[[tool.uv.index]]`, as uv spells them (name, url, publish-url). */
export function uvIndexes(text: string, file: string): Array<Record<string, unknown>> {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (error) {
    const where = error instanceof TomlError ? ` line ${error.line}` : "";
    throw new ConfigError(
      `${file}${where}: not valid TOML: ${(error as Error).message.split("\n")[0]}`,
    );
  }
  const tool = doc.tool as Record<string, unknown> | undefined;
  const uv = tool?.uv as Record<string, unknown> | undefined;
  const index = uv?.index;
  if (index === undefined) return [];
  if (!Array.isArray(index))
    throw new ConfigError(`${file}: tool.uv.index must be an array of tables ([[tool.uv.index]])`);
  return index.filter(
    (entry): entry is Record<string, unknown> => typeof entry === "object" && entry !== null,
  );
}

/** Finds index `name` in `text` (the content of `file`); one clear error for each way it can be missing. */
export function findUvIndex(text: string, file: string, name: string): UvIndex {
  const indexes = uvIndexes(text, file);
  const entry = indexes.find((index) => index.name === name);
  if (!entry) {
    const names = indexes.map((index) => String(index.name)).filter((n) => n !== "undefined");
    throw new ConfigError(`--index ${name}: ${file} has no [[tool.uv.index]] named '${name}'`, {
      hint:
        names.length > 0
          ? `indexes defined there: ${names.join(", ")}`
          : "add one with name = and publish-url =",
    });
  }
  const publishUrl = entry["publish-url"];
  if (typeof publishUrl !== "string" || !/^https?:\/\//i.test(publishUrl)) {
    throw new ConfigError(
      `--index ${name}: [[tool.uv.index]] '${name}' in ${file} has no publish-url (an http(s) upload URL)`,
      {
        hint: 'add e.g. publish-url = "https://upload.pypi.org/legacy/"',
      },
    );
  }
  const url =
    typeof entry.url === "string" && /^https?:\/\//i.test(entry.url) ? entry.url : undefined;
  return { name, publishUrl, url };
}

/** `--index NAME` against ./pyproject.toml. */
export async function readUvIndex(cwd: string, name: string): Promise<UvIndex> {
  const file = join(cwd, "pyproject.toml");
  return findUvIndex(await readBounded(file), file, name);
}
