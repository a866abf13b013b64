// Reads every file of a database before anything is applied, so a bad name, a duplicate version or
// an unreadable file stops the run with exit 2 while the databases are still untouched.

import { checksum, decodeFile } from "./checksum.ts";
import { ConfigError } from "./errors.ts";
import { checksumFileSync, InvalidUtf8 } from "./seeds/csv_file.ts";
import type { SeedMode, SeedSet, TrackedFile } from "./types.ts";

const MIGRATION_NAME = /^V(\d+)__(.+)\.sql$/;
const SEED_FORMATS = new Set(["sql", "yaml", "yml", "csv"]);

/** The version and description of a migration file name, or null when it does not match. */
export function parseMigrationName(name: string): { version: number; description: string } | null {
  const m = MIGRATION_NAME.exec(name);
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

/** Names of the folders under dir (the databases), sorted; none when dir is missing. */
export function listDatabaseFolders(dir: string): string[] {
  const names: string[] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      if (e.isDirectory && !e.name.startsWith(".")) names.push(e.name);
    }
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw new ConfigError("UNREADABLE_FILE", `cannot read the migrations folder "${dir}": ${err}`);
  }
  return names.sort();
}

/** Reads, normalises and checksums one file; synchronous because a no-op run reads them all. */
function readTracked(path: string, database: string): { text: string; sum: string } {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (err) {
    throw new ConfigError(
      "UNREADABLE_FILE",
      `cannot read "${path}" of database "${database}": ${(err as Error).message}`,
      { database, position: { file: path }, hint: "check the file's permissions" },
    );
  }
  const text = decodeFile(bytes);
  return { text, sum: checksum(text) };
}

/** Checksums a CSV seed in chunks, keeping none of its text. */
function readCsvTracked(path: string, database: string): { text: string; sum: string } {
  try {
    return { text: "", sum: checksumFileSync(path) };
  } catch (err) {
    if (err instanceof InvalidUtf8) {
      throw new ConfigError(
        "INVALID_SEED",
        `"${path}" of database "${database}" is not UTF-8: ${err.message}`,
        {
          database,
          position: { file: path, line: err.line, column: err.column },
          hint: "save the file as UTF-8",
        },
      );
    }
    throw new ConfigError(
      "UNREADABLE_FILE",
      `cannot read "${path}" of database "${database}": ${(err as Error).message}`,
      { database, position: { file: path }, hint: "check the file's permissions" },
    );
  }
}

/** Lists, reads and checksums the migrations of one database, sorted by version. */
export function discoverMigrations(dir: string, database: string): TrackedFile[] {
  const entries: { name: string; version: number; description: string }[] = [];
  try {
    // Synchronous: the async iterator costs an op per entry, about 3 µs a file on a no-op run.
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.startsWith(".")) continue;
      if (!e.isFile && !e.isSymlink) continue;
      const parsed = parseMigrationName(e.name);
      if (!parsed) {
        if (e.name.toLowerCase().endsWith(".sql")) {
          throw new ConfigError(
            "BAD_FILE_NAME",
            `"${e.name}" in "${dir}" is not a migration name: expected V<version>__<description>.sql`,
            {
              database,
              position: { file: `${dir}/${e.name}` },
              hint: `rename it, for example to V${String(entries.length + 1).padStart(3, "0")}__${
                e.name.replace(/\.sql$/i, "").replace(/\W+/g, "_")
              }.sql`,
            },
          );
        }
        continue; // READMEs and other notes may live beside the migrations
      }
      entries.push({ name: e.name, ...parsed });
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (err instanceof Deno.errors.NotFound) return [];
    throw new ConfigError("UNREADABLE_FILE", `cannot read "${dir}": ${(err as Error).message}`, {
      database,
    });
  }
  entries.sort((a, b) => a.version - b.version || a.name.localeCompare(b.name));
  for (let i = 1; i < entries.length; i++) {
    const a = entries[i - 1]!, b = entries[i]!;
    if (a.version === b.version) {
      throw new ConfigError(
        "DUPLICATE_VERSION",
        `"${a.name}" and "${b.name}" in "${dir}" both have version ${a.version}`,
        {
          database,
          position: { file: `${dir}/${b.name}` },
          hint: "give one of them a new version",
        },
      );
    }
  }
  return entries.map((e) => {
    const path = `${dir}/${e.name}`;
    const { text, sum } = readTracked(path, database);
    return {
      kind: "migration" as const,
      version: e.version,
      description: e.description,
      script: e.name,
      path,
      text,
      checksum: sum,
      format: "sql" as const,
    };
  });
}

/** Lists, reads and checksums the seed files of one database for a mode, in application order. */
export function discoverSeeds(
  dir: string,
  database: string,
  mode: SeedMode,
): TrackedFile[] {
  const out: TrackedFile[] = [];
  for (const set of seedSets(mode)) {
    const setDir = `${dir}/${set}`;
    const names: string[] = [];
    try {
      for (const e of Deno.readDirSync(setDir)) {
        if (e.name.startsWith(".") || (!e.isFile && !e.isSymlink)) continue;
        const ext = e.name.slice(e.name.lastIndexOf(".") + 1).toLowerCase();
        if (SEED_FORMATS.has(ext)) names.push(e.name);
      }
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw new ConfigError(
        "UNREADABLE_FILE",
        `cannot read "${setDir}": ${(err as Error).message}`,
        {
          database,
        },
      );
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
      // from disk, in chunks, when it is checked and loaded (src/seeds/csv_file.ts).
      const { text, sum } = ext === "csv"
        ? readCsvTracked(path, database)
        : readTracked(path, database);
      out.push({
        kind: "seed",
        version: null,
        description: name.slice(0, dot).replace(/^\d+_/, "").replaceAll("_", " "),
        script: `${set}/${name}`,
        path,
        text,
        checksum: sum,
        format: ext === "csv" ? "csv" : ext === "sql" ? "sql" : "yaml",
      });
    }
  }
  return out;
}
