// The converted files go through db-migrate's own checks: their names parse, the no-transaction
// directive is seen, and the tokenizer cuts goose files into the statements goose sends.
// NOTE: imports src/sql/split.ts, src/sql/directives.ts and src/core/discover.ts, which the pipeline refactor
// (issue 12) may move under src/sql/.

import assert from "node:assert/strict";
import { fileDirectives } from "../../src/sql/directives.ts";
import { parseMigrationName } from "../../src/core/discover.ts";
import { convertProject } from "../../src/import/convert.ts";
import { gooseParse } from "../../src/import/goose.ts";
import { splitLines } from "../../src/import/text.ts";
import { splitStatements } from "../../src/sql/split.ts";

/** A statement as both sides cut it, without comments, final `;` and spacing differences. */
function normalize(statement: string): string {
  return statement
    .split("\n")
    .filter((l) => !l.trim().startsWith("--"))
    .join(" ")
    .replace(/;\s*$/, "")
    .replace(/\s+/g, " ")
    .trim();
}

const goose = `-- +goose Up
CREATE TABLE accounts (
  id bigserial PRIMARY KEY,
  note text DEFAULT 'a;b' -- a ; inside a string, not at a line end
);
-- +goose StatementBegin
CREATE FUNCTION balance(a bigint) RETURNS numeric AS $body$
DECLARE total numeric;
BEGIN
  SELECT sum(amount) INTO total FROM entries WHERE account = a;
  RETURN total;
END;
$body$ LANGUAGE plpgsql
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION one() RETURNS int LANGUAGE sql
BEGIN ATOMIC
  SELECT 1;
END;
-- +goose StatementEnd
INSERT INTO accounts (note) VALUES ('x'); INSERT INTO accounts (note) VALUES ('y');

-- +goose Down
DROP FUNCTION one();
DROP FUNCTION balance(bigint);
DROP TABLE accounts;
`;

Deno.test("the tokenizer cuts a converted goose file into the statements goose sends", () => {
  const plan = convertProject("goose", [{ path: "00001_accounts.sql", text: goose }]);
  assert.deepEqual(plan.problems, []);
  const lines = splitLines(goose);
  for (
    const [direction, file] of [["up", plan.migrations[0]!.migration], [
      "down",
      plan.migrations[0]!.undo!,
    ]] as const
  ) {
    const theirs = gooseParse(lines, direction).statements.map(normalize);
    const ours = splitStatements(file.text, "postgres").map((s) => normalize(s.text));
    // goose sends the last line's two INSERTs as one query; we send them one by one. In a
    // transaction (the file's) the effect is the same.
    const joined = theirs.flatMap((s) =>
      s.startsWith("INSERT") ? s.split(/;\s*/).map(normalize) : [s]
    );
    assert.deepEqual(ours, joined, direction);
  }
});

Deno.test("a StatementBegin block holding two statements is one query for goose, two for us", () => {
  const text = "-- +goose NO TRANSACTION\n-- +goose Up\n-- +goose StatementBegin\n" +
    "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n-- +goose StatementEnd\n";
  const plan = convertProject("goose", [{ path: "1_two.sql", text }]);
  assert.equal(gooseParse(splitLines(text), "up").statements.length, 1);
  const file = plan.migrations[0]!.migration;
  assert.equal(splitStatements(file.text, "postgres").length, 2);
  // Outside a transaction goose's one query was atomic (PostgreSQL's implicit transaction of a
  // multi-statement query), ours is not: the design note says so.
  assert.equal(fileDirectives(file.text).transaction, false);
});

Deno.test("every converted file's name parses and its directive is the one db-migrate reads", () => {
  const plans = [
    convertProject("dbmate", [{
      path: "20240101000000_concurrently.sql",
      text:
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (a);\n-- migrate:down\n",
    }]),
    convertProject("flyway", [
      { path: "V1.1__x.sql", text: "ALTER TYPE mood ADD VALUE 'meh';\n" },
      { path: "V1.1__x.sql.conf", text: "executeInTransaction=false\n" },
    ]),
    convertProject("diesel", [
      { path: "2020-01-01-000000_x/up.sql", text: "VACUUM;\n" },
      { path: "2020-01-01-000000_x/metadata.toml", text: "run_in_transaction = false\n" },
    ]),
    convertProject("golang-migrate", [{
      path: "0001_x.up.sql",
      text: "BEGIN;\nSELECT 1;\nCOMMIT;\n",
    }]),
  ];
  const seen: [string, number, boolean, string | undefined][] = [];
  for (const plan of plans) {
    assert.deepEqual(plan.problems, []);
    for (const m of plan.migrations) {
      const parsed = parseMigrationName(m.migration.name);
      assert.equal(parsed?.version, m.version);
      const d = fileDirectives(m.migration.text);
      seen.push([m.migration.name, m.version, d.transaction, d.reason]);
    }
  }
  assert.deepEqual(seen, [
    ["V20240101000000__concurrently.sql", 20240101000000, false, "directive at line 1"],
    ["V001001000000__x.sql", 1001000000, false, "directive at line 1"],
    ["V20200101000000__x.sql", 20200101000000, false, "directive at line 1"],
    // A file's own BEGIN/COMMIT join db-migrate's transaction.
    ["V0001__x.sql", 1, true, undefined],
  ]);
});
