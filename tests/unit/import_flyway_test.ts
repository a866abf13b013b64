import assert from "node:assert/strict";
import { convertProject } from "../../src/import/convert.ts";
import {
  compareFlyway,
  flywayKey,
  flywayParts,
  parseFlywayName,
  parseScriptConfig,
  readFlyway,
} from "../../src/import/flyway.ts";

Deno.test("flywayParts() reads versions as Flyway's MigrationVersion does", () => {
  assert.deepEqual(flywayParts("1.2.3"), [1n, 2n, 3n]);
  assert.deepEqual(flywayParts("1_2_3"), [1n, 2n, 3n]);
  // Trailing zero parts do not count; leading zeros neither.
  assert.deepEqual(flywayParts("1.0.0"), [1n]);
  assert.deepEqual(flywayParts("005"), [5n]);
  assert.deepEqual(flywayParts("20240101120000"), [20240101120000n]);
  assert.equal(flywayParts("1."), null);
  assert.equal(flywayParts("1.a"), null);
  assert.equal(flywayParts("1..2"), null);
  assert.equal(flywayKey("1.02.0"), "1.2");
});

Deno.test("compareFlyway() orders part by part, a missing part counting as 0", () => {
  const sorted = ["1.10", "1.2", "1", "1.2.1", "2", "1.1.0.1"]
    .map((v) => flywayParts(v)!)
    .sort(compareFlyway)
    .map((p) => p.join("."));
  assert.deepEqual(sorted, ["1", "1.1.0.1", "1.2", "1.2.1", "1.10", "2"]);
});

Deno.test("parseFlywayName() knows versioned, undo, repeatable, baseline and callback names", () => {
  assert.deepEqual(parseFlywayName("V1.2__add_users.sql"), {
    kind: "versioned",
    version: "1.2",
    parts: [1n, 2n],
    description: "add_users",
  });
  assert.equal(parseFlywayName("U1.2__add_users.SQL").kind, "undo");
  assert.equal(parseFlywayName("R__views.sql").kind, "repeatable");
  assert.equal(parseFlywayName("B5__baseline.sql").kind, "baseline");
  assert.deepEqual(parseFlywayName("afterMigrate.sql"), {
    kind: "callback",
    event: "afterMigrate",
  });
  assert.deepEqual(parseFlywayName("beforeEachMigrate__grants.sql"), {
    kind: "callback",
    event: "beforeEachMigrate",
  });
  assert.equal(parseFlywayName("V1_add_users.sql").kind, "bad");
  assert.equal(parseFlywayName("V1.x__add.sql").kind, "bad");
  assert.equal(parseFlywayName("R1__x.sql").kind, "bad");
  assert.equal(parseFlywayName("schema.sql").kind, "other");
  assert.equal(parseFlywayName("V1__x.sql.conf").kind, "other");
});

Deno.test("parseScriptConfig() reads Java properties", () => {
  assert.deepEqual(
    parseScriptConfig("# per script\nexecuteInTransaction=false\n  encoding : UTF-8\n! note\n"),
    [
      { key: "executeInTransaction", value: "false", line: 2 },
      { key: "encoding", value: "UTF-8", line: 3 },
    ],
  );
});

const project = [
  { path: "V1__init.sql", text: "CREATE TABLE users (id int PRIMARY KEY);\n" },
  { path: "V1.1__add_email.sql", text: "ALTER TABLE users ADD COLUMN email text;\n" },
  { path: "U1.1__add_email.sql", text: "ALTER TABLE users DROP COLUMN email;\n" },
  {
    path: "2024/V1.2.1__index.sql",
    text: "CREATE INDEX CONCURRENTLY users_email ON users (email);\n",
  },
  { path: "2024/V1.2.1__index.sql.conf", text: "executeInTransaction=false\n" },
  { path: "V2__grants.sql", text: "GRANT SELECT ON users TO reporting;\n" },
  { path: "notes.txt", text: "not a migration\n" },
];

Deno.test("readFlyway() reads every level of the location, in version order", () => {
  const r = readFlyway(project);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.migrations.map((m) => [m.key, m.rawVersion, m.source]), [
    ["1", "1", "V1__init.sql"],
    ["1.1", "1.1", "V1.1__add_email.sql"],
    ["1.2.1", "1.2.1", "2024/V1.2.1__index.sql"],
    ["2", "2", "V2__grants.sql"],
  ]);
  assert.equal(r.migrations[1]!.down[0]!.file, "U1.1__add_email.sql");
  assert.equal(r.migrations[2]!.up[0]!.transaction, false, "executeInTransaction=false");
});

Deno.test("convertProject(flyway) maps dotted versions by the formula, in order", () => {
  const plan = convertProject("flyway", project);
  assert.deepEqual(plan.problems, []);
  assert.deepEqual(plan.migrations.map((m) => [m.migration.name, m.undo?.name ?? null]), [
    ["V001000000000__init.sql", null],
    ["V001001000000__add_email.sql", "U001001000000__add_email.sql"],
    ["V001002001000__index.sql", null],
    ["V002000000000__grants.sql", null],
  ]);
  assert.equal(
    plan.migrations[2]!.migration.text,
    "-- db-migrate: no-transaction\n" +
      "-- Imported by db-migrate from flyway: 2024/V1.2.1__index.sql\n" +
      "CREATE INDEX CONCURRENTLY users_email ON users (email);\n",
  );
});

Deno.test("convertProject(flyway) keeps plain integer versions as they are", () => {
  const plan = convertProject("flyway", [
    { path: "V001__init.sql", text: "SELECT 1;\n" },
    { path: "V2.0__two.sql", text: "SELECT 2;\n" },
    { path: "V20240101120000__late.sql", text: "SELECT 3;\n" },
  ]);
  assert.deepEqual(plan.problems, []);
  assert.deepEqual(plan.migrations.map((m) => m.migration.name), [
    "V001__init.sql",
    "V2__two.sql",
    "V20240101120000__late.sql",
  ]);
});

Deno.test("readFlyway() reports what has no equivalent, with file and line", () => {
  const r = readFlyway([
    { path: "R__views.sql", text: "CREATE OR REPLACE VIEW v AS SELECT 1;\n" },
    { path: "afterMigrate.sql", text: "GRANT SELECT ON ALL TABLES IN SCHEMA public TO r;\n" },
    { path: "B3__baseline.sql", text: "SELECT 1;\n" },
    {
      path: "V1__init.sql",
      text: "CREATE SCHEMA ${schema};\n-- owned by ${flyway:user}\nCOPY t (a) FROM stdin;\n",
    },
    { path: "V2__literal.sql", text: "SELECT '${not_a_placeholder}';\n" },
    { path: "V2__literal.sql.conf", text: "placeholderReplacement=false\n" },
    { path: "V3__cond.sql", text: "SELECT 1;\n" },
    { path: "V3__cond.sql.conf", text: "shouldExecute=${env} == 'prod'\nencoding=ISO-8859-1\n" },
    { path: "V4__x.sh", text: "echo\n" },
    { path: "U9__orphan.sql", text: "SELECT 1;\n" },
    { path: "V5__a.sql", text: "SELECT 1;\n" },
    { path: "V5.0__b.sql", text: "SELECT 1;\n" },
  ]);
  const seen = r.problems.map((p) => `${p.file}:${p.line ?? ""}`).sort();
  assert.deepEqual(seen, [
    "B3__baseline.sql:",
    "R__views.sql:",
    "U9__orphan.sql:",
    "V1__init.sql:1",
    "V1__init.sql:2",
    "V1__init.sql:3",
    "V3__cond.sql.conf:1",
    "V3__cond.sql.conf:2",
    "V4__x.sh:",
    "V5__a.sql:",
    "afterMigrate.sql:",
  ]);
  const byFile = (f: string) => r.problems.filter((p) => p.file === f).map((p) => p.message);
  assert.match(byFile("R__views.sql")[0]!, /repeatable/);
  assert.match(byFile("V1__init.sql").join("\n"), /placeholder \$\{schema\}/);
  assert.match(byFile("V1__init.sql").join("\n"), /COPY/);
  // Two names for one version: Flyway compares 5 and 5.0 as equal.
  assert.match(byFile("V5__a.sql")[0]!, /also the version of "V5.0__b.sql"/);
});
