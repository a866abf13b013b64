// What the seed rule and the CSV loader ask the server, and how they read a seed's statements:
// which table an INSERT or a TRUNCATE names, which engines replace rows by key. Pure.

import { qualified, quoteIdent, quoteString } from "./sql.ts";

/** A table named by a statement: the database is null when the statement does not name one. */
export interface TableRef {
  database: string | null;
  table: string;
}

const IDENT = '(`(?:[^`\\\\]|\\\\.|``)*`|"(?:[^"\\\\]|\\\\.|"")*"|[A-Za-z_][A-Za-z0-9_]*)';
const TABLE_NAME = `${IDENT}(?:\\s*\\.\\s*${IDENT})?`;
const INSERT_RE = new RegExp(`^INSERT\\s+INTO\\s+(?:TABLE\\s+)?(FUNCTION\\s+)?${TABLE_NAME}`, "i");
const TRUNCATE_RE = new RegExp(
  `^TRUNCATE\\s+(?:TEMPORARY\\s+)?(?:TABLE\\s+)?(?:IF\\s+EXISTS\\s+)?${TABLE_NAME}`,
  "i",
);

function unquoteIdent(text: string): string {
  const q = text[0];
  if (q !== "`" && q !== '"') return text;
  const body = text.slice(1, -1);
  return body.replace(
    /\\(.)|(["`])\2/g,
    (_, escaped: string | undefined, doubled) => escaped ?? doubled,
  );
}

function tableRef(m: RegExpMatchArray, first: number): TableRef {
  const a = m[first]!, b = m[first + 1];
  return b === undefined
    ? { database: null, table: unquoteIdent(a) }
    : { database: unquoteIdent(a), table: unquoteIdent(b) };
}

/**
 * The table an INSERT statement writes to (comments already stripped), "function" for INSERT INTO
 * FUNCTION, or null when the statement is no INSERT.
 */
export function insertTarget(statement: string): TableRef | "function" | null {
  const m = statement.trimStart().match(INSERT_RE);
  if (!m) return null;
  if (m[1]) return "function";
  return tableRef(m, 2);
}

/** The table a TRUNCATE statement empties (comments already stripped), or null. */
export function truncateTarget(statement: string): TableRef | null {
  const m = statement.trimStart().match(TRUNCATE_RE);
  return m ? tableRef(m, 1) : null;
}

/** The engines whose rows a re-applied seed replaces (by sorting key) rather than duplicates (Shared: ClickHouse Cloud). */
export function isReplacingEngine(engine: string): boolean {
  return /^(Replicated|Shared)?ReplacingMergeTree$/.test(engine);
}

/** Looks up the engines of some tables: rows `{database, name, engine}`. */
export function tableEnginesSql(tables: { database: string; table: string }[]): string {
  const cond = tables.map((t) =>
    `(database = ${quoteString(t.database)} AND name = ${quoteString(t.table)})`
  ).join(" OR ");
  return `SELECT database, name, engine FROM system.tables WHERE ${cond}`;
}

/**
 * The columns of one table: rows `{name, type, default_kind, is_in_sorting_key}` (none when the
 * table does not exist). `default_kind` is '' for a plain column, else DEFAULT, MATERIALIZED or ALIAS.
 */
export function tableColumnsSql(t: { database: string; table: string }): string {
  return `SELECT name, type, default_kind, is_in_sorting_key FROM system.columns
WHERE database = ${quoteString(t.database)} AND table = ${quoteString(t.table)}`;
}

/**
 * The INSERT of a CSV seed, sent as the request's query while the CSV (header first) is the body.
 * CSVWithNames skips the header but, on 18.16, does not map fields by it: the columns are listed
 * in the header's order.
 */
export function csvInsertSql(t: { database: string; table: string }, columns: string[]): string {
  return `INSERT INTO ${qualified(t.database, t.table)} (${
    columns.map(quoteIdent).join(", ")
  }) FORMAT CSVWithNames`;
}

/** Merges a table's parts so that rows with one sorting key collapse at once. */
export function optimizeSql(database: string, table: string): string {
  return `OPTIMIZE TABLE ${qualified(database, table)} FINAL`;
}

/** Asks the server to stop a statement that an interrupted run had sent. */
export function killQuerySql(queryId: string): string {
  return `KILL QUERY WHERE query_id = ${quoteString(queryId)} ASYNC`;
}
