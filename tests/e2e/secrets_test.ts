// A password in a URL is never printed: not in progress lines, errors, --status, --dry-run or --json.
import assert from "node:assert/strict";
import { pgAdminUrl, pgQuery, runCli, withPgDatabase } from "../helpers.ts";
import { hasTrackingTable, trackingRows, withProject } from "./_util.ts";

const PASSWORD = "S3cretPw!x";
const WRONG = "Wr0ngPw!z";

/** Neither the password as written nor any form of it appears in the output. */
function assertNoSecret(label: string, out: { stdout: string; stderr: string }, secret: string) {
  const all = out.stdout + out.stderr;
  for (const form of [secret, encodeURIComponent(secret), secret.slice(0, 8)]) {
    assert.ok(!all.includes(form), `${label}: "${form}" printed:\n${all}`);
  }
}

/** A URL for database `name` on the test server, as `role` with `password`. */
function urlAs(role: string, password: string, name: string): string {
  const u = new URL(pgAdminUrl());
  return `postgres://${role}:${password}@${u.host}/${name}`;
}

Deno.test("a password in the URL is never printed, in any mode or failure", async () => {
  const role = "dbm_pw_" + crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  await pgQuery(pgAdminUrl(), `CREATE ROLE ${role} WITH LOGIN PASSWORD '${PASSWORD}'`);
  try {
    await withPgDatabase(async (adminDbUrl, name) => {
      await pgQuery(pgAdminUrl(), `ALTER DATABASE "${name}" OWNER TO ${role}`);
      const url = urlAs(role, PASSWORD, name);
      const files = {
        "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS one (id int);\n",
        "seeds/postgres/reference/010_one.sql": "INSERT INTO one VALUES (1);\n",
      };
      await withProject(files, async (dir) => {
        const env = { POSTGRES_URL: url };

        const dry = await runCli(["--dry-run"], { cwd: dir, env });
        assert.equal(dry.code, 0, dry.stderr);
        assertNoSecret("--dry-run", dry, PASSWORD);

        const run = await runCli([], { cwd: dir, env });
        assert.equal(run.code, 0, run.stderr);
        assertNoSecret("run", run, PASSWORD);
        assert.equal((await trackingRows(adminDbUrl)).length, 2);

        const status = await runCli(["--status"], { cwd: dir, env });
        assert.equal(status.code, 0, status.stderr);
        assertNoSecret("--status", status, PASSWORD);
        assert.match(status.stdout, new RegExp(`${role}:\\*\\*\\*@`), "--status shows ***");

        const json = await runCli(["--json"], { cwd: dir, env });
        assert.equal(json.code, 0, json.stderr);
        assertNoSecret("--json", json, PASSWORD);
        assert.match(json.stdout, /\*\*\*/, "--json shows *** in the target");
        JSON.parse(json.stdout);

        // A failing migration whose error output quotes the URL-bearing target and a statement.
        await Deno.writeTextFile(
          `${dir}/migrations/postgres/V2__broken.sql`,
          `SELECT 'postgres://x:${PASSWORD}@h' AS u, 1 / 0;\n`,
        );
        const failed = await runCli([], { cwd: dir, env });
        assert.equal(failed.code, 1, failed.stderr);
        assertNoSecret("a failing migration", failed, PASSWORD);
        const failedJson = await runCli(["--json"], { cwd: dir, env });
        assert.equal(failedJson.code, 1, failedJson.stderr);
        assertNoSecret("a failing migration with --json", failedJson, PASSWORD);
        await Deno.remove(`${dir}/migrations/postgres/V2__broken.sql`);

        // A wrong password: refused by a server that checks passwords (exit 4), accepted by a
        // trust-auth one (exit 0); printed by neither.
        const wrong = await runCli(["--wait=1"], {
          cwd: dir,
          env: { POSTGRES_URL: urlAs(role, WRONG, name) },
        });
        assert.ok([0, 4].includes(wrong.code), `exit ${wrong.code}: ${wrong.stderr}`);
        assertNoSecret("a wrong password", wrong, WRONG);

        // A database that does not exist: the error names the target, with *** for the password.
        const missing = await runCli(["--wait=1"], {
          cwd: dir,
          env: { POSTGRES_URL: urlAs(role, PASSWORD, name + "_missing") },
        });
        assert.equal(missing.code, 4, missing.stderr);
        assertNoSecret("a missing database", missing, PASSWORD);
        assert.match(missing.stderr, new RegExp(`${role}:\\*\\*\\*@`));
      });
      assert.equal(await hasTrackingTable(adminDbUrl), true);
    });
  } finally {
    await pgQuery(pgAdminUrl(), `DROP ROLE IF EXISTS ${role}`);
  }
});
