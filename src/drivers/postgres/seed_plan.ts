// A parsed YAML seed checked against the database's catalog: tables and columns exist, each table
// has a conflict key, every value fits its column. The result says exactly what to write, except
// what only the database can answer during the apply (!ref ids, existing bcrypt hashes). Rows are
// planned a batch at a time (RowPlanner, KeyCheck), so a large file's rows never all live at once.
// Pure.

import { seedError } from "../../seeds/errors.ts";
import { checkText, encodeValue } from "./seed_values.ts";
import type {
  ColumnInfo,
  Pos,
  SeedRow,
  SeedTable,
  SeedValue,
  TableInfo,
  YamlSeed,
} from "../../seeds/types.ts";

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
  return [...new Set([...seed.tables.map((t) => t.name), ...seed.refTables])];
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

/** Reports a mistake at a position (throws). */
export type Fail = (pos: Pos | null, msg: string, hint?: string) => never;

/** The catalog entry of a seed's table; an unknown table is an error at its name. */
export function tableInfo(t: SeedTable, catalog: Map<string, TableInfo>, fail: Fail): TableInfo {
  return catalog.get(t.name) ??
    fail(
      t.pos,
      `unknown table "${t.name}"`,
      "check the name (write schema.table outside the search path) and that a migration creates it",
    );
}

/** Plans the rows of one table: checks columns and values against the catalog, in table order. */
export class RowPlanner {
  readonly #byName: Map<string, ColumnInfo>;
  readonly #order: Map<string, number>;

  constructor(
    readonly table: SeedTable,
    readonly info: TableInfo,
    readonly catalog: Map<string, TableInfo>,
    readonly fail: Fail,
  ) {
    this.#byName = new Map(info.columns.map((c) => [c.name, c]));
    this.#order = new Map(info.columns.map((c, i) => [c.name, i]));
  }

  plan(row: SeedRow): PlannedRow {
    const t = this.table, info = this.info, fail = this.fail;
    const columns: ColumnInfo[] = [], cells: Cell[] = [];
    let sorted = true, last = -1;
    for (const { column, keyPos, value } of row.cells) {
      const col = this.#byName.get(column) ??
        fail(
          keyPos,
          `unknown column "${column}" in table "${t.name}"`,
          `its columns are ${columnList(info)}`,
        );
      if (col.generated) {
        fail(keyPos, `column "${column}" of "${t.name}" is generated and cannot be written`);
      }
      const at = this.#order.get(column)!;
      if (at < last) sorted = false;
      last = at;
      columns.push(col);
      cells.push(cellOf(value, col, t.name, this.catalog, fail));
    }
    if (!sorted) {
      // Table order, whatever order the row lists them in.
      const order = columns.map((_, i) => i).sort((a, b) =>
        this.#order.get(columns[a]!.name)! - this.#order.get(columns[b]!.name)!
      );
      return {
        pos: row.pos,
        index: row.index,
        columns: order.map((i) => columns[i]!),
        cells: order.map((i) => cells[i]!),
      };
    }
    return { pos: row.pos, index: row.index, columns, cells };
  }
}

/** Checks a YAML seed with kept rows against the catalog and plans it whole (small files, tests). */
export function planYamlSeed(
  seed: YamlSeed,
  catalog: Map<string, TableInfo>,
  ctx: SeedContext,
): PlannedTable[] {
  const fail: Fail = (pos, msg, hint) => {
    throw seedError({ ...ctx, pos }, msg, hint);
  };
  return seed.tables.map((t): PlannedTable => {
    const info = tableInfo(t, catalog, fail);
    const planner = new RowPlanner(t, info, catalog, fail);
    const rows = (t.rows ?? []).map((r) => planner.plan(r));
    const key = conflictKey(t, info, fail);
    const check = new KeyCheck(t, key, fail);
    for (const r of rows) check.add(r);
    return { info, source: t, key, rows };
  });
}

function cellOf(
  value: SeedValue,
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

/** The declared key, else the primary key, else the first unique key every row gives. */
export function conflictKey(t: SeedTable, info: TableInfo, fail: Fail): string[] {
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
  const given = (k: string[]) => t.shapes.every((s) => k.every((c) => s.includes(c)));
  if (info.primaryKey && given(info.primaryKey)) return info.primaryKey;
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

/**
 * Checks rows as they are planned: every row gives the key, not null; two rows with the same plain
 * key would collide. Holds one short text per row.
 */
export class KeyCheck {
  /** Plain keys seen → row index; each row's line by index (small integers, no object per row). */
  readonly #seen = new Map<string, number>();
  readonly #lines: number[] = [];

  constructor(readonly table: SeedTable, readonly key: string[], readonly fail: Fail) {}

  add(row: PlannedRow): void {
    const t = this.table, key = this.key, fail = this.fail;
    const parts: string[] = [];
    let plain = true;
    for (const k of key) {
      let i = row.columns.length - 1;
      while (i >= 0 && row.columns[i]!.name !== k) i--;
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
    this.#lines[row.index] = row.pos.line;
    if (!plain) return;
    const id = parts.length === 1 ? parts[0]! : JSON.stringify(parts);
    const before = this.#seen.get(id);
    if (before !== undefined) {
      fail(
        row.pos,
        `rows ${before} (line ${
          this.#lines[before]
        }) and ${row.index} of "${t.name}" have the same key (${key.join(", ")})`,
        "remove or merge one of them",
      );
    }
    this.#seen.set(id, row.index);
  }
}

/** Whether every value of a row is known before anything is asked of the database. */
export function isPlain(row: PlannedRow): boolean {
  for (const c of row.cells) if (c.kind !== "value") return false;
  return true;
}

/** Whether a row refers to its own table (then the rows before it must be written first). */
export function refersToItself(row: PlannedRow, info: TableInfo): boolean {
  return row.cells.some((c) => c.kind === "ref" && c.ref.table.sql === info.sql);
}
