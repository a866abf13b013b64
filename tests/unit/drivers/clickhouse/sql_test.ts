import assert from "node:assert/strict";
import {
  addProvenanceColumnSql,
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
      "'statement 2 of 3 failed: it\\'s broken', 1, 3, ['" + "b".repeat(64) +
      "'], 0, 42, '', 'applied')",
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
  assert.match(sql, /, NULL, 1, 3, \[\], 1, 42, '', 'applied'\)$/);
});

Deno.test("insertTrackingSql() writes several rows in one INSERT", () => {
  const sql = insertTrackingSql("db", [record, { ...record, updated: 43n }]);
  assert.equal(sql.match(/\), ?\n?\(/g)?.length, 1);
  assert.match(sql, /, 43, '', 'applied'\)$/);
});

Deno.test("isSessionStatement() knows SET and USE, which last only for their session", () => {
  assert.ok(isSessionStatement("SET allow_experimental_low_cardinality_type = 1"));
  assert.ok(isSessionStatement("  use analytics"));
  assert.ok(!isSessionStatement("SELECT 1 SETTINGS max_threads = 1"));
  assert.ok(!isSessionStatement("SETTINGS x"));
  assert.ok(!isSessionStatement("INSERT INTO settings VALUES (1)"));
});

Deno.test("the ClickHouse tracking table has a provenance column, added to older tables", () => {
  assert.match(createTrackingSql("db"), /provenance +String DEFAULT 'applied'/);
  assert.match(
    addProvenanceColumnSql("db"),
    /^ALTER TABLE `db`\.`_schema_migrations` ADD COLUMN provenance String DEFAULT 'applied'/,
  );
  assert.match(existsSql("db"), /AS has_provenance/);
  // On a cluster, without the COMMENT that a Replicated table's columns do not keep.
  assert.equal(
    addProvenanceColumnSql("db", false),
    "ALTER TABLE `db`.`_schema_migrations` ADD COLUMN provenance String DEFAULT 'applied'",
  );
  assert.equal(
    addQueryIdColumnSql("db", false),
    "ALTER TABLE `db`.`_schema_migrations` ADD COLUMN query_id String DEFAULT ''",
  );
  assert.match(selectTrackingSql("db"), /updated, provenance\nFROM/);
  assert.match(selectTrackingSql("db", false, false), /updated, 'applied' AS provenance\nFROM/);
  assert.match(insertTrackingSql("db", [{ ...record, provenance: "undone" }]), /, 'undone'\)$/);
});
