// The commands: `db-migrate migrate|plan|status` do what the default run, --dry-run and --status do,
// an unknown command is a usage error, and a run of several databases locks each one only while it
// works on it.
import assert from "node:assert/strict";
import { lastLine, pgQuery, runCli, spawnCli, withPgDatabase } from "../helpers.ts";
import { withProject } from "./_util.ts";

const FILES = {
  "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS one (id int);\n",
  "seeds/postgres/reference/010_one.sql": "INSERT INTO one VALUES (1);\n",
};

/** Output without the times that differ between two runs. */
function timeless(text: string): string {
  return text.replace(/\d+\.\d\d s$/gm, "<s>").replace(/\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/g, "<t>")
    .replace(/\d+ ms/g, "<ms>");
}

Deno.test("plan, status and migrate print what --dry-run, --status and the default run print", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      const plan = await runCli(["plan"], { cwd: dir, env });
      const dryRun = await runCli(["--dry-run"], { cwd: dir, env });
      assert.equal(plan.code, 0, plan.stderr);
      assert.equal(timeless(plan.stdout), timeless(dryRun.stdout));
      assert.match(lastLine(plan.stdout), /^0 applied, 0 skipped, 0 failed, 2 pending; .*dry run/);

      const status = await runCli(["status", "--json"], { cwd: dir, env });
      const statusFlag = await runCli(["--status", "--json"], { cwd: dir, env });
      assert.equal(status.code, 0, status.stderr);
      const doc = JSON.parse(status.stdout), flagDoc = JSON.parse(statusFlag.stdout);
      assert.equal(doc.mode, "status");
      assert.deepEqual(doc.databases, flagDoc.databases);

      const migrate = await runCli(["migrate", "--seed=reference"], { cwd: dir, env });
      assert.equal(migrate.code, 0, migrate.stderr);
      assert.match(lastLine(migrate.stdout), /^2 applied, 0 skipped, 0 failed/);
      const again = await runCli([], { cwd: dir, env });
      assert.match(lastLine(again.stdout), /^0 applied, 2 skipped, 0 failed/);
    });
  });
});

Deno.test("an unknown command is a usage error (exit 2) that names the commands", async () => {
  await withProject(FILES, async (dir) => {
    const r = await runCli(["upgrade"], { cwd: dir, env: {} });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /error: unknown command "upgrade": the commands are migrate, plan, status/,
    );
    assert.match(r.stderr, /Usage: db-migrate \[command\] \[options\]/);
    assert.match(lastLine(r.stdout), /exit 2 USAGE/);
  });
});

// The advisory lock of db-migrate (src/drivers/postgres/sql.ts: LOCK_KEY).
const LOCK_KEY = 0x64626d67;

Deno.test("a run of two databases locks the second only once the first is done", async () => {
  const files = {
    "migrations/a/V1__slow.sql": "CREATE TABLE IF NOT EXISTS slow (id int);\nSELECT pg_sleep(3);\n",
    "migrations/b/V1__quick.sql": "CREATE TABLE IF NOT EXISTS quick (id int);\n",
  };
  await withPgDatabase(async (a) => {
    await withPgDatabase(async (b, bName) => {
      await withProject(files, async (dir) => {
        const child = spawnCli([], { cwd: dir, env: { A_URL: a, B_URL: b } });
        const output = child.output();
        // While a's migration runs (its pg_sleep), b's lock is not taken.
        let seen = false;
        for (let i = 0; i < 100 && !seen; i++) {
          const running = await pgQuery(
            a,
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE query LIKE '%pg_sleep(3)%' " +
              "AND pid <> pg_backend_pid()",
          );
          seen = running[0]?.n === 1;
          if (!seen) await new Promise((r) => setTimeout(r, 100));
        }
        assert.ok(seen, "a's migration was seen running");
        const held = await pgQuery(
          b,
          "SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database " +
            `WHERE l.locktype = 'advisory' AND l.objid = ${LOCK_KEY} AND d.datname = $1`,
          [bName],
        );
        assert.equal(held[0]?.n, 0, "b is not locked while a is worked on");
        const out = await output;
        const stdout = new TextDecoder().decode(out.stdout);
        assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
        assert.match(lastLine(stdout), /^2 applied, 0 skipped, 0 failed/);
      });
    });
  });
});
