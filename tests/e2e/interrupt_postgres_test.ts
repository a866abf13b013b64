// A stop or a lost connection on PostgreSQL says what really happened: a no-transaction file keeps
// the statements that ran and is recorded as failed where it stopped (never "rolled back"); a
// server that ends the session is a lost connection, not a failed statement.
import assert from "node:assert/strict";
import { lastLine, pgQuery, runCli, spawnCli, withPgDatabase } from "../helpers.ts";
import { lineWith, tableExists, withProject } from "./_util.ts";

const decoder = new TextDecoder();

/** Waits until the database runs a query containing `needle` (from another session); its pid. */
async function waitForQuery(url: string, name: string, needle: string): Promise<number> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    const [row] = await pgQuery(
      url,
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' " +
        "AND pid <> pg_backend_pid() AND position($2 in query) > 0",
      [name, needle],
    );
    if (row) return Number(row.pid);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no query with ${needle} started within 20 s`);
}

async function trackingRow(url: string, script: string) {
  const [row] = await pgQuery(
    url,
    "SELECT success, statements_done, error FROM _schema_migrations WHERE script = $1",
    [script],
  );
  return row;
}

const NO_TX = "-- db-migrate: no-transaction\n" +
  "CREATE TABLE IF NOT EXISTS first_t (id int);\n" +
  "SELECT pg_sleep(SECONDS);\n" +
  "CREATE TABLE IF NOT EXISTS third_t (id int);\n";

Deno.test("SIGTERM after statement 1 of a no-transaction file records it as failed at statement 2 and never says rolled back", async () => {
  await withPgDatabase(async (url, name) => {
    const files = { "migrations/postgres/V001__no_tx.sql": NO_TX.replace("SECONDS", "60") };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      // No grace (the flag's env equivalent): the running pg_sleep is cancelled at once.
      const child = spawnCli([], { cwd: dir, env: { ...env, DB_MIGRATE_GRACE_PERIOD: "0" } });
      const output = child.output();
      await waitForQuery(url, name, "pg_sleep(60)");
      child.kill("SIGTERM");
      const out = await output;
      const stdout = decoder.decode(out.stdout), stderr = decoder.decode(out.stderr);
      const explain = `exit ${out.code}\n${stdout}\n${stderr}`;
      assert.equal(out.code, 143, explain);

      assert.ok(await tableExists(url, "first_t"), "statement 1 stays applied");
      const row = await trackingRow(url, "V001__no_tx.sql");
      assert.equal(row?.success, false, `recorded as failed\n${explain}`);
      assert.equal(row?.statements_done, 1);
      assert.match(String(row?.error), /stopped by SIGTERM: statement 2 of 3 was cancelled/);

      assert.doesNotMatch(stdout + lineWith(stderr, "error:"), /rolled back/);
      assert.match(
        stdout,
        /V001__no_tx\.sql\s+failed\s+interrupted: statement 2 of 3 was cancelled when the grace period ended; statement 1 stays applied, and it is recorded as failed at statement 2/,
      );
      assert.match(lastLine(stdout), /^0 applied, 0 skipped, 1 failed; .*exit 143 INTERRUPTED/);
      assert.match(stderr, /hint: run again: the file is applied again from its first statement/);

      const status = await runCli(["--status"], { cwd: dir, env });
      assert.match(lineWith(status.stdout, "V001__no_tx.sql"), /failed/);

      // The next run applies the file again from the top (it is idempotent by rule).
      await Deno.writeTextFile(
        `${dir}/migrations/postgres/V001__no_tx.sql`,
        NO_TX.replace("SECONDS", "0"),
      );
      const next = await runCli([], { cwd: dir, env });
      assert.equal(next.code, 0, `${next.stdout}\n${next.stderr}`);
      assert.ok(await tableExists(url, "third_t"));
      assert.equal((await trackingRow(url, "V001__no_tx.sql"))?.success, true);
    });
  });
});

Deno.test("SIGTERM lets a running no-transaction statement finish within the grace period, then records the file as failed after it", async () => {
  await withPgDatabase(async (url, name) => {
    const files = {
      "migrations/postgres/V001__no_tx.sql": NO_TX.replace("SECONDS", "3"),
      "migrations/postgres/V002__later.sql": "CREATE TABLE IF NOT EXISTS later_t (id int);\n",
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const child = spawnCli([], { cwd: dir, env });
      const output = child.output();
      await waitForQuery(url, name, "pg_sleep(3)");
      child.kill("SIGTERM");
      const out = await output;
      const stdout = decoder.decode(out.stdout), stderr = decoder.decode(out.stderr);
      assert.equal(out.code, 143, `${stdout}\n${stderr}`);
      const row = await trackingRow(url, "V001__no_tx.sql");
      assert.equal(row?.success, false);
      assert.equal(row?.statements_done, 2, "pg_sleep finished within the grace period");
      assert.match(String(row?.error), /stopped by SIGTERM after statement 2 of 3/);
      assert.equal(await tableExists(url, "third_t"), false, "statement 3 did not start");
      assert.match(
        stdout,
        /V001__no_tx\.sql\s+failed\s+interrupted: stopped after statement 2 of 3: the file runs outside a transaction, so statements 1-2 stay applied; it is recorded as failed at statement 3/,
      );
      assert.match(lastLine(stdout), /^0 applied, 0 skipped, 1 failed, 1 not run; .*exit 143/);
    });
  });
});

Deno.test("a session the server ends during a migration is CONNECTION_LOST (exit 4), not a failed statement, and the next run applies the file", async () => {
  await withPgDatabase(async (url, name) => {
    const files = {
      "migrations/postgres/V001__slow.sql": "CREATE TABLE IF NOT EXISTS slow_t (id int);\n" +
        "SELECT pg_sleep(60);\n",
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const child = spawnCli([], { cwd: dir, env });
      const output = child.output();
      const pid = await waitForQuery(url, name, "pg_sleep(60)");
      await pgQuery(url, "SELECT pg_terminate_backend($1)", [pid]);
      const out = await output;
      const stdout = decoder.decode(out.stdout), stderr = decoder.decode(out.stderr);
      assert.equal(out.code, 4, `${stdout}\n${stderr}`);
      // postgres.js reports the server's 57P01 or the socket closing, whichever comes first.
      assert.match(
        stderr,
        /lost the connection to "postgres" while applying "V001__slow\.sql": (terminating connection due to administrator command \(SQLSTATE 57P01\)|write CONNECTION_CLOSED )/,
      );
      assert.doesNotMatch(stderr, /SQLSTATE CONNECTION/);
      assert.match(
        stderr,
        /the server went away .*not the file's fault\. The file and its tracking row commit together, so either both happened or neither/,
      );
      assert.doesNotMatch(stderr, /fix the/);
      assert.match(lastLine(stdout), /exit 4 CONNECTION_LOST/);
      assert.equal(await tableExists(url, "slow_t"), false, "the transaction was not committed");

      await Deno.writeTextFile(
        `${dir}/migrations/postgres/V001__slow.sql`,
        "CREATE TABLE IF NOT EXISTS slow_t (id int);\n",
      );
      const next = await runCli([], { cwd: dir, env });
      assert.equal(next.code, 0, `${next.stdout}\n${next.stderr}`);
      assert.ok(await tableExists(url, "slow_t"));
    });
  });
});
