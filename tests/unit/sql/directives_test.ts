import assert from "node:assert/strict";
import {
  DirectiveError,
  fileDirectives,
  refusesTransaction,
  resetsDirective,
} from "../../../src/sql/directives.ts";

// How the file runs, without the transaction-control plan (tested in transaction_control_test.ts).
function mode(sql: string): { transaction: boolean; reason?: string } {
  const { transaction, reason } = fileDirectives(sql);
  return reason === undefined ? { transaction } : { transaction, reason };
}
import { SplitError } from "../../../src/sql/split.ts";

function throwsDirective(sql: string, message: RegExp, line: number) {
  assert.throws(() => fileDirectives(sql), (e: unknown) => {
    assert.ok(e instanceof DirectiveError, `expected a DirectiveError, got ${e}`);
    assert.match(e.message, message);
    assert.equal(e.line, line);
    return true;
  });
}

// --- the directive ---------------------------------------------------------------------------

Deno.test("fileDirectives() runs a plain file in a transaction", () => {
  assert.deepEqual(mode("-- users\nCREATE TABLE users (id int);\n"), {
    transaction: true,
  });
});

Deno.test("fileDirectives() reads the no-transaction directive on the first line", () => {
  assert.deepEqual(mode("-- db-migrate: no-transaction\nSELECT 1;\n"), {
    transaction: false,
    reason: "directive at line 1",
  });
});

Deno.test("fileDirectives() reads the directive with any case and spacing", () => {
  for (
    const line of [
      "--db-migrate:no-transaction",
      "--   DB-Migrate :   No-Transaction   ",
      "-- db-migrate: NO-TRANSACTION\t",
    ]
  ) {
    assert.equal(fileDirectives(`${line}\nSELECT 1;`).transaction, false, line);
  }
});

Deno.test("fileDirectives() reads the directive after other leading comments and blank lines", () => {
  const sql =
    "/* header\n   block */\n\n-- why: big table\n  -- db-migrate: no-transaction\nSELECT 1;";
  assert.deepEqual(mode(sql), { transaction: false, reason: "directive at line 5" });
});

Deno.test("fileDirectives() counts directive lines right in a CRLF file with a BOM", () => {
  const sql = "\uFEFF-- note\r\n-- db-migrate: no-transaction\r\nSELECT 1;\r\n";
  assert.deepEqual(mode(sql), { transaction: false, reason: "directive at line 2" });
});

Deno.test("fileDirectives() reads the directive in a file with no statement", () => {
  assert.equal(fileDirectives("-- db-migrate: no-transaction\n").transaction, false);
});

Deno.test("fileDirectives() ignores a directive after the first statement", () => {
  assert.deepEqual(mode("SELECT 1;\n-- db-migrate: no-transaction\nSELECT 2;"), {
    transaction: true,
  });
});

Deno.test("fileDirectives() ignores a directive inside a block comment", () => {
  assert.equal(fileDirectives("/* -- db-migrate: no-transaction */ SELECT 1;").transaction, true);
});

Deno.test("fileDirectives() ignores a comment that only mentions db-migrate", () => {
  assert.equal(fileDirectives("-- applied by db-migrate: see README\nSELECT 1;").transaction, true);
});

Deno.test("fileDirectives() rejects an unknown directive and names it", () => {
  throwsDirective(
    "-- intro\n-- db-migrate: no-transactions\nSELECT 1;",
    /^unknown db-migrate directive "no-transactions" at line 2: the directives are "no-transaction" and, in a SQL seed, "resets TABLE"$/,
    2,
  );
});

Deno.test("fileDirectives() rejects an empty directive", () => {
  throwsDirective("-- db-migrate:\nSELECT 1;", /^empty db-migrate directive at line 1/, 1);
});

Deno.test("fileDirectives() rejects an unknown directive even after a known one", () => {
  throwsDirective(
    "-- db-migrate: no-transaction\n-- db-migrate: lock-timeout=5\nSELECT 1;",
    /"lock-timeout=5" at line 2/,
    2,
  );
});

Deno.test("fileDirectives() passes on a SplitError for text it cannot split", () => {
  assert.throws(() => fileDirectives("SELECT 'open;"), SplitError);
});

// --- detection -------------------------------------------------------------------------------

Deno.test("fileDirectives() detects CREATE INDEX CONCURRENTLY with its line", () => {
  const sql = "-- index\nSET lock_timeout = '5s';\n\ncreate  index\n  concurrently idx ON t (a);\n";
  assert.deepEqual(mode(sql), {
    transaction: false,
    reason: "CREATE INDEX CONCURRENTLY at line 4",
  });
});

Deno.test("fileDirectives() prefers the directive's reason over a detected statement", () => {
  const sql = "-- db-migrate: no-transaction\nCREATE INDEX CONCURRENTLY i ON t (a);";
  assert.deepEqual(mode(sql), { transaction: false, reason: "directive at line 1" });
});

Deno.test("fileDirectives() detects the statements PostgreSQL refuses in a transaction", () => {
  const cases: [string, string][] = [
    ["CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON t (a)", "CREATE INDEX CONCURRENTLY"],
    ["CREATE UNIQUE INDEX CONCURRENTLY i ON t (a)", "CREATE UNIQUE INDEX CONCURRENTLY"],
    ["DROP INDEX CONCURRENTLY IF EXISTS i", "DROP INDEX CONCURRENTLY"],
    ["REINDEX TABLE CONCURRENTLY t", "REINDEX CONCURRENTLY"],
    ["REINDEX (VERBOSE) INDEX CONCURRENTLY i", "REINDEX CONCURRENTLY"],
    ["reindex(verbose, tablespace ts)index concurrently i", "REINDEX CONCURRENTLY"],
    ["REINDEX DATABASE app", "REINDEX DATABASE"],
    ["REINDEX SCHEMA public", "REINDEX SCHEMA"],
    ["REINDEX (VERBOSE) SYSTEM", "REINDEX SYSTEM"],
    ["VACUUM", "VACUUM"],
    ["vacuum (analyze) t", "VACUUM"],
    ["CREATE DATABASE app", "CREATE DATABASE"],
    ["DROP DATABASE IF EXISTS app", "DROP DATABASE"],
    ["ALTER DATABASE app SET TABLESPACE fast", "ALTER DATABASE SET TABLESPACE"],
    [`ALTER DATABASE "my app" SET TABLESPACE fast`, "ALTER DATABASE SET TABLESPACE"],
    ["ALTER SYSTEM SET work_mem = '64MB'", "ALTER SYSTEM"],
    ["CREATE TABLESPACE fast LOCATION '/ssd'", "CREATE TABLESPACE"],
    ["DROP TABLESPACE fast", "DROP TABLESPACE"],
    [
      `ALTER TABLE IF EXISTS ONLY audit."event log" DETACH PARTITION audit.p2024 CONCURRENTLY`,
      "ALTER TABLE ... DETACH PARTITION CONCURRENTLY",
    ],
    ["CREATE SUBSCRIPTION s CONNECTION 'host=a' PUBLICATION p", "CREATE SUBSCRIPTION"],
    ["DROP SUBSCRIPTION s", "DROP SUBSCRIPTION"],
    ["ALTER SUBSCRIPTION s REFRESH PUBLICATION", "ALTER SUBSCRIPTION ... PUBLICATION"],
  ];
  for (const [statement, label] of cases) {
    assert.deepEqual(mode(`SELECT 1;\n${statement};`), {
      transaction: false,
      reason: `${label} at line 2`,
    }, statement);
  }
});

Deno.test("fileDirectives() leaves statements that run in a transaction alone", () => {
  const statements = [
    "CREATE INDEX i ON t (a)",
    "CREATE INDEX IF NOT EXISTS concurrently ON t (a)", // an index named "concurrently"
    "DROP INDEX IF EXISTS i",
    "REINDEX TABLE t",
    "REINDEX INDEX i",
    "ANALYZE t",
    "ALTER TYPE mood ADD VALUE 'meh'",
    "ALTER DATABASE app SET work_mem = '64MB'",
    "ALTER TABLE t DETACH PARTITION p",
    "ALTER TABLE t ADD COLUMN concurrently int",
    "REFRESH MATERIALIZED VIEW CONCURRENTLY v",
    "CREATE TABLE vacuum_log (id int)",
    "INSERT INTO log VALUES ('VACUUM'), ('CREATE INDEX CONCURRENTLY')",
    "COMMENT ON TABLE t IS 'run VACUUM; DROP DATABASE x'",
  ];
  for (const statement of statements) {
    assert.deepEqual(mode(`${statement};`), { transaction: true }, statement);
  }
});

Deno.test("fileDirectives() does not count matches inside strings or comments", () => {
  const sql = [
    "-- VACUUM later",
    "/* CREATE INDEX CONCURRENTLY i ON t (a); */",
    "SELECT 'VACUUM;';",
    "SELECT $$ DROP DATABASE x; $$;",
    "DO $body$ BEGIN EXECUTE 'VACUUM'; END $body$;",
  ].join("\n");
  assert.deepEqual(mode(sql), { transaction: true });
});

Deno.test("fileDirectives() reads through comments inside a statement", () => {
  const sql = "CREATE /* unique? */ INDEX -- why\n CONCURRENTLY i ON t (a);";
  assert.deepEqual(mode(sql), {
    transaction: false,
    reason: "CREATE INDEX CONCURRENTLY at line 1",
  });
});

Deno.test("refusesTransaction() names the statement or returns null", () => {
  assert.equal(refusesTransaction("VACUUM FULL t"), "VACUUM");
  assert.equal(refusesTransaction("SELECT 1"), null);
  assert.equal(refusesTransaction(""), null);
});

Deno.test("refusesTransaction() stays fast on a name full of doubled quotes", () => {
  const name = `"${'a""'.repeat(5_000)}"`;
  const started = performance.now();
  assert.equal(refusesTransaction(`ALTER TABLE ${name} DETACH PARTITION ${name}`), null);
  assert.equal(
    refusesTransaction(`ALTER TABLE ${name} DETACH PARTITION ${name} CONCURRENTLY`),
    "ALTER TABLE ... DETACH PARTITION CONCURRENTLY",
  );
  const ms = performance.now() - started;
  assert.ok(ms < 200, `took ${ms.toFixed(2)} ms`);
});

Deno.test("resetsDirective() reads the tables of `-- db-migrate: resets` above the first statement", () => {
  const sql = "-- seed\n-- db-migrate: resets users, audit.events\n/* note */\n" +
    "--db-migrate:resets   roles users\nINSERT INTO x VALUES (1);\n-- db-migrate: resets late\n";
  assert.deepEqual(resetsDirective(sql), ["users", "audit.events", "roles"]);
  assert.deepEqual(resetsDirective("INSERT INTO x VALUES (1);"), []);
  // The directive is not an unknown one for the file's own checks.
  assert.equal(fileDirectives(sql).transaction, true);
});
