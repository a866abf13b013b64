// Failures and their exit codes: configuration errors (2) before any database is touched, a failing
// statement (1) with its place in the file, an unreachable server (4), and usage errors (2).
import assert from "node:assert/strict";
import { lastLine, runCli, withPgDatabase } from "../helpers.ts";
import { closedPort, hasTrackingTable, tableExists, trackingRows, withProject } from "./_util.ts";

Deno.test("two files with one version are a configuration error: exit 2, database untouched", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__first.sql": "CREATE TABLE IF NOT EXISTS first_t (id int);\n",
      // 001 is version 1 too: versions compare as integers.
      "migrations/postgres/V001__again.sql": "CREATE TABLE IF NOT EXISTS again_t (id int);\n",
      "migrations/postgres/V2__second.sql": "CREATE TABLE IF NOT EXISTS second_t (id int);\n",
    };
    await withProject(files, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /V1__first\.sql/);
      assert.match(r.stderr, /V001__again\.sql/);
      assert.equal(await hasTrackingTable(url), false, "no tracking table");
      assert.equal(await tableExists(url, "first_t"), false);
      assert.equal(await tableExists(url, "second_t"), false);
    });
  });
});

Deno.test("a .sql file with a bad name is a configuration error: exit 2, database untouched", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__first.sql": "CREATE TABLE IF NOT EXISTS first_t (id int);\n",
      "migrations/postgres/add_users.sql": "CREATE TABLE IF NOT EXISTS users_t (id int);\n",
    };
    await withProject(files, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /add_users\.sql/);
      assert.equal(await hasTrackingTable(url), false, "no tracking table");
      assert.equal(await tableExists(url, "first_t"), false);
      assert.equal(await tableExists(url, "users_t"), false);
    });
  });
});

Deno.test("a statement failing mid-run exits 1 with file, line, column and message; earlier files stay; a re-run after the fix completes", async () => {
  await withPgDatabase(async (url) => {
    const broken = "-- the third migration\n" +
      "CREATE TABLE IF NOT EXISTS t3 (id int);\n" +
      "INSERT INTO t3 (id)\n" +
      "SELECT id FROM no_such_table;\n";
    const fixed = "-- the third migration\n" +
      "CREATE TABLE IF NOT EXISTS t3 (id int);\n" +
      "INSERT INTO t3 (id)\n" +
      "SELECT 3;\n";
    const files = {
      "migrations/billing/V1__one.sql": "CREATE TABLE IF NOT EXISTS t1 (id int);\n",
      "migrations/billing/V2__two.sql": "CREATE TABLE IF NOT EXISTS t2 (id int);\n",
      "migrations/billing/V3__three.sql": broken,
      "migrations/billing/V4__four.sql": "CREATE TABLE IF NOT EXISTS t4 (id int);\n",
    };
    await withProject(files, async (dir) => {
      const env = { BILLING_URL: url };
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /\bbilling\b/, "the database is named");
      // `no_such_table` starts at line 4, column 16.
      assert.match(r.stderr, /V3__three\.sql:4:16\b/, r.stderr);
      assert.match(r.stderr, /relation "no_such_table" does not exist/);
      assert.match(r.stderr, /INSERT INTO t3 \(id\)/, "the statement's first line");
      assert.match(lastLine(r.stdout), /^2 applied, 0 skipped, 1 failed/);

      assert.deepEqual(
        (await trackingRows(url)).map((x) => [x.script, x.success]),
        [["V1__one.sql", true], ["V2__two.sql", true]],
      );
      assert.ok(await tableExists(url, "t1"));
      assert.ok(await tableExists(url, "t2"));
      assert.equal(await tableExists(url, "t3"), false, "V3 is rolled back as a whole");
      assert.equal(await tableExists(url, "t4"), false, "V4 is not attempted");

      await Deno.writeTextFile(`${dir}/migrations/billing/V3__three.sql`, fixed);
      const again = await runCli([], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(lastLine(again.stdout), /^2 applied, 2 skipped, 0 failed/);
      assert.ok(await tableExists(url, "t4"));
      assert.deepEqual(
        (await trackingRows(url)).map((x) => [x.script, x.success]),
        [["V1__one.sql", true], ["V2__two.sql", true], ["V3__three.sql", true], [
          "V4__four.sql",
          true,
        ]],
      );
    });
  });
});

Deno.test("a failing statement whose error has no server position is still reported at its line", async () => {
  await withPgDatabase(async (url) => {
    const text = "CREATE TABLE IF NOT EXISTS uniq (id int PRIMARY KEY);\n" +
      "INSERT INTO uniq (id) VALUES (1);\n" +
      "\n" +
      "-- the same key again\n" +
      "INSERT INTO uniq (id) VALUES (1);\n" +
      "INSERT INTO uniq (id) VALUES (2);\n";
    await withProject({ "migrations/postgres/V1__uniq.sql": text }, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /V1__uniq\.sql:5(:\d+)?\b/, r.stderr);
      assert.doesNotMatch(r.stderr, /V1__uniq\.sql:[1-46-9]\b/);
      assert.match(r.stderr, /duplicate key value violates unique constraint/);
      assert.match(r.stderr, /INSERT INTO uniq \(id\) VALUES \(1\)/);
      assert.equal(await tableExists(url, "uniq"), false, "the file is rolled back");
      assert.deepEqual(await trackingRows(url), []);
    });
  });
});

Deno.test("an unreachable host with --wait=2 exits 4 within seconds, showing attempts and no password", async () => {
  const port = closedPort();
  const files = { "migrations/postgres/V1__one.sql": "CREATE TABLE t1 (id int);\n" };
  await withProject(files, async (dir) => {
    const url = `postgres://app:Unre4chablePw@127.0.0.1:${port}/app`;
    const started = Date.now();
    const r = await runCli(["--wait=2"], { cwd: dir, env: { POSTGRES_URL: url } });
    const elapsed = Date.now() - started;
    assert.equal(r.code, 4, r.stderr);
    assert.ok(elapsed < 6000, `gave up after ${elapsed} ms`);
    assert.match(r.stderr, /attempt/i);
    assert.ok(
      r.stderr.split("\n").filter((l) => /attempt/i.test(l)).length >= 2,
      `a line per attempt:\n${r.stderr}`,
    );
    assert.ok(!(r.stdout + r.stderr).includes("Unre4chablePw"), "password hidden");
    assert.match(r.stderr, /app:\*\*\*@127\.0\.0\.1/);
  });
});

Deno.test("a missing URL exits 2 and names POSTGRES_URL", async () => {
  const files = { "migrations/postgres/V1__one.sql": "CREATE TABLE t1 (id int);\n" };
  await withProject(files, async (dir) => {
    const r = await runCli([], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\bPOSTGRES_URL\b/);
  });
});

Deno.test("a missing URL for a folder aiml-postgres exits 2 naming AIML_POSTGRES_URL, and no database is touched", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS t1 (id int);\n",
      "migrations/aiml-postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS t1 (id int);\n",
    };
    await withProject(files, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /\bAIML_POSTGRES_URL\b/);
      assert.equal(await hasTrackingTable(url), false, "postgres is not touched either");
      assert.equal(await tableExists(url, "t1"), false);
    });
  });
});

Deno.test("an unknown flag exits 2 with the usage on stderr and touches nothing", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS t1 (id int);\n",
    };
    await withProject(files, async (dir) => {
      const r = await runCli(["--frobnicate"], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /--frobnicate/);
      assert.match(r.stderr, /usage/i);
      assert.match(r.stderr, /--dry-run/, "the usage lists the flags");
      assert.equal(await hasTrackingTable(url), false);
    });
  });
});
