// Files that must run outside a transaction: the `-- db-migrate: no-transaction` directive, the
// statements detected without it, and a failed non-transactional file being recorded and retried.
import assert from "node:assert/strict";
import { lastLine, pgQuery, runCli, withPgDatabase } from "../helpers.ts";
import { lineWith, tableExists, trackingRows, withProject } from "./_util.ts";

const TABLE =
  "CREATE TABLE IF NOT EXISTS events (id int PRIMARY KEY, kind text, at timestamptz);\n" +
  "INSERT INTO events SELECT g, 'k' || (g % 7), now() FROM generate_series(1, 200) g\n" +
  "  ON CONFLICT DO NOTHING;\n";

/** indisvalid of an index, or null when it does not exist. */
async function indexValid(url: string, name: string): Promise<boolean | null> {
  const rows = await pgQuery(
    url,
    "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = $1",
    [name],
  );
  return rows.length === 0 ? null : rows[0]?.valid === true;
}

Deno.test("a no-transaction file with CREATE INDEX CONCURRENTLY creates a valid index", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__events.sql": TABLE,
      "migrations/postgres/V2__events_kind_index.sql": "-- db-migrate: no-transaction\n" +
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS events_kind_idx ON events (kind);\n",
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(lastLine(r.stdout), /^2 applied, 0 skipped, 0 failed/);
      assert.equal(await indexValid(url, "events_kind_idx"), true);
      assert.deepEqual(
        (await trackingRows(url)).map((x) => [x.script, x.success]),
        [["V1__events.sql", true], ["V2__events_kind_index.sql", true]],
      );

      const again = await runCli([], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(lastLine(again.stdout), /^0 applied, 2 skipped, 0 failed/);
    });
  });
});

Deno.test("a file without the directive holding CREATE INDEX CONCURRENTLY among other statements is detected and works", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__events.sql": TABLE,
      "migrations/postgres/V2__more.sql": "-- an ordinary header comment\n" +
        "ALTER TABLE events ADD COLUMN IF NOT EXISTS source text;\n" +
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS events_at_idx ON events (at);\n" +
        "CREATE TABLE IF NOT EXISTS event_sources (name text PRIMARY KEY);\n",
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const dry = await runCli(["--dry-run"], { cwd: dir, env });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        lineWith(dry.stdout, "V2__more.sql"),
        /\b3 statements \(no transaction: CREATE INDEX CONCURRENTLY at line 3\)$/,
      );

      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(lastLine(r.stdout), /^2 applied, 0 skipped, 0 failed/);
      assert.equal(await indexValid(url, "events_at_idx"), true);
      assert.ok(await tableExists(url, "event_sources"));
      const [col] = await pgQuery(
        url,
        "SELECT count(*)::int AS n FROM information_schema.columns WHERE table_name = 'events' AND column_name = 'source'",
      );
      assert.equal(col?.n, 1);
      assert.equal((await trackingRows(url)).length, 2);
    });
  });
});

Deno.test("a failed non-transactional file is recorded as failed, shown by --status, and retried by the next run", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__items.sql":
        "CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY);\n" +
        "INSERT INTO items VALUES (1) ON CONFLICT DO NOTHING;\n",
      // Fails at line 3 while items holds a 1; the CREATE TABLE before it stays applied.
      "migrations/postgres/V2__extras.sql": "-- db-migrate: no-transaction\n" +
        "CREATE TABLE IF NOT EXISTS extras (id int);\n" +
        "INSERT INTO items VALUES (1);\n" +
        "CREATE INDEX CONCURRENTLY IF NOT EXISTS extras_id_idx ON extras (id);\n",
      "migrations/postgres/V3__after.sql": "CREATE TABLE IF NOT EXISTS after_t (id int);\n",
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /V2__extras\.sql:3\b/);
      assert.match(r.stderr, /duplicate key value/);
      assert.deepEqual(
        (await trackingRows(url)).map((x) => [x.script, x.success]),
        [["V1__items.sql", true], ["V2__extras.sql", false]],
      );
      assert.ok(await tableExists(url, "extras"), "statements before the failure stay applied");
      assert.equal(await tableExists(url, "after_t"), false, "V3 is not attempted");

      const status = await runCli(["--status"], { cwd: dir, env });
      assert.equal(status.code, 0, status.stderr);
      assert.match(lineWith(status.stdout, "V2__extras.sql"), /\bfailed\b/, status.stdout);
      assert.match(lineWith(status.stdout, "V3__after.sql"), /\bpending\b/);

      // The cause goes away (the file is unchanged): the next run retries V2 and goes on.
      await pgQuery(url, "DELETE FROM items");
      const again = await runCli([], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(lastLine(again.stdout), /^2 applied, 1 skipped, 0 failed/);
      assert.equal(await indexValid(url, "extras_id_idx"), true);
      assert.ok(await tableExists(url, "after_t"));
      assert.deepEqual(
        (await trackingRows(url)).map((x) => [x.script, x.success]),
        [["V1__items.sql", true], ["V2__extras.sql", true], ["V3__after.sql", true]],
      );
    });
  });
});
