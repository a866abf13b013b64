// The fate of a statement an earlier run sent and did not see end: what the server's process list
// and query log say about it, judged without guessing. The SQL and the judgement are pure; the
// driver's resume.ts asks the server and acts on the verdict.

import { checksum } from "../../core/checksum.ts";
import { parseServerError } from "./http_errors.ts";
import { quoteString } from "./sql.ts";

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
