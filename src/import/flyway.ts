// Flyway: `V<version>__<description>.sql` (versioned), `U<version>__…` (undo), `R__…` (repeatable),
// anywhere under the location (Flyway scans it recursively). A version is dotted or underscored
// (`1.2.3`, `1_2_3`), each part an integer, trailing zero parts ignored: `1.0` is `1`
// (MigrationVersion.java). Per-script settings live in `<script>.conf` (`executeInTransaction`,
// `placeholderReplacement`, `encoding`, `shouldExecute`). `${name}` placeholders are replaced in
// the whole text before it runs, comments and strings included (PlaceholderReplacingReader).

import { baseName, byCodeUnits, splitLines } from "./text.ts";
import type {
  ImportNote,
  ImportProblem,
  ReadResult,
  Section,
  SourceFile,
  SourceMigration,
} from "./types.ts";

/** Flyway's callback events (api/callback/Event.java): `<event>.sql` or `<event>__<description>.sql`. */
const CALLBACK_EVENTS = new Set([
  "beforeClean",
  "afterClean",
  "afterCleanError",
  "beforeMigrate",
  "beforeEachMigrate",
  "beforeEachMigrateStatement",
  "afterEachMigrateStatement",
  "afterEachMigrateStatementError",
  "afterEachMigrate",
  "afterEachMigrateError",
  "beforeRepeatables",
  "afterVersioned",
  "afterMigrateApplied",
  "afterMigrate",
  "afterMigrateError",
  "beforeUndo",
  "beforeEachUndo",
  "beforeEachUndoStatement",
  "afterEachUndoStatement",
  "afterEachUndoStatementError",
  "afterEachUndo",
  "afterEachUndoError",
  "afterUndo",
  "afterUndoError",
  "beforeValidate",
  "afterValidate",
  "afterValidateError",
  "beforeBaseline",
  "afterBaseline",
  "afterBaselineError",
  "beforeRepair",
  "afterRepair",
  "afterRepairError",
  "beforeInfo",
  "afterInfo",
  "afterInfoError",
  "afterMigrateOperationFinish",
  "afterInfoOperationFinish",
  "createSchema",
  "beforeCreateSchema",
  "beforeConnect",
  "afterConnect",
]);

/** Extensions of Flyway's script migrations and Java migrations: no SQL to convert. */
const NOT_SQL = /^[VUR](?:[0-9._]*)__.*\.(sh|bash|ps1|cmd|bat|py|java|class|kt|groovy)$/i;
const SCRIPT_SETTINGS = new Set([
  "executeInTransaction",
  "placeholderReplacement",
  "encoding",
  "shouldExecute",
]);
const PLACEHOLDER = /\$\{[^}\n]*\}/g;
const COPY_STDIN = /^\s*copy\b[^;]*\bfrom\s+stdin\b/i;

/** A Flyway version's parts, trailing zeros removed, or null when Flyway would not accept it. */
export function flywayParts(version: string): bigint[] | null {
  const normalized = version.replaceAll("_", ".");
  // Flyway splits at dots followed by a digit: `1.` stays one part and then fails to parse.
  const parts = normalized.split(/\.(?=\d)/);
  if (parts.some((p) => !/^\d+$/.test(p))) return null;
  const out = parts.map((p) => BigInt(p));
  while (out.length > 1 && out[out.length - 1] === 0n) out.pop();
  return out;
}

/** The key Flyway compares versions by: the parts joined by dots (`1.02.0` → `1.2`). */
export function flywayKey(version: string): string | null {
  return flywayParts(version)?.join(".") ?? null;
}

/** Compares two Flyway versions part by part, a missing part counting as 0. */
export function compareFlyway(a: bigint[], b: bigint[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i] ?? 0n, y = b[i] ?? 0n;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** A Flyway file name's kind, version and description. */
export type FlywayName =
  | { kind: "versioned" | "undo"; version: string; parts: bigint[]; description: string }
  | { kind: "repeatable" | "baseline"; description: string }
  | { kind: "callback"; event: string }
  | { kind: "bad"; why: string }
  | { kind: "other" };

/** Parses a file name the way Flyway's ResourceNameParser does with the default prefixes. */
export function parseFlywayName(name: string): FlywayName {
  if (!name.toLowerCase().endsWith(".sql")) return { kind: "other" };
  const stem = name.slice(0, -4);
  const sep = stem.indexOf("__");
  const event = sep < 0 ? stem : stem.slice(0, sep);
  if (CALLBACK_EVENTS.has(event)) return { kind: "callback", event };
  const prefix = stem[0];
  if (prefix !== "V" && prefix !== "U" && prefix !== "R" && prefix !== "B") {
    return { kind: "other" };
  }
  if (sep < 0) return { kind: "bad", why: `no "__" between the version and the description` };
  const version = stem.slice(1, sep);
  const description = stem.slice(sep + 2);
  if (prefix === "R") {
    return version === ""
      ? { kind: "repeatable", description }
      : { kind: "bad", why: "a repeatable migration has no version (R__description.sql)" };
  }
  if (version === "") return { kind: "bad", why: "no version after the prefix" };
  const parts = flywayParts(version);
  if (!parts) return { kind: "bad", why: `"${version}" is not a version: digits and dots only` };
  if (prefix === "B") return { kind: "baseline", description };
  return { kind: prefix === "V" ? "versioned" : "undo", version, parts, description };
}

/** The key of a source path (`sql/V1.2__x.sql`), or null when it is not a versioned migration. */
export function flywayKeyOf(source: string): string | null {
  const name = parseFlywayName(baseName(source));
  return name.kind === "versioned" ? name.parts.join(".") : null;
}

/** A `.sql.conf` file's settings, as Java properties: `key=value`, `key: value`, `#` comments. */
export function parseScriptConfig(text: string): { key: string; value: string; line: number }[] {
  const out: { key: string; value: string; line: number }[] = [];
  for (const l of splitLines(text)) {
    const t = l.text.trim();
    if (t === "" || t.startsWith("#") || t.startsWith("!")) continue;
    const m = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(t);
    out.push({ key: m?.[1] ?? t, value: (m?.[2] ?? "").trim(), line: l.number });
  }
  return out;
}

interface ScriptSettings {
  transaction: boolean;
  placeholders: boolean;
}

function scriptSettings(
  conf: SourceFile | undefined,
  problems: ImportProblem[],
): ScriptSettings {
  const settings: ScriptSettings = { transaction: true, placeholders: true };
  if (!conf) return settings;
  for (const { key, value, line } of parseScriptConfig(conf.text)) {
    const v = value.toLowerCase();
    if (!SCRIPT_SETTINGS.has(key)) {
      problems.push({
        file: conf.path,
        line,
        message: `"${key}" is not a setting of a Flyway script configuration`,
        hint: "remove it",
      });
    } else if (key === "executeInTransaction" || key === "placeholderReplacement") {
      if (v !== "true" && v !== "false") {
        problems.push({ file: conf.path, line, message: `${key} must be true or false` });
      } else if (key === "executeInTransaction") settings.transaction = v === "true";
      else settings.placeholders = v === "true";
    } else if (key === "encoding") {
      if (v !== "utf-8" && v !== "utf8") {
        problems.push({
          file: conf.path,
          line,
          message: `the script is read as ${value}; db-migrate reads UTF-8 only`,
          hint: "convert the script to UTF-8 and remove the setting",
        });
      }
    } else {
      problems.push({
        file: conf.path,
        line,
        message: "shouldExecute (run the script only under a condition) has no equivalent",
        hint: "decide whether the script belongs to this database, then remove the setting " +
          "(and the script, if it does not)",
      });
    }
  }
  return settings;
}

/** Checks a script's text for what Flyway would change or run differently. */
function scanScript(file: SourceFile, placeholders: boolean, problems: ImportProblem[]): void {
  for (const l of splitLines(file.text)) {
    if (placeholders) {
      for (const m of l.text.matchAll(PLACEHOLDER)) {
        problems.push({
          file: file.path,
          line: l.number,
          message: `Flyway placeholder ${m[0]}: Flyway replaces it before the script runs`,
          hint: "write the value into the script (db-migrate has no placeholders), or, if the " +
            "text is meant literally, set placeholderReplacement=false in its .sql.conf",
        });
      }
    }
    if (COPY_STDIN.test(l.text)) {
      problems.push({
        file: file.path,
        line: l.number,
        message: "COPY ... FROM STDIN with its data in the script: Flyway streams the rows " +
          "that follow; db-migrate sends SQL statements only",
        hint: "turn the rows into INSERT statements, or load them as a CSV seed",
      });
    }
  }
}

/** Reads a Flyway location: every `.sql` file below it, with its `.sql.conf` when there is one. */
export function readFlyway(files: SourceFile[]): ReadResult {
  const problems: ImportProblem[] = [];
  const notes: ImportNote[] = [];
  const confs = new Map<string, SourceFile>();
  for (const f of files) {
    if (f.path.toLowerCase().endsWith(".sql.conf")) confs.set(f.path.slice(0, -5), f);
  }

  interface Found {
    file: SourceFile;
    version: string;
    parts: bigint[];
    description: string;
    settings: ScriptSettings;
  }
  const versioned = new Map<string, Found>();
  const undo = new Map<string, Found>();
  for (const file of [...files].sort((a, b) => byCodeUnits(a.path, b.path))) {
    const name = baseName(file.path);
    if (name === "flyway.conf" || name === "flyway.toml") {
      notes.push({
        file: file.path,
        message: "not read: settings made here (prefixes, placeholders, executeInTransaction) " +
          "are not applied to the import; the defaults are",
      });
      continue;
    }
    if (NOT_SQL.test(name)) {
      problems.push({
        file: file.path,
        message: "a Flyway script or Java migration is not SQL: db-migrate runs SQL files only",
        hint: "rewrite it as a V…__….sql migration, or leave it out of the source folder",
      });
      continue;
    }
    const parsed = parseFlywayName(name);
    switch (parsed.kind) {
      case "other":
        if (name.toLowerCase().endsWith(".sql")) {
          notes.push({
            file: file.path,
            message: "not read: Flyway ignores a .sql file without a V, U or R prefix",
          });
        }
        continue;
      case "bad":
        problems.push({
          file: file.path,
          message: `not a Flyway migration name: ${parsed.why}`,
          hint: "Flyway ignores or refuses it (validateMigrationNaming); rename or remove it",
        });
        continue;
      case "callback":
        problems.push({
          file: file.path,
          message: `a Flyway callback (${parsed.event}): db-migrate has no callbacks`,
          hint: "move what it does into a migration or a seed, or run it beside db-migrate",
        });
        continue;
      case "repeatable":
        problems.push({
          file: file.path,
          message: "a repeatable migration (R__) runs again whenever it changes: db-migrate " +
            "has no repeatable migrations",
          hint: "put its SQL in a V file (with CREATE OR REPLACE, so a new version can replace " +
            "it later), or keep it in a SQL seed, which db-migrate applies again when it changes",
        });
        continue;
      case "baseline":
        problems.push({
          file: file.path,
          message: "a baseline migration (B) replaces the migrations up to its version on a new " +
            "database: db-migrate has none",
          hint: "remove it: db-migrate builds a new database from the V files",
        });
        continue;
    }
    const settings = scriptSettings(confs.get(file.path), problems);
    scanScript(file, settings.placeholders, problems);
    const key = parsed.parts.join(".");
    const into = parsed.kind === "versioned" ? versioned : undo;
    const twin = into.get(key);
    if (twin) {
      problems.push({
        file: file.path,
        message: `version ${parsed.version} is also the version of "${twin.file.path}"`,
        hint: "Flyway refuses two migrations with one version too; renumber one of them",
      });
      continue;
    }
    const { version, parts, description } = parsed;
    into.set(key, { file, version, parts, description, settings });
  }

  for (const [key, u] of undo) {
    if (!versioned.has(key)) {
      problems.push({
        file: u.file.path,
        message: `undo migration for version ${u.version}, which has no V file`,
        hint: "remove it, or add the migration it undoes",
      });
    }
  }
  const ordered = [...versioned.values()].sort((a, b) => compareFlyway(a.parts, b.parts));
  const sectionOf = (f: Found): Section => ({
    file: f.file.path,
    line: 1,
    text: f.file.text,
    transaction: f.settings.transaction,
  });
  const migrations: SourceMigration[] = ordered.map((v) => {
    const u = undo.get(v.parts.join("."));
    return {
      key: v.parts.join("."),
      rawVersion: v.version,
      description: v.description,
      up: [sectionOf(v)],
      down: u ? [sectionOf(u)] : [],
      source: v.file.path,
    };
  });
  return { migrations, problems, notes };
}
