import assert from "node:assert/strict";
import {
  intentQueryId,
  judgeStatement,
  queryLogSql,
  runningSql,
  type StatementEvidence,
  statementQueryId,
} from "../../../../src/drivers/clickhouse/fate.ts";

Deno.test("statementQueryId() is the same for the same place and differs for any other", () => {
  const at = {
    database: "db",
    script: "V1__a.sql",
    checksum: "c".repeat(64),
    index: 2,
    updated: 7n,
  };
  const id = statementQueryId(at);
  assert.match(id, /^dbm-[0-9a-f]{32}$/);
  assert.equal(statementQueryId({ ...at }), id);
  for (
    const other of [
      { ...at, database: "db2" },
      { ...at, script: "V2__a.sql" },
      { ...at, checksum: "d".repeat(64) },
      { ...at, index: 3 },
      { ...at, updated: 8n },
    ]
  ) assert.notEqual(statementQueryId(other), id);
  assert.equal(intentQueryId(id), `${id}-row`);
});

Deno.test("runningSql() and queryLogSql() look the query_ids up as literals, the log by date", () => {
  assert.match(runningSql("dbm-1"), /FROM system\.processes\nWHERE query_id = 'dbm-1'$/);
  const sql = queryLogSql(["dbm-1", "dbm-1-row"], 1700000000.7);
  assert.match(sql, /toString\(type\) AS type/);
  assert.match(sql, /event_date >= toDate\(toDateTime\(1700000000\)\) - 1/);
  assert.match(sql, /query_id IN \('dbm-1', 'dbm-1-row'\)$/);
});

const evidence = (log: StatementEvidence["log"], more: Partial<StatementEvidence> = {}) =>
  judgeStatement({ queryId: "q", log, serverStarted: 1000, sentAt: 5000, ...more });
const row = (query_id: string, type: string, exception = "") => ({ query_id, type, exception });

Deno.test("judgeStatement(): a QueryFinish (18.16's 2 or the newer Enum) means finished", () => {
  assert.deepEqual(evidence([row("q", "1"), row("q", "2")]), { fate: "finished" });
  assert.deepEqual(evidence([row("q", "QueryStart"), row("q", "QueryFinish")]), {
    fate: "finished",
  });
  // Even after a restart: the log's record of the end is proof.
  assert.deepEqual(evidence([row("q", "2")], { serverStarted: 6000 }), { fate: "finished" });
});

Deno.test("judgeStatement(): an exception while processing may have left part of it applied", () => {
  const fate = evidence([
    row("q", "1"),
    row(
      "q",
      "4",
      "Code: 394, e.displayText() = DB::Exception: Query was cancelled, e.what() = DB::Exception",
    ),
  ]);
  assert.equal(fate.fate, "unknown");
  assert.match(
    fate.fate === "unknown" ? fate.why : "",
    /failed while running \(Query was cancelled \(code 394\)\).*partly applied/,
  );
  assert.equal(evidence([row("q", "ExceptionWhileProcessing", "x")]).fate, "unknown");
});

Deno.test("judgeStatement(): a start without an end is unknown (the server stopped meanwhile)", () => {
  const fate = evidence([row("q", "1"), row("q-row", "2")]);
  assert.equal(fate.fate, "unknown");
  assert.match(fate.fate === "unknown" ? fate.why : "", /started but not that it ended/);
});

Deno.test("judgeStatement(): refused before it started, as a duplicate query_id would be, is not started", () => {
  const fate = evidence([
    row(
      "q",
      "3",
      "Code: 216, e.displayText() = DB::Exception: Query with id = q is already running., e.what() = DB::Exception",
    ),
  ]);
  assert.equal(fate.fate === "not started" && fate.by, "refused");
  // But a refusal beside a start is the duplicate of a statement that did run.
  assert.equal(evidence([row("q", "1"), row("q", "3"), row("q", "2")]).fate, "finished");
  assert.equal(evidence([row("q", "1"), row("q", "3")]).fate, "unknown");
});

Deno.test("judgeStatement(): absent from a log that shows its intent row, it never reached the server", () => {
  const fate = evidence([row("q-row", "1"), row("q-row", "2")]);
  assert.equal(fate.fate === "not started" && fate.by, "absent");
});

Deno.test("judgeStatement(): absence proves nothing without the intent row, after a restart, or without a log", () => {
  const noIntent = evidence([]);
  assert.equal(noIntent.fate, "unknown");
  assert.match(
    noIntent.fate === "unknown" ? noIntent.why : "",
    /no trace .* nor of the tracking row/,
  );
  const restarted = evidence([row("q-row", "2")], { serverStarted: 5000 });
  assert.equal(restarted.fate, "unknown");
  assert.match(restarted.fate === "unknown" ? restarted.why : "", /restarted after it was sent/);
  // One second of slack: DateTime has one-second steps.
  assert.equal(evidence([row("q-row", "2")], { serverStarted: 4999 }).fate, "unknown");
  assert.equal(evidence([row("q-row", "2")], { serverStarted: 4998 }).fate, "not started");
  const noLog = evidence(null);
  assert.equal(noLog.fate, "unknown");
  assert.match(noLog.fate === "unknown" ? noLog.why : "", /<query_log>/);
});
