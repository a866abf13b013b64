// golang-migrate: `{version}_{title}.up.{ext}` and `.down.{ext}` in one folder (source/parse.go:
// `^([0-9]+)_(.*)\.(down|up)\.(.*)$`, version a uint64). A file is sent whole to PostgreSQL, where a
// multi-statement query runs in one implicit transaction, so each file maps to one of our files
// run in a transaction. There is no per-file transaction marker (`x-multi-statement` is a URL
// option of the database, not of a file).

import { baseName, byCodeUnits, depth } from "./text.ts";
import type {
  ImportNote,
  ImportProblem,
  ReadResult,
  SourceFile,
  SourceMigration,
} from "./types.ts";

const NAME = /^([0-9]+)_(.*)\.(down|up)\.(.*)$/;
const MAX_UINT64 = (1n << 64n) - 1n;

/** The key golang-migrate compares with `schema_migrations.version`: the version as an integer. */
export function golangMigrateKey(digits: string): string {
  return BigInt(digits).toString();
}

/** The key of a source path (`001_init.up.sql`), or null when it is not a migration name. */
export function golangMigrateKeyOf(source: string): string | null {
  const m = NAME.exec(baseName(source));
  return m?.[1] === undefined ? null : golangMigrateKey(m[1]);
}

/** Reads a golang-migrate folder: its top-level files only, as golang-migrate's file source does. */
export function readGolangMigrate(files: SourceFile[]): ReadResult {
  const problems: ImportProblem[] = [];
  const notes: ImportNote[] = [];
  const byVersion = new Map<
    bigint,
    { up?: SourceFile; down?: SourceFile; digits: string; title: string }
  >();
  for (const file of [...files].sort((a, b) => byCodeUnits(a.path, b.path))) {
    if (depth(file.path) !== 1) continue;
    const m = NAME.exec(file.path);
    if (!m) {
      if (file.path.toLowerCase().endsWith(".sql")) {
        notes.push({
          file: file.path,
          message: "not read: golang-migrate ignores a file not named " +
            "{version}_{title}.up.sql or .down.sql, so it was never applied",
        });
      }
      continue;
    }
    const [, digits, title, direction, ext] = m as unknown as [
      string,
      string,
      string,
      string,
      string,
    ];
    if (ext.toLowerCase() !== "sql") {
      problems.push({
        file: file.path,
        message: `a .${ext} migration is not SQL: db-migrate runs SQL files only`,
        hint: "convert it to SQL by hand, or leave it out of the source folder",
      });
      continue;
    }
    const version = BigInt(digits);
    if (version > MAX_UINT64) {
      notes.push({
        file: file.path,
        message: "not read: its version does not fit golang-migrate's uint64, so golang-migrate " +
          "ignores the file",
      });
      continue;
    }
    const entry = byVersion.get(version) ?? { digits, title };
    const dir = direction as "up" | "down";
    const other = entry[dir];
    if (other) {
      // golang-migrate refuses a folder with two files for one version and direction.
      problems.push({
        file: file.path,
        message: `version ${version} has two ${dir} files: "${other.path}" and "${file.path}"`,
        hint: "golang-migrate refuses this folder too; remove or renumber one of them",
      });
      continue;
    }
    entry[dir] = file;
    if (dir === "up") {
      entry.digits = digits;
      entry.title = title;
    }
    byVersion.set(version, entry);
  }

  const migrations: SourceMigration[] = [];
  for (const [version, e] of [...byVersion].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (!e.up) {
      problems.push({
        file: e.down!.path,
        message: `version ${version} has a down file but no up file`,
        hint: "add the up file, or remove the down file",
      });
      continue;
    }
    migrations.push({
      key: version.toString(),
      rawVersion: e.digits,
      description: e.title,
      up: [{ file: e.up.path, line: 1, text: e.up.text, transaction: true }],
      down: e.down ? [{ file: e.down.path, line: 1, text: e.down.text, transaction: true }] : [],
      source: e.up.path,
    });
  }
  return { migrations, problems, notes };
}
