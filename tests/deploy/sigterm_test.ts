// SIGTERM, as `docker compose stop`, a deleted Job or a drained node sends it, to the image's entry
// point while a migration runs: the running statement is cancelled, its file rolled back and not
// recorded, the lock released, and the run exits 143 with a summary of what was and was not applied.
import assert from "node:assert/strict";
import { lastLine, pgQuery, withPgDatabase } from "../helpers.ts";
import { type ImageRun, namespaceInit, runImage, stageImage } from "./_image.ts";

const MIGRATIONS = {
  "postgres/V001__first.sql": "CREATE TABLE IF NOT EXISTS first_table (id int);\n",
  // Creates a table, then takes long: a rollback must take the table away again.
  "postgres/V002__slow.sql":
    "CREATE TABLE IF NOT EXISTS slow_table (id int);\nSELECT pg_sleep(30);\n",
  "postgres/V003__third.sql": "CREATE TABLE IF NOT EXISTS third_table (id int);\n",
};

/** Waits until the database runs a query containing `text`, or fails after timeoutMs. */
async function waitForQuery(url: string, database: string, text: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const rows = await pgQuery(
      url,
      "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND query LIKE $2",
      [database, `%${text}%`],
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `no query with ${JSON.stringify(text)} ran on "${database}" within ${timeoutMs} ms`,
  );
}

// As root the program runs as PID 1 of its own PID namespace, as in a container without an init
// (the Kubernetes Job): the kernel delivers SIGTERM to a PID 1 only because the program handles it.
const AS_PID_1 = Deno.uid() === 0;

Deno.test({
  name:
    "SIGTERM during a migration rolls it back, records nothing of it, releases the lock, exits 143" +
    (AS_PID_1 ? " (as PID 1)" : ""),
  sanitizeResources: false,
  async fn() {
    const image = await stageImage();
    try {
      // The migrations come from a mounted volume, as an operator overrides the image's own.
      await image.mountDir("/app/migrations", MIGRATIONS);
      await image.mountDir("/app/seeds", {});
      await withPgDatabase(async (url, database) => {
        await image.mountSecret("/run/secrets/postgres_url", `${url}\n`);
        const env = {
          POSTGRES_URL_FILE: image.path("/run/secrets/postgres_url"),
          DB_MIGRATE_TERMINATION_LOG: image.path("/dev/termination-log"),
        };
        const child = image.command({ env, pid1: AS_PID_1 }).spawn();
        const output = child.output();
        await waitForQuery(url, database, "pg_sleep(30)");
        const signalled = performance.now();
        if (AS_PID_1) Deno.kill(await namespaceInit(child.pid), "SIGTERM");
        else child.kill("SIGTERM");
        const out = await output;
        const stopMs = performance.now() - signalled;
        const d = new TextDecoder();
        const run: ImageRun = {
          code: out.code,
          stdout: d.decode(out.stdout),
          stderr: d.decode(out.stderr),
        };
        const explain = `exit ${run.code}\n${run.stdout}\n${run.stderr}`;

        assert.equal(run.code, 143, explain);
        assert.ok(stopMs < 5000, `stopping took ${Math.round(stopMs)} ms`);
        assert.match(run.stderr, /received SIGTERM/);
        assert.match(lastLine(run.stdout), /^1 applied, 0 skipped, 0 failed, 2 not run; .*143/);
        assert.match(run.stdout, /V002__slow\.sql\s+not run\s+interrupted, rolled back/);

        // Nothing half-recorded: V001 is applied and recorded, V002's work is rolled back.
        const rows = await pgQuery(url, "SELECT version, success FROM _schema_migrations");
        assert.deepEqual(rows.map((r) => [Number(r.version), r.success]), [[1, true]]);
        const [slow] = await pgQuery(url, "SELECT to_regclass('slow_table') IS NULL AS gone");
        assert.equal(slow?.gone, true, "slow_table should have been rolled back");
        // The statement was cancelled on the server, not left running.
        const sleeping = await pgQuery(
          url,
          "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(30)%' AND pid <> pg_backend_pid()",
          [database],
        );
        assert.deepEqual(sleeping, []);

        const message = JSON.parse(await Deno.readTextFile(image.path("/dev/termination-log")));
        assert.equal(message.ok, false);
        assert.equal(message.exitCode, 143);
        assert.equal(message.applied, 1);
        assert.match(message.error, /^INTERRUPTED: /);

        // The lock was released: a second run takes it at once (a lock still held would fail
        // with --lock-timeout=0) and applies the rest, the slow file now quick.
        await image.mountDir("/app/migrations", {
          ...MIGRATIONS,
          "postgres/V002__slow.sql": "CREATE TABLE IF NOT EXISTS slow_table (id int);\n",
        });
        const second = await runImage(image, { args: ["--lock-timeout=0"], env });
        assert.equal(second.code, 0, `${second.stdout}\n${second.stderr}`);
        assert.match(lastLine(second.stdout), /^2 applied, 1 skipped, 0 failed/);
      });
    } finally {
      await image.cleanup();
    }
  },
});
