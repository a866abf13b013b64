// The tracking-history commands against PostgreSQL, as processes: migrate --to/--steps, undo,
// mark, baseline and info; their output, exit codes, the tracking rows and the data they leave,
// and their refusals (no terminal without --yes, a missing U-file, a target without --database).
import assert from "node:assert/strict";
import { lastLine, pgQuery, runCli, withPgDatabase } from "../helpers.ts";
import { runOnTerminal } from "./_history.ts";
import { tableExists, withProject } from "./_util.ts";

const FILES = {
  "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS one (id int);\n",
  "migrations/postgres/U1__one.sql": "DROP TABLE IF EXISTS one;\n",
  "migrations/postgres/V2__two.sql": "CREATE TABLE IF NOT EXISTS two (id int);\n",
  "migrations/postgres/V3__three.sql": "CREATE TABLE IF NOT EXISTS three (id int);\n",
  "migrations/postgres/U3__three.sql": "DROP TABLE IF EXISTS three;\n",
  "seeds/postgres/reference/010_one.sql": "INSERT INTO one VALUES (1);\n",
};

/** The tracking rows as tests compare them: version, success, provenance. */
async function rows(url: string): Promise<[number | null, boolean, string][]> {
  const found = await pgQuery(
    url,
    "SELECT version::int AS v, success, provenance FROM _schema_migrations ORDER BY kind, version",
  );
  return found.map((
    r,
  ) => [r.v === null ? null : Number(r.v), r.success === true, String(r.provenance)]);
}

Deno.test("migrate --to and --steps apply up to a version or the next N; seeds wait for the rest", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      const plan = await runCli(["--dry-run", "--to=2"], { cwd: dir, env });
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /V1__one\.sql/);
      assert.doesNotMatch(plan.stdout, /V3__three|010_one/);
      const to = await runCli(["migrate", "--to=2"], { cwd: dir, env });
      assert.equal(to.code, 0, to.stderr);
      assert.match(lastLine(to.stdout), /^2 applied, 0 skipped, 0 failed/);
      assert.deepEqual(await rows(url), [[1, true, "applied"], [2, true, "applied"]]);
      assert.equal(await tableExists(url, "three"), false);
      const steps = await runCli(["--steps=1"], { cwd: dir, env });
      assert.equal(steps.code, 0, steps.stderr);
      assert.match(
        lastLine(steps.stdout),
        /^2 applied, 2 skipped, 0 failed; migrations: 1 applied, 2 skipped; seeds/,
      );
      // Every migration applied now, so the seeds of the mode ran with the last step.
      assert.deepEqual((await rows(url)).map((r) => r[0]), [1, 2, 3, null]);
    });
  });
});

Deno.test("a target with several databases needs --database (exit 2), and a bad target is a usage error", async () => {
  await withProject({
    ...FILES,
    "migrations/other/V1__x.sql": "SELECT 1;\n",
  }, async (dir) => {
    const env = {
      POSTGRES_URL: "postgres://nobody@127.0.0.1:1/x",
      OTHER_URL: "postgres://n@127.0.0.1:1/y",
    };
    const r = await runCli(["--to=2"], { cwd: dir, env });
    assert.equal(r.code, 2);
    assert.match(
      r.stderr,
      /needs --database=NAME, as versions are per database: there are 2 databases/,
    );
    const undo = await runCli(["undo", "-y"], { cwd: dir, env });
    assert.equal(undo.code, 2);
    assert.match(undo.stderr, /undo needs --database=NAME, as versions are per database/);
    const both = await runCli(["--to=2", "--steps=1", "--database=postgres"], { cwd: dir, env });
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--to and --steps cannot be used together/);
  });
});

Deno.test("undo off a terminal needs --yes (exit 2, nothing changed); --dry-run says what it would do", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      const before = await rows(url);
      const refused = await runCli(["undo"], { cwd: dir, env });
      assert.equal(refused.code, 2);
      assert.match(
        refused.stderr,
        /undo changes "postgres" and asks first, but standard input is not a terminal: nothing changed/,
      );
      assert.match(lastLine(refused.stdout), /exit 2 CONFIRMATION_REQUIRED/);
      const dry = await runCli(["undo", "--dry-run"], { cwd: dir, env });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stderr,
        /undo on "postgres" will:\n {2}undo version 3 \(V3__three\.sql\) by running U3__three\.sql\n\(dry run: nothing changed\)/,
      );
      assert.match(dry.stdout, /U3__three\.sql +pending +would undo V3__three\.sql/);
      assert.match(lastLine(dry.stdout), /dry run: nothing changed/);
      assert.deepEqual(await rows(url), before);
      assert.equal(await tableExists(url, "three"), true);
    });
  });
});

Deno.test("undo --yes undoes the last migration; status and info show it undone, and migrate applies it again", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      const undo = await runCli(["undo", "--database=postgres", "--yes"], { cwd: dir, env });
      assert.equal(undo.code, 0, undo.stderr);
      assert.match(undo.stdout, /postgres +U3__three\.sql +undone +\d+ ms +undid V3__three\.sql/);
      assert.match(lastLine(undo.stdout), /^0 applied, 0 skipped, 0 failed, 1 undone/);
      assert.equal(await tableExists(url, "three"), false);
      const [row] = await pgQuery(
        url,
        "SELECT success, provenance, applied_by, applied_at > now() - interval '1 hour' AS recent FROM _schema_migrations WHERE version = 3",
      );
      assert.deepEqual(row, {
        success: false,
        provenance: "undone",
        applied_by: "postgres",
        recent: true,
      });

      const status = await runCli(["status"], { cwd: dir, env });
      assert.match(status.stdout, /3 +V3__three\.sql +undone +\d{4}-/);
      assert.match(
        status.stdout,
        /V3__three\.sql undone by postgres at .*: migrate applies it again/,
      );
      const doc = JSON.parse((await runCli(["info", "--json"], { cwd: dir, env })).stdout);
      const info = doc.databases[0].info;
      assert.deepEqual(info.counts, { applied: 3, pending: 0, failed: 0, undone: 1, drift: 0 });
      assert.equal(info.lastApplied.script, "V2__two.sql");
      const entry = doc.databases[0].status.find((e: { script: string }) =>
        e.script === "V3__three.sql"
      );
      assert.deepEqual([entry.state, entry.provenance, entry.by], ["undone", "undone", "postgres"]);

      const again = await runCli([], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /V3__three\.sql +applied/);
      assert.equal(await tableExists(url, "three"), true);
      assert.deepEqual((await rows(url))[2], [3, true, "applied"]);
    });
  });
});

Deno.test("undo refuses before any change when a migration in range has no U-file, naming it", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      const r = await runCli(["undo", "--steps=2", "-y"], { cwd: dir, env });
      assert.equal(r.code, 2);
      assert.match(
        r.stderr,
        /cannot undo "V2__two\.sql" in "postgres": no U-file undoes it; nothing was undone/,
      );
      assert.match(r.stderr, /hint: write U2__two\.sql beside the migration/);
      assert.equal(await tableExists(url, "three"), true, "V3, which has a U-file, was not undone");
      assert.ok((await rows(url)).every(([, ok]) => ok));
    });
  });
});

Deno.test("undo on a terminal asks for the database name: a wrong answer changes nothing, the right one undoes", async () => {
  await withPgDatabase(async (url) => {
    await withProject(
      { ...FILES, "migrations/postgres/U2__two.sql": "DROP TABLE two;\n" },
      async (dir) => {
        const env = { POSTGRES_URL: url };
        assert.equal((await runCli([], { cwd: dir, env })).code, 0);
        const no = await runOnTerminal(["undo", "--to=1"], { cwd: dir, env, answer: "nope" });
        assert.equal(no.code, 2, no.stdout);
        assert.match(
          no.stdout,
          /undo version 3 \(V3__three\.sql\) by running U3__three\.sql\n {2}undo version 2/,
        );
        assert.match(no.stdout, /Type the database name \(postgres\) to go on: /);
        assert.match(no.stdout, /"nope" is not the database name\): nothing changed/);
        assert.equal(await tableExists(url, "two"), true);
        const yes = await runOnTerminal(["undo", "--to=1"], { cwd: dir, env, answer: "postgres" });
        assert.equal(yes.code, 0, yes.stdout);
        assert.match(yes.stdout, /2 undone/);
        assert.deepEqual(await rows(url), [
          [1, true, "applied"],
          [2, false, "undone"],
          [3, false, "undone"],
          [null, true, "applied"],
        ]);
        assert.equal(await tableExists(url, "two"), false);
        assert.equal(await tableExists(url, "one"), true, "--to=1 keeps version 1");
      },
    );
  });
});

Deno.test("a failing U-file rolls back with its row: the migration stays applied (exit 1)", async () => {
  await withPgDatabase(async (url) => {
    await withProject({
      ...FILES,
      "migrations/postgres/U3__three.sql": "DROP TABLE three;\nSELECT no_such_column FROM one;\n",
    }, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      const r = await runCli(["undo", "-y"], { cwd: dir, env });
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /U3__three\.sql:2:8" to "postgres": column "no_such_column" does not exist/,
      );
      assert.equal(await tableExists(url, "three"), true, "the DROP was rolled back");
      assert.deepEqual((await rows(url))[2], [3, true, "applied"]);
    });
  });
});

Deno.test("undo takes migrate's lock: while another session holds it, it stops with exit 4 and changes nothing", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      const postgres = (await import("postgres")).default;
      const holder = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await holder.reserve().then(async (conn) => {
          await conn.unsafe("SELECT pg_advisory_lock(1684172135)"); // LOCK_KEY, "dbmg"
          try {
            const r = await runCli(["undo", "-y", "--lock-timeout=1"], { cwd: dir, env });
            assert.equal(r.code, 4, r.stderr);
            assert.match(r.stderr, /cannot take the migration lock of "postgres"/);
          } finally {
            await conn.unsafe("SELECT pg_advisory_unlock(1684172135)");
            conn.release();
          }
        });
      } finally {
        await holder.end({ timeout: 5 });
      }
      assert.equal(await tableExists(url, "three"), true);
    });
  });
});

Deno.test("mark applied, mark pending and baseline record how rows got there, running nothing", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      const refused = await runCli(["mark", "applied", "2"], { cwd: dir, env });
      assert.equal(refused.code, 2);
      assert.match(refused.stderr, /CONFIRMATION_REQUIRED|asks first/);
      const dry = await runCli(["baseline", "--version=2", "--dry-run"], { cwd: dir, env });
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(
        await pgQuery(url, "SELECT to_regclass('_schema_migrations') IS NULL AS none")
          .then((r) => r[0]?.none),
        true,
        "a dry run creates no tracking table",
      );

      const base = await runCli(["baseline", "--version=2", "-y"], { cwd: dir, env });
      assert.equal(base.code, 0, base.stderr);
      assert.match(base.stdout, /V1__one\.sql +baselined +at version 2/);
      assert.match(lastLine(base.stdout), /^0 applied, 0 skipped, 0 failed, 2 baselined;/);
      const marked = await runCli(["mark", "applied", "3", "-y"], { cwd: dir, env });
      assert.equal(marked.code, 0, marked.stderr);
      assert.deepEqual(await rows(url), [[1, true, "baselined"], [2, true, "baselined"], [
        3,
        true,
        "marked",
      ]]);
      assert.equal(await tableExists(url, "one"), false, "nothing ran");

      const unknown = await runCli(["mark", "applied", "9", "-y"], { cwd: dir, env });
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /no migration file has version 9; nothing was changed/);

      const pending = await runCli(["mark", "pending", "1", "--yes"], { cwd: dir, env });
      assert.equal(pending.code, 0, pending.stderr);
      assert.match(pending.stdout, /V1__one\.sql +unmarked/);
      const run = await runCli([], { cwd: dir, env });
      assert.equal(run.code, 0, run.stderr);
      assert.match(lastLine(run.stdout), /^2 applied, 2 skipped, 0 failed/);
      assert.deepEqual((await rows(url))[0], [1, true, "applied"]);
      assert.equal(await tableExists(url, "one"), true);
    });
  });
});

Deno.test("a tracking table from before provenance keeps working and gets the column on the next run", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli(["--to=1", "--seed=none"], { cwd: dir, env })).code, 0);
      await pgQuery(url, "ALTER TABLE _schema_migrations DROP COLUMN provenance");
      const status = await runCli(["status", "--json"], { cwd: dir, env });
      assert.equal(status.code, 0, status.stderr);
      assert.equal(JSON.parse(status.stdout).databases[0].status[0].provenance, "applied");
      const run = await runCli([], { cwd: dir, env });
      assert.equal(run.code, 0, run.stderr);
      assert.deepEqual(await rows(url), [
        [1, true, "applied"],
        [2, true, "applied"],
        [3, true, "applied"],
        [null, true, "applied"],
      ]);
    });
  });
});

Deno.test("--repair goes on off a terminal without --yes, and asks on one", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      await Deno.writeTextFile(
        `${dir}/migrations/postgres/V1__one.sql`,
        "CREATE TABLE IF NOT EXISTS one (id int); -- x\n",
      );
      const asked = await runOnTerminal(["--repair"], { cwd: dir, env, answer: "no" });
      assert.equal(asked.code, 2, asked.stdout);
      assert.match(
        asked.stdout,
        /--repair on "postgres" will:\n {2}record the current checksum of V1__one\.sql/,
      );
      assert.match(asked.stdout, /NOT_CONFIRMED/);
      const job = await runCli(["--repair"], { cwd: dir, env });
      assert.equal(job.code, 0, job.stderr);
      assert.match(job.stdout, /V1__one\.sql +repaired/);
      assert.deepEqual((await rows(url))[0], [1, true, "repaired"]);
    });
  });
});

Deno.test("info shows the server, the user, the lock, the counts and the last applied migration", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FILES, async (dir) => {
      const env = { POSTGRES_URL: url };
      const empty = await runCli(["info"], { cwd: dir, env });
      assert.equal(empty.code, 0, empty.stderr);
      assert.match(empty.stdout, /tracking: +no tracking table yet/);
      assert.equal((await runCli(["--to=2", "--seed=none"], { cwd: dir, env })).code, 0);
      const r = await runCli(["info"], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /server: +PostgreSQL \d+/);
      assert.match(r.stdout, /user: +postgres/);
      assert.match(r.stdout, /lock: +free/);
      assert.match(r.stdout, /files: +2 applied, 2 pending, 0 failed, 0 undone/);
      assert.match(r.stdout, /last applied: V2__two\.sql at \d{4}-/);
      assert.match(r.stdout, /drift: +none/);
      assert.match(lastLine(r.stdout), /info: nothing changed/);
    });
  });
});
