// YAML and CSV seeds on PostgreSQL. The SQL is built by the pure functions at the top (unit-tested
// without a database); `applyDataSeed` runs it on the driver's one connection: the whole file and
// its tracking row in one transaction, rows as batched parameterised upserts or COPY + merge.

import type postgres from "postgres";
import { ApplyError, MigrateError } from "../core/errors.ts";
import { bcryptAll, type BcryptJob } from "../seeds/bcrypt.ts";
import { copyChunks, posAt, scanRecord } from "../seeds/csv.ts";
import { seedError } from "../seeds/errors.ts";
import {
  batches,
  type Cell,
  isUniqueKey,
  type PlannedRow,
  type PlannedTable,
  planYamlSeed,
  type RefTarget,
  segments,
  tablesNeeded,
} from "../seeds/plan.ts";
import type {
  ColumnInfo,
  ColumnType,
  CsvSeed,
  Pos,
  TableInfo,
  ValueKind,
  YamlSeed,
} from "../seeds/types.ts";
import { checkText } from "../seeds/values.ts";
import { splitTableName } from "../seeds/yaml.ts";
import type { ApplyOutcome } from "./driver.ts";
import type { SeedRequest } from "./seed_request.ts";
import { quoteIdent, recordSql, TIMER_START_SQL } from "./postgres/sql.ts";
import { type PgError, serverMessage } from "./postgres/errors.ts";

type Sql = ReturnType<typeof postgres>;

// ---------------------------------------------------------------------------------------------
// SQL text (pure)

/** The quoted name to_regclass() resolves for a seed's table name (`audit.events` → "audit"."events"). */
export function regclassName(name: string): string | null {
  const parts = splitTableName(name);
  if (!parts) return null;
  return parts.schema === null
    ? quoteIdent(parts.table)
    : `${quoteIdent(parts.schema)}.${quoteIdent(parts.table)}`;
}

/**
 * Describes tables ($1: a JSON array of names as regclassName() quotes them): schema, name, columns
 * with their types (domains resolved to their base), the primary key and the other unique keys.
 * Only ordinary and partitioned tables; a name that is not one comes back with a null schema.
 */
export const CATALOG_SQL = `with req as (
  select r.ord::int as ord, to_regclass(r.name) as oid
  from jsonb_array_elements_text($1::text::jsonb) with ordinality as r(name, ord)
)
select req.ord, n.nspname as schema, c.relname as name,
  (select json_agg(json_build_object(
      'name', a.attname, 'sql', format_type(a.atttypid, null),
      'base', bt.typname, 'category', bt.typcategory,
      'elemSql', case when et.oid is not null then format_type(et.oid, null) end,
      'elemBase', ebt.typname, 'elemCategory', ebt.typcategory,
      'notNull', a.attnotnull, 'hasDefault', a.atthasdef or a.attidentity <> '',
      'generated', a.attgenerated <> '') order by a.attnum)
   from pg_attribute a
   join pg_type t on t.oid = a.atttypid
   join pg_type bt on bt.oid = case when t.typtype = 'd' then t.typbasetype else t.oid end
   left join pg_type et on et.oid = bt.typelem and bt.typcategory = 'A'
   left join pg_type ebt on ebt.oid = case when et.typtype = 'd' then et.typbasetype else et.oid end
   where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped) as columns,
  (select json_agg(json_build_object('primary', i.indisprimary, 'columns',
      (select json_agg(a.attname order by k.ord)
       from unnest(i.indkey::int2[]) with ordinality as k(attnum, ord)
       join pg_attribute a on a.attrelid = c.oid and a.attnum = k.attnum))
     order by not i.indisprimary, ic.relname)
   from pg_index i join pg_class ic on ic.oid = i.indexrelid
   where i.indrelid = c.oid and i.indisunique and i.indisvalid and i.indpred is null
     and i.indexprs is null) as keys
from req
left join pg_class c on c.oid = req.oid and c.relkind in ('r', 'p')
left join pg_namespace n on n.oid = c.relnamespace
order by req.ord`;

/** A catalog row's column, as CATALOG_SQL returns it. */
interface CatalogColumn {
  name: string;
  sql: string;
  base: string;
  category: string;
  elemSql: string | null;
  elemBase: string | null;
  elemCategory: string | null;
  notNull: boolean;
  hasDefault: boolean;
  generated: boolean;
}

/** How values of a base type are checked: by its name and category. */
export function valueKind(base: string, category: string): ValueKind {
  switch (base) {
    case "int2":
    case "int4":
    case "int8":
      return base;
    case "numeric":
      return "numeric";
    case "float4":
    case "float8":
      return "float";
    case "bool":
      return "bool";
    case "json":
    case "jsonb":
      return "json";
    case "uuid":
      return "uuid";
  }
  if (category === "A") return "array";
  if (category === "S") return "text";
  return "other";
}

/** Turns CATALOG_SQL rows into tables keyed by the names the seed wrote. */
export function parseCatalog(
  names: string[],
  rows: Record<string, unknown>[],
): Map<string, TableInfo> {
  const out = new Map<string, TableInfo>();
  for (const row of rows) {
    const requested = names[Number(row.ord) - 1];
    if (requested === undefined || row.schema === null || row.schema === undefined) continue;
    const json = <T>(v: unknown): T => (typeof v === "string" ? JSON.parse(v) : v) as T;
    const columns = (json<CatalogColumn[] | null>(row.columns) ?? []).map((c): ColumnInfo => {
      const type: ColumnType = { sql: c.sql, kind: valueKind(c.base, c.category) };
      if (type.kind === "array" && c.elemSql && c.elemBase && c.elemCategory) {
        type.element = { sql: c.elemSql, kind: valueKind(c.elemBase, c.elemCategory) };
      }
      return {
        name: c.name,
        type,
        notNull: c.notNull,
        hasDefault: c.hasDefault,
        generated: c.generated,
      };
    });
    const keys = json<{ primary: boolean; columns: string[] | null }[] | null>(row.keys) ?? [];
    const schema = String(row.schema), name = String(row.name);
    out.set(requested, {
      requested,
      schema,
      name,
      sql: `${quoteIdent(schema)}.${quoteIdent(name)}`,
      columns,
      primaryKey: keys.find((k) => k.primary)?.columns ?? null,
      uniqueKeys: keys.filter((k) => k.columns).map((k) => k.columns!),
    });
  }
  return out;
}

/** `(t."a"::text, t."b"::text) is distinct from (excluded."a"::text, ...)`: compares any type. */
function changedSql(columns: string[]): string {
  const side = (alias: string) => columns.map((c) => `${alias}.${quoteIdent(c)}::text`).join(", ");
  return `(${side("t")}) is distinct from (${side("excluded")})`;
}

/** The ON CONFLICT clause: update the other columns only when one of them changes. */
export function conflictSql(columns: string[], key: string[] | null): string {
  if (key === null) return "on conflict do nothing";
  const rest = columns.filter((c) => !key.includes(c));
  const target = key.map(quoteIdent).join(", ");
  if (rest.length === 0) return `on conflict (${target}) do nothing`;
  return `on conflict (${target}) do update set ${
    rest.map((c) => `${quoteIdent(c)} = excluded.${quoteIdent(c)}`).join(", ")
  }\nwhere ${changedSql(rest)}`;
}

/**
 * A batched upsert of `rows` rows: every value a text parameter cast to its column's type (bound as
 * text, since postgres.js would otherwise encode a string by the type the server infers: JSON-quote
 * it for jsonb, read it as truthy for boolean, reparse it as a Date for timestamps); unchanged
 * rows left alone (so neither updated_at nor xmin moves), one boolean per written row saying
 * whether it was inserted.
 */
export function upsertSql(
  table: TableInfo,
  columns: ColumnInfo[],
  key: string[],
  rows: number,
): string {
  const n = columns.length;
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    values.push(`(${columns.map((c, i) => `$${r * n + i + 1}::text::${c.type.sql}`).join(", ")})`);
  }
  return `insert into ${table.sql} as t (${columns.map((c) => quoteIdent(c.name)).join(", ")})
values ${values.join(",\n  ")}
${conflictSql(columns.map((c) => c.name), key)}
returning (xmax = 0) as inserted`;
}

/**
 * Looks up !ref values: for group g ($g+1, a JSON array of values), how many rows of the table
 * match each value and the primary key of the first. One query for every group.
 */
export function refLookupSql(groups: RefTarget[]): string {
  return groups.map((g, i) =>
    `select ${i} as g, v.ord::int as i, count(x.${quoteIdent(g.pk.name)})::int as n,
  (array_agg(x.${quoteIdent(g.pk.name)}::text))[1] as id
from jsonb_array_elements_text($${i + 1}::text::jsonb) with ordinality as v(val, ord)
left join ${g.table.sql} as x on x.${quoteIdent(g.column.name)} = v.val::${g.column.type.sql}
group by v.ord`
  ).join("\nunion all\n");
}

/**
 * The stored values of some columns for the rows whose key is given ($1: a JSON array of key
 * tuples as texts); each answer names the tuple's 1-based position.
 */
export function existingSql(table: TableInfo, key: ColumnInfo[], columns: string[]): string {
  const match = key.map((k, i) => `x.${quoteIdent(k.name)} = (v.k->>${i})::${k.type.sql}`);
  return `select v.ord::int as i, ${
    columns.map((c, i) => `x.${quoteIdent(c)}::text as c${i}`).join(", ")
  }
from jsonb_array_elements($1::text::jsonb) with ordinality as v(k, ord)
join ${table.sql} as x on ${match.join(" and ")}`;
}

/** The temporary table a CSV is copied into: its line number, then one text column per field. */
export const STAGE = "pg_temp.dbm_seed_stage";

/** Creates the staging table for n fields; it goes away with the transaction. */
export function stagingSql(n: number): string {
  const cols = Array.from({ length: n }, (_, i) => `c${i + 1} text`).join(", ");
  return `create temp table dbm_seed_stage (_line integer not null, ${cols}) on commit drop`;
}

/** Whether the server is PGlite, whose socket server cannot take COPY FROM STDIN. */
export const IS_PGLITE_SQL = "select position('PGlite' in version()) > 0 as pglite";

/** Stages `rows` records of n fields with one parameterised INSERT (where COPY is unavailable). */
export function stageInsertSql(n: number, rows: number): string {
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    const base = r * (n + 1);
    const fields = Array.from({ length: n }, (_, i) => `$${base + i + 2}::text`);
    values.push(`($${base + 1}::text::integer, ${fields.join(", ")})`);
  }
  return `insert into ${STAGE} values ${values.join(",\n  ")}`;
}

/** The COPY that reads the staging table's data from the client. */
export function copySql(n: number): string {
  const cols = Array.from({ length: n }, (_, i) => `c${i + 1}`).join(", ");
  return `copy ${STAGE} (_line, ${cols}) from stdin with (format csv)`;
}

/**
 * Moves the staged rows into the table, cast to the columns' types, in file order: new rows are
 * inserted; with a key, changed rows are updated. With `range`, only lines $1 <= _line < $2.
 */
export function mergeSql(
  table: TableInfo,
  columns: ColumnInfo[],
  key: string[] | null,
  range = false,
): string {
  const select = columns.map((c, i) => `s.c${i + 1}::${c.type.sql}`).join(", ");
  return `with m as (
  insert into ${table.sql} as t (${columns.map((c) => quoteIdent(c.name)).join(", ")})
  select ${select} from ${STAGE} as s${range ? " where s._line >= $1 and s._line < $2" : ""}
  order by s._line
  ${conflictSql(columns.map((c) => c.name), key)}
  returning (xmax = 0) as inserted
)
select count(*) filter (where inserted)::int as inserted,
  count(*) filter (where not inserted)::int as updated from m`;
}

/** Two staged lines with the same key (which one statement cannot both upsert). */
export function duplicateKeySql(columns: ColumnInfo[], key: string[]): string {
  const exprs = key.map((k) => {
    const i = columns.findIndex((c) => c.name === k);
    return `s.c${i + 1}::${columns[i]!.type.sql}`;
  });
  return `select min(s._line) as first, max(s._line) as last from ${STAGE} as s
group by ${exprs.join(", ")} having count(*) > 1 order by 1 limit 1`;
}

// ---------------------------------------------------------------------------------------------
// Running it

/** The column an error names: not-null and generated-column errors, or `Key (col)=` details. */
function errorColumn(err: unknown): string | null {
  const e = err as PgError;
  if (e.column_name) return e.column_name;
  const m = /^Key \(([^,)]+)\)=/.exec(e.detail ?? "");
  return m ? m[1]!.replace(/^"|"$/g, "") : null;
}

/** The quoted value an input-syntax error quotes (`invalid input syntax for type uuid: "x"`). */
function errorValue(err: unknown): string | null {
  const m = /: "(.*)"$/s.exec((err as PgError).message ?? "");
  return m ? m[1]! : null;
}

/** Where a seed applies, as the driver knows it. */
export interface SeedTarget {
  schema: string;
  database: string;
}

/** Counts of what a file wrote, for the progress line. */
interface Counts {
  rows: number;
  inserted: number;
  updated: number;
}

function note(c: Counts, tables: number): string {
  const unchanged = c.rows - c.inserted - c.updated;
  return `${c.rows} ${c.rows === 1 ? "row" : "rows"}${
    tables > 1 ? ` in ${tables} tables` : ""
  }: ${c.inserted} inserted, ${c.updated} updated, ${unchanged} unchanged`;
}

/** Loads one YAML or CSV seed and records it, all in one transaction on the driver's connection. */
export async function applyDataSeed(
  sql: Sql,
  target: SeedTarget,
  req: SeedRequest,
): Promise<ApplyOutcome> {
  const run = new SeedRun(sql, target, req);
  const started = performance.now();
  await sql.unsafe(`begin;\n${TIMER_START_SQL}`);
  try {
    const text = req.seed.format === "yaml" ? await run.yaml(req.seed) : await run.csv(req.seed);
    run.check();
    await sql.unsafe(
      `${recordSql(target.schema, req.file, { success: true, ms: "timer" })};\ncommit`,
    );
    return { ms: performance.now() - started, note: text };
  } catch (err) {
    await sql.unsafe("rollback").catch(() => {});
    if (req.signal.aborted) throw req.signal.reason;
    if (err instanceof MigrateError) throw err;
    throw run.applyError(err);
  }
}

/** One file's apply: holds the connection, the request and the counts. */
class SeedRun {
  counts: Counts = { rows: 0, inserted: 0, updated: 0 };

  constructor(readonly sql: Sql, readonly target: SeedTarget, readonly req: SeedRequest) {}

  get where() {
    return { path: this.req.file.path, database: this.target.database };
  }

  /** Stops between round trips when the run is interrupted. */
  check(): void {
    if (this.req.signal.aborted) throw this.req.signal.reason;
  }

  /** Runs a query that an interrupt cancels. */
  async q(text: string, params: (string | null)[] = []): Promise<Record<string, unknown>[]> {
    this.check();
    const query = this.sql.unsafe(text, params);
    const onAbort = () => query.cancel();
    this.req.signal.addEventListener("abort", onAbort, { once: true });
    try {
      return [...await query] as Record<string, unknown>[];
    } finally {
      this.req.signal.removeEventListener("abort", onAbort);
    }
  }

  applyError(err: unknown, pos?: Pos | null, context?: string): ApplyError {
    return new ApplyError({
      database: this.target.database,
      script: this.req.file.script,
      serverMessage: serverMessage(err) + (context ? `\n  at ${context}` : ""),
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    });
  }

  async catalog(names: string[]): Promise<Map<string, TableInfo>> {
    const quoted = names.map((n) => regclassName(n) ?? quoteIdent(n));
    return parseCatalog(names, await this.q(CATALOG_SQL, [JSON.stringify(quoted)]));
  }

  /**
   * Runs `fn` in a savepoint: null when it worked, else its error (and the savepoint undone). The
   * savepoint and its release travel with the neighbouring queries, so they cost no round trip.
   */
  async attempt(fn: () => Promise<void>): Promise<unknown | null> {
    const savepoint = this.q("savepoint dbm_seed_try");
    savepoint.catch(() => {});
    try {
      await fn();
      await savepoint;
    } catch (err) {
      await savepoint.catch(() => {});
      if (this.req.signal.aborted) throw err;
      await this.q("rollback to savepoint dbm_seed_try");
      return err;
    }
    this.q("release savepoint dbm_seed_try").catch(() => {});
    return null;
  }

  /**
   * Finds the first of n items whose write fails, after writing all of them failed and was undone:
   * halves that work are kept, a half that fails is split again. Null when no single item fails
   * (two rows of one statement colliding, say).
   */
  async bisect(
    n: number,
    write: (lo: number, hi: number) => Promise<void>,
  ): Promise<{ index: number; error: unknown } | null> {
    let lo = 0, hi = n;
    while (hi - lo > 1) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      if (await this.attempt(() => write(lo, mid))) hi = mid;
      else lo = mid;
    }
    const error = await this.attempt(() => write(lo, hi));
    return error ? { index: lo, error } : null;
  }

  // ----- YAML

  async yaml(seed: YamlSeed): Promise<string> {
    const catalog = await this.catalog(tablesNeeded(seed));
    const tables = planYamlSeed(seed, catalog, this.where);
    for (const table of tables) {
      for (const seg of segments(table)) {
        const refs = await this.resolveRefs(table, seg);
        const hashes = await this.resolveBcrypt(table, seg, refs, seed.bcryptCost);
        const valueOf = (cell: Cell): string | null =>
          cell.kind === "value"
            ? cell.text
            : cell.kind === "ref"
            ? refs.get(cell)!
            : hashes.get(cell)!;
        for (const batch of batches(seg)) await this.writeBatch(table, batch, valueOf);
      }
    }
    return note(this.counts, tables.length);
  }

  /** Resolves every !ref of some rows in one query; no match or several is an error at the tag. */
  async resolveRefs(table: PlannedTable, rows: PlannedRow[]): Promise<Map<Cell, string>> {
    const groups = new Map<string, { target: RefTarget; values: Map<string, number> }>();
    const cells: { cell: Extract<Cell, { kind: "ref" }>; row: PlannedRow }[] = [];
    for (const row of rows) {
      for (const cell of row.cells) {
        if (cell.kind !== "ref") continue;
        const id = `${cell.ref.table.sql}.${quoteIdent(cell.ref.column.name)}`;
        let g = groups.get(id);
        if (!g) groups.set(id, g = { target: cell.ref, values: new Map() });
        if (!g.values.has(cell.value)) g.values.set(cell.value, g.values.size + 1);
        cells.push({ cell, row });
      }
    }
    const out = new Map<Cell, string>();
    if (cells.length === 0) return out;
    const list = [...groups.values()];
    const result = await this.q(
      refLookupSql(list.map((g) => g.target)),
      list.map((g) => JSON.stringify([...g.values.keys()])),
    );
    const found = new Map<string, { n: number; id: string | null }>();
    for (const r of result) {
      found.set(`${r.g}:${r.i}`, { n: Number(r.n), id: r.id === null ? null : String(r.id) });
    }
    const keys = [...groups.keys()];
    for (const { cell, row } of cells) {
      const g = keys.indexOf(`${cell.ref.table.sql}.${quoteIdent(cell.ref.column.name)}`);
      const hit = found.get(`${g}:${list[g]!.values.get(cell.value)}`) ?? { n: 0, id: null };
      if (hit.n !== 1 || hit.id === null) {
        throw new ApplyError({
          database: this.target.database,
          script: this.req.file.script,
          line: cell.pos.line,
          column: cell.pos.column,
          serverMessage: `!ref ${cell.source} matched ${
            hit.n === 0 ? "no row" : `${hit.n} rows`
          } of "${cell.ref.table.requested}" (row ${row.index} of "${table.source.name}" at line ${row.pos.line})`,
          hint: hit.n === 0
            ? "a !ref sees rows of earlier tables and files; check the value and that its row is written first"
            : `use a column that is unique in "${cell.ref.table.requested}"`,
        });
      }
      out.set(cell, hit.id);
    }
    return out;
  }

  /** Hashes every !bcrypt of some rows, keeping a stored hash that still matches its text. */
  async resolveBcrypt(
    table: PlannedTable,
    rows: PlannedRow[],
    refs: Map<Cell, string>,
    cost: number,
  ): Promise<Map<Cell, string>> {
    const out = new Map<Cell, string>();
    const withHash = rows.filter((r) => r.cells.some((c) => c.kind === "bcrypt"));
    if (withHash.length === 0) return out;
    const hashColumns = [
      ...new Set(
        withHash.flatMap((r) => r.columns.filter((_, i) => r.cells[i]!.kind === "bcrypt")),
      ),
    ];
    const keyColumns = table.key.map((k) => table.info.columns.find((c) => c.name === k)!);
    const tuples = withHash.map((r) =>
      table.key.map((k) => {
        const cell = r.cells[r.columns.findIndex((c) => c.name === k)]!;
        return cell.kind === "value" ? cell.text : cell.kind === "ref" ? refs.get(cell)! : null;
      })
    );
    const stored = await this.q(
      existingSql(table.info, keyColumns, hashColumns.map((c) => c.name)),
      [JSON.stringify(tuples)],
    );
    const existing = new Map<number, Record<string, unknown>>();
    for (const s of stored) existing.set(Number(s.i) - 1, s);
    const jobs: BcryptJob[] = [];
    const targets: Cell[] = [];
    withHash.forEach((r, ri) => {
      r.cells.forEach((cell, ci) => {
        if (cell.kind !== "bcrypt") return;
        const col = hashColumns.indexOf(r.columns[ci]!);
        const prev = existing.get(ri)?.[`c${col}`];
        jobs.push({ text: cell.text, existing: typeof prev === "string" ? prev : null });
        targets.push(cell);
      });
    });
    const hashes = await bcryptAll(jobs, cost, { signal: this.req.signal });
    targets.forEach((cell, i) => out.set(cell, hashes[i]!));
    return out;
  }

  async writeBatch(
    table: PlannedTable,
    rows: PlannedRow[],
    valueOf: (cell: Cell) => string | null,
  ): Promise<void> {
    const write = async (part: PlannedRow[]) => {
      const res = await this.q(
        upsertSql(table.info, part[0]!.columns, table.key, part.length),
        part.flatMap((r) => r.cells.map(valueOf)),
      );
      const inserted = res.filter((r) => r.inserted === true).length;
      this.counts.inserted += inserted;
      this.counts.updated += res.length - inserted;
      this.counts.rows += part.length;
    };
    const before = { ...this.counts };
    const err = await this.attempt(() => write(rows));
    if (!err) return;
    this.counts = before;
    const found = await this.bisect(rows.length, (lo, hi) => write(rows.slice(lo, hi)));
    this.counts = before;
    if (!found) {
      throw this.applyError(
        err,
        rows[0]!.pos,
        `the rows of "${table.source.name}" from line ${rows[0]!.pos.line}`,
      );
    }
    const row = rows[found.index]!;
    throw this.applyError(
      found.error,
      this.cellPos(row, found.error, valueOf),
      `row ${row.index} of "${table.source.name}" (line ${row.pos.line})`,
    );
  }

  /** The position of the value an error is about, else the row's. */
  cellPos(row: PlannedRow, err: unknown, valueOf: (cell: Cell) => string | null): Pos {
    const column = errorColumn(err);
    const byColumn = column === null ? -1 : row.columns.findIndex((c) => c.name === column);
    if (byColumn >= 0) return row.cells[byColumn]!.pos;
    const value = errorValue(err);
    const byValue = value === null ? -1 : row.cells.findIndex((c) => valueOf(c) === value);
    return byValue >= 0 ? row.cells[byValue]!.pos : row.pos;
  }

  // ----- CSV

  async csv(seed: CsvSeed): Promise<string> {
    const fail = (pos: Pos | null, msg: string, hint?: string): never => {
      throw seedError({ ...this.where, pos }, msg, hint);
    };
    const info = (await this.catalog([seed.table])).get(seed.table) ??
      fail(
        { line: 1, column: 1 },
        `unknown table "${seed.table}" (from the file name)`,
        "name the file NNN_<table>.csv after an existing table, or set `table:` in its sidecar",
      );
    const columns = seed.columns.map((h) => {
      const col = info.columns.find((c) => c.name === h.name) ??
        fail(h.pos, `unknown column "${h.name}" in table "${seed.table}"`);
      if (col.generated) fail(h.pos, `column "${h.name}" is generated and cannot be written`);
      return col;
    });
    let key: string[] | null = null;
    if (seed.key) {
      const where = { path: seed.key.path, database: this.target.database, pos: seed.key.pos };
      for (const k of seed.key.columns) {
        if (!seed.columns.some((c) => c.name === k)) {
          throw seedError(where, `key column "${k}" is not in the CSV header of "${seed.path}"`);
        }
      }
      if (!isUniqueKey(info, seed.key.columns)) {
        throw seedError(
          where,
          `key (${
            seed.key.columns.join(", ")
          }) of "${seed.table}" is not a primary key, unique constraint or unique index`,
        );
      }
      key = seed.key.columns;
    }
    this.checkCsvValues(seed, columns);

    await this.q(stagingSql(columns.length));
    const [server] = await this.q(IS_PGLITE_SQL);
    const staged = server?.pglite === true
      ? await this.stageWithInserts(seed, columns.length)
      : await this.copy(seed, columns.length);
    if (staged !== seed.records.length) {
      throw this.applyError(
        new Error(`COPY staged ${staged} of ${seed.records.length} records`),
      );
    }
    const merge = async (lo: number, hi: number | null) => {
      const res = hi === null
        ? await this.q(mergeSql(info, columns, key))
        : await this.q(mergeSql(info, columns, key, true), [
          String(seed.records[lo]!.line),
          String(seed.records[hi]?.line ?? 2147483647),
        ]);
      this.counts.inserted += Number(res[0]?.inserted ?? 0);
      this.counts.updated += Number(res[0]?.updated ?? 0);
    };
    const err = await this.attempt(() => merge(0, null));
    if (err) {
      this.counts = { rows: 0, inserted: 0, updated: 0 };
      throw await this.explainMerge(seed, columns, key, err, merge);
    }
    this.counts.rows = seed.records.length;
    return `${note(this.counts, 1)} (CSV into "${seed.table}")`;
  }

  /** Checks each field whose type the client knows, so a bad value stops before any write. */
  checkCsvValues(seed: CsvSeed, columns: ColumnInfo[]): void {
    const kinds = columns.map((c) => c.type.kind);
    if (!kinds.some((k) => k !== "text" && k !== "other" && k !== "array")) return;
    for (const r of seed.records) {
      const scan = scanRecord(seed.text, r.start);
      if ("error" in scan) continue; // parseCsvSeed already rejected it
      scan.fields.forEach((f, i) => {
        if (f.value === null) return;
        const problem = checkText(kinds[i]!, f.value);
        if (problem) {
          throw seedError(
            { ...this.where, pos: posAt(seed.text, f.offset, r.start, r.line) },
            `column "${columns[i]!.name}": ${problem} (column type ${columns[i]!.type.sql})`,
          );
        }
      });
    }
  }

  /** Stages the records with batched INSERTs (embedded PGlite); returns how many rows it holds. */
  async stageWithInserts(seed: CsvSeed, n: number): Promise<number> {
    const perBatch = Math.max(1, Math.floor(30000 / (n + 1)));
    for (let i = 0; i < seed.records.length; i += perBatch) {
      const part = seed.records.slice(i, i + perBatch);
      const params: (string | null)[] = [];
      for (const r of part) {
        const scan = scanRecord(seed.text, r.start);
        if ("error" in scan) throw new Error(`line ${r.line} no longer parses`);
        params.push(String(r.line), ...scan.fields.map((f) => f.value));
      }
      await this.q(stageInsertSql(n, part.length), params);
    }
    const [row] = await this.q(`select count(*)::int as n from ${STAGE}`);
    return Number(row?.n);
  }

  #interrupted: Promise<never> | null = null;

  /** Rejects when the run is interrupted, so no wait on the COPY stream outlives a SIGTERM. */
  get interrupted(): Promise<never> {
    const signal = this.req.signal;
    this.#interrupted ??= new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener("abort", () => reject(signal.reason), { once: true });
    });
    this.#interrupted.catch(() => {});
    return this.#interrupted;
  }

  /** COPY of the records into the staging table; returns how many rows it holds. */
  async copy(seed: CsvSeed, n: number): Promise<number> {
    this.check();
    const stream = await Promise.race([this.sql.unsafe(copySql(n)).writable(), this.interrupted]);
    let streamError: unknown = null;
    const ended = new Promise<void>((resolve, reject) => {
      stream.once("error", reject);
      stream.once("finish", resolve);
    });
    ended.catch((err) => streamError = err);
    for (const chunk of copyChunks(seed)) {
      if (!stream.write(chunk)) {
        await Promise.race([new Promise((r) => stream.once("drain", r)), ended, this.interrupted]);
      }
      this.check();
    }
    stream.end();
    // postgres.js drops a server error that arrives after CopyDone (its stream is gone by then, so
    // `ended` never settles); a query queued behind the COPY sees the aborted transaction instead,
    // so this cannot hang. Until postgres.js has sent CopyDone it refuses the query: try again.
    for (let i = 0;; i++) {
      try {
        const [row] = await this.q(`select count(*)::int as n from ${STAGE}`);
        await Promise.race([ended, this.interrupted]); // settled: the COPY ended before the count
        return Number(row?.n);
      } catch (err) {
        if ((err as PgError).code !== "COPY_IN_PROGRESS" || i > 5000) {
          throw streamError ?? err; // the COPY's own error, when postgres.js kept it, says more
        }
        await new Promise((r) => setTimeout(r, 1));
      }
    }
  }

  /** Names the line (and field) the merge failed on, or both lines of a duplicate key. */
  async explainMerge(
    seed: CsvSeed,
    columns: ColumnInfo[],
    key: string[] | null,
    err: unknown,
    merge: (lo: number, hi: number | null) => Promise<void>,
  ): Promise<ApplyError> {
    if ((err as PgError).code === "21000" && key) {
      const [dup] = await this.q(duplicateKeySql(columns, key));
      if (dup) {
        const first = Number(dup.first), last = Number(dup.last);
        return new ApplyError({
          database: this.target.database,
          script: this.req.file.script,
          line: last,
          column: 1,
          serverMessage: `lines ${first} and ${last} have the same key (${key.join(", ")})`,
          hint: "remove or merge one of them",
        });
      }
    }
    const found = await this.bisect(seed.records.length, (lo, hi) => merge(lo, hi));
    if (!found) return this.applyError(err);
    const record = seed.records[found.index]!;
    let pos: Pos = { line: record.line, column: 1 };
    const scan = scanRecord(seed.text, record.start);
    if (!("error" in scan)) {
      const column = errorColumn(found.error);
      const value = errorValue(found.error);
      const i = column !== null
        ? columns.findIndex((c) => c.name === column)
        : scan.fields.findIndex((f) => f.value === value);
      const field = scan.fields[i];
      if (field) pos = posAt(seed.text, field.offset, record.start, record.line);
    }
    return this.applyError(found.error, pos, `line ${record.line}`);
  }
}
