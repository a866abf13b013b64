// Reads every file of a database before anything is applied, so a bad name, a duplicate version or
// an unreadable file stops the run with exit 2 while the databases are still untouched.

import { ConfigError } from "./errors.ts";
import {
  checkNotDangling,
  isRegularFile,
  notAFile,
  readCsvTracked,
  type ReadLimits,
  readTracked,
  unreadable,
} from "./read.ts";
import type { SeedMode, SeedSet, TrackedFile } from "./types.ts";
import { suggestMigrationName } from "./versions.ts";

const MIGRATION_NAME = /^V(\d+)__(.+)\.sql$/;
// Flyway's naming for undo files: U<version>__<description>.sql undoes V<version>.
const UNDO_NAME = /^U(\d+)__(.+)\.sql$/;
const SEED_FORMATS = new Set(["sql", "yaml", "yml", "csv"]);

/** The version and description of a migration file name, or null when it does not match. */
export function parseMigrationName(name: string): { version: number; description: string } | null {
  const m = MIGRATION_NAME.exec(name);
  if (!m || !m[1] || !m[2]) return null;
  const version = Number(m[1]);
  if (!Number.isSafeInteger(version)) return null;
  return { version, description: m[2].replaceAll("_", " ") };
}

/** The version and description of an undo file name (`U3__add_users.sql`), or null. */
export function parseUndoName(name: string): { version: number; description: string } | null {
  const m = UNDO_NAME.exec(name);
  if (!m || !m[1] || !m[2]) return null;
  const version = Number(m[1]);
  if (!Number.isSafeInteger(version)) return null;
  return { version, description: m[2].replaceAll("_", " ") };
}

/** The seed sets a mode applies, in order. */
export function seedSets(mode: SeedMode): SeedSet[] {
  switch (mode) {
    case "none":
      return [];
    case "reference":
      return ["reference"];
    case "sample":
      return ["reference", "sample"];
    case "full":
      return ["reference", "sample", "full"];
  }
}

/** Names of the database folders under dir, symbolic links to folders included, sorted; none when dir is missing. */
export function listDatabaseFolders(dir: string): string[] {
  const names: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new ConfigError(
      "UNREADABLE_FILE",
      `cannot read the migrations folder "${dir}": ${(err as Error).message}`,
      { hint: unreadable(dir, err).hint },
    );
  }
  let realDir: string | null = null;
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory) {
      names.push(e.name);
      continue;
    }
    if (!e.isSymlink) continue;
    // A volume mounted into migrations/ is a link to a folder elsewhere: follow it.
    const path = `${dir}/${e.name}`;
    let target: Deno.FileInfo;
    try {
      target = Deno.statSync(path);
    } catch (err) {
      const why = unreadable(path, err);
      throw new ConfigError(
        "UNREADABLE_FILE",
        `cannot read the database folder "${path}": ${why.reason}`,
        { database: e.name, position: { file: path }, hint: why.hint },
      );
    }
    if (!target.isDirectory) continue; // a linked README or other note
    realDir ??= Deno.realPathSync(dir);
    const real = Deno.realPathSync(path);
    if (realDir === real || realDir.startsWith(real.endsWith("/") ? real : `${real}/`)) {
      throw new ConfigError(
        "UNREADABLE_FILE",
        `the database folder "${path}" is a symbolic link to "${real}", which holds the ` +
          `migrations folder itself: a loop`,
        {
          database: e.name,
          position: { file: path },
          hint: "point the link at the database's own folder",
        },
      );
    }
    names.push(e.name);
  }
  return names.sort();
}

/** The exit-2 error of a run that finds no database folder under dir (missing or empty). */
export function noDatabaseError(dir: string): ConfigError {
  let why: string;
  try {
    why = Deno.statSync(dir).isDirectory ? "it holds no database folder" : "it is not a folder";
  } catch (err) {
    why = err instanceof Deno.errors.NotFound
      ? "it does not exist"
      : `it cannot be read: ${(err as Error).message}`;
  }
  return new ConfigError(
    "NO_DATABASE",
    `no database found under "${dir}": ${why}`,
    {
      position: { file: dir },
      hint: "each database is a folder of migrations (migrations/<database>/V001__init.sql); " +
        "check --migrations (env MIGRATIONS_DIR) and the working directory",
    },
  );
}

/**
 * Where the problems of discovery go: null (a run) throws the first one found; a list (validate)
 * collects every problem and discovery goes on with the files that could be read.
 */
export type Problems = ConfigError[] | null;

/** Throws the first of found when problems is null, or adds them all to problems. */
function settle(found: ConfigError[], problems: Problems): void {
  if (problems === null) {
    if (found[0]) throw found[0];
    return;
  }
  problems.push(...found);
}

/**
 * Lists, reads and checksums the migrations of one database, sorted by version. The problems (bad
 * names, duplicate versions, undo files without a migration, unreadable files) are thrown, the
 * first of them, or collected into problems (see Problems).
 */
export function discoverMigrations(
  dir: string,
  database: string,
  limits: ReadLimits = {},
  problems: Problems = null,
): TrackedFile[] {
  const entries: { name: string; version: number; description: string }[] = [];
  const undos: { name: string; version: number }[] = [];
  const badNames: string[] = [];
  const found: ConfigError[] = [];
  try {
    // Synchronous: the async iterator costs an op per entry, about 3 µs a file on a no-op run.
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.startsWith(".")) continue;
      const parsed = parseMigrationName(e.name);
      const sql = parsed !== null || e.name.toLowerCase().endsWith(".sql");
      if (!sql) continue; // READMEs and other notes may live beside the migrations
      if (!isRegularFile(dir, e)) {
        found.push(notAFile(`${dir}/${e.name}`, database, "migration"));
        continue;
      }
      const undo = parsed ? null : parseUndoName(e.name);
      if (parsed) entries.push({ name: e.name, ...parsed });
      else if (undo) undos.push({ name: e.name, version: undo.version });
      else badNames.push(e.name);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (err instanceof Deno.errors.NotFound) {
      checkNotDangling(dir, database);
      return [];
    }
    const why = unreadable(dir, err);
    settle(
      [
        new ConfigError("UNREADABLE_FILE", `cannot read "${dir}": ${why.reason}`, {
          database,
          hint: why.hint,
        }),
      ],
      problems,
    );
    return [];
  }
  for (const bad of badNames.sort()) {
    found.push(
      new ConfigError(
        "BAD_FILE_NAME",
        `"${bad}" in "${dir}" is not a migration name: expected V<version>__<description>.sql`,
        {
          database,
          position: { file: `${dir}/${bad}` },
          hint: `rename it, for example to ${
            suggestMigrationName(bad, entries.map((e) => e.name))
          }`,
        },
      ),
    );
  }
  entries.sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  const duplicates = new Set<string>();
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1]!, b = entries[i]!;
    if (a.version === b.version) {
      duplicates.add(a.name).add(b.name);
      found.push(
        new ConfigError(
          "DUPLICATE_VERSION",
          `"${a.name}" and "${b.name}" in "${dir}" both have version ${a.version}`,
          {
            database,
            position: { file: `${dir}/${b.name}` },
            hint: "give one of them a new version",
          },
        ),
      );
    }
  }
  const undoOf = undoFiles(dir, database, undos, new Set(entries.map((e) => e.version)), found);
  // A run stops here at the first problem, before reading any file.
  if (problems === null) settle(found, null);
  const out: TrackedFile[] = [];
  for (const e of entries) {
    if (duplicates.has(e.name)) continue;
    const path = `${dir}/${e.name}`;
    let read;
    try {
      read = readTracked(path, database, limits.maxFileMb);
    } catch (err) {
      if (problems === null || !(err instanceof ConfigError)) throw err;
      found.push(err);
      continue;
    }
    const undo = undoOf.get(e.version);
    out.push({
      ...(undo ? { undo: { script: undo, path: `${dir}/${undo}` } } : {}),
      kind: "migration" as const,
      version: e.version,
      description: e.description,
      script: e.name,
      path,
      text: read.text,
      checksum: read.sum,
      format: "sql" as const,
    });
  }
  if (problems !== null) settle(found, problems);
  return out;
}

/**
 * The undo file name per version; one for a version with no migration, or two for one, is a
 * problem (exit 2), added to found.
 */
function undoFiles(
  dir: string,
  database: string,
  undos: { name: string; version: number }[],
  versions: Set<number>,
  found: ConfigError[],
): Map<number, string> {
  const byVersion = new Map<number, string>();
  for (const u of undos.sort((a, b) => a.name.localeCompare(b.name))) {
    const other = byVersion.get(u.version);
    if (other !== undefined) {
      found.push(
        new ConfigError(
          "DUPLICATE_VERSION",
          `"${other}" and "${u.name}" in "${dir}" both undo version ${u.version}`,
          {
            database,
            position: { file: `${dir}/${u.name}` },
            hint: "keep one undo file per version",
          },
        ),
      );
      continue;
    }
    if (!versions.has(u.version)) {
      found.push(
        new ConfigError(
          "ORPHAN_UNDO",
          `"${u.name}" in "${dir}" undoes version ${u.version}, which has no migration file`,
          {
            database,
            position: { file: `${dir}/${u.name}` },
            hint: `give it the version of the migration it undoes, or delete it`,
          },
        ),
      );
      continue;
    }
    byVersion.set(u.version, u.name);
  }
  return byVersion;
}

/**
 * Lists, reads and checksums the seed files of one database for a mode, in application order; the
 * problems are thrown or collected as for migrations (see Problems).
 */
export function discoverSeeds(
  dir: string,
  database: string,
  mode: SeedMode,
  limits: ReadLimits = {},
  problems: Problems = null,
): TrackedFile[] {
  const out: TrackedFile[] = [];
  // Throws at once in a run; in validate, notes the problem and goes on.
  const fail = (err: ConfigError): void => settle([err], problems);
  for (const set of seedSets(mode)) {
    const setDir = `${dir}/${set}`;
    const names: string[] = [];
    try {
      for (const e of Deno.readDirSync(setDir)) {
        if (e.name.startsWith(".")) continue;
        const ext = e.name.slice(e.name.lastIndexOf(".") + 1).toLowerCase();
        if (!SEED_FORMATS.has(ext)) continue;
        if (!isRegularFile(setDir, e)) {
          fail(notAFile(`${setDir}/${e.name}`, database, "seed"));
          continue;
        }
        names.push(e.name);
      }
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      if (err instanceof Deno.errors.NotFound) {
        checkNotDangling(dir, database);
        checkNotDangling(setDir, database);
        continue;
      }
      const why = unreadable(setDir, err);
      fail(
        new ConfigError("UNREADABLE_FILE", `cannot read "${setDir}": ${why.reason}`, {
          database,
          hint: why.hint,
        }),
      );
      continue;
    }
    // A CSV's sidecar `NNN_<table>.yaml` describes the CSV and is not a seed of its own.
    const csvStems = new Set(names.filter((n) => n.endsWith(".csv")).map((n) => n.slice(0, -4)));
    names.sort();
    for (const name of names) {
      const dot = name.lastIndexOf(".");
      const ext = name.slice(dot + 1).toLowerCase();
      if ((ext === "yaml" || ext === "yml") && csvStems.has(name.slice(0, dot))) continue;
      const path = `${setDir}/${name}`;
      // A CSV seed may be larger than the job's memory: it is checksummed in chunks and read again
      // from disk, in chunks, when it is checked and loaded (src/seeds/csv_file.ts). Only SQL
      // seeds take the SQL file limit: YAML seeds have their own (src/seeds/yaml.ts).
      let read;
      try {
        read = ext === "csv"
          ? readCsvTracked(path, database)
          : readTracked(path, database, ext === "sql" ? limits.maxFileMb : Infinity);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        fail(err);
        continue;
      }
      out.push({
        kind: "seed",
        version: null,
        description: name.slice(0, dot).replace(/^\d+_/, "").replaceAll("_", " "),
        script: `${set}/${name}`,
        path,
        text: read.text,
        checksum: read.sum,
        format: ext === "csv" ? "csv" : ext === "sql" ? "sql" : "yaml",
      });
    }
  }
  return out;
}
