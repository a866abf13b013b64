import assert from "node:assert/strict";
import {
  intentQueryId,
  judgeStatement,
  queryLogSql,
  runningSql,
  type StatementEvidence,
  statementQueryId,
} from "../../../../src/drivers/clickhouse/fate.ts";
import {
  byteToIndex,
  parseServerError,
  PERMANENT_CODES,
  syntaxErrorPosition,
} from "../../../../src/drivers/clickhouse/http_errors.ts";
import {
  createLockSql,
  insertClaimSql,
  lockWinner,
  selectLockSql,
} from "../../../../src/drivers/clickhouse/lease_sql.ts";
import {
  insertTarget,
  isReplacingEngine,
  tableEnginesSql,
  truncateTarget,
} from "../../../../src/drivers/clickhouse/seed_sql.ts";
import {
  addQueryIdColumnSql,
  createTrackingSql,
  existsSql,
  insertTrackingSql,
  isSessionStatement,
  quoteIdent,
  quoteString,
  selectContentsSql,
  selectProgressSql,
  selectTrackingSql,
  type TrackingRecord,
} from "../../../../src/drivers/clickhouse/sql.ts";
import { parseClickHouseUrl } from "../../../../src/drivers/clickhouse/url.ts";

Deno.test("parseClickHouseUrl() reads user, password, host, port and database from an http URL", () => {
  assert.deepEqual(parseClickHouseUrl("http://app:s%40cret@ch.internal:8123/analytics"), {
    endpoint: "http://ch.internal:8123",
    username: "app",
    password: "s@cret",
    database: "analytics",
  });
});

Deno.test("parseClickHouseUrl() defaults to user default and database default", () => {
  assert.deepEqual(parseClickHouseUrl("https://ch.example.com"), {
    endpoint: "https://ch.example.com",
    username: "default",
    password: "",
    database: "default",
  });
  assert.equal(parseClickHouseUrl("http://127.0.0.1:8123/").database, "default");
});

Deno.test("parseClickHouseUrl() maps clickhouse:// to http on 8123, and to https with secure or 8443", () => {
  assert.equal(parseClickHouseUrl("clickhouse://u@h/db").endpoint, "http://h:8123");
  assert.equal(parseClickHouseUrl("clickhouse://u@h:9000/db").endpoint, "http://h:9000");
  assert.equal(parseClickHouseUrl("clickhouse://u@h/db?secure=true").endpoint, "https://h:8443");
  assert.equal(parseClickHouseUrl("clickhouse://u@h:443/db?secure=1").endpoint, "https://h:443");
  assert.equal(parseClickHouseUrl("clickhouse://u@h:8443/db").endpoint, "https://h:8443");
  assert.equal(parseClickHouseUrl("clickhouse://u@h/db?secure=false").endpoint, "http://h:8123");
});

Deno.test("parseClickHouseUrl() keeps IPv6 hosts in brackets", () => {
  assert.equal(parseClickHouseUrl("http://[::1]:8123/db").endpoint, "http://[::1]:8123");
});

Deno.test("parseClickHouseUrl() refuses unknown parameters, nested paths and other schemes", () => {
  assert.throws(() => parseClickHouseUrl("http://h:8123/db?compress=1"), /unknown URL parameter/);
  assert.throws(() => parseClickHouseUrl("clickhouse://h/db?secure=maybe"), /secure=maybe/);
  assert.throws(() => parseClickHouseUrl("http://h:8123/a/b"), /must name one database/);
  assert.throws(() => parseClickHouseUrl("postgres://h/db"), /not http/);
  assert.throws(() => parseClickHouseUrl("not a url"), /not a valid URL/);
});

Deno.test("parseClickHouseUrl() errors never contain the password", () => {
  for (const url of ["http://u:hunter2@h:8123/a/b", "http://u:hunter2@h/db?x=1"]) {
    assert.throws(() => parseClickHouseUrl(url), (e: Error) => !e.message.includes("hunter2"));
  }
});

Deno.test("quoteString() escapes backslashes and quotes the way ClickHouse reads them", () => {
  assert.equal(quoteString("it's"), "'it\\'s'");
  assert.equal(quoteString("a\\b"), "'a\\\\b'");
  assert.equal(quoteString("x;--y"), "'x;--y'");
});

Deno.test("quoteIdent() back-quotes names and escapes back quotes", () => {
  assert.equal(quoteIdent("analytics"), "`analytics`");
  assert.equal(quoteIdent("we`ird"), "`we\\`ird`");
});

Deno.test("createTrackingSql() makes a ReplacingMergeTree on script with no Nullable key column", () => {
  const sql = createTrackingSql("analytics");
  assert.match(sql, /^CREATE TABLE IF NOT EXISTS `analytics`\.`_schema_migrations`/);
  assert.match(sql, /ENGINE = ReplacingMergeTree\(updated\)\s+ORDER BY script$/);
  assert.match(sql, /version\s+Nullable\(Int64\)/);
  assert.match(sql, /script\s+String /);
  assert.match(sql, /statement_hashes Array\(String\)/);
  // Features newer than 18.16 must not appear.
  assert.doesNotMatch(sql, /DateTime64|LowCardinality|CODEC|TTL/);
});

Deno.test("createLockSql() makes a lease table keyed by holder", () => {
  const sql = createLockSql("db");
  assert.match(sql, /`db`\.`_schema_migrations_lock`/);
  assert.match(sql, /ReplacingMergeTree\(updated\)\s+ORDER BY holder$/);
});

Deno.test("existsSql() asks for the database and the table by quoted literals", () => {
  const sql = existsSql("o'brien");
  assert.match(sql, /system\.databases WHERE name = 'o\\'brien'/);
  assert.match(sql, /name = '_schema_migrations'/);
  assert.match(sql, /table = '_schema_migrations'\s+AND name = 'query_id'\) AS has_query_id/);
});

Deno.test("createTrackingSql() and addQueryIdColumnSql() give query_id one definition", () => {
  const column = /query_id +String DEFAULT '' COMMENT '([^']+)'/;
  const created = createTrackingSql("db").match(column);
  const added = addQueryIdColumnSql("db").match(
    /ADD COLUMN query_id String DEFAULT '' COMMENT '([^']+)'$/,
  );
  assert.ok(created && added);
  assert.equal(created[1], added[1]);
  assert.match(addQueryIdColumnSql("db"), /^ALTER TABLE `db`\.`_schema_migrations` /);
});

Deno.test("selectProgressSql() reads the statement in flight and when its row was written", () => {
  const sql = selectProgressSql("db", "V1__a.sql");
  assert.match(sql, /query_id/);
  assert.match(sql, /toUInt32\(applied_at\) AS applied_epoch/);
  assert.match(sql, /FINAL WHERE script = 'V1__a\.sql'$/);
});

Deno.test("selectTrackingSql() reads with FINAL and leaves contents out", () => {
  const sql = selectTrackingSql("db");
  assert.match(sql, /FROM `db`\.`_schema_migrations` FINAL/);
  assert.doesNotMatch(sql, /content/);
  assert.doesNotMatch(sql, /statement_hashes/);
  assert.match(selectTrackingSql("db", true), /statement_hashes/);
});

Deno.test("selectContentsSql() filters on the sorting key only", () => {
  assert.match(
    selectContentsSql("db", ["V001__a.sql", "it's.sql"]),
    /FINAL\nWHERE script IN \('V001__a\.sql', 'it\\'s\.sql'\)$/,
  );
});

const record: TrackingRecord = {
  version: 3,
  description: "spans",
  script: "V003__spans.sql",
  checksum: "a".repeat(64),
  kind: "migration",
  appliedAt: "now",
  executionMs: 12.6,
  success: false,
  appliedBy: "default",
  content: "INSERT INTO t VALUES ('x;y', '--');\n",
  error: "statement 2 of 3 failed: it's broken",
  statementsDone: 1,
  statementsTotal: 3,
  statementHashes: ["b".repeat(64)],
  deleted: false,
  updated: 42n,
  queryId: "",
};

Deno.test("insertTrackingSql() writes every column as a literal, with now() for the server's time", () => {
  const sql = insertTrackingSql("db", [record]);
  assert.match(sql, /^INSERT INTO `db`\.`_schema_migrations` \(version, description, script,/);
  assert.ok(sql.includes(
    "VALUES (3, 'spans', 'V003__spans.sql', '" + "a".repeat(64) +
      "', 'migration', now(), 13, 0, 'default', 'INSERT INTO t VALUES (\\'x;y\\', \\'--\\');\n', " +
      "'statement 2 of 3 failed: it\\'s broken', 1, 3, ['" + "b".repeat(64) + "'], 0, 42, '')",
  ));
});

Deno.test("insertTrackingSql() writes NULL for a seed's version and a success's error", () => {
  const sql = insertTrackingSql("db", [{
    ...record,
    version: null,
    kind: "seed",
    error: null,
    appliedAt: 1700000000,
    success: true,
    deleted: true,
    statementHashes: [],
  }]);
  assert.match(sql, /VALUES \(NULL, /);
  assert.match(sql, /'seed', toDateTime\(1700000000\), 13, 1, /);
  assert.match(sql, /, NULL, 1, 3, \[\], 1, 42, ''\)$/);
});

Deno.test("insertTrackingSql() writes several rows in one INSERT", () => {
  const sql = insertTrackingSql("db", [record, { ...record, updated: 43n }]);
  assert.equal(sql.match(/\), ?\n?\(/g)?.length, 1);
  assert.match(sql, /, 43, ''\)$/);
});

Deno.test("insertClaimSql() claims with the server's clock and releases with an expired row", () => {
  const claim = insertClaimSql("db", {
    holder: "h1",
    claimedAt: "now",
    lease: 20,
    info: "host a, pid 1",
    updated: 1,
  });
  assert.match(claim, /VALUES \('h1', now\(\), now\(\) \+ 20, 'host a, pid 1', 1\)$/);
  const renew = insertClaimSql("db", {
    holder: "h1",
    claimedAt: 1700000000,
    lease: 60,
    info: "i",
    updated: 2,
  });
  assert.match(renew, /toDateTime\(1700000000\), now\(\) \+ 60/);
  const release = insertClaimSql("db", {
    holder: "h1",
    claimedAt: 0,
    lease: "released",
    info: "i",
    updated: 3,
  });
  assert.match(release, /toDateTime\(0\), toDateTime\(0\)/);
});

Deno.test("selectLockSql() returns the server's clock even when there are no claims", () => {
  const sql = selectLockSql("db");
  assert.match(sql, /^SELECT '' AS holder, .*toUInt32\(now\(\)\) AS now\nUNION ALL\n/s);
  assert.match(sql, /FROM `db`\.`_schema_migrations_lock` FINAL$/);
});

Deno.test("lockWinner() picks the earliest live claim and breaks ties by holder id", () => {
  const c = (holder: string, claimedAt: number, expiresAt: number) => ({
    holder,
    claimedAt,
    expiresAt,
    info: "",
  });
  assert.equal(lockWinner([], 100), null);
  assert.equal(lockWinner([c("a", 90, 100)], 100), null, "a claim expiring now is dead");
  assert.equal(lockWinner([c("b", 95, 160), c("a", 96, 120)], 100)?.holder, "b");
  assert.equal(lockWinner([c("b", 95, 160), c("a", 95, 120)], 100)?.holder, "a");
  assert.equal(lockWinner([c("a", 10, 99), c("b", 95, 160)], 100)?.holder, "b");
  assert.equal(lockWinner([c("a", 0, 0), c("b", 95, 160)], 100)?.holder, "b", "released");
});

Deno.test("insertTarget() finds the table of an INSERT in its several forms", () => {
  assert.deepEqual(insertTarget("INSERT INTO scores VALUES (1)"), {
    database: null,
    table: "scores",
  });
  assert.deepEqual(insertTarget("insert into analytics.scores (a) values (1)"), {
    database: "analytics",
    table: "scores",
  });
  assert.deepEqual(insertTarget("INSERT INTO TABLE `my db`.`we``ird` SELECT 1"), {
    database: "my db",
    table: "we`ird",
  });
  assert.deepEqual(insertTarget('INSERT\n  INTO "x" FORMAT Values (1)'), {
    database: null,
    table: "x",
  });
  assert.deepEqual(insertTarget("  INSERT INTO a . b VALUES"), { database: "a", table: "b" });
  assert.equal(insertTarget("INSERT INTO FUNCTION remote('h', db.t) VALUES (1)"), "function");
  assert.equal(insertTarget("SELECT 'INSERT INTO x'"), null);
  assert.equal(insertTarget("CREATE TABLE t (a String) ENGINE = Memory"), null);
});

Deno.test("truncateTarget() finds the table of a TRUNCATE", () => {
  assert.deepEqual(truncateTarget("TRUNCATE TABLE IF EXISTS db.events"), {
    database: "db",
    table: "events",
  });
  assert.deepEqual(truncateTarget("truncate events"), { database: null, table: "events" });
  assert.equal(truncateTarget("INSERT INTO events VALUES (1)"), null);
});

Deno.test("isReplacingEngine() accepts the replacing engines only", () => {
  assert.ok(isReplacingEngine("ReplacingMergeTree"));
  assert.ok(isReplacingEngine("ReplicatedReplacingMergeTree"));
  assert.ok(isReplacingEngine("SharedReplacingMergeTree"));
  for (const e of ["MergeTree", "SummingMergeTree", "Memory", "Distributed", "Log"]) {
    assert.ok(!isReplacingEngine(e), e);
  }
});

Deno.test("tableEnginesSql() asks system.tables for each database and table", () => {
  assert.equal(
    tableEnginesSql([{ database: "a", table: "t" }, { database: "b", table: "u" }]),
    "SELECT database, name, engine FROM system.tables WHERE " +
      "(database = 'a' AND name = 't') OR (database = 'b' AND name = 'u')",
  );
});

Deno.test("parseServerError() reads ClickHouse 18.16's error text", () => {
  assert.deepEqual(
    parseServerError(
      "Code: 60, e.displayText() = DB::Exception: Table default.nope doesn't exist., e.what() = DB::Exception\n",
    ),
    { code: 60, message: "Table default.nope doesn't exist." },
  );
  assert.deepEqual(
    parseServerError(
      "Code: 193, e.displayText() = DB::Exception: Wrong password for user default, e.what() = DB::Exception",
    ),
    { code: 193, message: "Wrong password for user default" },
  );
});

Deno.test("parseServerError() reads newer servers' error text", () => {
  assert.deepEqual(
    parseServerError(
      "Code: 62. DB::Exception: Syntax error: failed at position 1 ('SELEC'): SELEC 1. " +
        "Expected one of: a query. (SYNTAX_ERROR) (version 24.3.1.1 (official build))\n",
    ),
    {
      code: 62,
      message:
        "Syntax error: failed at position 1 ('SELEC'): SELEC 1. Expected one of: a query (SYNTAX_ERROR)",
    },
  );
  assert.equal(
    parseServerError(
      "Code: 516. DB::Exception: default: Authentication failed. (AUTHENTICATION_FAILED)",
    )
      .code,
    516,
  );
});

Deno.test("parseServerError() passes other text through without a code", () => {
  assert.deepEqual(parseServerError("<html>502 Bad Gateway</html>"), {
    code: null,
    message: "<html>502 Bad Gateway</html>",
  });
});

Deno.test("PERMANENT_CODES covers unknown user, wrong password and failed authentication", () => {
  for (const code of [192, 193, 516]) assert.ok(PERMANENT_CODES.has(code));
  assert.ok(!PERMANENT_CODES.has(81));
});

Deno.test("syntaxErrorPosition() and byteToIndex() point into the statement", () => {
  assert.equal(syntaxErrorPosition("Syntax error: failed at position 8: USER x"), 8);
  assert.equal(syntaxErrorPosition("Table x doesn't exist"), null);
  assert.equal(byteToIndex("SELEC 1", 1), 0);
  assert.equal(byteToIndex("SELECT 1 FROM", 10), 9);
  // 'é' is two bytes, '😀' four bytes and two UTF-16 units.
  assert.equal(byteToIndex("'é' x", 6), 4);
  assert.equal(byteToIndex("'😀' x", 8), 5);
  assert.equal(byteToIndex("ab", 99), 2);
});

Deno.test("isSessionStatement() knows SET and USE, which last only for their session", () => {
  assert.ok(isSessionStatement("SET allow_experimental_low_cardinality_type = 1"));
  assert.ok(isSessionStatement("  use analytics"));
  assert.ok(!isSessionStatement("SELECT 1 SETTINGS max_threads = 1"));
  assert.ok(!isSessionStatement("SETTINGS x"));
  assert.ok(!isSessionStatement("INSERT INTO settings VALUES (1)"));
});

Deno.test("parseClickHouseUrl() takes user and password from the query, as ClickHouse's HTTP interface does", () => {
  assert.deepEqual(parseClickHouseUrl("http://ch:8123/analytics?user=app&password=p%26w+1"), {
    endpoint: "http://ch:8123",
    username: "app",
    password: "p&w+1",
    database: "analytics",
  });
  // The query wins over the part before the @.
  assert.equal(parseClickHouseUrl("http://a:b@ch:8123/db?password=c").password, "c");
  assert.equal(parseClickHouseUrl("http://a:b@ch:8123/db?password=c").username, "a");
  assert.throws(
    () => parseClickHouseUrl("http://ch:8123/db?password=%zzHidden"),
    (err: unknown) => err instanceof Error && !err.message.includes("Hidden"),
  );
});

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
