import assert from "node:assert/strict";
import { fileDirectives } from "../../../src/sql/directives.ts";
import { TransactionControlError, transactionStatement } from "../../../src/sql/transaction.ts";

function refused(sql: string, pattern: RegExp, at?: [number, number]): void {
  assert.throws(() => fileDirectives(sql), (e: unknown) => {
    assert.ok(e instanceof TransactionControlError, String(e));
    assert.match(e.message, pattern);
    if (at) assert.deepEqual([e.line, e.column], at);
    return true;
  });
}

Deno.test("transactionStatement() reads every form of BEGIN, COMMIT and ROLLBACK", () => {
  const cases: [string, string | null, string][] = [
    ["BEGIN", "begin", "BEGIN"],
    ["begin work", "begin", "BEGIN"],
    ["BEGIN TRANSACTION ISOLATION LEVEL SERIALIZABLE", "begin", "BEGIN"],
    ["START TRANSACTION READ WRITE", "begin", "START TRANSACTION"],
    ["COMMIT", "commit", "COMMIT"],
    ["commit transaction", "commit", "COMMIT"],
    ["END", "commit", "END"],
    ["end work", "commit", "END"],
    ["COMMIT AND CHAIN", "commit", "COMMIT AND CHAIN"],
    ["COMMIT AND NO CHAIN", "commit", "COMMIT"],
    ["ROLLBACK", "rollback", "ROLLBACK"],
    ["ABORT", "rollback", "ABORT"],
    ["PREPARE TRANSACTION 'x'", "two-phase", "PREPARE TRANSACTION"],
    ["COMMIT PREPARED 'x'", "two-phase", "COMMIT PREPARED"],
    ["ROLLBACK PREPARED 'x'", "two-phase", "ROLLBACK PREPARED"],
    ["SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", "set-transaction", "SET TRANSACTION"],
    [
      "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE",
      "session-characteristics",
      "SET SESSION CHARACTERISTICS",
    ],
    ["BEGIN /* the file's own */ -- transaction\n", "begin", "BEGIN"],
  ];
  for (const [sql, kind, label] of cases) {
    const tx = transactionStatement(sql);
    assert.equal(tx?.kind ?? null, kind, sql);
    assert.equal(tx?.label, label, sql);
  }
  assert.equal(
    transactionStatement("BEGIN ISOLATION LEVEL SERIALIZABLE")?.modes,
    "isolation level serializable",
  );
});

Deno.test("transactionStatement() leaves savepoints and other statements alone", () => {
  for (
    const sql of [
      "ROLLBACK TO SAVEPOINT a",
      "rollback to a",
      "ROLLBACK WORK TO SAVEPOINT a",
      "SAVEPOINT a",
      "RELEASE SAVEPOINT a",
      "SET LOCAL statement_timeout = 0",
      "SET search_path = app",
      "PREPARE q AS SELECT 1",
      "END_DATE",
      "SELECT 'BEGIN'",
      "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END",
      "",
    ]
  ) {
    assert.equal(transactionStatement(sql), null, sql);
  }
});

Deno.test("fileDirectives() joins a file's own BEGIN and COMMIT into the transaction", () => {
  const sql =
    "CREATE TABLE IF NOT EXISTS t (id int);\nBEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n";
  const d = fileDirectives(sql);
  assert.equal(d.transaction, true);
  assert.equal(d.control.opener, null);
  assert.deepEqual(d.control.folded.map((f) => [f.label, f.line, f.column, f.offset, f.end]), [
    ["BEGIN", 2, 1, 39, 44],
    ["COMMIT", 4, 1, 72, 78],
  ]);
});

Deno.test("fileDirectives() keeps a BEGIN that opens the file as the transaction's start", () => {
  const d = fileDirectives(
    "-- header\nBEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE t ();\nCOMMIT;",
  );
  assert.equal(d.control.opener?.label, "BEGIN");
  assert.equal(d.control.opener?.modes, "isolation level serializable");
  assert.deepEqual(d.control.folded.map((f) => f.label), ["COMMIT"]);
});

Deno.test("fileDirectives() takes SET TRANSACTION and SET LOCAL at the top of a file", () => {
  for (
    const sql of [
      "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\nCREATE TABLE t ();",
      "BEGIN;\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE t ();\nCOMMIT;",
      "SET LOCAL lock_timeout = '5s';\nCREATE TABLE t ();",
      "CREATE TABLE t ();\nSET TRANSACTION READ WRITE;",
    ]
  ) {
    assert.equal(fileDirectives(sql).transaction, true, sql);
  }
});

Deno.test("fileDirectives() finds no transaction control inside strings, comments or bodies", () => {
  const sql = "SELECT 'COMMIT;';\n-- COMMIT;\n/* ROLLBACK; */\n" +
    "DO $$ BEGIN PERFORM 1; COMMIT; END $$;\n" +
    "CREATE PROCEDURE p() LANGUAGE plpgsql AS $b$ BEGIN COMMIT; END $b$;\n" +
    "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; END;\n";
  const d = fileDirectives(sql);
  assert.deepEqual([d.control.opener, d.control.folded], [null, []]);
});

Deno.test("fileDirectives() refuses a ROLLBACK in a file run in a transaction, naming line and column", () => {
  refused("CREATE TABLE t ();\n  ROLLBACK;\n", /^ROLLBACK at line 2, column 3 would roll back/, [
    2,
    3,
  ]);
  refused("BEGIN;\nCREATE TABLE t ();\nABORT;", /^ABORT at line 3, column 1/);
});

Deno.test("fileDirectives() refuses two-phase commit and session characteristics in any file", () => {
  for (const header of ["", "-- db-migrate: no-transaction\n"]) {
    refused(`${header}BEGIN;\nCREATE TABLE t ();\nPREPARE TRANSACTION 'x';`, /two-phase commit/);
    refused(`${header}COMMIT PREPARED 'x';`, /^COMMIT PREPARED at line/);
    refused(
      `${header}SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL SERIALIZABLE;`,
      /files after this one/,
    );
  }
});

Deno.test("fileDirectives() refuses transaction modes that cannot apply inside one transaction", () => {
  refused(
    "CREATE TABLE a ();\nSET TRANSACTION ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE b ();",
    /^SET TRANSACTION at line 2, column 1 must come before/,
  );
  refused(
    "CREATE TABLE a ();\nBEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE b ();\nCOMMIT;",
    /^BEGIN at line 2, column 1 sets transaction modes/,
  );
  refused("BEGIN READ ONLY;\nSELECT 1;\nCOMMIT;", /read-only/);
  refused("SET TRANSACTION READ ONLY;\nSELECT 1;", /read-only/);
});

Deno.test("fileDirectives() refuses a BEGIN inside the file's own open transaction", () => {
  refused("BEGIN;\nCREATE TABLE a ();\nBEGIN;\nCOMMIT;", /^BEGIN at line 3, column 1 comes inside/);
});

Deno.test("fileDirectives() refuses a COMMIT that a later statement needs for a new enum value", () => {
  refused(
    "ALTER TYPE mood ADD VALUE 'sad';\nCOMMIT;\nUPDATE t SET m = 'sad';",
    /^COMMIT at line 2, column 1 commits the enum value added at line 1/,
  );
  // Nothing after the COMMIT: it only joins the transaction.
  assert.equal(
    fileDirectives("BEGIN;\nALTER TYPE mood ADD VALUE 'sad';\nCOMMIT;").transaction,
    true,
  );
});

Deno.test("fileDirectives() lets a no-transaction file run its own BEGIN ... COMMIT as written", () => {
  const d = fileDirectives(
    "-- db-migrate: no-transaction\nBEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n" +
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS ti ON t (id);\nROLLBACK;\n",
  );
  assert.equal(d.transaction, false);
  assert.deepEqual([d.control.opener, d.control.folded], [null, []]);
});

Deno.test("fileDirectives() refuses a no-transaction file whose own transaction is left open", () => {
  refused(
    "CREATE INDEX CONCURRENTLY i ON t (id);\nBEGIN;\nINSERT INTO t VALUES (1);\n",
    /^BEGIN at line 2, column 1 is never committed/,
    [2, 1],
  );
});

Deno.test("fileDirectives() refuses CONCURRENTLY inside the file's own transaction", () => {
  refused(
    "BEGIN;\n  CREATE INDEX CONCURRENTLY i ON t (id);\nCOMMIT;",
    /^CREATE INDEX CONCURRENTLY at line 2, column 3 cannot run inside the transaction the file opens at line 1/,
    [2, 3],
  );
});

Deno.test("fileDirectives() reports the longest statement", () => {
  const d = fileDirectives("SELECT 1;\n\nSELECT 'a long one';\nSELECT 2;");
  assert.deepEqual(d.largest, { length: 19, line: 3, column: 1 });
  assert.equal(fileDirectives("-- nothing").largest, null);
});
