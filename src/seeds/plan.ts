// A parsed YAML seed checked against the database's catalog: tables and columns exist, each table
// has a conflict key, every value fits its column. The result says exactly what to write, except
// what only the database can answer during the apply (!ref ids, existing bcrypt hashes). Pure.

import { seedError } from "./errors.ts";
import { checkText, encodeValue } from "./values.ts";
import type { ColumnInfo, Pos, SeedTable, TableInfo, YamlSeed } from "./types.ts";

/** What a column of a row gets. */
export type Cell =
  | { kind: "value"; text: string | null; pos: Pos }
  | { kind: "bcrypt"; text: string; pos: Pos }
  | { kind: "ref"; ref: RefTarget; value: string; source: string; pos: Pos };

/** The table, column and primary key a `!ref` looks up. */
export interface RefTarget {
  table: TableInfo;
  column: ColumnInfo;
  pk: ColumnInfo;
}

/** A row ready to write: its columns (in table order) and a cell for each. */
export interface PlannedRow {
  pos: Pos;
  index: number;
  columns: ColumnInfo[];
  cells: Cell[];
}

/** A table's rows and the conflict key they are upserted on. */
export interface PlannedTable {
  info: TableInfo;
  source: SeedTable;
  key: string[];
  rows: PlannedRow[];
}

/** Where the seed is, for messages. */
export interface SeedContext {
  path: string;
  database: string;
}

/** Every table name a seed needs from the catalog: its tables and the tables its !refs read. */
export function tablesNeeded(seed: YamlSeed): string[] {
  const names = new Set<string>();
  for (const t of seed.tables) {
    names.add(t.name);
    for (const r of t.rows) {
      for (const c of r.cells) if (c.value.kind === "ref") names.add(c.value.table);
    }
  }
  return [...names];
}

/** Whether the columns are exactly (in any order) one of the table's unique keys. */
export function isUniqueKey(info: TableInfo, columns: string[]): boolean {
  const want = [...columns].sort().join("\0");
  return info.uniqueKeys.some((k) => [...k].sort().join("\0") === want);
}

function columnList(info: TableInfo): string {
  const names = info.columns.map((c) => c.name);
  return names.length > 12 ? `${names.slice(0, 12).join(", ")}, ...` : names.join(", ");
}

/** Checks a YAML seed against the catalog (keyed by the names the seed wrote) and plans it. */
export function planYamlSeed(
  seed: YamlSeed,
  catalog: Map<string, TableInfo>,
  ctx: SeedContext,
): PlannedTable[] {
  const fail = (pos: Pos | null, msg: string, hint?: string): never => {
    throw seedError({ ...ctx, pos }, msg, hint);
  };
  const tableOf = (name: string, pos: Pos): TableInfo =>
    catalog.get(name) ??
      fail(
        pos,
        `unknown table "${name}"`,
        "check the name (write schema.table outside the search path) and that a migration creates it",
      );

  return seed.tables.map((t): PlannedTable => {
    const info = tableOf(t.name, t.pos);
    const byName = new Map(info.columns.map((c) => [c.name, c]));
    const order = new Map(info.columns.map((c, i) => [c.name, i]));
    const rows = t.rows.map((row): PlannedRow => {
      const cells = row.cells.map(({ column, keyPos, value }) => {
        const col = byName.get(column) ??
          fail(
            keyPos,
            `unknown column "${column}" in table "${t.name}"`,
            `its columns are ${columnList(info)}`,
          );
        if (col.generated) {
          fail(keyPos, `column "${column}" of "${t.name}" is generated and cannot be written`);
        }
        return { col, cell: cellOf(value, col, t.name, catalog, fail) };
      });
      cells.sort((a, b) => order.get(a.col.name)! - order.get(b.col.name)!);
      return {
        pos: row.pos,
        index: row.index,
        columns: cells.map((c) => c.col),
        cells: cells.map((c) => c.cell),
      };
    });
    const key = conflictKey(t, info, rows, fail);
    checkKeys(t, key, rows, fail);
    return { info, source: t, key, rows };
  });
}

function cellOf(
  value: YamlSeed["tables"][number]["rows"][number]["cells"][number]["value"],
  col: ColumnInfo,
  table: string,
  catalog: Map<string, TableInfo>,
  fail: (pos: Pos | null, msg: string, hint?: string) => never,
): Cell {
  if (value.kind === "bcrypt") {
    if (col.type.kind !== "text") {
      fail(
        value.pos,
        `!bcrypt needs a text column; "${col.name}" of "${table}" is ${col.type.sql}`,
      );
    }
    return { kind: "bcrypt", text: value.text, pos: value.pos };
  }
  if (value.kind === "ref") {
    const target = catalog.get(value.table) ??
      fail(
        value.pos,
        `!ref ${value.source}: unknown table "${value.table}"`,
        "check the table name",
      );
    const column = target.columns.find((c) => c.name === value.column) ??
      fail(
        value.pos,
        `!ref ${value.source}: unknown column "${value.column}" in table "${value.table}"`,
        `its columns are ${columnList(target)}`,
      );
    const pkName = target.primaryKey?.length === 1 ? target.primaryKey[0] : undefined;
    const pk = target.columns.find((c) => c.name === pkName) ??
      fail(
        value.pos,
        `!ref ${value.source}: table "${value.table}" has no one-column primary key to refer to`,
      );
    const problem = checkText(column.type.kind, value.value);
    if (problem) fail(value.pos, `!ref ${value.source}: ${problem}`);
    return {
      kind: "ref",
      ref: { table: target, column, pk },
      value: value.value,
      source: value.source,
      pos: value.pos,
    };
  }
  const enc = encodeValue(value, col.type);
  if ("error" in enc) {
    fail(enc.pos, `column "${col.name}" of "${table}": ${enc.error}`);
  }
  return { kind: "value", text: (enc as { text: string | null }).text, pos: value.pos };
}

/** The declared key, else the primary key, else the one unique key every row gives. */
function conflictKey(
  t: SeedTable,
  info: TableInfo,
  rows: PlannedRow[],
  fail: (pos: Pos | null, msg: string, hint?: string) => never,
): string[] {
  if (t.key) {
    for (const c of t.key.columns) {
      if (!info.columns.some((x) => x.name === c)) {
        fail(
          t.key.pos,
          `key column "${c}" is not a column of "${t.name}"`,
          `its columns are ${columnList(info)}`,
        );
      }
    }
    if (!isUniqueKey(info, t.key.columns)) {
      fail(
        t.key.pos,
        `key (${
          t.key.columns.join(", ")
        }) of "${t.name}" is not a primary key, unique constraint or unique index`,
        `the unique keys are ${
          info.uniqueKeys.map((k) => `(${k.join(", ")})`).join(", ") || "none"
        }`,
      );
    }
    return t.key.columns;
  }
  const given = (k: string[]) =>
    rows.every((r) => k.every((c) => r.columns.some((x) => x.name === c)));
  if (info.primaryKey && (rows.length === 0 || given(info.primaryKey))) return info.primaryKey;
  const found = info.uniqueKeys.find(given);
  if (found) return found;
  return fail(
    t.pos,
    `table "${t.name}" has no key the rows all give: ${
      info.primaryKey
        ? `the primary key is (${info.primaryKey.join(", ")})`
        : "it has no primary key"
    }`,
    `add \`key: [...]\` naming a unique key${
      info.uniqueKeys.length ? ` such as (${info.uniqueKeys[0]!.join(", ")})` : ""
    }, and give its columns in every row`,
  );
}

/** Every row gives the key, not null; two rows with the same plain key would collide. */
function checkKeys(
  t: SeedTable,
  key: string[],
  rows: PlannedRow[],
  fail: (pos: Pos | null, msg: string, hint?: string) => never,
): void {
  const seen = new Map<string, PlannedRow>();
  for (const row of rows) {
    const parts: string[] = [];
    let plain = true;
    for (const k of key) {
      const i = row.columns.findIndex((c) => c.name === k);
      if (i < 0) {
        fail(
          row.pos,
          `row ${row.index} of "${t.name}" lacks key column "${k}"`,
          `give ${key.join(", ")} in every row`,
        );
      }
      const cell = row.cells[i]!;
      if (cell.kind === "value" && cell.text === null) {
        fail(cell.pos, `row ${row.index} of "${t.name}": key column "${k}" is null`);
      }
      if (cell.kind === "value") parts.push(cell.text!);
      else plain = false;
    }
    if (!plain) continue;
    const id = JSON.stringify(parts);
    const before = seen.get(id);
    if (before) {
      fail(
        row.pos,
        `rows ${before.index} (line ${before.pos.line}) and ${row.index} of "${t.name}" have the same key (${
          key.join(", ")
        })`,
        "remove or merge one of them",
      );
    }
    seen.set(id, row);
  }
}

/** Consecutive rows with the same columns, at most `max` rows each: one statement per batch. */
export function batches(rows: PlannedRow[], maxParams = 30000, maxRows = 1000): PlannedRow[][] {
  const out: PlannedRow[][] = [];
  let cur: PlannedRow[] = [];
  let sig = "";
  for (const r of rows) {
    const s = r.columns.map((c) => c.name).join("\0");
    const limit = Math.max(
      1,
      Math.min(maxRows, Math.floor(maxParams / Math.max(1, r.columns.length))),
    );
    if (cur.length > 0 && (s !== sig || cur.length >= limit)) {
      out.push(cur);
      cur = [];
    }
    sig = s;
    cur.push(r);
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Splits a table's rows where a row refers to its own table, so the rows before it are written
 * (and visible to the lookup) first.
 */
export function segments(table: PlannedTable): PlannedRow[][] {
  const out: PlannedRow[][] = [];
  let cur: PlannedRow[] = [];
  for (const r of table.rows) {
    const selfRef = r.cells.some((c) => c.kind === "ref" && c.ref.table.sql === table.info.sql);
    if (selfRef && cur.length) {
      out.push(cur);
      cur = [];
    }
    cur.push(r);
  }
  if (cur.length) out.push(cur);
  return out;
}
