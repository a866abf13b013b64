// Drift: an applied migration whose file changed or is gone stops the run before anything is applied
// (exit 3), and --repair records the current state instead.
import assert from "node:assert/strict";
import { lastLine, runCli, withPgDatabase } from "../helpers.ts";
import { sha256, tableExists, trackingRows, withProject } from "./_util.ts";

const V1 = "CREATE TABLE IF NOT EXISTS accounts (\n" +
  "  id int PRIMARY KEY,\n" +
  "  name text\n" +
  ");\n";
const V1_EDITED = "CREATE TABLE IF NOT EXISTS accounts (\n" +
  "  id bigint PRIMARY KEY,\n" +
  "  name text\n" +
  ");\n";
const V2 = "CREATE TABLE IF NOT EXISTS ledgers (id int PRIMARY KEY);\n";
const V3 = "CREATE TABLE IF NOT EXISTS pending_table (id int);\n";

const FILES = {
  "migrations/postgres/V1__accounts.sql": V1,
  "migrations/postgres/V2__ledgers.sql": V2,
};

Deno.test("an edited applied migration is drift: exit 3 with a unified diff, and nothing pending is applied", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);

      await Deno.writeTextFile(`${dir}/migrations/postgres/V1__accounts.sql`, V1_EDITED);
      await Deno.writeTextFile(`${dir}/migrations/postgres/V3__pending.sql`, V3);
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /V1__accounts\.sql/);
      // A unified diff: the old line with `-`, the new line with `+`, and a hunk header.
      assert.match(r.stderr, /^\s*-\s*id int PRIMARY KEY,$/m, r.stderr);
      assert.match(r.stderr, /^\s*\+\s*id bigint PRIMARY KEY,$/m, r.stderr);
      assert.match(r.stderr, /@@ -\d+(,\d+)? \+\d+(,\d+)? @@/);
      assert.doesNotMatch(r.stderr, /V2__ledgers\.sql/, "only the drifted file is named");

      assert.equal(await tableExists(url, "pending_table"), false, "V3 is not applied");
      const rows = await trackingRows(url);
      assert.deepEqual(rows.map((x) => x.script), ["V1__accounts.sql", "V2__ledgers.sql"]);
      assert.equal(rows[0]?.checksum, await sha256(V1), "the recorded checksum is unchanged");
    });
  });
});

Deno.test("an applied migration whose file is gone is drift: exit 3 naming the file", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);

      await Deno.remove(`${dir}/migrations/postgres/V2__ledgers.sql`);
      await Deno.writeTextFile(`${dir}/migrations/postgres/V3__pending.sql`, V3);
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /V2__ledgers\.sql/);
      assert.equal(await tableExists(url, "pending_table"), false, "V3 is not applied");
      assert.deepEqual(
        (await trackingRows(url)).map((x) => x.script),
        ["V1__accounts.sql", "V2__ledgers.sql"],
      );
    });
  });
});

Deno.test("--repair records the current checksum so that the next normal run exits 0", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);

      await Deno.writeTextFile(`${dir}/migrations/postgres/V1__accounts.sql`, V1_EDITED);
      assert.equal((await runCli([], { cwd: dir, env })).code, 3, "drift before the repair");

      const repair = await runCli(["--repair"], { cwd: dir, env });
      assert.equal(repair.code, 0, repair.stderr);
      assert.match(repair.stdout + repair.stderr, /V1__accounts\.sql/);
      const rows = await trackingRows(url);
      assert.equal(rows.find((x) => x.version === 1)?.checksum, await sha256(V1_EDITED));
      assert.equal(rows.length, 2);

      const next = await runCli([], { cwd: dir, env });
      assert.equal(next.code, 0, next.stderr);
      assert.match(lastLine(next.stdout), /^0 applied, 2 skipped, 0 failed/);
    });
  });
});

Deno.test("--repair forgets a migration whose file is gone, and the next run exits 0", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      await Deno.remove(`${dir}/migrations/postgres/V2__ledgers.sql`);

      const repair = await runCli(["--repair"], { cwd: dir, env });
      assert.equal(repair.code, 0, repair.stderr);
      assert.deepEqual((await trackingRows(url)).map((x) => x.script), ["V1__accounts.sql"]);

      const next = await runCli([], { cwd: dir, env });
      assert.equal(next.code, 0, next.stderr);
      assert.match(lastLine(next.stdout), /^0 applied, 1 skipped, 0 failed/);
    });
  });
});
