// Another tool's history table on PostgreSQL: the SQL that reads it (plain text, run by the driver
// as it is; the other tool's table is only ever read) and the rules that turn its rows into the
// versions that tool applied. Rows that leave the state unclear (a dirty or failed migration, an
// unfinished or rolled-back one, a version no file has) are problems: the import stops (exit 3)
// and names them rather than guess.

import { checksum } from "../core/checksum.ts";
import { compareFlyway, flywayParts } from "./flyway.ts";
import { TOOLS } from "./tools.ts";
import type { ImportPlan, ImportTool, SourceMigration } from "./types.ts";

/** The history table each tool keeps, unqualified: found through the search_path, as the tool does. */
export const HISTORY_TABLES: Record<ImportTool, string> = {
  "golang-migrate": "schema_migrations",
  dbmate: "schema_migrations",
  flyway: "flyway_schema_history",
  goose: "goose_db_version",
  sections: "schema_migrations",
  prisma: "_prisma_migrations",
  diesel: "__diesel_schema_migrations",
};

/** The columns each tool's table has (those the reading SQL uses, and those that tell tables apart). */
const COLUMNS: Record<ImportTool, { has: string[]; hasNot?: string[] }> = {
  "golang-migrate": { has: ["version", "dirty"] },
  dbmate: { has: ["version"], hasNot: ["dirty"] },
  sections: { has: ["version"], hasNot: ["dirty"] },
  flyway: { has: ["installed_rank", "version", "type", "script", "success"] },
  goose: { has: ["id", "version_id", "is_applied"] },
  prisma: { has: ["migration_name", "started_at", "finished_at", "rolled_back_at", "logs"] },
  diesel: { has: ["version"] },
};

/** A history row that stops the import, and why. */
export interface HistoryProblem {
  /** The version (or migration name) as the tool's table holds it. */
  version: string;
  why: string;
}

/** The versions a tool applied (its keys, in the tool's order), and what is unclear. */
export interface History {
  applied: string[];
  problems: HistoryProblem[];
}

/** `schema.table` or `table` as a quoted SQL name. */
export function quoteTable(table: string): string {
  return table.split(".").map((p) => `"${p.replaceAll('"', '""')}"`).join(".");
}

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/**
 * The columns of a table, resolved through the search_path as the tool's own unqualified name is:
 * no row when there is no such table. One column, `name`.
 */
export function historyColumnsSql(tool: ImportTool, table = HISTORY_TABLES[tool]): string {
  return `SELECT a.attname::text AS name FROM pg_catalog.pg_attribute a ` +
    `WHERE a.attrelid = to_regclass(${literal(quoteTable(table))}) ` +
    `AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;
}

/**
 * Whether the table found is the tool's: `missing` when there is none, else the columns it lacks
 * or has that say it belongs to another tool (golang-migrate and dbmate both call theirs
 * schema_migrations).
 */
export function checkHistoryTable(
  tool: ImportTool,
  columns: string[],
  table = HISTORY_TABLES[tool],
): { missing: boolean; problems: HistoryProblem[] } {
  if (columns.length === 0) return { missing: true, problems: [] };
  const have = new Set(columns);
  const spec = COLUMNS[tool];
  const lacks = spec.has.filter((c) => !have.has(c));
  const extra = (spec.hasNot ?? []).filter((c) => have.has(c));
  const problems: HistoryProblem[] = [];
  if (lacks.length > 0) {
    problems.push({
      version: table,
      why: `"${table}" has no column ${lacks.join(", ")}: it is not ${tool}'s history table`,
    });
  }
  if (extra.length > 0) {
    problems.push({
      version: table,
      why: `"${table}" has a column ${extra.join(", ")}, as golang-migrate's table does: it is ` +
        `not ${tool}'s history table (try --from=golang-migrate)`,
    });
  }
  return { missing: false, problems };
}

/** The SQL that reads a tool's history, every value as text or boolean. */
export function historySql(tool: ImportTool, table = HISTORY_TABLES[tool]): string {
  const t = quoteTable(table);
  switch (tool) {
    case "golang-migrate":
      return `SELECT version::text AS version, dirty FROM ${t}`;
    case "dbmate":
    case "sections":
      return `SELECT version::text AS version FROM ${t} ORDER BY version`;
    case "flyway":
      return `SELECT installed_rank, version, description, type, script, success, ` +
        `installed_on::text AS installed_on FROM ${t} ORDER BY installed_rank`;
    case "goose":
      return `SELECT id::text AS id, version_id::text AS version_id, is_applied, ` +
        `tstamp::text AS tstamp FROM ${t} ORDER BY id`;
    case "prisma":
      return `SELECT migration_name, started_at::text AS started_at, ` +
        `finished_at::text AS finished_at, rolled_back_at::text AS rolled_back_at, logs ` +
        `FROM ${t} ORDER BY started_at, finished_at NULLS LAST`;
    case "diesel":
      return `SELECT version::text AS version, run_on::text AS run_on FROM ${t} ORDER BY version`;
  }
}

/** A row as the driver returns it. */
export type HistoryRow = Record<string, unknown>;

function text(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function bool(v: unknown): boolean {
  return v === true || v === "t" || v === "true";
}

function firstLine(s: string | null): string {
  const line = (s ?? "").trim().split("\n")[0] ?? "";
  return line.length > 200 ? line.slice(0, 199) + "…" : line;
}

/**
 * The versions a tool applied, from its history rows (in the order historySql() reads them) and
 * the source's migrations (in the tool's order): golang-migrate's one row means every version up
 * to it, Flyway's BASELINE row every version up to its own; otherwise each version's latest row
 * decides.
 */
export function readHistory(
  tool: ImportTool,
  rows: HistoryRow[],
  migrations: Pick<SourceMigration, "key">[],
): History {
  const keys = migrations.map((m) => m.key);
  const known = new Set(keys);
  const problems: HistoryProblem[] = [];
  const applied = new Set<string>();
  const historyKey = TOOLS[tool].historyKey;
  const noFile = (version: string) =>
    problems.push({
      version,
      why: `${tool} applied it, but no file in SOURCE_DIR has this version`,
    });

  switch (tool) {
    case "golang-migrate": {
      if (rows.length === 0) break;
      if (rows.length > 1) {
        problems.push({
          version: rows.map((r) => text(r.version)).join(", "),
          why: `golang-migrate keeps one row, the current version; this table has ${rows.length}`,
        });
        break;
      }
      const version = text(rows[0]!.version) ?? "";
      if (bool(rows[0]!.dirty)) {
        problems.push({
          version,
          why: "dirty: golang-migrate started this version and did not finish it, so the " +
            "database may hold part of it; check the schema, then `migrate force` the version " +
            "that is fully applied",
        });
        break;
      }
      const current = historyKey(version);
      if (current === null || !known.has(current)) {
        noFile(version);
        break;
      }
      for (const k of keys) if (BigInt(k) <= BigInt(current)) applied.add(k);
      break;
    }
    case "dbmate":
    case "sections":
    case "diesel": {
      for (const r of rows) {
        const version = text(r.version) ?? "";
        const key = historyKey(version);
        if (key !== null && known.has(key)) applied.add(key);
        else noFile(version);
      }
      break;
    }
    case "goose": {
      const latest = new Map<string, boolean>();
      for (const r of rows) {
        const key = historyKey(text(r.version_id) ?? "");
        if (key === null || key === "0") continue; // the row goose writes when it creates the table
        latest.set(key, bool(r.is_applied));
      }
      for (const [key, isApplied] of latest) {
        if (!isApplied) continue;
        if (known.has(key)) applied.add(key);
        else noFile(key);
      }
      break;
    }
    case "flyway":
      flywayHistory(rows, keys, applied, problems);
      break;
    case "prisma": {
      const latest = new Map<string, HistoryRow>();
      for (const r of rows) latest.set(text(r.migration_name) ?? "", r);
      for (const [name, r] of latest) {
        if (text(r.rolled_back_at) !== null) {
          problems.push({
            version: name,
            why: `rolled back at ${text(r.rolled_back_at)} (prisma migrate resolve ` +
              "--rolled-back): Prisma would apply it again, so it may be partly applied; run " +
              "`prisma migrate deploy` until it is applied, or remove its rows if it never should be",
          });
        } else if (text(r.finished_at) === null) {
          const log = firstLine(text(r.logs));
          problems.push({
            version: name,
            why: `started at ${text(r.started_at)} and never finished${
              log ? ` (${log})` : ""
            }: it failed or is still running; resolve it with \`prisma migrate resolve\``,
          });
        } else if (known.has(name)) applied.add(name);
        else noFile(name);
      }
      break;
    }
  }
  return { applied: keys.filter((k) => applied.has(k)), problems };
}

function flywayHistory(
  rows: HistoryRow[],
  keys: string[],
  applied: Set<string>,
  problems: HistoryProblem[],
): void {
  let baseline: bigint[] | null = null;
  const state = new Map<string, { what: "applied" | "failed" | "removed"; row: HistoryRow }>();
  for (const r of rows) {
    const type = text(r.type) ?? "";
    const raw = text(r.version);
    if (type === "SCHEMA") continue; // the row that says Flyway created the schema
    if (raw === null) {
      // A repeatable migration: nothing to adopt, but a failed one leaves the schema unclear.
      if (!bool(r.success)) {
        problems.push({
          version: text(r.script) ?? "",
          why: "a repeatable migration that failed: run flyway repair once the schema is right",
        });
      }
      continue;
    }
    const parts = flywayParts(raw);
    if (!parts) {
      problems.push({ version: raw, why: "not a Flyway version" });
      continue;
    }
    const key = parts.join(".");
    if (type === "BASELINE") {
      if (bool(r.success)) baseline = parts;
      continue;
    }
    if (!bool(r.success)) state.set(key, { what: "failed", row: r });
    else if (type.startsWith("UNDO_") || type === "DELETE") {
      state.set(key, { what: "removed", row: r });
    } else state.set(key, { what: "applied", row: r });
  }
  const known = new Set(keys);
  for (const [key, s] of state) {
    const version = text(s.row.version) ?? key;
    if (s.what === "failed") {
      problems.push({
        version,
        why: `failed (${text(s.row.script)}, ${text(s.row.installed_on)}): the database may ` +
          "hold part of it; fix the schema, then run flyway repair",
      });
    } else if (s.what === "applied") {
      if (known.has(key)) applied.add(key);
      else {
        const type = text(s.row.type) ?? "";
        problems.push({
          version,
          why: type === "SQL"
            ? "flyway applied it, but no file in SOURCE_DIR has this version"
            : `applied by a ${type} migration (not SQL), which db-migrate cannot import`,
        });
      }
    }
  }
  // Flyway treats every version up to the baseline as applied (and ignores their files).
  const below = baseline;
  if (below) {
    for (const k of keys) {
      if (compareFlyway(flywayParts(k)!, below) <= 0 && state.get(k)?.what !== "removed") {
        applied.add(k);
      }
    }
  }
}

/** A baselined tracking row for one applied migration: what `record()` writes. */
export interface Adoption {
  version: number;
  /** The converted file's name: the row's `script`. */
  script: string;
  description: string;
  /** The converted file's checksum, as discover computes it. */
  checksum: string;
}

/** The tracking rows that adopt a history: one per applied version, with its converted file. */
export function adoptions(plan: ImportPlan, history: History): Adoption[] {
  const applied = new Set(history.applied);
  return plan.migrations.filter((m) => applied.has(m.key)).map((m) => ({
    version: m.version,
    script: m.migration.name,
    description: m.migration.name.replace(/^V\d+__/, "").replace(/\.sql$/, "").replaceAll("_", " "),
    checksum: checksum(m.migration.text),
  }));
}
