// Reads every file of a database before anything is applied, so a bad name, a duplicate version or
// an unreadable file stops the run with exit 2 while the databases are still untouched.

import { decodeFile, fileContent, Utf8Error } from "./checksum.ts";
import { ConfigError } from "./errors.ts";
import type { SeedMode, SeedSet, TrackedFile } from "./types.ts";
import { suggestMigrationName } from "./versions.ts";

const MIGRATION_NAME = /^V(\d+)__(.+)\.sql$/;
const SEED_FORMATS = new Set(["sql", "yaml", "yml", "csv"]);
const MB = 1024 * 1024;

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

/** Why a path cannot be read, and what to do about it, from the error reading it raised. */
export function unreadableReason(
  err: unknown,
  link: { target: string } | null,
): { reason: string; hint: string } {
  const via = link ? ` (a symbolic link to "${link.target}")` : "";
  if (err instanceof Deno.errors.FilesystemLoop) {
    return {
      reason: `it is a symbolic link that leads back to itself${via}`,
      hint: "point the link at a file, or replace it with the file",
    };
  }
  if (err instanceof Deno.errors.NotFound) {
    return link
      ? {
        reason: `it is a symbolic link to "${link.target}", which does not exist`,
        hint: "fix the link, or mount the volume it points into",
      }
      : { reason: "it disappeared while being read", hint: "run again" };
  }
  if (err instanceof Deno.errors.PermissionDenied) {
    return {
      reason: `permission denied${via}`,
      hint: "check the file's permissions: the user the job runs as must be able to read it",
    };
  }
  if (err instanceof Deno.errors.NotCapable) {
    return {
      reason: `the program's permissions do not cover it${via}`,
      hint: "grant read access to it (--allow-read, or the container permission set in deno.json)",
    };
  }
  if (err instanceof Deno.errors.IsADirectory) {
    return {
      reason: `it is a directory, not a file${via}`,
      hint: "a migration or seed is one file: rename the directory, or move its files out of it",
    };
  }
  return { reason: (err as Error)?.message ?? String(err), hint: "check the file" };
}

/** The target of a symbolic link, or null when path is none. */
function linkTarget(path: string): string | null {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return null;
  }
}

/** unreadableReason() for a path, with the target of the symbolic link it may be. */
function unreadable(path: string, err: unknown): { reason: string; hint: string } {
  const target = linkTarget(path);
  return unreadableReason(err, target === null ? null : { target });
}

/** The error for a path named like a migration or seed that is not a regular file. */
function notAFile(path: string, database: string, what: string): ConfigError {
  let why: { reason: string; hint: string };
  try {
    const info = Deno.statSync(path);
    const target = linkTarget(path);
    const via = target === null ? "" : ` (a symbolic link to "${target}")`;
    why = info.isDirectory
      ? unreadableReason(new Deno.errors.IsADirectory(), target === null ? null : { target })
      : {
        reason: `it is not a regular file but ${
          info.isFifo ? "a FIFO" : info.isSocket ? "a socket" : "a device"
        }${via}`,
        hint: "replace it with a regular file",
      };
  } catch (err) {
    why = unreadable(path, err);
  }
  return new ConfigError(
    "UNREADABLE_FILE",
    `"${path}" of database "${database}" is named like a ${what} but cannot be read: ${why.reason}`,
    { database, position: { file: path }, hint: why.hint },
  );
}

/** Throws when a folder that reads as missing is a symbolic link to nowhere (an unmounted volume). */
function checkNotDangling(path: string, database: string): void {
  const target = linkTarget(path);
  if (target === null) return;
  const why = unreadableReason(new Deno.errors.NotFound(), { target });
  throw new ConfigError("UNREADABLE_FILE", `cannot read "${path}": ${why.reason}`, {
    database,
    position: { file: path },
    hint: why.hint,
  });
}

/** Whether a directory entry is a regular file, following a symbolic link (no stat otherwise). */
function isRegularFile(dir: string, e: Deno.DirEntry): boolean {
  if (e.isFile) return true;
  if (!e.isSymlink) return false;
  try {
    return Deno.statSync(`${dir}/${e.name}`).isFile;
  } catch {
    return false; // a dangling or looping link: notAFile() says which
  }
}

/** Limits on what is read; a larger SQL file is refused before it is read (exit 2). */
export interface ReadLimits {
  /** The largest SQL file, in MB (2^20 bytes); --max-file-size. */
  maxFileMb?: number;
}

const TOO_LARGE_HINT = "split the file, or raise the limit with --max-file-size=MB (env " +
  "DB_MIGRATE_MAX_FILE_SIZE) and give the job the memory for it (README: Memory)";

/** Whether UTF-8 bytes hold a character beyond U+00FF (any lead byte from 0xC4 up). */
function beyondLatin1(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0xc4) return true;
  return false;
}

/**
 * Reads a SQL file unless it is over the limit. Its text is held in memory while it runs, so a file
 * too large for the job's memory is refused before it is read (and before any database is
 * touched). The size comes from the open file, which costs no more than readFileSync() does.
 */
function readBounded(path: string, maxFileMb: number, database: string): Uint8Array {
  const file = Deno.openSync(path);
  try {
    const size = file.statSync().size;
    if (size > maxFileMb * MB) {
      throw new ConfigError(
        "FILE_TOO_LARGE",
        `"${path}" of database "${database}" is ${(size / MB).toFixed(1)} MB, over the limit of ` +
          `${maxFileMb} MB for one SQL file (--max-file-size)`,
        {
          database,
          position: { file: path },
          hint: TOO_LARGE_HINT,
        },
      );
    }
    // One buffer of the file's size: reading in slices and joining the decoded parts was tried,
    // and left the parts for V8 to collect late, costing more than it saved.
    const bytes = new Uint8Array(size);
    let read = 0;
    for (let n; read < size && (n = file.readSync(bytes.subarray(read)));) read += n;
    // JavaScript keeps text with any character beyond Latin-1 in two bytes a character, and
    // decoding such a file costs another copy: it counts twice against the limit.
    if (size * 2 > maxFileMb * MB && beyondLatin1(bytes)) {
      throw new ConfigError(
        "FILE_TOO_LARGE",
        `"${path}" of database "${database}" is ${(size / MB).toFixed(1)} MB of text with ` +
          `characters beyond Latin-1, which takes twice its size in memory: over the limit of ` +
          `${maxFileMb} MB for one SQL file (--max-file-size)`,
        { database, position: { file: path }, hint: TOO_LARGE_HINT },
      );
    }
    return read < size ? bytes.subarray(0, read) : bytes;
  } finally {
    file.close();
  }
}

/** Reads, normalises and checksums one file; synchronous because a no-op run reads them all. */
function readTracked(
  path: string,
  database: string,
  maxFileMb = Infinity,
): { text: string; sum: string } {
  let bytes: Uint8Array;
  try {
    bytes = maxFileMb === Infinity
      ? Deno.readFileSync(path)
      : readBounded(path, maxFileMb, database);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    const why = unreadable(path, err);
    throw new ConfigError(
      "UNREADABLE_FILE",
      `cannot read "${path}" of database "${database}": ${why.reason}`,
      { database, position: { file: path }, hint: why.hint },
    );
  }
  return withPosition(path, database, () => {
    const { text, checksum } = fileContent(bytes);
    return { text, sum: checksum };
  });
}

/** A file's bytes as normalised text (see decodeFile()); invalid UTF-8 is INVALID_UTF8, exit 2. */
export function decodeText(bytes: Uint8Array, path: string, database: string): string {
  return withPosition(path, database, () => decodeFile(bytes));
}

function withPosition<T>(path: string, database: string, decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof Utf8Error)) throw err;
    throw new ConfigError(
      "INVALID_UTF8",
      `"${path}" of database "${database}" is not UTF-8: ${err.message}`,
      {
        database,
        position: { file: path, line: err.line, column: err.column },
        hint:
          "save the file as UTF-8; write binary data as escapes ('\\xff'::bytea), not raw bytes",
      },
    );
  }
}

/** Lists, reads and checksums the migrations of one database, sorted by version. */
export function discoverMigrations(
  dir: string,
  database: string,
  limits: ReadLimits = {},
): TrackedFile[] {
  const entries: { name: string; version: number; description: string }[] = [];
  const badNames: string[] = [];
  try {
    // Synchronous: the async iterator costs an op per entry, about 3 µs a file on a no-op run.
    for (const e of Deno.readDirSync(dir)) {
      if (e.name.startsWith(".")) continue;
      const parsed = parseMigrationName(e.name);
      const sql = parsed !== null || e.name.toLowerCase().endsWith(".sql");
      if (!sql) continue; // READMEs and other notes may live beside the migrations
      if (!isRegularFile(dir, e)) throw notAFile(`${dir}/${e.name}`, database, "migration");
      if (parsed) entries.push({ name: e.name, ...parsed });
      else badNames.push(e.name);
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (err instanceof Deno.errors.NotFound) {
      checkNotDangling(dir, database);
      return [];
    }
    const why = unreadable(dir, err);
    throw new ConfigError("UNREADABLE_FILE", `cannot read "${dir}": ${why.reason}`, {
      database,
      hint: why.hint,
    });
  }
  const bad = badNames.sort()[0];
  if (bad !== undefined) {
    throw new ConfigError(
      "BAD_FILE_NAME",
      `"${bad}" in "${dir}" is not a migration name: expected V<version>__<description>.sql`,
      {
        database,
        position: { file: `${dir}/${bad}` },
        hint: `rename it, for example to ${suggestMigrationName(bad, entries.map((e) => e.name))}`,
      },
    );
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
    const { text, sum } = readTracked(path, database, limits.maxFileMb);
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
  limits: ReadLimits = {},
): TrackedFile[] {
  const out: TrackedFile[] = [];
  for (const set of seedSets(mode)) {
    const setDir = `${dir}/${set}`;
    const names: string[] = [];
    try {
      for (const e of Deno.readDirSync(setDir)) {
        if (e.name.startsWith(".")) continue;
        const ext = e.name.slice(e.name.lastIndexOf(".") + 1).toLowerCase();
        if (!SEED_FORMATS.has(ext)) continue;
        if (!isRegularFile(setDir, e)) throw notAFile(`${setDir}/${e.name}`, database, "seed");
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
      throw new ConfigError("UNREADABLE_FILE", `cannot read "${setDir}": ${why.reason}`, {
        database,
        hint: why.hint,
      });
    }
    // A CSV's sidecar `NNN_<table>.yaml` describes the CSV and is not a seed of its own.
    const csvStems = new Set(names.filter((n) => n.endsWith(".csv")).map((n) => n.slice(0, -4)));
    names.sort();
    for (const name of names) {
      const dot = name.lastIndexOf(".");
      const ext = name.slice(dot + 1).toLowerCase();
      if ((ext === "yaml" || ext === "yml") && csvStems.has(name.slice(0, dot))) continue;
      const path = `${setDir}/${name}`;
      // Only SQL seeds: YAML and CSV seeds are loaded by their own code, with its own limits.
      const { text, sum } = readTracked(
        path,
        database,
        ext === "sql" ? limits.maxFileMb : Infinity,
      );
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
