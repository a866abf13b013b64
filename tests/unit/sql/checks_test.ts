import assert from "node:assert/strict";
import { ConfigError } from "../../../src/core/errors.ts";
import { checkSqlFile, findMetaCommand, isEmptySql } from "../../../src/sql/checks.ts";

const file = (text: string) => ({ kind: "migration" as const, path: "m/V1__x.sql", text });

Deno.test("isEmptySql() is true for empty, blank and comment-only text in both dialects", () => {
  for (const dialect of ["postgres", "clickhouse"] as const) {
    for (
      const text of ["", "\n\n  \t", "-- only a comment\n", "/* block */\n-- and line", ";;\n;"]
    ) {
      assert.equal(isEmptySql(text, dialect), true, `${dialect}: ${JSON.stringify(text)}`);
    }
    assert.equal(isEmptySql("-- c\nselect 1", dialect), false);
  }
  assert.equal(isEmptySql("# a ClickHouse comment\n", "clickhouse"), true);
});

Deno.test("findMetaCommand() finds psql meta-commands at the start of a line, in code only", () => {
  assert.deepEqual(findMetaCommand("select 1;\n\\i other.sql\nselect 2;", "postgres"), {
    command: "\\i",
    line: 2,
    column: 1,
  });
  assert.deepEqual(findMetaCommand("  \\connect other\n", "postgres"), {
    command: "\\connect",
    line: 1,
    column: 3,
  });
  assert.equal(findMetaCommand("\\set ON_ERROR_STOP on\n", "postgres")?.command, "\\set");
  assert.equal(findMetaCommand("select 1\n\\gset\n", "postgres")?.command, "\\gset");
  assert.equal(findMetaCommand("\\copy t from 'x.csv'\n", "clickhouse")?.command, "\\copy");
});

Deno.test("findMetaCommand() ignores backslashes in strings, comments and dollar-quoted bodies", () => {
  const texts = [
    "select 1;",
    "select E'a\n\\i not a command';",
    "select 'a\n\\i standard string';",
    "create function f() returns text language sql as $$\n\\i body\n$$;",
    "create function f() returns text language sql as $fn$\n\\x\n$fn$;",
    "/*\n\\i in a block comment\n*/ select 1;",
    'select "a\n\\i" from t;',
    "select 1; -- \\i mid-line comment",
    "select 'x' \\ 'y';", // not at the start of a line
  ];
  for (const text of texts) assert.equal(findMetaCommand(text, "postgres"), null, text);
  assert.equal(findMetaCommand("SELECT 'a\n\\G'", "clickhouse"), null);
  assert.equal(findMetaCommand("SELECT `a\n\\G`", "clickhouse"), null);
  // After a string that holds one, a real one is still found.
  assert.equal(findMetaCommand("select $$\n\\i x\n$$;\n\\i y.sql", "postgres")?.line, 4);
});

Deno.test("checkSqlFile() names the file, line and column of what stops it, with a stable code", () => {
  const cases: [string, string, RegExp][] = [
    ["", "EMPTY_FILE", /holds nothing to apply/],
    ["-- nothing here yet\n", "EMPTY_FILE", /empty or only comments/],
    [
      "select 1;\n\\i x.sql\n",
      "META_COMMAND",
      /\\i at line 2, column 1: psql meta-commands are not SQL/,
    ],
    ["do $body$ begin\nnull;\n", "BAD_SQL_TEXT", /unterminated dollar-quoted string/],
  ];
  for (const [text, code, message] of cases) {
    assert.throws(
      () => checkSqlFile(file(text), "postgres", "app"),
      (err: unknown) =>
        err instanceof ConfigError && err.code === code && err.exitCode === 2 &&
        message.test(err.message) && err.message.includes("m/V1__x.sql") &&
        err.message.includes('"app"') && err.position?.file === "m/V1__x.sql",
      `${code}: ${JSON.stringify(text)}`,
    );
  }
  assert.equal(checkSqlFile(file("select 1;\nselect 2;"), "postgres", "app"), 2);
});
