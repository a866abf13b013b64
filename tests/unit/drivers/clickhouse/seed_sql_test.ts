import assert from "node:assert/strict";
import {
  insertTarget,
  isReplacingEngine,
  tableEnginesSql,
  truncateTarget,
} from "../../../../src/drivers/clickhouse/seed_sql.ts";

Deno.test("insertTarget() finds the table of an INSERT in its several forms", () => {
  assert.deepEqual(insertTarget("INSERT INTO scores VALUES (1)"), {
    database: null,
    table: "scores",
  });
  assert.deepEqual(insertTarget("insert into analytics.scores (a) values (1)"), {
    database: "analytics",
    table: "scores",
  });
  assert.deepEqual(insertTarget("INSERT INTO TABLE `my db`.`we``ird` SELECT 1"), {
    database: "my db",
    table: "we`ird",
  });
  assert.deepEqual(insertTarget('INSERT\n  INTO "x" FORMAT Values (1)'), {
    database: null,
    table: "x",
  });
  assert.deepEqual(insertTarget("  INSERT INTO a . b VALUES"), { database: "a", table: "b" });
  assert.equal(insertTarget("INSERT INTO FUNCTION remote('h', db.t) VALUES (1)"), "function");
  assert.equal(insertTarget("SELECT 'INSERT INTO x'"), null);
  assert.equal(insertTarget("CREATE TABLE t (a String) ENGINE = Memory"), null);
});

Deno.test("truncateTarget() finds the table of a TRUNCATE", () => {
  assert.deepEqual(truncateTarget("TRUNCATE TABLE IF EXISTS db.events"), {
    database: "db",
    table: "events",
  });
  assert.deepEqual(truncateTarget("truncate events"), { database: null, table: "events" });
  assert.equal(truncateTarget("INSERT INTO events VALUES (1)"), null);
});

Deno.test("isReplacingEngine() accepts the replacing engines only", () => {
  assert.ok(isReplacingEngine("ReplacingMergeTree"));
  assert.ok(isReplacingEngine("ReplicatedReplacingMergeTree"));
  assert.ok(isReplacingEngine("SharedReplacingMergeTree"));
  for (const e of ["MergeTree", "SummingMergeTree", "Memory", "Distributed", "Log"]) {
    assert.ok(!isReplacingEngine(e), e);
  }
});

Deno.test("tableEnginesSql() asks system.tables for each database and table", () => {
  assert.equal(
    tableEnginesSql([{ database: "a", table: "t" }, { database: "b", table: "u" }]),
    "SELECT database, name, engine FROM system.tables WHERE " +
      "(database = 'a' AND name = 't') OR (database = 'b' AND name = 'u')",
  );
});
