// Diesel: `migrations/<version>_<name>/up.sql` and `down.sql`, the version being the folder name
// before its first `_` with `-` removed (migrations_internals: version_from_string), so
// `2017-09-09-123456_create_users` is version `20170909123456` and `diesel setup`'s
// `00000000000000_diesel_initial_setup` is version 0. Versions are compared as text and recorded in
// `__diesel_schema_migrations.version`. A `metadata.toml` in the folder may say
// `run_in_transaction = false`; Diesel reads a metadata.toml that parses but omits the key as
// false (serde's default for the field), and one that does not parse as absent (true).

import { byCodeUnits, splitLines } from "./text.ts";
import type {
  ImportNote,
  ImportProblem,
  ReadResult,
  Section,
  SourceFile,
  SourceMigration,
} from "./types.ts";

/** Diesel's version of a migration folder name (`2017-09-09-123456_x` → `20170909123456`). */
export function dieselVersion(folder: string): string {
  return (folder.split("_")[0] ?? "").replaceAll("-", "");
}

/** The key Diesel records: the folder's version. */
export function dieselKeyOf(source: string): string | null {
  const parts = source.split("/");
  return parts.length === 2 && parts[1] === "up.sql" ? dieselVersion(parts[0]!) : null;
}

/**
 * Whether a migration runs in a transaction, from its metadata.toml: the value of
 * `run_in_transaction`, false when the file is valid but omits it, true when there is no file or
 * it is not TOML Diesel can read. Only flat `key = value` lines are understood; anything else
 * is reported.
 */
export function dieselRunInTransaction(
  metadata: string | undefined,
): { transaction: boolean; unknown: { line: number; text: string }[] } {
  if (metadata === undefined) return { transaction: true, unknown: [] };
  let value: boolean | null = null;
  const unknown: { line: number; text: string }[] = [];
  for (const l of splitLines(metadata)) {
    const t = l.text.replace(/#.*$/, "").trim();
    if (t === "") continue;
    const m = /^run_in_transaction\s*=\s*(true|false)$/.exec(t);
    if (m) value = m[1] === "true";
    else unknown.push({ line: l.number, text: t });
  }
  return { transaction: value ?? false, unknown };
}

/** Reads a Diesel `migrations` folder. */
export function readDiesel(files: SourceFile[]): ReadResult {
  const problems: ImportProblem[] = [];
  const notes: ImportNote[] = [];
  const folders = new Map<string, Map<string, SourceFile>>();
  for (const f of files) {
    const parts = f.path.split("/");
    if (parts.length !== 2 || parts[0]!.startsWith(".")) continue;
    const inFolder = folders.get(parts[0]!) ?? new Map<string, SourceFile>();
    inFolder.set(parts[1]!, f);
    folders.set(parts[0]!, inFolder);
  }
  interface Found {
    folder: string;
    version: string;
    up: SourceFile;
    down?: SourceFile;
    transaction: boolean;
  }
  const found: Found[] = [];
  for (const [folder, inFolder] of folders) {
    const up = inFolder.get("up.sql");
    if (!up) {
      problems.push({
        file: folder,
        message: "a migration folder without up.sql",
        hint: "Diesel refuses it too; add up.sql or remove the folder",
      });
      continue;
    }
    const version = dieselVersion(folder);
    if (!/^\d+$/.test(version)) {
      problems.push({
        file: up.path,
        message:
          `version "${version}" of folder "${folder}" is not a number: no version to give it`,
        hint: "rename the folder YYYY-MM-DD-HHMMSS_name (and its row in " +
          "__diesel_schema_migrations with it)",
      });
      continue;
    }
    if (up.text === "") {
      problems.push({
        file: up.path,
        message: "an empty up.sql: Diesel refuses to run it, so it was never applied",
        hint: "write the migration, or remove the folder",
      });
      continue;
    }
    const meta = inFolder.get("metadata.toml");
    const run = dieselRunInTransaction(meta?.text);
    for (const u of run.unknown) {
      problems.push({
        file: meta!.path,
        line: u.line,
        message: `"${u.text}" is not understood: only run_in_transaction = true|false is read`,
        hint: "remove the line",
      });
    }
    found.push({
      folder,
      version,
      up,
      transaction: run.transaction,
      ...(inFolder.has("down.sql") ? { down: inFolder.get("down.sql")! } : {}),
    });
  }
  // Diesel orders migrations by their version, as text.
  found.sort((a, b) => byCodeUnits(a.version, b.version) || byCodeUnits(a.folder, b.folder));
  const migrations: SourceMigration[] = [];
  for (let i = 0; i < found.length; i++) {
    const f = found[i]!;
    if (found[i - 1]?.version === f.version) {
      problems.push({
        file: f.up.path,
        message: `version ${f.version} is also the version of "${found[i - 1]!.folder}"`,
        hint: "Diesel would record both as one version; renumber one of them",
      });
      continue;
    }
    const section = (file: SourceFile): Section => ({
      file: file.path,
      line: 1,
      text: file.text,
      transaction: f.transaction,
    });
    const sep = f.folder.indexOf("_");
    migrations.push({
      key: f.version,
      rawVersion: f.version,
      description: sep < 0 ? "" : f.folder.slice(sep + 1),
      up: [section(f.up)],
      down: f.down ? [section(f.down)] : [],
      source: f.up.path,
    });
  }
  return { migrations, problems, notes };
}
