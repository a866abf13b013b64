import assert from "node:assert/strict";
import { checksum } from "../../src/core/checksum.ts";
import { convertProject } from "../../src/import/convert.ts";
import {
  adoptions,
  checkHistoryTable,
  historyColumnsSql,
  historySql,
  quoteTable,
  readHistory,
} from "../../src/import/history.ts";

const keys = (...k: string[]) => k.map((key) => ({ key }));

Deno.test("golang-migrate: the one row means every version up to it", () => {
  const m = keys("1", "2", "5", "10");
  assert.deepEqual(readHistory("golang-migrate", [], m), { applied: [], problems: [] });
  assert.deepEqual(readHistory("golang-migrate", [{ version: "5", dirty: false }], m), {
    applied: ["1", "2", "5"],
    problems: [],
  });
  const dirty = readHistory("golang-migrate", [{ version: "5", dirty: true }], m);
  assert.deepEqual(dirty.applied, []);
  assert.equal(dirty.problems[0]!.version, "5");
  assert.match(dirty.problems[0]!.why, /^dirty/);
  // The version golang-migrate stands at has no file: the folder is not the database's.
  const gone = readHistory("golang-migrate", [{ version: "7", dirty: false }], m);
  assert.deepEqual(gone.problems, [{
    version: "7",
    why: "golang-migrate applied it, but no file in SOURCE_DIR has this version",
  }]);
  const two = readHistory("golang-migrate", [{ version: "1", dirty: false }, {
    version: "2",
    dirty: false,
  }], m);
  assert.match(two.problems[0]!.why, /keeps one row/);
});

Deno.test("dbmate, sections, diesel: each row is an applied version, matched as the tool does", () => {
  const m = keys("20240101000000", "20240102000000", "20240103000000");
  assert.deepEqual(
    readHistory("dbmate", [{ version: "20240103000000" }, { version: "20240101000000" }], m),
    { applied: ["20240101000000", "20240103000000"], problems: [] },
  );
  // dbmate keeps the version as text: "001" and "1" are different versions.
  const padded = readHistory("dbmate", [{ version: "1" }], keys("001"));
  assert.equal(padded.problems.length, 1);
  // A plain schema_migrations may hold integers: sections compare them as integers.
  assert.deepEqual(readHistory("sections", [{ version: "1" }], keys("1")).applied, ["1"]);
  assert.deepEqual(readHistory("diesel", [{ version: "00000000000000" }], keys("00000000000000")), {
    applied: ["00000000000000"],
    problems: [],
  });
  assert.equal(readHistory("diesel", [{ version: "20990101000000" }], m).problems.length, 1);
});

Deno.test("goose: the latest row of each version decides, and version 0 is goose's own", () => {
  const m = keys("1", "2", "3");
  const rows = [
    { id: "1", version_id: "0", is_applied: true },
    { id: "2", version_id: "1", is_applied: true },
    { id: "3", version_id: "2", is_applied: true },
    { id: "4", version_id: "3", is_applied: true },
    { id: "5", version_id: "3", is_applied: false }, // rolled back by an older goose
    { id: "6", version_id: "2", is_applied: false },
    { id: "7", version_id: "2", is_applied: true }, // applied again
  ];
  assert.deepEqual(readHistory("goose", rows, m), { applied: ["1", "2"], problems: [] });
  assert.equal(
    readHistory("goose", [{ id: "1", version_id: "9", is_applied: true }], m).problems[0]!.version,
    "9",
  );
});

Deno.test("flyway: BASELINE covers the versions up to it; failed rows are problems", () => {
  const m = keys("1", "1.1", "1.2", "2", "3");
  const row = (rank: number, version: string | null, type: string, success = true) => ({
    installed_rank: rank,
    version,
    description: "x",
    type,
    script: version === null ? "R__x.sql" : `V${version}__x.sql`,
    success,
    installed_on: "2024-01-01 00:00:00",
  });
  assert.deepEqual(
    readHistory("flyway", [
      row(1, "1.1", "BASELINE"),
      row(2, "1.2", "SQL"),
      row(3, null, "SQL"), // a repeatable migration
      row(4, "2.0", "SQL"), // Flyway writes the version as it is named; 2.0 is 2
    ], m),
    { applied: ["1", "1.1", "1.2", "2"], problems: [] },
  );
  const failed = readHistory("flyway", [row(1, "1", "SQL"), row(2, "1.1", "SQL", false)], m);
  assert.deepEqual(failed.applied, ["1"]);
  assert.equal(failed.problems[0]!.version, "1.1");
  assert.match(failed.problems[0]!.why, /^failed/);
  // Undone after it was applied: not applied.
  assert.deepEqual(
    readHistory("flyway", [row(1, "1", "SQL"), row(2, "2", "SQL"), row(3, "2", "UNDO_SQL")], m)
      .applied,
    ["1"],
  );
  // A Java migration's version has no SQL file to import.
  const jdbc = readHistory("flyway", [row(1, "4", "JDBC")], m);
  assert.match(jdbc.problems[0]!.why, /JDBC migration/);
  // The schema-creation row is Flyway's own.
  assert.deepEqual(readHistory("flyway", [row(0, "0", "SCHEMA")], m), {
    applied: [],
    problems: [],
  });
});

Deno.test("prisma: the latest row decides; unfinished and rolled-back rows are problems", () => {
  const m = keys("20240101000000_init", "20240102000000_posts", "20240103000000_tags");
  const row = (
    name: string,
    started: string,
    finished: string | null,
    rolledBack: string | null,
    logs: string | null = null,
  ) => ({
    migration_name: name,
    started_at: started,
    finished_at: finished,
    rolled_back_at: rolledBack,
    logs,
  });
  const h = readHistory("prisma", [
    row("20240101000000_init", "2024-01-01", "2024-01-01", null),
    // Failed, marked rolled back, then applied again: applied.
    row("20240102000000_posts", "2024-01-02", null, "2024-01-02", "boom"),
    row("20240102000000_posts", "2024-01-03", "2024-01-03", null),
    row(
      "20240103000000_tags",
      "2024-01-04",
      null,
      null,
      'ERROR: relation "tag" already exists\nmore',
    ),
  ], m);
  assert.deepEqual(h.applied, ["20240101000000_init", "20240102000000_posts"]);
  assert.equal(h.problems.length, 1);
  assert.equal(h.problems[0]!.version, "20240103000000_tags");
  assert.match(h.problems[0]!.why, /never finished \(ERROR: relation "tag" already exists\)/);
  const rolledBack = readHistory("prisma", [row("20240101000000_init", "a", null, "b")], m);
  assert.match(rolledBack.problems[0]!.why, /^rolled back/);
});

Deno.test("checkHistoryTable() tells golang-migrate's schema_migrations from dbmate's", () => {
  assert.deepEqual(checkHistoryTable("dbmate", []), { missing: true, problems: [] });
  assert.deepEqual(checkHistoryTable("dbmate", ["version"]), { missing: false, problems: [] });
  assert.match(
    checkHistoryTable("dbmate", ["version", "dirty"]).problems[0]!.why,
    /golang-migrate/,
  );
  assert.match(
    checkHistoryTable("golang-migrate", ["version"]).problems[0]!.why,
    /no column dirty: it is not golang-migrate's/,
  );
  assert.deepEqual(
    checkHistoryTable("flyway", ["installed_rank", "version", "type", "script", "success"]),
    {
      missing: false,
      problems: [],
    },
  );
});

Deno.test("the history SQL names the table quoted, and the column lookup resolves it by search_path", () => {
  assert.equal(quoteTable("app.schema_migrations"), '"app"."schema_migrations"');
  assert.equal(
    historySql("golang-migrate"),
    'SELECT version::text AS version, dirty FROM "schema_migrations"',
  );
  assert.match(
    historySql("flyway", "meta.flyway_schema_history"),
    /FROM "meta"."flyway_schema_history" ORDER BY installed_rank$/,
  );
  assert.match(historyColumnsSql("goose"), /to_regclass\('"goose_db_version"'\)/);
  assert.match(historyColumnsSql("dbmate", "o'brien.t"), /to_regclass\('"o''brien"."t"'\)/);
});

Deno.test("adoptions() gives each applied version its converted file's name and checksum", () => {
  const plan = convertProject("golang-migrate", [
    { path: "1_init.up.sql", text: "CREATE TABLE a (id int);\n" },
    { path: "2_more.up.sql", text: "CREATE TABLE b (id int);\n" },
  ]);
  const rows = adoptions(
    plan,
    readHistory("golang-migrate", [{ version: "1", dirty: false }], plan.migrations),
  );
  assert.deepEqual(rows, [{
    version: 1,
    script: "V1__init.sql",
    description: "init",
    checksum: checksum(plan.migrations[0]!.migration.text),
  }]);
  assert.match(rows[0]!.checksum, /^[0-9a-f]{64}$/);
});
