import assert from "node:assert/strict";
import { convertProject } from "../../src/import/convert.ts";
import { dbmateOptions, parseDbmateFile, readDbmate } from "../../src/import/dbmate.ts";

const users = `-- Users of the app.
-- migrate:up
create table users (
  id integer,
  name varchar(255),
  email varchar(255) not null
);

-- migrate:down
drop table users;
`;

const enumValue = `-- migrate:up transaction:false
ALTER TYPE colors ADD VALUE 'orange' AFTER 'red';

-- migrate:down
`;

Deno.test("dbmateOptions() reads key:value pairs after the marker, as dbmate does", () => {
  assert.deepEqual([...dbmateOptions("-- migrate:up transaction:false")], [[
    "transaction",
    "false",
  ]]);
  assert.deepEqual([...dbmateOptions("--migrate:down  transaction:false foo:bar baz")], [
    ["transaction", "false"],
    ["foo", "bar"],
  ]);
  assert.deepEqual([...dbmateOptions("-- migrate:up")], []);
});

Deno.test("parseDbmateFile() cuts the up and down sections at the markers", () => {
  const r = parseDbmateFile({ path: "20151127184807_create_users.sql", text: users });
  assert.deepEqual(r.problems, []);
  assert.equal(r.up.length, 1);
  // The comment above the first marker stays with the up SQL.
  assert.equal(
    r.up[0]!.text,
    "-- Users of the app.\ncreate table users (\n  id integer,\n  name varchar(255),\n" +
      "  email varchar(255) not null\n);\n\n",
  );
  assert.equal(r.down[0]!.text, "drop table users;\n");
  assert.equal(r.down[0]!.line, 10);
  assert.equal(r.up[0]!.transaction, true);
});

Deno.test("parseDbmateFile() reads several sections and their transaction options", () => {
  const text = `-- migrate:up
CREATE TABLE users (id SERIAL PRIMARY KEY);

-- migrate:down
DROP TABLE users;

-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY users_id ON users (id);

-- migrate:down
DROP INDEX users_id;
`;
  const r = parseDbmateFile({ path: "1_x.sql", text });
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.up.map((s) => [s.line, s.transaction]), [[2, true], [8, false]]);
  assert.deepEqual(r.down.map((s) => s.text.trim()), ["DROP TABLE users;", "DROP INDEX users_id;"]);
});

Deno.test("parseDbmateFile() refuses what dbmate refuses, naming the line", () => {
  const cases: [string, RegExp, number | undefined][] = [
    ["create table x (id int);\n", /no "-- migrate:up"/, undefined],
    ["create type t as enum ('a');\n-- migrate:up\nselect 1;\n-- migrate:down\n", /SQL before/, 1],
    ["-- migrate:up\nselect 1;\n", /without a "-- migrate:down"/, 1],
    ["-- migrate:up\nselect 1;\n-- migrate:down\nselect 2;\n-- migrate:down\n", /second/, 5],
    // The marker must start the line, and `-- migrate:upgrade` is no marker.
    ["  -- migrate:up\nselect 1;\n", /no "-- migrate:up"/, undefined],
    ["-- migrate:upgrade\nselect 1;\n", /no "-- migrate:up"/, undefined],
  ];
  for (const [text, why, line] of cases) {
    const r = parseDbmateFile({ path: "1_x.sql", text });
    assert.equal(r.problems.length, 1, text);
    assert.match(r.problems[0]!.message, why);
    assert.equal(r.problems[0]!.line, line);
  }
});

Deno.test("readDbmate() takes files whose names start with digits, in name order", () => {
  const r = readDbmate([
    { path: "20240102000000_b.sql", text: users },
    { path: "20240101000000_a.sql", text: enumValue },
    { path: "schema.sql", text: "create table users ();" },
    { path: "20240103000000.sql", text: "-- migrate:up\nselect 1;\n-- migrate:down\n" },
  ]);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.migrations.map((m) => [m.key, m.description]), [
    ["20240101000000", "a"],
    ["20240102000000", "b"],
    ["20240103000000", ""],
  ]);
  assert.deepEqual(r.notes.map((n) => n.file), ["schema.sql"]);
});

Deno.test("convertProject(dbmate) turns transaction:false into the directive on line 1", () => {
  const plan = convertProject("dbmate", [
    { path: "20240101000000_add_orange.sql", text: enumValue },
    { path: "20240102000000_create_users.sql", text: users },
  ]);
  assert.deepEqual(plan.problems, []);
  const [orange, create] = plan.migrations;
  assert.equal(
    orange!.migration.text,
    "-- db-migrate: no-transaction\n" +
      "-- Imported by db-migrate from dbmate: 20240101000000_add_orange.sql\n" +
      "ALTER TYPE colors ADD VALUE 'orange' AFTER 'red';\n",
  );
  assert.equal(orange!.undo, null, "an empty down section writes no U file");
  assert.equal(create!.migration.name, "V20240102000000__create_users.sql");
  assert.equal(
    create!.undo!.text,
    "-- Imported by db-migrate from dbmate: 20240102000000_create_users.sql (down)\n" +
      "drop table users;\n",
  );
});

Deno.test("convertProject(dbmate) keeps a transactional section's transaction in a mixed file", () => {
  const plan = convertProject("dbmate", [{
    path: "1_mixed.sql",
    text: "-- migrate:up\nCREATE TABLE t (id int);\n-- migrate:down\nDROP TABLE t;\n" +
      "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n" +
      "-- migrate:down\n",
  }]);
  assert.deepEqual(plan.problems, []);
  assert.equal(
    plan.migrations[0]!.migration.text,
    "-- db-migrate: no-transaction\n-- Imported by db-migrate from dbmate: 1_mixed.sql\n" +
      "BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n\nCREATE INDEX CONCURRENTLY t_id ON t (id);\n",
  );
  // The down sections: one transactional, one empty; no directive needed.
  assert.equal(
    plan.migrations[0]!.undo!.text,
    "-- Imported by db-migrate from dbmate: 1_mixed.sql (down)\nDROP TABLE t;\n",
  );
});

Deno.test("convertProject(dbmate) refuses names whose text order differs from their numbers", () => {
  // dbmate sorts file names as text: 10_b runs before 9_a, which integers would reverse.
  const section = "-- migrate:up\nselect 1;\n-- migrate:down\n";
  const plan = convertProject("dbmate", [
    { path: "9_a.sql", text: section },
    { path: "10_b.sql", text: section },
  ]);
  assert.equal(plan.problems.length, 1);
  assert.equal(plan.problems[0]!.file, "9_a.sql");
  assert.match(plan.problems[0]!.message, /dbmate runs it after "10_b.sql"/);
});
