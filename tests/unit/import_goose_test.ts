import assert from "node:assert/strict";
import { convertProject } from "../../src/import/convert.ts";
import {
  gooseAnnotation,
  gooseEndsStatement,
  gooseParseError,
  gooseVersion,
  readGoose,
} from "../../src/import/goose.ts";
import { splitLines } from "../../src/import/text.ts";

const withFunction = `-- Timestamps kept by a trigger.
-- +goose Up
CREATE TABLE posts (id bigserial PRIMARY KEY, updated_at timestamptz);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
-- +goose StatementEnd

CREATE TRIGGER posts_touch BEFORE UPDATE ON posts
  FOR EACH ROW EXECUTE FUNCTION touch();

-- +goose Down
-- +goose StatementBegin
DROP TRIGGER IF EXISTS posts_touch ON posts;
DROP FUNCTION IF EXISTS touch();
-- +goose StatementEnd
DROP TABLE posts;
`;

Deno.test("gooseVersion() takes the integer before the first underscore", () => {
  assert.deepEqual(gooseVersion("00001_init.sql"), { version: 1n });
  assert.deepEqual(gooseVersion("20240101120000_add.sql"), { version: 20240101120000n });
  assert.match((gooseVersion("init.sql") as { why: string }).why, /no "_"/);
  assert.match((gooseVersion("0_zero.sql") as { why: string }).why, /greater than zero/);
  assert.match((gooseVersion("v1_x.sql") as { why: string }).why, /not a version number/);
});

Deno.test("gooseAnnotation() matches annotations in any case and refuses leading whitespace", () => {
  assert.deepEqual(gooseAnnotation("-- +goose Up"), { annotation: "Up" });
  assert.deepEqual(gooseAnnotation("--+goose no transaction"), { annotation: "NO TRANSACTION" });
  assert.deepEqual(gooseAnnotation("-- +goose statementbegin"), { annotation: "StatementBegin" });
  assert.match((gooseAnnotation(" -- +goose Up") as { why: string }).why, /leading whitespace/);
  assert.match((gooseAnnotation("-- +goose Sideways") as { why: string }).why, /not a goose/);
});

Deno.test("gooseEndsStatement() looks at the last word before a -- comment", () => {
  assert.equal(gooseEndsStatement("SELECT 1;"), true);
  assert.equal(gooseEndsStatement("SELECT 1; -- done"), true);
  assert.equal(gooseEndsStatement("SELECT 1 -- not; yet"), false);
  assert.equal(gooseEndsStatement("$$ LANGUAGE plpgsql"), false);
});

Deno.test("gooseParseError() refuses what goose refuses, at its line", () => {
  const cases: [string, RegExp, number][] = [
    ["SELECT 1;\n", /SQL before/, 1],
    ["-- only a comment\n", /no "-- \+goose Up"/, 1],
    ["-- +goose Up\n-- +goose Up\n", /second/, 2],
    ["-- +goose Down\nSELECT 1;\n", /before "-- \+goose Up"/, 1],
    ["-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n", /without "-- \+goose StatementEnd"/, 3],
    ["-- +goose Up\n-- +goose StatementEnd\n", /without "-- \+goose StatementBegin"/, 2],
    ["-- +goose Up\nSELECT 1\n-- +goose Down\nSELECT 2;\n", /does not end with ";"/, 2],
    ["CREATE TABLE t ();\n-- +goose Up\n", /SQL before/, 1],
    ["-- +goose Up\n  -- +goose StatementBegin\n", /leading whitespace/, 2],
  ];
  for (const [text, why, line] of cases) {
    const e = gooseParseError(splitLines(text), "up");
    assert.ok(e, text);
    assert.match(e.message, why, text);
    assert.equal(e.line, line, text);
  }
  assert.equal(gooseParseError(splitLines(withFunction), "up"), null);
  assert.equal(gooseParseError(splitLines(withFunction), "down"), null);
  // A broken Down section stops only the down direction, as in goose.
  const brokenDown = "-- +goose Up\nSELECT 1;\n-- +goose Down\nSELECT 2\n";
  assert.equal(gooseParseError(splitLines(brokenDown), "up"), null);
  assert.match(gooseParseError(splitLines(brokenDown), "down")!.message, /does not end/);
});

Deno.test("convertProject(goose) keeps StatementBegin blocks whole and ends them with ;", () => {
  const plan = convertProject("goose", [{ path: "00002_posts.sql", text: withFunction }]);
  assert.deepEqual(plan.problems, []);
  const m = plan.migrations[0]!;
  assert.equal(m.migration.name, "V00002__posts.sql");
  assert.equal(
    m.migration.text,
    `-- Imported by db-migrate from goose: 00002_posts.sql
-- Timestamps kept by a trigger.
CREATE TABLE posts (id bigserial PRIMARY KEY, updated_at timestamptz);

CREATE OR REPLACE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER posts_touch BEFORE UPDATE ON posts
  FOR EACH ROW EXECUTE FUNCTION touch();
`,
  );
  assert.equal(
    m.undo!.text,
    `-- Imported by db-migrate from goose: 00002_posts.sql (down)
DROP TRIGGER IF EXISTS posts_touch ON posts;
DROP FUNCTION IF EXISTS touch();
DROP TABLE posts;
`,
  );
});

Deno.test("convertProject(goose) turns NO TRANSACTION into the directive, both ways", () => {
  const plan = convertProject("goose", [{
    path: "20240101120000_index.sql",
    text: "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY i ON t (a);\n" +
      "-- +goose Down\nDROP INDEX CONCURRENTLY i;\n",
  }]);
  assert.deepEqual(plan.problems, []);
  const m = plan.migrations[0]!;
  assert.equal(m.migration.name, "V20240101120000__index.sql");
  assert.match(m.migration.text, /^-- db-migrate: no-transaction\n-- Imported/);
  assert.match(m.undo!.text, /^-- db-migrate: no-transaction\n-- Imported/);
});

Deno.test("a StatementEnd after a line ending in a comment gets its ; on a line of its own", () => {
  const plan = convertProject("goose", [{
    path: "1_f.sql",
    text: "-- +goose Up\n-- +goose StatementBegin\nCREATE FUNCTION f() RETURNS int AS $$ " +
      "SELECT 1 $$ LANGUAGE sql -- one\n-- +goose StatementEnd\n",
  }]);
  assert.match(plan.migrations[0]!.migration.text, /LANGUAGE sql -- one\n;\n$/);
});

Deno.test("readGoose() reports Go migrations, ENVSUB and duplicate versions", () => {
  const r = readGoose([
    { path: "00001_init.sql", text: "-- +goose Up\nCREATE TABLE t (a int);\n" },
    { path: "00002_backfill.go", text: "package migrations\n" },
    { path: "00002_other.sql", text: "-- +goose Up\nSELECT 1;\n" },
    { path: "main.go", text: "package main\n" },
    { path: "migrations_test.go", text: "package migrations\n" },
    {
      path: "00003_env.sql",
      text: "-- +goose ENVSUB ON\n-- +goose Up\nCREATE ROLE ${APP_ROLE};\n-- +goose ENVSUB OFF\n",
    },
    { path: "bad.sql", text: "-- +goose Up\nSELECT 1;\n" },
  ]);
  assert.deepEqual(
    r.problems.map((p) => `${p.file}:${p.line ?? ""}`),
    ["00002_backfill.go:", "bad.sql:", "00002_other.sql:", "00003_env.sql:1"],
  );
  assert.match(r.problems[0]!.message, /Go migration/);
  assert.match(r.problems[2]!.message, /also the version of "00002_backfill.go"/);
  assert.match(r.problems[3]!.message, /ENVSUB/);
});
