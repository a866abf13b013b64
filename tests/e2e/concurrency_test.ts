// Concurrent runs on one database take turns and apply each migration once; a run killed with
// SIGKILL inside a migration leaves nothing recorded for it and does not block the next run.
import assert from "node:assert/strict";
import postgres from "postgres";
import { lastLine, pgQuery, runCli, spawnCli, withPgDatabase } from "../helpers.ts";
import { sha256, summaryCounts, tableExists, trackingRows, withProject } from "./_util.ts";

const decoder = new TextDecoder();

Deno.test("4 concurrent runs on one database all exit 0 and record each migration exactly once", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__counter.sql":
        "CREATE TABLE IF NOT EXISTS applied_log (n serial PRIMARY KEY, file text NOT NULL);\n" +
        "INSERT INTO applied_log (file) VALUES ('V1');\n",
      "migrations/postgres/V2__slow.sql": "SELECT pg_sleep(0.5);\n" +
        "INSERT INTO applied_log (file) VALUES ('V2');\n",
      "migrations/postgres/V3__after.sql": "CREATE TABLE IF NOT EXISTS after_t (id int);\n" +
        "INSERT INTO applied_log (file) VALUES ('V3');\n",
      "seeds/postgres/reference/010_seed.sql": "INSERT INTO applied_log (file) VALUES ('seed');\n",
    };
    await withProject(files, async (dir) => {
      const children = Array.from(
        { length: 4 },
        () => spawnCli([], { cwd: dir, env: { POSTGRES_URL: url } }),
      );
      const outs = await Promise.all(children.map((c) => c.output()));
      let applied = 0;
      for (const [i, out] of outs.entries()) {
        const stdout = decoder.decode(out.stdout);
        const stderr = decoder.decode(out.stderr);
        assert.equal(out.code, 0, `run ${i + 1}: ${stderr}`);
        const counts = summaryCounts(lastLine(stdout));
        assert.equal(counts.failed, 0);
        assert.equal(counts.applied + counts.skipped, 4, `run ${i + 1}: ${stdout}`);
        applied += counts.applied;
      }
      assert.equal(applied, 4, "each file is applied by exactly one of the runs");

      const log = await pgQuery(url, "SELECT file FROM applied_log ORDER BY n");
      assert.deepEqual(log.map((r) => r.file), ["V1", "V2", "V3", "seed"]);
      const rows = await trackingRows(url);
      assert.deepEqual(rows.map((r) => r.script), [
        "V1__counter.sql",
        "V2__slow.sql",
        "V3__after.sql",
        "reference/010_seed.sql",
      ]);
      assert.ok(rows.every((r) => r.success));
    });
  });
});

/** Waits until the database runs a query containing `needle` (from another session). */
async function waitForQuery(url: string, name: string, needle: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const rows = await pgQuery(
      url,
      "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid() AND position($2 in query) > 0",
      [name, needle],
    );
    if (rows.length > 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no query with ${needle} started within 15 s`);
}

/** Waits up to ms for no session to run a query containing `needle`; true when none does. */
async function queryGone(url: string, name: string, needle: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const rows = await pgQuery(
      url,
      "SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND position($2 in query) > 0",
      [name, needle],
    );
    if (rows.length === 0) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

Deno.test("a run killed with SIGKILL inside a long migration records nothing for it, and the next run completes without waiting for a lock", async () => {
  await withPgDatabase(async (url, name) => {
    const files = {
      "migrations/postgres/V1__first.sql": "CREATE TABLE IF NOT EXISTS first_t (id int);\n",
      "migrations/postgres/V2__long.sql": "CREATE TABLE IF NOT EXISTS long_t (id int);\n" +
        "SELECT pg_sleep(30);\n" +
        "INSERT INTO long_t VALUES (2);\n",
      "migrations/postgres/V3__last.sql": "CREATE TABLE IF NOT EXISTS last_t (id int);\n",
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const child = spawnCli([], { cwd: dir, env });
      const output = child.output();
      await waitForQuery(url, name, "pg_sleep(30)");
      await new Promise((r) => setTimeout(r, 1500));
      child.kill("SIGKILL");
      const killed = await output;
      assert.equal(killed.success, false);
      assert.equal(killed.signal, "SIGKILL");

      // A server that notices the dead client ends its session within a moment; give it up to
      // 3 s, since the next run should not have to wait for a lock.
      await queryGone(url, name, "pg_sleep(30)", 3000);

      const afterKill = await trackingRows(url);
      assert.deepEqual(afterKill.map((r) => r.script), ["V1__first.sql"], "nothing for V2");

      const shortV2 = "CREATE TABLE IF NOT EXISTS long_t (id int);\n" +
        "SELECT pg_sleep(0.1);\n" +
        "INSERT INTO long_t VALUES (2);\n";
      await Deno.writeTextFile(`${dir}/migrations/postgres/V2__long.sql`, shortV2);
      // Bounded: a run stuck behind the dead run's session would otherwise wait out pg_sleep(30).
      const started = Date.now();
      const next = await runCli(["--lock-timeout=5"], {
        cwd: dir,
        env,
        signal: AbortSignal.timeout(20_000),
      });
      const elapsed = Date.now() - started;
      assert.equal(next.code, 0, `exit ${next.code} after ${elapsed} ms:\n${next.stderr}`);
      assert.doesNotMatch(next.stderr, /waiting for the migration lock/);
      assert.ok(elapsed < 8000, `the next run took ${elapsed} ms`);
      assert.match(lastLine(next.stdout), /^2 applied, 1 skipped, 0 failed/);

      const rows = await trackingRows(url);
      assert.deepEqual(rows.map((r) => [r.script, r.success]), [
        ["V1__first.sql", true],
        ["V2__long.sql", true],
        ["V3__last.sql", true],
      ]);
      assert.equal(rows[1]?.checksum, await sha256(shortV2), "the new V2 is the one recorded");
      assert.ok(await tableExists(url, "last_t"));
      const [count] = await pgQuery(url, "SELECT count(*)::int AS n FROM long_t");
      assert.equal(count?.n, 1, "V2 ran to the end exactly once");
    });
  });
});

Deno.test("a run with nothing to do does not wait for the lock, and a run with work does", async () => {
  await withPgDatabase(async (url) => {
    const files = { "migrations/postgres/V1__t.sql": "CREATE TABLE IF NOT EXISTS t (id int);\n" };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli(["--seed=none"], { cwd: dir, env })).code, 0);
      // Another session holds db-migrate's advisory lock ("dbmg") for the rest of the test.
      const holder = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await holder.unsafe("select pg_advisory_lock(1684172135)");
        const noop = await runCli(["--seed=none", "--lock-timeout=0"], { cwd: dir, env });
        assert.equal(noop.code, 0, noop.stderr);
        assert.match(lastLine(noop.stdout), /^0 applied, 1 skipped, 0 failed/);

        await Deno.writeTextFile(
          `${dir}/migrations/postgres/V2__u.sql`,
          "CREATE TABLE u (id int);\n",
        );
        const work = await runCli(["--seed=none", "--lock-timeout=1"], { cwd: dir, env });
        assert.equal(work.code, 4, work.stderr);
        assert.match(work.stderr, /waiting for the migration lock, held by pid \d+/);
        assert.equal(await tableExists(url, "u"), false);
      } finally {
        await holder.end();
      }
    });
  });
});
