import assert from "node:assert/strict";
import { statementHead } from "../../../src/sql/excerpt.ts";
import { lineColumn } from "../../../src/sql/position.ts";
import {
  type Dialect,
  SplitError,
  splitStatements,
  stripComments,
} from "../../../src/sql/split.ts";

function texts(sql: string, dialect: Dialect = "postgres"): string[] {
  return splitStatements(sql, dialect).map((s) => s.text);
}

function throwsAt(sql: string, dialect: Dialect, message: RegExp, line: number, column: number) {
  assert.throws(() => splitStatements(sql, dialect), (e: unknown) => {
    assert.ok(e instanceof SplitError, `expected a SplitError, got ${e}`);
    assert.match(e.message, message);
    assert.equal(e.line, line);
    assert.equal(e.column, column);
    return true;
  });
}

// Every statement's text must sit at its offset, and line/column must agree with lineColumn().
function assertConsistent(sql: string, dialect: Dialect) {
  for (const s of splitStatements(sql, dialect)) {
    assert.equal(sql.slice(s.offset, s.offset + s.text.length), s.text);
    assert.deepEqual(lineColumn(sql, s.offset), { line: s.line, column: s.column });
  }
}

// --- both dialects ---------------------------------------------------------------------------

for (const dialect of ["postgres", "clickhouse"] as const) {
  Deno.test(`splitStatements() splits plain statements on ';' (${dialect})`, () => {
    assert.deepEqual(texts("SELECT 1; SELECT 2;\nSELECT 3;", dialect), [
      "SELECT 1",
      "SELECT 2",
      "SELECT 3",
    ]);
  });

  Deno.test(`splitStatements() keeps ';' and '--' inside a string (${dialect})`, () => {
    assert.deepEqual(texts("SELECT 'a;b -- c /* d'; SELECT 2", dialect), [
      "SELECT 'a;b -- c /* d'",
      "SELECT 2",
    ]);
  });

  Deno.test(`splitStatements() reads a doubled quote as an escape (${dialect})`, () => {
    assert.deepEqual(texts("SELECT 'it''s; fine'; SELECT \"a\"\"b;c\" FROM t;", dialect), [
      "SELECT 'it''s; fine'",
      `SELECT "a""b;c" FROM t`,
    ]);
  });

  Deno.test(`splitStatements() ignores ';' in line and block comments (${dialect})`, () => {
    assert.deepEqual(texts("SELECT 1 -- one; two\n, 2 /* three; */ ; SELECT 4", dialect), [
      "SELECT 1 -- one; two\n, 2",
      "SELECT 4",
    ]);
  });

  Deno.test(`splitStatements() takes a trailing statement without ';' (${dialect})`, () => {
    assert.deepEqual(texts("SELECT 1;\nSELECT 2\n", dialect), ["SELECT 1", "SELECT 2"]);
  });

  Deno.test(`splitStatements() returns nothing for comments and blank lines only (${dialect})`, () => {
    assert.deepEqual(texts("-- nothing here\n/* or; here */\n\n  ;;\n", dialect), []);
    assert.deepEqual(texts("", dialect), []);
  });

  Deno.test(`splitStatements() drops empty statements between semicolons (${dialect})`, () => {
    assert.deepEqual(texts(";;SELECT 1;; ;\n;SELECT 2;", dialect), ["SELECT 1", "SELECT 2"]);
  });

  Deno.test(`splitStatements() leaves leading and trailing comments out of the text (${dialect})`, () => {
    const sql = "SELECT 1; -- about two\n/* more */ SELECT 2 -- tail\n;";
    const [, two] = splitStatements(sql, dialect);
    assert.equal(two?.text, "SELECT 2");
    assert.deepEqual([two?.line, two?.column], [2, 12]);
  });

  Deno.test(`splitStatements() throws on an unterminated string with its start (${dialect})`, () => {
    throwsAt(
      "SELECT 1;\nSELECT 2;\nSELECT 'abc;\nSELECT 3;",
      dialect,
      /^unterminated string literal starting at line 3, column 8$/,
      3,
      8,
    );
  });

  Deno.test(`splitStatements() throws on an unterminated quoted identifier (${dialect})`, () => {
    throwsAt('SELECT "abc;', dialect, /^unterminated quoted identifier/, 1, 8);
  });

  Deno.test(`splitStatements() throws on an unterminated block comment (${dialect})`, () => {
    throwsAt("SELECT 1;\n  /* never closed; SELECT 2;", dialect, /block comment/, 2, 3);
  });

  Deno.test(`splitStatements() counts lines right with CRLF line endings (${dialect})`, () => {
    const sql = "-- head\r\nSELECT 1;\r\n\r\n  SELECT 'x\r\ny';\r\nSELECT 3";
    const statements = splitStatements(sql, dialect);
    assert.deepEqual(statements.map((s) => [s.line, s.column]), [[2, 1], [4, 3], [6, 1]]);
    assert.equal(statements[1]?.text, "SELECT 'x\r\ny'");
    assertConsistent(sql, dialect);
  });

  Deno.test(`splitStatements() skips a BOM at the start (${dialect})`, () => {
    const statements = splitStatements("\uFEFFSELECT 1;", dialect);
    assert.deepEqual(statements, [{ text: "SELECT 1", offset: 1, line: 1, column: 1 }]);
  });
}

// --- positions -------------------------------------------------------------------------------

Deno.test("splitStatements() gives exact offsets, lines and columns", () => {
  const sql = [
    "-- db-migrate header",
    "CREATE TABLE a (id int);",
    "",
    "   /* note */ INSERT INTO a VALUES (1); INSERT INTO a",
    "  VALUES (2);",
    "\tSELECT 'é😀';  SELECT 2",
  ].join("\n");
  const statements = splitStatements(sql, "postgres");
  assert.deepEqual(statements.map(({ offset, line, column }) => ({ offset, line, column })), [
    { offset: 21, line: 2, column: 1 },
    { offset: 61, line: 4, column: 15 },
    { offset: 87, line: 4, column: 41 },
    { offset: 116, line: 6, column: 2 },
    { offset: 131, line: 6, column: 16 },
  ]);
  assert.deepEqual(statements.map((s) => s.text), [
    "CREATE TABLE a (id int)",
    "INSERT INTO a VALUES (1)",
    "INSERT INTO a\n  VALUES (2)",
    "SELECT 'é😀'",
    "SELECT 2",
  ]);
  assertConsistent(sql, "postgres");
});

Deno.test("lineColumn() counts an emoji as one column", () => {
  assert.deepEqual(lineColumn("😀x", 2), { line: 1, column: 2 });
});

Deno.test("lineColumn() treats LF, CRLF and a lone CR as one line break each", () => {
  const text = "a\nb\r\nc\rd";
  assert.deepEqual(lineColumn(text, 0), { line: 1, column: 1 });
  assert.deepEqual(lineColumn(text, 2), { line: 2, column: 1 });
  assert.deepEqual(lineColumn(text, 5), { line: 3, column: 1 });
  assert.deepEqual(lineColumn(text, 7), { line: 4, column: 1 });
});

Deno.test("lineColumn() clamps an offset outside the text", () => {
  assert.deepEqual(lineColumn("ab\ncd", 99), { line: 2, column: 3 });
  assert.deepEqual(lineColumn("ab", -4), { line: 1, column: 1 });
});

Deno.test("lineColumn() gives a BOM no column", () => {
  assert.deepEqual(lineColumn("\uFEFFab", 2), { line: 1, column: 2 });
});

// --- PostgreSQL ------------------------------------------------------------------------------

Deno.test("splitStatements() reads no backslash escape in a plain PostgreSQL string", () => {
  assert.deepEqual(texts(String.raw`SELECT 'C:\'; SELECT 2`), [
    String.raw`SELECT 'C:\'`,
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() reads backslash escapes in a PostgreSQL E'' string", () => {
  assert.deepEqual(texts(String.raw`SELECT E'\'; still', e'a\\'; SELECT 2`), [
    String.raw`SELECT E'\'; still', e'a\\'`,
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() reads doubled quotes in a PostgreSQL E'' string", () => {
  assert.deepEqual(texts("SELECT E'it''s; \\n'; SELECT 2"), ["SELECT E'it''s; \\n'", "SELECT 2"]);
});

Deno.test("splitStatements() reads a word ending in e before a quote as a plain string", () => {
  // `type'...'` is an identifier then a standard string, so the backslash escapes nothing.
  assert.deepEqual(texts(String.raw`SELECT type'\'; SELECT 2`), [
    String.raw`SELECT type'\'`,
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() reports an unterminated E'' string at the E", () => {
  throwsAt(String.raw`SELECT E'\';`, "postgres", /unterminated string literal/, 1, 8);
});

Deno.test("splitStatements() keeps a ';' inside a dollar-quoted body", () => {
  assert.deepEqual(texts("SELECT $$a; b$$; SELECT $x$ c; $x$;"), [
    "SELECT $$a; b$$",
    "SELECT $x$ c; $x$",
  ]);
});

Deno.test("splitStatements() ends a tagged body only at the same tag", () => {
  assert.deepEqual(texts("DO $a$ BEGIN PERFORM $$;$$; PERFORM $b$;$b$; END $a$; SELECT 2"), [
    "DO $a$ BEGIN PERFORM $$;$$; PERFORM $b$;$b$; END $a$",
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() matches dollar-quote tags case-sensitively", () => {
  assert.deepEqual(texts("SELECT $Tag$ $tag$; $TAG$ $Tag$; SELECT 2"), [
    "SELECT $Tag$ $tag$; $TAG$ $Tag$",
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() reads $1 as a parameter, not a dollar-quote tag", () => {
  assert.deepEqual(texts("SELECT $1; SELECT $2, $1$;"), ["SELECT $1", "SELECT $2, $1$"]);
});

Deno.test("splitStatements() reads '$' inside an identifier as part of it", () => {
  assert.deepEqual(texts("SELECT a$b$ FROM t; SELECT 2"), ["SELECT a$b$ FROM t", "SELECT 2"]);
});

Deno.test("splitStatements() throws on an unterminated dollar-quoted body", () => {
  throwsAt(
    "SELECT 1;\nCREATE FUNCTION f() RETURNS int AS $body$\nSELECT 1;\n$$;",
    "postgres",
    /^unterminated dollar-quoted string starting at line 2, column 36$/,
    2,
    36,
  );
});

Deno.test("splitStatements() keeps a CREATE FUNCTION with a $$ body of many ';' whole", () => {
  const fn = `CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF NEW IS DISTINCT FROM OLD THEN
    NEW.updated_at := now(); -- keep; this
  END IF;
  RAISE NOTICE 'it''s done; %', $x$;$x$;
  RETURN NEW;
END;
$$`;
  assert.deepEqual(texts(`${fn};\nSELECT 1;`), [fn, "SELECT 1"]);
});

Deno.test("splitStatements() nests PostgreSQL block comments", () => {
  assert.deepEqual(texts("/* a /* b; */ still comment; */ SELECT 1; /**/ SELECT 2"), [
    "SELECT 1",
    "SELECT 2",
  ]);
  throwsAt("/* a /* b */ SELECT 1;", "postgres", /unterminated block comment/, 1, 1);
});

Deno.test("splitStatements() reads '#' as an operator in PostgreSQL", () => {
  assert.deepEqual(texts("SELECT 5 # 3; SELECT 2"), ["SELECT 5 # 3", "SELECT 2"]);
});

Deno.test("splitStatements() reads a backtick as an ordinary character in PostgreSQL", () => {
  assert.deepEqual(texts("SELECT 1 `; SELECT 2"), ["SELECT 1 `", "SELECT 2"]);
});

Deno.test("splitStatements() keeps a BEGIN ATOMIC body whole", () => {
  const fn = `CREATE FUNCTION add_one(i int) RETURNS int
LANGUAGE sql
BEGIN ATOMIC
  INSERT INTO calls VALUES (i);
  SELECT CASE WHEN i > 0 THEN i + 1 ELSE 1 END;
  SELECT (CASE i WHEN 1 THEN 2 END);
END`;
  assert.deepEqual(texts(`${fn};\nSELECT add_one(1);`), [fn, "SELECT add_one(1)"]);
});

Deno.test("splitStatements() keeps a CREATE OR REPLACE PROCEDURE with BEGIN ATOMIC whole", () => {
  const proc = "create or replace procedure p() begin atomic; delete from t; end";
  assert.deepEqual(texts(`${proc}; SELECT 1`), [proc, "SELECT 1"]);
});

Deno.test("splitStatements() ends a transaction block's BEGIN and END at their ';'", () => {
  assert.deepEqual(texts("BEGIN; SELECT 1; END; CREATE TABLE t (a int); BEGIN; COMMIT;"), [
    "BEGIN",
    "SELECT 1",
    "END",
    "CREATE TABLE t (a int)",
    "BEGIN",
    "COMMIT",
  ]);
});

Deno.test("splitStatements() does not take BEGIN without ATOMIC as a function body", () => {
  // A function named "begin" is legal: only BEGIN ATOMIC opens a body.
  assert.deepEqual(texts("CREATE FUNCTION begin() RETURNS int RETURN 1; SELECT 2"), [
    "CREATE FUNCTION begin() RETURNS int RETURN 1",
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() does not split inside parentheses in PostgreSQL", () => {
  const rule = "CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT INTO a VALUES (1); NOTIFY t)";
  assert.deepEqual(texts(`${rule}; SELECT 1`), [rule, "SELECT 1"]);
});

Deno.test("splitStatements() leaves a stray ')' harmless in PostgreSQL", () => {
  assert.deepEqual(texts("SELECT 1); SELECT 2"), ["SELECT 1)", "SELECT 2"]);
});

Deno.test("splitStatements() keeps quoted identifiers with ';' and '--' in PostgreSQL", () => {
  assert.deepEqual(texts(`CREATE TABLE "a;--b" ("c /* d" int); SELECT 1`), [
    `CREATE TABLE "a;--b" ("c /* d" int)`,
    "SELECT 1",
  ]);
});

// --- ClickHouse ------------------------------------------------------------------------------

Deno.test("splitStatements() reads backslash escapes in ClickHouse strings", () => {
  assert.deepEqual(texts(String.raw`SELECT 'a\'; b', 'c\\'; SELECT 2`, "clickhouse"), [
    String.raw`SELECT 'a\'; b', 'c\\'`,
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() reads backslash escapes in ClickHouse double-quoted identifiers", () => {
  assert.deepEqual(texts(String.raw`SELECT 1 AS "x\"; y"; SELECT 2`, "clickhouse"), [
    String.raw`SELECT 1 AS "x\"; y"`,
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() reads back-quoted identifiers with both escapes in ClickHouse", () => {
  assert.deepEqual(texts("SELECT `a``b;`, `c\\`;d` FROM t; SELECT 2", "clickhouse"), [
    "SELECT `a``b;`, `c\\`;d` FROM t",
    "SELECT 2",
  ]);
  throwsAt("SELECT `abc;", "clickhouse", /^unterminated quoted identifier/, 1, 8);
});

Deno.test("splitStatements() reads '#' and '#!' as line comments in ClickHouse", () => {
  const sql = "#!/usr/bin/env clickhouse-local\n# one; two\nSELECT 1; # three; 'four\nSELECT 2";
  const statements = splitStatements(sql, "clickhouse");
  assert.deepEqual(statements.map((s) => [s.text, s.line]), [["SELECT 1", 3], ["SELECT 2", 4]]);
});

Deno.test("splitStatements() reads '//' as a line comment in ClickHouse", () => {
  assert.deepEqual(texts("SELECT 4 // 2; not sql\n; SELECT 2", "clickhouse"), [
    "SELECT 4",
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() does not nest ClickHouse block comments", () => {
  assert.deepEqual(texts("/* a /* b */ SELECT 1; SELECT 2", "clickhouse"), [
    "SELECT 1",
    "SELECT 2",
  ]);
});

Deno.test("splitStatements() keeps a ';' inside a ClickHouse heredoc", () => {
  assert.deepEqual(
    texts("SELECT $$a; 'b$$; SELECT $doc$ $$; $doc$; SELECT $1x$;$1x$", "clickhouse"),
    ["SELECT $$a; 'b$$", "SELECT $doc$ $$; $doc$", "SELECT $1x$;$1x$"],
  );
  throwsAt("SELECT 1;\n SELECT $h$ x;", "clickhouse", /^unterminated heredoc/, 2, 9);
});

Deno.test("splitStatements() splits on ';' inside parentheses in ClickHouse", () => {
  // ClickHouse has no statement that holds a ';' in parentheses; splitting gives a better error.
  assert.deepEqual(texts("SELECT (1; SELECT 2", "clickhouse"), ["SELECT (1", "SELECT 2"]);
});

Deno.test("splitStatements() reads E'' as an identifier and a string in ClickHouse", () => {
  assert.deepEqual(texts(String.raw`SELECT E'\'; x'; SELECT 2`, "clickhouse"), [
    String.raw`SELECT E'\'; x'`,
    "SELECT 2",
  ]);
});

// --- stripComments() and speed -------------------------------------------------------------

Deno.test("stripComments() blanks comments but keeps strings and offsets", () => {
  const sql = "SELECT '--x' /* a\nb */ -- c\n, 1";
  const stripped = stripComments(sql, "postgres");
  assert.equal(stripped, "SELECT '--x'     \n         \n, 1");
  assert.equal(stripped.length, sql.length);
  assert.equal(stripComments("SELECT 1 # x\n", "clickhouse"), "SELECT 1    \n");
  assert.equal(stripComments("SELECT 1 # x\n", "postgres"), "SELECT 1 # x\n");
});

Deno.test("splitStatements() splits a 500-statement file in a few milliseconds", () => {
  const parts: string[] = [];
  for (let i = 0; i < 500; i++) {
    parts.push(
      `-- migration step ${i}\nCREATE TABLE IF NOT EXISTS t_${i} (id bigint PRIMARY KEY, ` +
        `name text NOT NULL DEFAULT 'x;y', body text);\n` +
        `CREATE OR REPLACE FUNCTION f_${i}() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN ${i}; END $$;\n`,
    );
  }
  const sql = parts.join("");
  splitStatements(sql, "postgres"); // warm up the JIT
  const started = performance.now();
  const statements = splitStatements(sql, "postgres");
  const ms = performance.now() - started;
  assert.equal(statements.length, 1000);
  assert.equal(statements[999]?.line, 1500);
  // Generous against slow CI machines; a linear scan takes well under 5 ms here.
  assert.ok(ms < 50, `took ${ms.toFixed(2)} ms`);
});

Deno.test("splitStatements() stays linear on a file that is one long line", () => {
  const sql = "INSERT INTO t VALUES (1, 'a;b');".repeat(20_000);
  const started = performance.now();
  const statements = splitStatements(sql, "clickhouse");
  const ms = performance.now() - started;
  assert.equal(statements.length, 20_000);
  assert.deepEqual([statements[19_999]?.line, statements[19_999]?.column], [1, 639_969]);
  assert.ok(ms < 500, `took ${ms.toFixed(2)} ms`);
});

// --- statementHead() ------------------------------------------------------------------------

Deno.test("statementHead() shows a short statement whole, all its lines", () => {
  const [stmt] = splitStatements("-- why\nINSERT INTO t (id)\nSELECT id\n  FROM u;", "postgres");
  assert.equal(statementHead(stmt!), "INSERT INTO t (id)\nSELECT id\n  FROM u");
});

Deno.test("statementHead() shortens a long statement in the middle, by lines", () => {
  const lines = Array.from({ length: 40 }, (_, i) => `  (${i}, 'row ${i}'),`);
  const sql = `INSERT INTO t (id, name) VALUES\n${lines.join("\n")}\n  (40, 'last');`;
  const [stmt] = splitStatements(sql, "postgres");
  const shown = statementHead(stmt!).split("\n");
  assert.deepEqual(shown.slice(0, 2), ["INSERT INTO t (id, name) VALUES", "  (0, 'row 0'),"]);
  assert.match(shown.join("\n"), /\n\.\.\. \(\d+ lines left out\) \.\.\.\n/);
  assert.equal(shown.at(-1), "  (40, 'last')");
  const left = Number(/\((\d+) lines left out\)/.exec(shown.join("\n"))![1]);
  // Every line of the statement is either shown or counted.
  assert.equal(shown.length - 1 + left, 42);
});

Deno.test("statementHead() shortens one long line by characters, keeping both ends", () => {
  const sql = `INSERT INTO t VALUES ${"(1, 'x'), ".repeat(1000)}(2, 'end');`;
  const [stmt] = splitStatements(sql, "postgres");
  const shown = statementHead(stmt!);
  assert.ok(shown.length < 600, `${shown.length} characters`);
  assert.match(shown, /^INSERT INTO t VALUES \(1, 'x'\)/);
  assert.match(shown, / \.\.\. \([\d,]+ characters left out\) \.\.\. /);
  assert.match(shown, /\(2, 'end'\)$/);
});
