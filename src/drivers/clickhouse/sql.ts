// The tracking-table SQL of the ClickHouse driver, kept apart from the code that runs it so it can
// be read and unit-tested without a server. Everything here must be valid on ClickHouse 18.16, the
// oldest server the tests run on: no Nullable in a sorting key, DateTime rather than DateTime64, no
// TTL, CODEC, LowCardinality, query parameters or `ADD COLUMN IF NOT EXISTS`.

/** The tracking table, in the database the URL names. */
export const TRACKING_TABLE = "_schema_migrations";

/** A back-quoted identifier. */
export function quoteIdent(name: string): string {
  return "`" + name.replaceAll("\\", "\\\\").replaceAll("`", "\\`") + "`";
}

/** A single-quoted string literal; ClickHouse reads backslash escapes in every string. */
export function quoteString(value: string): string {
  return "'" + value.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'";
}

/** `db`.`table` */
export function qualified(database: string, table: string): string {
  return `${quoteIdent(database)}.${quoteIdent(table)}`;
}

/** Creates the database the URL names; the first real run does this, never a dry run. */
export function createDatabaseSql(database: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)}`;
}

/**
 * Whether the database, the tracking table and its `query_id` and `provenance` columns (added after
 * the table's first version) exist: one row `{has_db, has_table, has_query_id, has_provenance}`.
 */
export function existsSql(database: string): string {
  const db = quoteString(database);
  return `SELECT
  (SELECT count() FROM system.databases WHERE name = ${db}) AS has_db,
  (SELECT count() FROM system.tables WHERE database = ${db} AND name = '${TRACKING_TABLE}') AS has_table,
  (SELECT count() FROM system.columns WHERE database = ${db} AND table = '${TRACKING_TABLE}'
    AND name = 'query_id') AS has_query_id,
  (SELECT count() FROM system.columns WHERE database = ${db} AND table = '${TRACKING_TABLE}'
    AND name = 'provenance') AS has_provenance`;
}

const QUERY_ID_COMMENT =
  "query_id of statement statements_done + 1 while it was sent and its end not yet recorded";

/**
 * Creates the tracking table. ClickHouse has no UPDATE, so every change of a file's row is a new
 * row for the same `script`; ReplacingMergeTree keeps the one with the highest `updated` and reads
 * use FINAL. A row is forgotten by a newer row with `deleted = 1`, as ALTER ... DELETE is an
 * asynchronous mutation.
 */
export function createTrackingSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(database, TRACKING_TABLE)} (
  version          Nullable(Int64) COMMENT 'migration version; NULL for seeds',
  description      String,
  script           String COMMENT 'path relative to the database folder: V001__init.sql, reference/010_x.sql',
  checksum         String COMMENT 'SHA-256 (hex) of the file without BOM, with LF line ends',
  kind             String COMMENT 'migration or seed',
  applied_at       DateTime,
  execution_ms     UInt64,
  success          UInt8,
  applied_by       String,
  content          String COMMENT 'the applied text (empty on progress rows), for drift diffs',
  error            Nullable(String),
  statements_done  UInt32 COMMENT 'statements of the file that succeeded; a failed file resumes after them',
  statements_total UInt32,
  statement_hashes Array(String) COMMENT 'SHA-256 of each succeeded statement (and of the one in query_id), to check before resuming',
  deleted          UInt8 COMMENT '1: the row is forgotten (--repair of a missing file)',
  updated          UInt64 COMMENT 'row version: the highest per script wins; read with FINAL',
  query_id         String DEFAULT '' COMMENT '${QUERY_ID_COMMENT}',
  provenance       String DEFAULT 'applied' COMMENT '${PROVENANCE_COMMENT}'
) ENGINE = ReplacingMergeTree(updated)
ORDER BY script`;
}

const PROVENANCE_COMMENT =
  "how the row got there: applied, marked, baselined, repaired, undone, undoing";

/**
 * Adds `provenance` to a tracking table made before it existed: rows written by earlier releases
 * read as `applied`, which is how they got there. `comment: false` on a cluster: a Replicated
 * table's columns in ZooKeeper carry no comment (18.16 keeps it on no replica), as its CREATE
 * carries none either.
 */
export function addProvenanceColumnSql(database: string, comment = true): string {
  return `ALTER TABLE ${
    qualified(database, TRACKING_TABLE)
  } ADD COLUMN provenance String DEFAULT 'applied'${
    comment ? ` COMMENT '${PROVENANCE_COMMENT}'` : ""
  }`;
}

/**
 * Adds `query_id` to a tracking table made before it existed (a metadata change on the server);
 * `comment: false` on a cluster, as for provenance.
 */
export function addQueryIdColumnSql(database: string, comment = true): string {
  return `ALTER TABLE ${qualified(database, TRACKING_TABLE)} ADD COLUMN query_id String DEFAULT ''${
    comment ? ` COMMENT '${QUERY_ID_COMMENT}'` : ""
  }`;
}

const TRACKING_COLUMNS = [
  "version",
  "description",
  "script",
  "checksum",
  "kind",
  "applied_at",
  "execution_ms",
  "success",
  "applied_by",
  "content",
  "error",
  "statements_done",
  "statements_total",
  "statement_hashes",
  "deleted",
  "updated",
  "query_id",
  "provenance",
] as const;

/**
 * Reads the current row of every script (deleted ones included: callers drop them, since a WHERE
 * beside FINAL could be moved before the merge on some servers). `withHashes` adds
 * statement_hashes; contents are never read here.
 */
export function selectTrackingSql(
  database: string,
  withHashes = false,
  hasProvenance = true,
): string {
  return `SELECT version, description, script, checksum, kind, toUInt32(applied_at) AS applied_epoch,
  execution_ms, success, applied_by, error, statements_done, statements_total,${
    withHashes ? " statement_hashes," : ""
  } deleted, updated, ${hasProvenance ? "provenance" : "'applied' AS provenance"}
FROM ${qualified(database, TRACKING_TABLE)} FINAL
ORDER BY kind, version, script`;
}

/** The stored texts of some scripts (a WHERE on the whole sorting key is safe beside FINAL). */
export function selectContentsSql(database: string, scripts: string[]): string {
  return `SELECT script, content, deleted FROM ${qualified(database, TRACKING_TABLE)} FINAL
WHERE script IN (${scripts.map(quoteString).join(", ")})`;
}

/**
 * The stored progress of one script: how many statements succeeded, their hashes, and the statement
 * in flight (its query_id, and when its row was written by the server's clock).
 */
export function selectProgressSql(database: string, script: string): string {
  return `SELECT success, statements_done, statements_total, statement_hashes, deleted, query_id,
  toUInt32(applied_at) AS applied_epoch
FROM ${qualified(database, TRACKING_TABLE)} FINAL WHERE script = ${quoteString(script)}`;
}

/** The highest row version so far; the next row of any script takes a higher one. */
export function maxUpdatedSql(database: string): string {
  return `SELECT max(updated) AS updated FROM ${qualified(database, TRACKING_TABLE)}`;
}

/** One row of the tracking table as the driver writes it. */
export interface TrackingRecord {
  version: number | null;
  description: string;
  script: string;
  checksum: string;
  kind: "migration" | "seed";
  /** "now" for the server's clock, or seconds since the epoch (a repaired row keeps its time). */
  appliedAt: "now" | number;
  executionMs: number;
  success: boolean;
  appliedBy: string;
  content: string;
  error: string | null;
  statementsDone: number;
  statementsTotal: number;
  statementHashes: string[];
  deleted: boolean;
  updated: bigint;
  /** The query_id of the statement sent and not yet known to have ended, or "". */
  queryId: string;
  /** How the row got there; `applied` when not given. */
  provenance?: string;
}

/**
 * Inserts tracking rows. VALUES rather than INSERT ... SELECT: the data after VALUES is streamed, so
 * a file larger than max_query_size (256 KiB) can still be stored as `content`.
 */
export function insertTrackingSql(database: string, rows: TrackingRecord[]): string {
  const values = rows.map((r) =>
    "(" + [
      r.version === null ? "NULL" : String(Math.trunc(r.version)),
      quoteString(r.description),
      quoteString(r.script),
      quoteString(r.checksum),
      quoteString(r.kind),
      r.appliedAt === "now" ? "now()" : `toDateTime(${Math.trunc(r.appliedAt)})`,
      String(Math.max(0, Math.round(r.executionMs))),
      r.success ? "1" : "0",
      quoteString(r.appliedBy),
      quoteString(r.content),
      r.error === null ? "NULL" : quoteString(r.error),
      String(r.statementsDone),
      String(r.statementsTotal),
      `[${r.statementHashes.map(quoteString).join(", ")}]`,
      r.deleted ? "1" : "0",
      String(r.updated),
      quoteString(r.queryId),
      quoteString(r.provenance ?? "applied"),
    ].join(", ") + ")"
  );
  return `INSERT INTO ${qualified(database, TRACKING_TABLE)} (${
    TRACKING_COLUMNS.join(", ")
  }) VALUES ${values.join(",\n")}`;
}

/**
 * Whether a statement (comments already stripped) changes only the HTTP session: `SET name = value`
 * or `USE database`. A file with such statements runs in one session, so they hold for the
 * statements after them, and a resumed file replays them first.
 */
export function isSessionStatement(statement: string): boolean {
  return /^(SET|USE)\s/i.test(statement.trimStart());
}

/** The tables of a database (views and dictionaries too): rows `{name}`. */
export function tablesSql(database: string): string {
  return `SELECT name FROM system.tables WHERE database = ${quoteString(database)}`;
}

/** Empties one table, if it is there: `table` in the URL's database, or `database.table`. */
export function truncateTableSql(database: string, table: string): string {
  const dot = table.indexOf(".");
  const name = dot > 0
    ? qualified(table.slice(0, dot), table.slice(dot + 1))
    : qualified(database, table);
  return `TRUNCATE TABLE IF EXISTS ${name}`;
}

/** Drops one table (or view) if it is still there: a materialized view takes its inner table along. */
export function dropTableSql(database: string, table: string, cluster?: string): string {
  return `DROP TABLE IF EXISTS ${qualified(database, table)}${
    cluster === undefined ? "" : ` ON CLUSTER ${quoteIdent(cluster)}`
  }`;
}
