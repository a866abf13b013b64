// The SQL of YAML and CSV seeds on PostgreSQL, as pure functions unit-tested without a database:
// the catalog query, upserts, !ref and bcrypt look-ups, and the staging table a CSV is copied into.

import type { RefTarget } from "./seed_plan.ts";
import type { ColumnInfo, ColumnType, TableInfo, ValueKind } from "../../seeds/types.ts";
import { splitTableName } from "../../seeds/yaml.ts";
import { quoteIdent } from "./sql.ts";

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

/** The temporary table rows are copied into before they are merged into their table. */
export const STAGE = "pg_temp.dbm_seed_stage";

/**
 * Creates the staging table: `_n`, the row's place in the file (1, 2, ... in the order COPY reads
 * them), then one column per field of the column's type, so that COPY itself reads and checks
 * every value and names the line of a bad one. It goes away with the transaction.
 */
export function stagingSql(columns: ColumnInfo[]): string {
  const cols = columns.map((c, i) => `c${i + 1} ${c.type.sql}`).join(", ");
  return `create temp table dbm_seed_stage (_n bigint generated always as identity, ${cols}) on commit drop`;
}

/** Whether the server is PGlite, whose socket server cannot take COPY FROM STDIN. */
export const IS_PGLITE_SQL = "select position('PGlite' in version()) > 0 as pglite";

/** Whether a table has no row (then a CSV is copied straight into it). */
export function isEmptySql(table: TableInfo): string {
  return `select not exists (select from ${table.sql}) as empty`;
}

/** Locks out other writers while an empty table is loaded without a merge; readers go on. */
export function lockForLoadSql(table: TableInfo): string {
  return `lock table ${table.sql} in share mode`;
}

/** Stages `rows` rows of the columns with one parameterised INSERT (where COPY is unavailable). */
export function stageInsertSql(columns: ColumnInfo[], rows: number): string {
  const n = columns.length;
  const values: string[] = [];
  for (let r = 0; r < rows; r++) {
    values.push(`(${columns.map((c, i) => `$${r * n + i + 1}::text::${c.type.sql}`).join(", ")})`);
  }
  const names = columns.map((_, i) => `c${i + 1}`).join(", ");
  return `insert into ${STAGE} (${names}) values ${values.join(",\n  ")}`;
}

/**
 * The COPY of a CSV (its header line first) from the client: into the staging table, or, with
 * `table`, straight into that table's header columns.
 */
export function copyCsvSql(columns: ColumnInfo[], table?: TableInfo): string {
  const names = table
    ? columns.map((c) => quoteIdent(c.name)).join(", ")
    : columns.map((_, i) => `c${i + 1}`).join(", ");
  return `copy ${table ? table.sql : STAGE} (${names}) from stdin with (format csv, header true)`;
}

/** The COPY (text format) of YAML rows into staging columns c1..cn. */
export function copyRowsSql(n: number): string {
  const cols = Array.from({ length: n }, (_, i) => `c${i + 1}`).join(", ");
  return `copy ${STAGE} (${cols}) from stdin`;
}

/** A value in COPY's text format: backslash, tab and line breaks escaped; NULL as \\N. */
export function copyField(v: string | null): string {
  if (v === null) return "\\N";
  return /[\\\n\r\t]/.test(v)
    ? v.replace(
      /[\\\n\r\t]/g,
      (c) => c === "\\" ? "\\\\" : c === "\n" ? "\\n" : c === "\r" ? "\\r" : "\\t",
    )
    : v;
}

/** The COPY (text format) of YAML rows straight into some columns of an empty table. */
export function copyIntoSql(table: TableInfo, columns: ColumnInfo[]): string {
  return `copy ${table.sql} (${columns.map((c) => quoteIdent(c.name)).join(", ")}) from stdin`;
}

/** Drops the staging table of the previous table of a file. */
export const DROP_STAGE_SQL = `drop table if exists ${STAGE}`;

/**
 * Moves the staged rows into the table in file order: new rows are inserted; with a key, changed
 * rows are updated. With `range`, only rows $1 <= _n < $2. `at` gives each column's staging
 * column (c1, c2, ... in order without it).
 */
export function mergeSql(
  table: TableInfo,
  columns: ColumnInfo[],
  key: string[] | null,
  range = false,
  at?: number[],
): string {
  const select = columns.map((_, i) => `s.c${(at ? at[i]! : i) + 1}`).join(", ");
  return `with m as (
  insert into ${table.sql} as t (${columns.map((c) => quoteIdent(c.name)).join(", ")})
  select ${select} from ${STAGE} as s${range ? " where s._n >= $1 and s._n < $2" : ""}
  order by s._n
  ${conflictSql(columns.map((c) => c.name), key)}
  returning (xmax = 0) as inserted
)
select count(*) filter (where inserted)::int as inserted,
  count(*) filter (where not inserted)::int as updated from m`;
}

/** Two staged rows with the same key (which one statement cannot both upsert). */
export function duplicateKeySql(columns: ColumnInfo[], key: string[]): string {
  const exprs = key.map((k) => `s.c${columns.findIndex((c) => c.name === k) + 1}`);
  return `select min(s._n) as first, max(s._n) as last from ${STAGE} as s
group by ${exprs.join(", ")} having count(*) > 1 order by 1 limit 1`;
}
