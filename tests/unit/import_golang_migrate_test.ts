import assert from "node:assert/strict";
import { convertProject } from "../../src/import/convert.ts";
import { readGolangMigrate } from "../../src/import/golang_migrate.ts";

const project = [
  {
    path: "000001_create_users.up.sql",
    text: "BEGIN;\nCREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\nCOMMIT;\n",
  },
  { path: "000001_create_users.down.sql", text: "DROP TABLE IF EXISTS users;\n" },
  { path: "000002_add_email_index.up.sql", text: "CREATE INDEX users_email ON users (email);\n" },
  { path: "000002_add_email_index.down.sql", text: "DROP INDEX users_email;\n" },
  { path: "000010_noop.up.sql", text: "-- nothing to do here\n" },
  { path: "000010_noop.down.sql", text: "-- irreversible\n" },
  { path: "README.md", text: "# migrations\n" },
  { path: "seed.sql", text: "INSERT INTO users VALUES (1, 'a');\n" },
  { path: "sub/000003_x.up.sql", text: "SELECT 1;\n" },
];

Deno.test("readGolangMigrate() pairs up and down files by version, in numeric order", () => {
  const r = readGolangMigrate(project);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.migrations.map((m) => [m.key, m.rawVersion, m.description]), [
    ["1", "000001", "create_users"],
    ["2", "000002", "add_email_index"],
    ["10", "000010", "noop"],
  ]);
  const first = r.migrations[0]!;
  assert.equal(first.up[0]!.text, project[0]!.text);
  assert.equal(first.up[0]!.transaction, true);
  assert.equal(first.down[0]!.file, "000001_create_users.down.sql");
  // A .sql file off the pattern is ignored, as golang-migrate ignores it, and said so.
  assert.deepEqual(r.notes.map((n) => n.file), ["seed.sql"]);
});

Deno.test("readGolangMigrate() refuses two up files for one version and a down file alone", () => {
  const r = readGolangMigrate([
    { path: "1_a.up.sql", text: "SELECT 1;" },
    { path: "01_b.up.sql", text: "SELECT 2;" },
    { path: "2_c.down.sql", text: "SELECT 3;" },
    { path: "3_d.up.json", text: "{}" },
  ]);
  assert.deepEqual(r.problems.map((p) => p.file), ["1_a.up.sql", "3_d.up.json", "2_c.down.sql"]);
  assert.match(r.problems[0]!.message, /version 1 has two up files/);
  assert.match(r.problems[1]!.message, /not SQL/);
  assert.match(r.problems[2]!.message, /down file but no up file/);
});

Deno.test("convertProject(golang-migrate) keeps the digits and writes U files from down files", () => {
  const plan = convertProject("golang-migrate", project);
  assert.deepEqual(plan.problems, []);
  assert.deepEqual(
    plan.migrations.map((m) => [m.migration.name, m.undo?.name ?? null]),
    [
      ["V000001__create_users.sql", "U000001__create_users.sql"],
      ["V000002__add_email_index.sql", "U000002__add_email_index.sql"],
      // A comment-only up file keeps its version with a no-op; a comment-only down gets no U file.
      ["V000010__noop.sql", null],
    ],
  );
  assert.equal(
    plan.migrations[0]!.migration.text,
    "-- Imported by db-migrate from golang-migrate: 000001_create_users.up.sql\n" +
      "BEGIN;\nCREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL);\nCOMMIT;\n",
  );
  assert.match(plan.migrations[2]!.migration.text, /-- nothing to do here\nSELECT 1;/);
  assert.deepEqual(plan.notes.map((n) => n.file), [
    "seed.sql",
    "000010_noop.up.sql",
    "000010_noop.down.sql",
  ]);
});
