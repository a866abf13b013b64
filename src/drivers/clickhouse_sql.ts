// The SQL text of the ClickHouse driver (tracking table, lease lock, seed checks) and the pure
// helpers around it (URL and error parsing), kept apart from the code that runs them so they can be
// read and unit-tested without a server. Everything here must be valid on ClickHouse 18.16, the
// oldest server the tests run on: no Nullable in a sorting key, DateTime rather than DateTime64, no
// TTL, CODEC, LowCardinality, query parameters or `ADD COLUMN IF NOT EXISTS`.

import { checksum } from "../core/checksum.ts";

/** The tracking table, in the database the URL names. */
export const TRACKING_TABLE = "_schema_migrations";
/** The table of lock leases, next to the tracking table. */
export const LOCK_TABLE = "_schema_migrations_lock";

/** Where a ClickHouse URL points. */
export interface ClickHouseTarget {
  /** `http://host:port` or `https://host:port`: what the HTTP client talks to. */
  endpoint: string;
  username: string;
  password: string;
  /** The ClickHouse database named by the URL's path (`default` when the path is empty). */
  database: string;
}

/**
 * Reads `http://`, `https://` or `clickhouse://user:pass@host:port/database`. The path names the
 * ClickHouse database (`default` when empty); user and password are percent-decoded; a missing user
 * is `default`. The `user` and `password` query parameters of ClickHouse's HTTP interface work too
 * and win over the user and password before the `@` (a `+` in them is a `+`: percent-encode `&`,
 * `#`, `%` and `+`). `clickhouse://` is the HTTP interface, not the native protocol: it means `http`
 * on port 8123 unless it asks for TLS with `?secure=true` (or `secure=1`) or names port 8443,
 * ClickHouse's HTTPS port, which mean `https` (on 8443 when no port is given). Other query
 * parameters are refused rather than silently ignored. Throws an Error whose message holds no
 * password.
 */
export function parseClickHouseUrl(url: string): ClickHouseTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error("not a valid URL");
  }
  const scheme = u.protocol.slice(0, -1).toLowerCase();
  if (scheme !== "http" && scheme !== "https" && scheme !== "clickhouse") {
    throw new Error(`scheme "${scheme}:" is not http:, https: or clickhouse:`);
  }
  let secure = scheme === "https";
  let username = decodeURIComponent(u.username);
  let password = decodeURIComponent(u.password);
  // Raw pairs, percent-decoded only: URLSearchParams would turn a `+` in a password into a space.
  for (const pair of u.search.slice(1).split("&")) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq), "a parameter name");
    const value = decodeQueryPart(eq < 0 ? "" : pair.slice(eq + 1), `the value of "${key}"`);
    if (key === "user") {
      username = value;
    } else if (key === "password") {
      password = value;
    } else if (scheme === "clickhouse" && key === "secure") {
      if (!/^(true|1|false|0)$/i.test(value)) {
        throw new Error(`secure=${value} must be true or false`);
      }
      secure = /^(true|1)$/i.test(value);
    } else {
      throw new Error(
        `unknown URL parameter "${key}" (only user, password` +
          (scheme === "clickhouse" ? " and secure" : "") + " are understood)",
      );
    }
  }
  if (!u.hostname) throw new Error("the URL names no host");
  let port = u.port;
  if (scheme === "clickhouse") {
    if (port === "8443") secure = true;
    if (!port) port = secure ? "8443" : "8123";
  }
  const path = decodeURIComponent(u.pathname).replace(/^\/+|\/+$/g, "");
  if (path.includes("/")) {
    throw new Error(`the path "/${path}" must name one database, as in http://host:8123/analytics`);
  }
  const host = u.hostname.includes(":") && !u.hostname.startsWith("[")
    ? `[${u.hostname}]`
    : u.hostname;
  return {
    endpoint: `${secure ? "https" : "http"}://${host}${port ? `:${port}` : ""}`,
    username: username || "default",
    password,
    database: path || "default",
  };
}

// Percent-decodes part of a query; the message names what was bad, never its text (a password).
function decodeQueryPart(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`${what} is not valid percent-encoding`);
  }
}

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
 * Whether the database, the tracking table and its `query_id` column (added after the table's first
 * version) exist: one row `{has_db, has_table, has_query_id}`.
 */
export function existsSql(database: string): string {
  const db = quoteString(database);
  return `SELECT
  (SELECT count() FROM system.databases WHERE name = ${db}) AS has_db,
  (SELECT count() FROM system.tables WHERE database = ${db} AND name = '${TRACKING_TABLE}') AS has_table,
  (SELECT count() FROM system.columns WHERE database = ${db} AND table = '${TRACKING_TABLE}'
    AND name = 'query_id') AS has_query_id`;
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
  query_id         String DEFAULT '' COMMENT '${QUERY_ID_COMMENT}'
) ENGINE = ReplacingMergeTree(updated)
ORDER BY script`;
}

/** Adds `query_id` to a tracking table made before it existed (a metadata change on the server). */
export function addQueryIdColumnSql(database: string): string {
  return `ALTER TABLE ${
    qualified(database, TRACKING_TABLE)
  } ADD COLUMN query_id String DEFAULT '' COMMENT '${QUERY_ID_COMMENT}'`;
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
] as const;

/**
 * Reads the current row of every script (deleted ones included: callers drop them, since a WHERE
 * beside FINAL could be moved before the merge on some servers). `withHashes` adds
 * statement_hashes; contents are never read here.
 */
export function selectTrackingSql(database: string, withHashes = false): string {
  return `SELECT version, description, script, checksum, kind, toUInt32(applied_at) AS applied_epoch,
  execution_ms, success, applied_by, error, statements_done, statements_total,${
    withHashes ? " statement_hashes," : ""
  } deleted, updated
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
    ].join(", ") + ")"
  );
  return `INSERT INTO ${qualified(database, TRACKING_TABLE)} (${
    TRACKING_COLUMNS.join(", ")
  }) VALUES ${values.join(",\n")}`;
}

/**
 * Creates the lease table of the migration lock: one row per claimant (`holder`, a random id per
 * run), replaced by its newer rows. Times are the server's clock, so clients' clocks do not matter.
 */
export function createLockSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(database, LOCK_TABLE)} (
  holder     String COMMENT 'random id of one db-migrate run',
  claimed_at DateTime COMMENT 'when the claim was made; the earliest live claim holds the lock',
  expires_at DateTime COMMENT 'the claim is dead after this (renewed while alive; 1970 when released)',
  info       String COMMENT 'host, pid and user of the run, for waiting messages',
  updated    UInt64 COMMENT 'row version per holder'
) ENGINE = ReplacingMergeTree(updated)
ORDER BY holder`;
}

/**
 * The server's clock and every claim, as rows `{holder, claimed_at, expires_at, info, now}`. The
 * first row has an empty holder and alone carries `now`, so the clock comes back even when there
 * are no claims, in the same query as the claims. The claims' `now` is a materialized 0: ClickHouse
 * 18.16 refuses a UNION ALL whose two parts give one column different constant values ("Cannot
 * convert column now because it is constant but values of constants are different"), which two
 * now() calls do when the query straddles a second.
 */
export function selectLockSql(database: string): string {
  return `SELECT '' AS holder, toUInt32(0) AS claimed_at, toUInt32(0) AS expires_at, '' AS info,
  toUInt32(now()) AS now
UNION ALL
SELECT holder, toUInt32(claimed_at) AS claimed_at, toUInt32(expires_at) AS expires_at, info,
  materialize(toUInt32(0)) AS now
FROM ${qualified(database, LOCK_TABLE)} FINAL`;
}

/** A claim row to write. */
export interface ClaimRecord {
  holder: string;
  /** "now" for a new claim (the server's clock), or the epoch seconds of the claim being kept. */
  claimedAt: "now" | number;
  /** Seconds from now until the claim dies, or "released" to end it at once. */
  lease: number | "released";
  info: string;
  updated: number;
}

/** Writes (or renews, or releases) a claim. */
export function insertClaimSql(database: string, c: ClaimRecord): string {
  const claimed = c.claimedAt === "now" ? "now()" : `toDateTime(${Math.trunc(c.claimedAt)})`;
  const expires = c.lease === "released" ? "toDateTime(0)" : `now() + ${Math.trunc(c.lease)}`;
  return `INSERT INTO ${
    qualified(database, LOCK_TABLE)
  } (holder, claimed_at, expires_at, info, updated) VALUES (${
    quoteString(c.holder)
  }, ${claimed}, ${expires}, ${quoteString(c.info)}, ${Math.trunc(c.updated)})`;
}

/** Drops claims dead for over a day, so the lease table stays small (an asynchronous mutation). */
export function pruneLockSql(database: string): string {
  return `ALTER TABLE ${qualified(database, LOCK_TABLE)} DELETE WHERE expires_at < now() - 86400`;
}

/** One claim as read back. */
export interface Claim {
  holder: string;
  claimedAt: number;
  expiresAt: number;
  info: string;
}

/** The live claim that holds the lock: the earliest claim, ties broken by holder id. */
export function lockWinner(claims: Claim[], now: number): Claim | null {
  let best: Claim | null = null;
  for (const c of claims) {
    if (c.expiresAt <= now) continue;
    if (
      best === null || c.claimedAt < best.claimedAt ||
      (c.claimedAt === best.claimedAt && c.holder < best.holder)
    ) best = c;
  }
  return best;
}

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

/**
 * Whether a statement (comments already stripped) changes only the HTTP session: `SET name = value`
 * or `USE database`. A file with such statements runs in one session, so they hold for the
 * statements after them, and a resumed file replays them first.
 */
export function isSessionStatement(statement: string): boolean {
  return /^(SET|USE)\s/i.test(statement.trimStart());
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

// --- the fate of a statement an earlier run sent ----------------------------------------------
// Every statement of a file is sent with a query_id derived from where it is (database, file,
// checksum, statement, row version) and with log_queries=1, right after a tracking row that names
// that query_id (the intent row, itself sent with query_id `<id>-row`). A run that finds such a row
// asks the server what became of the statement: system.processes (still running: wait) and
// system.query_log (finished, failed while running, refused before it started, or never seen).

/** The query_id of statement `index` (0-based) of a file, sent after the row with version `updated`. */
export function statementQueryId(
  p: { database: string; script: string; checksum: string; index: number; updated: bigint },
): string {
  const key = [p.database, p.script, p.checksum, String(p.index), String(p.updated)].join("\0");
  return `dbm-${checksum(key).slice(0, 32)}`;
}

/** The query_id of the intent row written just before the statement with `queryId`. */
export function intentQueryId(queryId: string): string {
  return `${queryId}-row`;
}

/** Writes the server's buffered query log now rather than at its next interval (7.5 s). */
export const FLUSH_LOGS_SQL = "SYSTEM FLUSH LOGS";

/** When the server started, by its clock: one row `{started}` (epoch seconds). */
export const SERVER_STARTED_SQL = "SELECT toUInt32(now()) - uptime() AS started";

/** The statement with that query_id if the server still runs it: rows `{elapsed, written_rows}`. */
export function runningSql(queryId: string): string {
  return `SELECT toUInt32(elapsed) AS elapsed, written_rows FROM system.processes
WHERE query_id = ${quoteString(queryId)}`;
}

/**
 * What the query log says about some query_ids since a day before `sinceEpoch`: rows `{query_id,
 * type, exception}`. `type` is text: 18.16 stores a number (1-4), newer servers an Enum
 * (QueryStart, QueryFinish, ExceptionBeforeStart, ExceptionWhileProcessing).
 */
export function queryLogSql(queryIds: string[], sinceEpoch: number): string {
  return `SELECT query_id, toString(type) AS type, exception FROM system.query_log
WHERE event_date >= toDate(toDateTime(${Math.trunc(sinceEpoch)})) - 1
  AND query_id IN (${queryIds.map(quoteString).join(", ")})`;
}

/** One row of the query log. */
export interface QueryLogRow {
  query_id: string;
  type: string;
  exception: string;
}

const LOG_TYPES: Record<string, "start" | "finish" | "refused" | "failed"> = {
  "1": "start",
  QueryStart: "start",
  "2": "finish",
  QueryFinish: "finish",
  "3": "refused",
  ExceptionBeforeStart: "refused",
  "4": "failed",
  ExceptionWhileProcessing: "failed",
};

/** The exception of a query log row as a user reads it: `Query was cancelled (code 394)`. */
function logException(row: QueryLogRow): string {
  const e = parseServerError(row.exception);
  return (e.message || "no message") + (e.code === null ? "" : ` (code ${e.code})`);
}

/** What the server knows of a statement an earlier run sent and that no longer runs. */
export interface StatementEvidence {
  queryId: string;
  /** The query log's rows for the statement and its intent row; null: the server keeps no log. */
  log: QueryLogRow[] | null;
  /** When the server started and when the intent row was written (epoch seconds, server clock). */
  serverStarted: number;
  sentAt: number;
}

/** What became of a statement: it ended well, it never ran, or nobody can tell. */
export type StatementFate =
  | { fate: "finished" }
  /** `absent`: proven by its absence from the log, which only a flushed log can prove. */
  | { fate: "not started"; why: string; by: "refused" | "absent" }
  | { fate: "unknown"; why: string };

/** Judges a statement's fate from the server's evidence; never guesses "not started". */
export function judgeStatement(e: StatementEvidence): StatementFate {
  if (e.log === null) {
    return {
      fate: "unknown",
      why: "the server keeps no query log (system.query_log does not exist: the server's config " +
        "needs a <query_log> section), so it cannot tell whether the statement ran",
    };
  }
  const mine = e.log.filter((r) => r.query_id === e.queryId);
  const kinds = new Set(mine.map((r) => LOG_TYPES[r.type]));
  if (kinds.has("finish")) return { fate: "finished" };
  const failed = mine.find((r) => LOG_TYPES[r.type] === "failed");
  if (failed) {
    return {
      fate: "unknown",
      why: `it failed while running (${logException(failed)}), and ClickHouse keeps what a ` +
        "statement wrote before it stopped, so it may be partly applied",
    };
  }
  if (kinds.has("start")) {
    return {
      fate: "unknown",
      why: "the server's query log shows it started but not that it ended: the server stopped " +
        "while it ran, so it may be partly applied",
    };
  }
  const refused = mine.find((r) => LOG_TYPES[r.type] === "refused");
  if (refused) {
    return {
      fate: "not started",
      why: `the server refused it before it started (${logException(refused)})`,
      by: "refused",
    };
  }
  // DateTime has one-second steps: a start in the same second as the row counts as after it.
  if (e.serverStarted + 1 >= e.sentAt) {
    return {
      fate: "unknown",
      why: "the server restarted after it was sent, and a restart loses the last seconds of the " +
        "query log, so whether it ran cannot be told",
    };
  }
  const intent = intentQueryId(e.queryId);
  if (!e.log.some((r) => r.query_id === intent && LOG_TYPES[r.type] === "finish")) {
    return {
      fate: "unknown",
      why:
        "the server's query log has no trace of the statement, nor of the tracking row written " +
        "just before it, so the log does not cover that time (cleared, or log_queries refused)",
    };
  }
  return {
    fate: "not started",
    why: "the server's query log shows the tracking row written just before it but not the " +
      "statement: it never reached the server",
    by: "absent",
  };
}

/** A ClickHouse error as the server words it. */
export interface ServerError {
  /** ClickHouse's error code (62 syntax error, 60 unknown table, 193 wrong password, ...). */
  code: number | null;
  message: string;
}

/**
 * Parses an error body. 18.16 says `Code: 62, e.displayText() = DB::Exception: MSG, e.what() =
 * DB::Exception`; newer servers say `Code: 62. DB::Exception: MSG. (SYNTAX_ERROR) (version ...)`.
 */
export function parseServerError(text: string): ServerError {
  const body = text.trim();
  const old = body.match(
    /^Code: (\d+), e\.displayText\(\) = (?:DB::)?\w*Exception: ([\s\S]*?)(?:, e\.what\(\) = [\w:]+)?$/,
  );
  if (old) return { code: Number(old[1]), message: old[2]!.trim() };
  const cur = body.match(
    /^Code: (\d+)\. (?:DB::)?\w*Exception: ([\s\S]*?)(?: \(version [\s\S]*\))?$/,
  );
  if (cur) {
    const message = cur[2]!.trim().replace(/\.? \(([A-Z0-9_]{3,})\)$/, " ($1)");
    return { code: Number(cur[1]), message };
  }
  return { code: null, message: body };
}

/** Error codes that waiting cannot heal: unknown user, wrong or missing password, address refused. */
export const PERMANENT_CODES: ReadonlySet<number> = new Set([192, 193, 194, 195, 516]);

/** The 1-based byte position of a syntax error, when the message gives one. */
export function syntaxErrorPosition(message: string): number | null {
  const m = message.match(/failed at position (\d+)/);
  return m ? Number(m[1]) : null;
}

/** The JS string index of a 1-based UTF-8 byte position in text (clamped to the text). */
export function byteToIndex(text: string, position: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size >= position) return i;
    bytes += size;
    i += cp > 0xffff ? 2 : 1;
  }
  return text.length;
}
