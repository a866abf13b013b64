// The import's file I/O, kept out of the pure readers and converter: SOURCE_DIR and the target
// folder read as discover reads migrations (bounded, strict UTF-8, BOM and CRLF normalised), and
// converted files written so that an interrupted import leaves no half file.

import { ConfigError } from "../core/errors.ts";
import { isRegularFile, type ReadLimits, readTracked, unreadable } from "../core/read.ts";
import { TOOLS } from "./tools.ts";
import type { ConvertedFile, ImportTool, SourceFile } from "./types.ts";

/** Files whose text a reader looks at; others (`.java`, `.class`, `.go`) are refused by name. */
const TEXT = /\.(sql|conf|toml)$/i;

/**
 * The files of SOURCE_DIR the tool's reader needs, with paths relative to it (`/`-separated):
 * Flyway's at any depth, the others' at most one folder deep (Prisma, Diesel). Dot-entries are
 * skipped, as discover skips them.
 */
export function readSourceDir(
  dir: string,
  tool: ImportTool,
  database: string,
  limits: ReadLimits,
): SourceFile[] {
  const spec = TOOLS[tool];
  const depth = tool === "flyway" ? Infinity : 2;
  const out: SourceFile[] = [];
  const walk = (rel: string, level: number) => {
    const path = rel === "" ? dir : `${dir}/${rel}`;
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(path)];
    } catch (err) {
      const why = unreadable(path, err);
      throw new ConfigError(
        "UNREADABLE_FILE",
        rel === ""
          ? `cannot read SOURCE_DIR "${dir}": ${
            err instanceof Deno.errors.NotFound ? "it does not exist" : why.reason
          }`
          : `cannot read "${path}": ${why.reason}`,
        {
          database,
          position: { file: path },
          hint: rel === "" ? `give the folder that holds the ${tool} migrations` : why.hint,
        },
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith(".")) continue;
      const child = rel === "" ? e.name : `${rel}/${e.name}`;
      if (isRegularFile(path, e)) {
        if (!spec.wants(child)) continue;
        const text = TEXT.test(child)
          ? readTracked(`${dir}/${child}`, database, limits.maxFileMb).text
          : "";
        out.push({ path: child, text });
      } else if (level + 1 < depth && (e.isDirectory || isDirectory(`${path}/${e.name}`))) {
        walk(child, level + 1);
      }
    }
  };
  walk("", 0);
  return out;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** The `.sql` files already in the target folder (name and text); none when it is missing. */
export function readTargetDir(dir: string, database: string, limits: ReadLimits): SourceFile[] {
  const out: SourceFile[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out;
    const why = unreadable(dir, err);
    throw new ConfigError("UNREADABLE_FILE", `cannot read "${dir}": ${why.reason}`, {
      database,
      hint: why.hint,
    });
  }
  for (const e of entries) {
    if (e.name.startsWith(".") || !e.name.toLowerCase().endsWith(".sql")) continue;
    if (!isRegularFile(dir, e)) continue;
    out.push({
      path: e.name,
      text: readTracked(`${dir}/${e.name}`, database, limits.maxFileMb).text,
    });
  }
  return out;
}

/**
 * Writes new converted files into dir (created when missing), each through a temporary dot-name
 * that discover skips, then renamed: a stopped import leaves whole files or none. Never overwrites.
 */
export function writeConverted(dir: string, files: ConvertedFile[], database: string): void {
  try {
    Deno.mkdirSync(dir, { recursive: true });
    for (const f of files) {
      const final = `${dir}/${f.name}`;
      const temp = `${dir}/.${f.name}.import-${Deno.pid}`;
      Deno.writeTextFileSync(temp, f.text, { createNew: true });
      try {
        // planWrites() refused names that exist; one that appeared since is not overwritten.
        if (exists(final)) {
          throw new ConfigError(
            "IMPORT_UNSUPPORTED",
            `"${final}" appeared while importing: not overwritten`,
            { database, position: { file: final }, hint: "run the import again" },
          );
        }
        Deno.renameSync(temp, final);
      } finally {
        try {
          Deno.removeSync(temp);
        } catch { /* renamed */ }
      }
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const why = unreadable(dir, err);
    throw new ConfigError("UNREADABLE_FILE", `cannot write into "${dir}": ${why.reason}`, {
      database,
      hint: why.hint,
    });
  }
}

function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
