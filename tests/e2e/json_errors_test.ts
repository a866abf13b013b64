// Errors as data: with --json the document's `error`, and with --log-format=json the `error` event,
// carry what a program needs to act (code, exit code, database, file, line, column, statement, hint,
// and the drifted files), while the text output stays as it was.
import assert from "node:assert/strict";
import { runCli, withPgDatabase } from "../helpers.ts";
import { withProject } from "./_util.ts";

const FAILING = {
  "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS one (id int);\n",
  "migrations/postgres/V2__two.sql": "CREATE TABLE IF NOT EXISTS two (id int);\n" +
    "INSERT INTO two (id) SELECT id FROM no_such_table;\n",
};

/** The `error` event of a --log-format=json run (on stderr). */
function errorEvent(stderr: string): Record<string, unknown> {
  const events = stderr.trim().split("\n").map((l) => JSON.parse(l));
  const found = events.filter((e) => e.event === "error");
  assert.equal(found.length, 1, stderr);
  return found[0];
}

Deno.test("--json and --log-format=json carry a failed statement's code, exit code, place and statement", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FAILING, async (dir) => {
      const env = { POSTGRES_URL: url };
      const json = await runCli(["--json"], { cwd: dir, env });
      assert.equal(json.code, 1, json.stderr);
      const { error } = JSON.parse(json.stdout);
      assert.equal(error.code, "APPLY_FAILED");
      assert.equal(error.exitCode, 1);
      assert.equal(error.database, "postgres");
      assert.equal(error.file, "V2__two.sql");
      assert.deepEqual([error.line, error.column], [2, 37]);
      assert.equal(error.statement, "INSERT INTO two (id) SELECT id FROM no_such_table");
      assert.match(error.message, /^cannot apply "V2__two\.sql:2:37" to "postgres": relation/);

      const logs = await runCli(["--log-format=json"], { cwd: dir, env });
      assert.equal(logs.code, 1, logs.stderr);
      const event = errorEvent(logs.stderr);
      for (const key of ["code", "exitCode", "message", "database", "file", "line", "statement"]) {
        assert.deepEqual(event[key], error[key], key);
      }

      // Text output is unchanged: the message, the hint line, no fields.
      const text = await runCli([], { cwd: dir, env });
      assert.equal(text.code, 1);
      assert.doesNotMatch(text.stderr, /exitCode|"statement"/);
    });
  });
});

Deno.test("--json carries the drifted files of a drift error as items", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FAILING, async (dir) => {
      const env = { POSTGRES_URL: url };
      await Deno.remove(`${dir}/migrations/postgres/V2__two.sql`);
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      await Deno.writeTextFile(`${dir}/migrations/postgres/V1__one.sql`, "SELECT 1;\n");
      const json = await runCli(["--json"], { cwd: dir, env });
      assert.equal(json.code, 3, json.stderr);
      const { error } = JSON.parse(json.stdout);
      assert.equal(error.code, "CHECKSUM_MISMATCH");
      assert.equal(error.exitCode, 3);
      assert.equal(error.items.length, 1);
      assert.equal(error.items[0].script, "V1__one.sql");
      assert.equal(error.items[0].state, "checksum mismatch");
      assert.match(error.items[0].appliedChecksum, /^[0-9a-f]{64}$/);
      assert.match(error.items[0].fileChecksum, /^[0-9a-f]{64}$/);
      assert.match(error.items[0].diff, /\+SELECT 1;/);
    });
  });
});

Deno.test("--json carries a bad file's path, line and column, and a usage error its exit code", async () => {
  const files = {
    "migrations/postgres/V1__bad.sql": "SELECT 1;\nSELECT 'never closed;\n",
  };
  await withPgDatabase(async (url) => {
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const json = await runCli(["--json"], { cwd: dir, env });
      assert.equal(json.code, 2, json.stderr);
      const { error } = JSON.parse(json.stdout);
      assert.deepEqual(
        [error.code, error.exitCode, error.file, error.line, error.column],
        ["BAD_SQL_TEXT", 2, "./migrations/postgres/V1__bad.sql", 2, 8],
      );
      const usage = await runCli(["--json", "--no-such-flag"], { cwd: dir, env });
      assert.equal(usage.code, 2);
      assert.deepEqual(
        [JSON.parse(usage.stdout).error.code, JSON.parse(usage.stdout).error.exitCode],
        ["USAGE", 2],
      );
    });
  });
});
