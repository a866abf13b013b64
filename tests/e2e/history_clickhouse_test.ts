// The tracking-history commands against ClickHouse, as processes: an undo runs statement by
// statement and resumes where a failed one stopped, info shows the failed undo with its statement,
// and mark, baseline and --steps work as on PostgreSQL.
import assert from "node:assert/strict";
import { chQuery, chRows, lastLine, runCli, withClickHouseDatabase } from "../helpers.ts";
import { withProject } from "./_util.ts";

const ENGINE = "ENGINE = MergeTree ORDER BY id";
const FILES = {
  "migrations/analytics/V1__e1.sql": `CREATE TABLE IF NOT EXISTS e1 (id UInt32) ${ENGINE};\n`,
  "migrations/analytics/V2__e2.sql": `CREATE TABLE IF NOT EXISTS e2 (id UInt32) ${ENGINE};\n` +
    "INSERT INTO e2 VALUES (1);\n",
  "migrations/analytics/U2__e2.sql": "DROP TABLE IF EXISTS e2;\nSELECT throwIf(1 = 1);\n" +
    `CREATE TABLE IF NOT EXISTS e2_gone (id UInt32) ${ENGINE};\n`,
  "migrations/analytics/V3__e3.sql": `CREATE TABLE IF NOT EXISTS e3 (id UInt32) ${ENGINE};\n`,
};

/** The current tracking rows: version, success, provenance, statements_done. */
async function rows(url: string): Promise<[number, number, string, number][]> {
  const found = await chRows<Record<string, unknown>>(
    url,
    "SELECT version, success, provenance, statements_done FROM _schema_migrations FINAL " +
      "WHERE deleted = 0 ORDER BY version",
  );
  return found.map((r) => [
    Number(r.version),
    Number(r.success),
    String(r.provenance),
    Number(r.statements_done),
  ]);
}

async function tables(url: string): Promise<string[]> {
  const db = new URL(url).pathname.slice(1);
  const text = await chQuery(
    url,
    `SELECT name FROM system.tables WHERE database = '${db}' AND substring(name, 1, 1) != '_' ORDER BY name`,
  );
  return text.split("\n").filter(Boolean);
}

Deno.test("ClickHouse: undo runs statement by statement, a failure is shown by info, and undo resumes after it", async () => {
  await withClickHouseDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { ANALYTICS_URL: url };
      const steps = await runCli(["--steps=2"], { cwd: dir, env });
      assert.equal(steps.code, 0, steps.stderr);
      assert.deepEqual(await tables(url), ["e1", "e2"]);

      const failed = await runCli(["undo", "-y"], { cwd: dir, env });
      assert.equal(failed.code, 1, failed.stderr);
      assert.match(failed.stderr, /U2__e2\.sql:2:1" to "analytics"/);
      assert.deepEqual((await rows(url))[1], [2, 0, "undoing", 1], "statement 1 of the undo ran");
      assert.deepEqual(await tables(url), ["e1"]);

      const info = await runCli(["info"], { cwd: dir, env });
      assert.equal(info.code, 0, info.stderr);
      assert.match(info.stdout, /server: +ClickHouse \d/);
      assert.match(info.stdout, /files: +1 applied, 1 pending, 1 failed, 0 undone/);
      assert.match(
        info.stdout,
        /failed: V2__e2\.sql \(while undoing it\)\n +error: statement 2 of 3 failed: .*throwIf/,
      );
      assert.match(info.stdout, /statement: SELECT throwIf\(1 = 1\)/);
      const doc = JSON.parse((await runCli(["info", "--json"], { cwd: dir, env })).stdout);
      assert.deepEqual(
        doc.databases[0].info.failed.map((
          f: Record<string, unknown>,
        ) => [f.script, f.during, f.at]),
        [["V2__e2.sql", "undo", "SELECT throwIf(1 = 1)"]],
      );

      await Deno.writeTextFile(
        `${dir}/migrations/analytics/U2__e2.sql`,
        FILES["migrations/analytics/U2__e2.sql"].replace("1 = 1", "1 = 0"),
      );
      const resumed = await runCli(["undo", "-y"], { cwd: dir, env });
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, /U2__e2\.sql +undone .*resumed at statement 2 of 3/);
      assert.deepEqual((await rows(url))[1], [2, 0, "undone", 0]);
      assert.deepEqual(await tables(url), ["e1", "e2_gone"]);

      const again = await runCli(["--seed=none"], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(lastLine(again.stdout), /^2 applied, 1 skipped, 0 failed/);
      assert.deepEqual(await rows(url), [[1, 1, "applied", 1], [2, 1, "applied", 2], [
        3,
        1,
        "applied",
        1,
      ]]);
      const [count] = await chRows<{ n: string }>(url, "SELECT count() AS n FROM e2");
      assert.equal(Number(count?.n), 1);
    });
  });
});

Deno.test("ClickHouse: undo refuses a migration without a U-file; mark and baseline record how rows got there", async () => {
  await withClickHouseDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { ANALYTICS_URL: url };
      const base = await runCli(["baseline", "--version=1", "-y"], { cwd: dir, env });
      assert.equal(base.code, 0, base.stderr);
      const mark = await runCli(["mark", "applied", "3", "-y"], { cwd: dir, env });
      assert.equal(mark.code, 0, mark.stderr);
      assert.deepEqual(await rows(url), [[1, 1, "baselined", 1], [3, 1, "marked", 1]]);
      assert.deepEqual(await tables(url), [], "nothing ran");

      const refused = await runCli(["undo", "-y"], { cwd: dir, env });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /cannot undo "V3__e3\.sql" in "analytics": no U-file undoes it/);

      const pending = await runCli(["mark", "pending", "3", "-y"], { cwd: dir, env });
      assert.equal(pending.code, 0, pending.stderr);
      assert.deepEqual(await rows(url), [[1, 1, "baselined", 1]]);
      const run = await runCli(["--seed=none"], { cwd: dir, env });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await tables(url), ["e2", "e3"], "V1 was baselined, not run");
    });
  });
});

Deno.test("ClickHouse: a tracking table from before provenance keeps working and gets the column on the next run", async () => {
  await withClickHouseDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { ANALYTICS_URL: url };
      assert.equal((await runCli(["--to=1"], { cwd: dir, env })).code, 0);
      await chQuery(url, "ALTER TABLE _schema_migrations DROP COLUMN provenance");
      const status = await runCli(["status"], { cwd: dir, env });
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /1 +V1__e1\.sql +applied/);
      const run = await runCli(["--to=2"], { cwd: dir, env });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual((await rows(url)).map((r) => r[2]), ["applied", "applied"]);
    });
  });
});
