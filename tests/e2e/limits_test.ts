// Size limits: a SQL file or statement too large for the job's memory is refused before any
// change, naming the limit and the flag that raises it; raised, the same files apply.
import assert from "node:assert/strict";
import { lastLine, runCli, withPgDatabase } from "../helpers.ts";
import { hasTrackingTable, tableExists, withProject } from "./_util.ts";

const rows = (n: number) =>
  Array.from({ length: n }, (_, i) => `(${i}, '${"x".repeat(90)}')`).join(",\n");

Deno.test("a SQL file over --max-file-size exits 2 before any change; a raised limit applies it", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__first.sql": "CREATE TABLE first_t (id int);\n",
      // About 1.1 MB, in statements of 100 rows.
      "migrations/postgres/V2__big.sql": "CREATE TABLE big (id int, v text);\n" +
        Array.from({ length: 110 }, () => `INSERT INTO big VALUES\n${rows(100)};\n`).join(""),
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const refused = await runCli(["--max-file-size=1"], { cwd: dir, env });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        /V2__big\.sql" of database "postgres" is 1\.1 MB, over the limit of 1 MB/,
      );
      assert.match(refused.stderr, /--max-file-size=MB/);
      assert.match(lastLine(refused.stdout), /exit 2 FILE_TOO_LARGE/);
      assert.equal(await hasTrackingTable(url), false);
      assert.equal(await tableExists(url, "first_t"), false);

      const applied = await runCli([], {
        cwd: dir,
        env: { ...env, DB_MIGRATE_MAX_FILE_SIZE: "2" },
      });
      assert.equal(applied.code, 0, applied.stderr);
      assert.match(lastLine(applied.stdout), /^2 applied/);
    });
  });
});

Deno.test("a statement over --max-statement-size exits 2 naming its line; a raised limit applies it", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__big.sql": "CREATE TABLE big (id int, v text);\n\n" +
        `INSERT INTO big VALUES\n${rows(6000)};\n`,
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const refused = await runCli(["--max-statement-size=0.5"], { cwd: dir, env });
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /statement at line 3, column 1 of .*V1__big\.sql.* is 0\.6 MB/);
      assert.match(refused.stderr, /--max-statement-size=MB/);
      assert.match(lastLine(refused.stdout), /exit 2 STATEMENT_TOO_LARGE/);
      assert.equal(await hasTrackingTable(url), false);

      const applied = await runCli(["--max-statement-size=1"], { cwd: dir, env });
      assert.equal(applied.code, 0, applied.stderr);
    });
  });
});
