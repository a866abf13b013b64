// mark, baseline, undo and info across a tenant group, end to end: the CLI run as a process over
// a fleet of tenant databases on the test PostgreSQL, asked once for the whole group (on a
// terminal, off one, --dry-run), and what each tenant's tracking table holds afterwards.
import assert from "node:assert/strict";
import { lastLine, pgAdminUrl, pgQuery, runCli, spawnCli } from "../helpers.ts";
import { runOnTerminal } from "./_history.ts";
import { applied, type Fleet, hits, withFleet } from "./_tenants.ts";

const BOTH = ["V1__hits.sql", "V2__one_hit.sql"];

/** U-files for the group's two migrations: every tenant shares them. */
const UNDO_FILES = {
  "migrations/tenant/U1__hits.sql": "DROP TABLE IF EXISTS hits;\n",
  "migrations/tenant/U2__one_hit.sql": "DELETE FROM hits;\n",
};

/** A tenant's migration rows as `V1__hits.sql marked` (script and provenance), in version order. */
async function rows(url: string): Promise<string[]> {
  const [t] = await pgQuery(url, "SELECT to_regclass('_schema_migrations') IS NOT NULL AS present");
  if (t?.present !== true) return [];
  const out = await pgQuery(
    url,
    "SELECT script, provenance FROM _schema_migrations WHERE kind = 'migration' ORDER BY version",
  );
  return out.map((r) => `${r.script} ${r.provenance}`);
}

/** Whether any tenant of the fleet has a tracking table. */
async function anyTracked(fleet: Fleet): Promise<boolean> {
  for (const id of fleet.ids) if ((await rows(fleet.urlOf(id))).length > 0) return true;
  return false;
}

/** How many times `needle` occurs in `text`. */
function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

Deno.test({
  name: "mark and baseline across tenants: asked once for the group, refused off a terminal " +
    "without --yes, --dry-run changes nothing, --tenant narrows",
  sanitizeResources: false,
  async fn() {
    await withFleet(3, async (fleet) => {
      const run = (args: string[]) => runCli(args, { cwd: fleet.dir, env: fleet.env });

      // The commands that read files only see the group as one folder.
      const list = await run(["list"]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /^tenant \(postgres, \.\/migrations\/tenant\)$/m);
      const created = await run(["create", "later", "--database=tenant"]);
      assert.equal(created.code, 0, created.stderr);
      await Deno.remove(`${fleet.dir}/migrations/tenant/V3__later.sql`);

      // Versions are per database: with the control database in the run too, name one.
      const both = await run(["mark", "applied", "1", "--yes"]);
      assert.equal(both.code, 2, both.stderr);
      assert.match(both.stderr, /needs --database=NAME, as versions are per database/);

      // Off a terminal, without --yes: one refusal for the group, and no tenant touched.
      const refused = await run(["mark", "applied", "1", "--database=tenant"]);
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(
        refused.stderr,
        /mark applied changes 3 tenants of the group "tenant" and asks first, but standard input is not a terminal: nothing changed/,
      );
      assert.match(
        lastLine(refused.stdout),
        /tenants: 0 ok, 3 not run of 3; exit 2 CONFIRMATION_REQUIRED/,
      );
      assert.equal(await anyTracked(fleet), false);

      // --dry-run: the plan once for the group, each tenant says what it would do; nothing changes.
      const dry = await run(["mark", "applied", "1", "--database=tenant", "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.equal(count(dry.stderr, "mark applied on 3 tenants of the group"), 1, dry.stderr);
      assert.match(
        dry.stderr,
        /will, in each:\n {2}record version 1 as applied without running it/,
      );
      assert.match(dry.stderr, /\(dry run: nothing changed\)/);
      for (const id of fleet.ids) {
        assert.match(dry.stdout, new RegExp(`^tenant/${id} +ok +1 pending`, "m"));
      }
      assert.match(lastLine(dry.stdout), /tenants: 3 ok of 3; dry run: nothing changed/);
      assert.equal(await anyTracked(fleet), false);

      // A version no file has is unknown in every tenant: said once, before any is listed.
      const unknown = await run(["mark", "applied", "9", "--database=tenant", "--yes"]);
      assert.equal(unknown.code, 2, unknown.stderr);
      assert.match(
        unknown.stderr,
        /cannot mark applied in "tenant": no migration file has version 9/,
      );
      assert.doesNotMatch(unknown.stderr, /tenants listed/);

      // --yes: every tenant marked, nothing run.
      const marked = await run(["mark", "applied", "1", "--database=tenant", "--yes"]);
      assert.equal(marked.code, 0, marked.stderr);
      for (const id of fleet.ids) {
        assert.deepEqual(await rows(fleet.urlOf(id)), ["V1__hits.sql marked"], id);
        assert.equal(await hits(fleet.urlOf(id)), null, `${id}: V1 was marked, not run`);
      }
      assert.match(lastLine(marked.stdout), /3 marked.*tenants: 3 ok of 3/);

      // --tenant=ID alone picks the group: only that tenant changes.
      const one = await run(["mark", "applied", "2", "--tenant=t01", "--yes", "--json"]);
      assert.equal(one.code, 0, one.stderr);
      assert.deepEqual(JSON.parse(one.stdout).tenants.map((t: { id: string }) => t.id), ["t01"]);
      assert.deepEqual(await rows(fleet.urlOf("t01")), [
        "V1__hits.sql marked",
        "V2__one_hit.sql marked",
      ]);
      assert.deepEqual(await rows(fleet.urlOf("t00")), ["V1__hits.sql marked"]);

      const pending = await run(["mark", "pending", "1", "--tenant=t00", "--yes"]);
      assert.equal(pending.code, 0, pending.stderr);
      assert.deepEqual(await rows(fleet.urlOf("t00")), []);
      assert.deepEqual(await rows(fleet.urlOf("t02")), ["V1__hits.sql marked"]);

      // baseline: each tenant records what it lacks up to the version; t01 has it all already.
      const base = await run(["baseline", "--version=2", "--database=tenant", "--yes"]);
      assert.equal(base.code, 0, base.stderr);
      assert.match(base.stderr, /tenant\/t01: every migration up to version 2 is applied already/);
      assert.deepEqual(await rows(fleet.urlOf("t00")), [
        "V1__hits.sql baselined",
        "V2__one_hit.sql baselined",
      ]);
      assert.deepEqual(await rows(fleet.urlOf("t02")), [
        "V1__hits.sql marked",
        "V2__one_hit.sql baselined",
      ]);
      for (const id of fleet.ids) assert.deepEqual(await applied(fleet.urlOf(id)), BOTH, id);
      // The control database was never changed by them.
      assert.deepEqual(await applied(fleet.controlUrl), []);
    });
  },
});

Deno.test({
  name: "undo --steps=1 across tenants: the group's name typed once on a terminal, each tenant " +
    "undoes its own last migration, a wrong answer changes no tenant",
  sanitizeResources: false,
  async fn() {
    await withFleet(3, async (fleet) => {
      const run = (args: string[]) => runCli(args, { cwd: fleet.dir, env: fleet.env });
      const migrated = await run([]);
      assert.equal(migrated.code, 0, migrated.stderr);
      // t01 one step behind, t02 with nothing left to undo.
      assert.equal((await run(["undo", "--tenant=t01", "--yes"])).code, 0);
      const t02 = await run(["undo", "--steps=2", "--tenant=t02", "--yes"]);
      assert.equal(t02.code, 0, t02.stderr);
      assert.deepEqual(await applied(fleet.urlOf("t01")), ["V1__hits.sql"]);
      assert.deepEqual(await applied(fleet.urlOf("t02")), []);
      assert.equal(await hits(fleet.urlOf("t02")), null);

      const terminal = (answer: string) =>
        runOnTerminal(["undo", "--steps=1", "--database=tenant"], {
          cwd: fleet.dir,
          env: fleet.env,
          answer,
        });
      const wrong = await terminal("t00");
      assert.equal(wrong.code, 2, wrong.stdout);
      assert.match(
        wrong.stdout,
        /NOT_CONFIRMED|was not confirmed \("t00" is not the group's name\)/,
      );
      assert.deepEqual(await applied(fleet.urlOf("t00")), BOTH);
      assert.deepEqual(await applied(fleet.urlOf("t01")), ["V1__hits.sql"]);

      const r = await terminal("tenant");
      assert.equal(r.code, 0, r.stdout);
      assert.equal(count(r.stdout, "Type the group's name (tenant) to go on"), 1, r.stdout);
      assert.match(
        r.stdout,
        /undo on 3 tenants of the group "tenant" will, in each:\n {2}undo the last applied migration with its U-file/,
      );
      assert.match(r.stdout, /tenant\/t02: no applied migration to undo/);
      assert.match(lastLine(r.stdout), /2 undone.*tenants: 3 ok of 3/);
      assert.deepEqual(await applied(fleet.urlOf("t00")), ["V1__hits.sql"]);
      assert.equal(await hits(fleet.urlOf("t00")), 0, "U2 ran in t00");
      assert.deepEqual(await applied(fleet.urlOf("t01")), []);
      assert.equal(await hits(fleet.urlOf("t01")), null, "U1 ran in t01");
      assert.deepEqual(await rows(fleet.urlOf("t00")), [
        "V1__hits.sql applied",
        "V2__one_hit.sql undone",
      ]);

      // Over a fleet, an undone migration is pending: the next migrate applies it again, once.
      const status = await run(["status", "--database=tenant"]);
      assert.match(status.stdout, /^tenant\/t00 +pending +1 +1 +0 +0$/m);
      // The next migrate applies what was undone again, once.
      const again = await run(["--database=tenant"]);
      assert.equal(again.code, 0, again.stderr);
      for (const id of fleet.ids) {
        assert.deepEqual(await applied(fleet.urlOf(id)), BOTH, id);
        assert.equal(await hits(fleet.urlOf(id)), 1, id);
      }
    }, { files: UNDO_FILES });
  },
});

Deno.test({
  name: "undo across tenants checks the group's U-files before any tenant is touched",
  sanitizeResources: false,
  async fn() {
    await withFleet(2, async (fleet) => {
      const run = (args: string[]) => runCli(args, { cwd: fleet.dir, env: fleet.env });
      assert.equal((await run([])).code, 0);
      // U1 is out of range for --steps=1, but a bad U-file anywhere stops the group first.
      await Deno.writeTextFile(`${fleet.dir}/migrations/tenant/U1__hits.sql`, "");
      const r = await run(["undo", "--database=tenant", "--yes"]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /U1__hits\.sql/);
      for (const id of fleet.ids) assert.deepEqual(await applied(fleet.urlOf(id)), BOTH, id);
    }, { files: UNDO_FILES });
  },
});

Deno.test({
  name: "info across tenants: a line per tenant with its counts and lock holder, --verbose a " +
    "block per tenant, --json an entry per tenant",
  sanitizeResources: false,
  async fn() {
    await withFleet(3, async (fleet) => {
      const run = (args: string[]) => runCli(args, { cwd: fleet.dir, env: fleet.env });
      assert.equal((await run(["--tenant=t00"])).code, 0);
      const { default: postgres } = await import("postgres");
      const held = postgres(fleet.urlOf("t02"), { max: 1, onnotice: () => {} });
      try {
        await held.unsafe("SELECT pg_advisory_lock(1684172135)");
        const r = await run(["info"]);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /^control \(postgres/m);
        assert.match(
          r.stdout,
          /^TENANT +STATE +APPLIED +PENDING +FAILED +UNDONE +DRIFT +LOCK$/m,
        );
        assert.match(r.stdout, /^tenant\/t00 +up to date +2 +0 +0 +0 +0 +free$/m);
        assert.match(r.stdout, /^tenant\/t01 +pending +0 +2 +0 +0 +0 +free$/m);
        assert.match(r.stdout, /^tenant\/t02 +pending +0 +2 +0 +0 +0 +held by pid \d+/m);
        assert.doesNotMatch(r.stdout, /^tenant\/t00 \(postgres/m);
        assert.match(lastLine(r.stdout), /tenants: 3 ok of 3; info: nothing changed/);

        const verbose = await run(["info", "--verbose", "--database=tenant"]);
        assert.equal(verbose.code, 0, verbose.stderr);
        assert.match(verbose.stdout, /^tenant\/t01 \(postgres.*\n {2}server: +PostgreSQL/m);
        assert.match(verbose.stdout, /^tenant\/t02 \(postgres(.*\n)+ {2}lock: +held by pid/m);
        assert.doesNotMatch(verbose.stdout, /^TENANT/m);

        const json = await run(["info", "--json", "--database=tenant"]);
        assert.equal(json.code, 0, json.stderr);
        const doc = JSON.parse(json.stdout);
        assert.deepEqual(doc.tenants.map((t: { id: string }) => t.id), fleet.ids);
        const by = Object.fromEntries(
          doc.databases.map((d: { name: string; info: unknown }) => [d.name, d.info]),
        );
        assert.equal(by["tenant/t00"].counts.applied, 2);
        assert.equal(by["tenant/t01"].counts.pending, 2);
        assert.match(by["tenant/t02"].lockHolder, /^pid \d+/);
        // info changes nothing: t01 still has no tracking table.
        assert.deepEqual(await rows(fleet.urlOf("t01")), []);
      } finally {
        await held.end();
      }
    });
  },
});

Deno.test({
  name: "SIGTERM during a tenant pool run: tenants in flight rolled back, the rest not started, " +
    "exit 143, and the next run applies each tenant's files once",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withFleet(6, async (fleet) => {
      const run = (args: string[]) => runCli(args, { cwd: fleet.dir, env: fleet.env });
      assert.equal((await run(["--database=control"])).code, 0);
      // Every tenant's V2 insert sleeps while its `slow` table is there.
      for (const id of fleet.ids) {
        const url = fleet.urlOf(id);
        await pgQuery(url, "CREATE TABLE slow ()");
        await pgQuery(url, "CREATE TABLE hits (id serial PRIMARY KEY)");
        await pgQuery(
          url,
          "CREATE FUNCTION slow_hits() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN " +
            "IF to_regclass('slow') IS NOT NULL THEN PERFORM pg_sleep(60); END IF; RETURN NEW; END $$",
        );
        await pgQuery(
          url,
          "CREATE TRIGGER slow BEFORE INSERT ON hits FOR EACH ROW EXECUTE FUNCTION slow_hits()",
        );
      }
      const child = spawnCli(["--database=tenant", "--max-parallel=2", "--json"], {
        cwd: fleet.dir,
        env: fleet.env,
      });
      const output = Promise.all([
        new Response(child.stdout).text(),
        new Response(child.stderr).text(),
      ]);
      // SIGTERM once two tenants sit in their V2 insert.
      const prefix = new URL(fleet.urlOf("t00")).pathname.slice(1).replace(/_t00$/, "");
      let activity: Record<string, unknown>[] = [];
      for (let tries = 0; activity.length < 2; tries++) {
        if (tries === 300) {
          child.kill("SIGKILL");
          throw new Error(`two tenants never sat in V2: ${(await output)[1]}`);
        }
        await new Promise((r) => setTimeout(r, 100));
        activity = await pgQuery(
          pgAdminUrl(),
          "SELECT datname FROM pg_stat_activity WHERE datname LIKE $1 || '%' " +
            "AND wait_event = 'PgSleep'",
          [prefix],
        );
      }
      child.kill("SIGTERM");
      const [stdout, stderr] = await output;
      const status = await child.status;
      assert.equal(status.code, 143, stderr);
      const tenants = JSON.parse(stdout).tenants as { id: string; state: string }[];
      const stopped = tenants.filter((t) => t.state !== "not run");
      assert.equal(stopped.length, 2, stdout);
      for (const t of stopped) {
        assert.equal(t.state, "failed", t.id);
        // V1 committed on its own; V2 was rolled back with its row.
        assert.deepEqual(await applied(fleet.urlOf(t.id)), ["V1__hits.sql"], t.id);
        assert.equal(await hits(fleet.urlOf(t.id)), 0, t.id);
      }
      for (const t of tenants.filter((t) => t.state === "not run")) {
        assert.deepEqual(await applied(fleet.urlOf(t.id)), [], `${t.id} was not started`);
      }
      // The next run finishes every tenant, each file once.
      for (const id of fleet.ids) await pgQuery(fleet.urlOf(id), "DROP TABLE slow");
      const again = await run(["--database=tenant"]);
      assert.equal(again.code, 0, again.stderr);
      for (const id of fleet.ids) {
        assert.deepEqual(await applied(fleet.urlOf(id)), BOTH, id);
        assert.equal(await hits(fleet.urlOf(id)), 1, id);
      }
    });
  },
});
