// Tenant groups end to end: a fleet of tenant databases on the test PostgreSQL, the CLI run as a
// process over it, and what each tenant's database holds afterwards.
import assert from "node:assert/strict";
import { join } from "node:path";
import { lastLine, pgQuery, runCli, spawnCli } from "../helpers.ts";
import { applied, hits, tenantConfig, withFleet } from "./_tenants.ts";

const BOTH = ["V1__hits.sql", "V2__one_hit.sql"];

interface TenantEntry {
  id: string;
  state: string;
  attempts: number;
  error: { code: string; message: string } | null;
}

/** Reads a child's stream line by line, calling onLine for each; resolves with all of it. */
async function readLines(stream: ReadableStream<Uint8Array>, onLine: (l: string) => void) {
  let all = "", rest = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    all += chunk;
    const lines = (rest + chunk).split("\n");
    rest = lines.pop()!;
    for (const l of lines) await onLine(l);
  }
  return all;
}

Deno.test({
  name:
    "50 tenants: the control database first, then every tenant, a missing database, a failing " +
    "migration and a held lock failing alone, and a retry that succeeds",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await withFleet(50, async (fleet) => {
      // t07: a table of another shape, so V2's insert fails (a SQL error: not retried).
      await pgQuery(fleet.urlOf("t07"), "CREATE TABLE hits (id int NOT NULL, must text NOT NULL)");
      // t21 is held for the whole run; t33 until its first attempt has failed.
      const hold = async (id: string) => {
        const { default: postgres } = await import("postgres");
        const sql = postgres(fleet.urlOf(id), { max: 1, onnotice: () => {} });
        await sql.unsafe("SELECT pg_advisory_lock(1684172135)");
        return sql;
      };
      const held = await hold("t21");
      const released = await hold("t33");
      const termination = join(fleet.dir, "termination-log");
      try {
        const child = spawnCli(
          ["--json", "--max-parallel=5", "--retries=2", "--lock-timeout=1"],
          {
            cwd: fleet.dir,
            env: { ...fleet.env, DB_MIGRATE_TERMINATION_LOG: termination },
          },
        );
        let freed = false;
        const [stdout, stderr, status] = await Promise.all([
          readLines(child.stdout, () => {}),
          readLines(child.stderr, async (line) => {
            if (!freed && line.startsWith("tenant/t33: attempt 1 of 3 failed (LOCK_TIMEOUT")) {
              freed = true;
              await released.end();
            }
          }),
          child.status,
        ]);
        assert.ok(freed, stderr);
        // Failures of different kinds (exit 1 and 4): exit 1.
        assert.equal(status.code, 1, stderr);
        const doc = JSON.parse(stdout);
        const tenants = doc.tenants as TenantEntry[];
        assert.deepEqual(tenants.map((t) => t.id), fleet.ids);
        const by = Object.fromEntries(tenants.map((t) => [t.id, t]));
        assert.equal(by.t07!.state, "failed");
        assert.equal(by.t07!.error!.code, "APPLY_FAILED");
        assert.equal(by.t07!.attempts, 1);
        assert.equal(by.t13!.state, "failed");
        assert.equal(by.t13!.error!.code, "DB_UNREACHABLE");
        assert.equal(by.t13!.attempts, 1, "a missing database is not worth a retry");
        assert.equal(by.t21!.error!.code, "LOCK_TIMEOUT");
        assert.equal(by.t21!.attempts, 3);
        assert.equal(by.t33!.state, "ok");
        assert.equal(by.t33!.attempts, 2);
        const ok = tenants.filter((t) => t.state === "ok");
        assert.equal(ok.length, 47);
        for (const t of ok) {
          assert.deepEqual(await applied(fleet.urlOf(t.id)), BOTH, t.id);
          assert.equal(await hits(fleet.urlOf(t.id)), 1, t.id);
        }
        assert.deepEqual(await applied(fleet.urlOf("t07")), ["V1__hits.sql"]);
        assert.deepEqual(await applied(fleet.urlOf("t21")), []);
        // The control database ran first, in the same run.
        assert.deepEqual(await applied(fleet.controlUrl), ["V1__tenants.sql"]);
        assert.ok(stderr.indexOf("V1__tenants.sql") < stderr.indexOf("tenant/t00"), stderr);
        // The summary names the failed tenants with their first error.
        assert.match(stderr, /3 of 50 tenants did not succeed/);
        const message = JSON.parse(await Deno.readTextFile(termination));
        assert.deepEqual(message.tenants, { total: 50, ok: 47, failed: 3, drift: 0, notRun: 0 });
        assert.equal(message.exitCode, 1);
      } finally {
        await held.end();
      }
    }, { missing: ["t13"] });
  },
});

Deno.test({
  name: "shards: three processes with different indexes migrate every tenant exactly once",
  sanitizeResources: false,
  async fn() {
    await withFleet(12, async (fleet) => {
      const control = await runCli(["--database=control"], { cwd: fleet.dir, env: fleet.env });
      assert.equal(control.code, 0, control.stderr);
      const shard = (args: string[], env: Record<string, string> = {}) =>
        runCli(["--database=tenant", "--json", ...args], {
          cwd: fleet.dir,
          env: { ...fleet.env, ...env },
        });
      const runs = await Promise.all([
        shard(["--shard=0/3"]),
        shard(["--shard=1/3"]),
        // As a pod of an Indexed Job sees it.
        shard(["--shard=auto"], { JOB_COMPLETION_INDEX: "2", DB_MIGRATE_SHARDS: "3" }),
      ]);
      const idsOf = (stdout: string) =>
        (JSON.parse(stdout).tenants as TenantEntry[]).map((t) => t.id);
      const seen: string[] = [];
      for (const r of runs) {
        assert.equal(r.code, 0, r.stderr);
        seen.push(...idsOf(r.stdout));
      }
      assert.deepEqual(seen.sort(), fleet.ids, "each tenant in exactly one shard");
      for (const id of fleet.ids) assert.equal(await hits(fleet.urlOf(id)), 1, id);
      // A re-run of a shard takes the same tenants, and has nothing left to do.
      const again = await shard(["--shard=1/3"]);
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(idsOf(again.stdout), idsOf(runs[1]!.stdout));
      assert.equal(JSON.parse(again.stdout).summary.applied, 0);
    });
  },
});

Deno.test({
  name: "a template field the query does not return stops the run before any tenant is touched",
  sanitizeResources: false,
  async fn() {
    await withFleet(3, async (fleet) => {
      const r = await runCli([], { cwd: fleet.dir, env: fleet.env });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /the url template uses "db"/);
      assert.match(r.stderr, /returns only "id", "db_name"/);
      for (const id of fleet.ids) assert.deepEqual(await applied(fleet.urlOf(id)), []);
    }, { config: tenantConfig("postgres://${TENANT_USER}@${TENANT_HOST}/{db}") });
  },
});

Deno.test({
  name: "tenants alone wait for the control database to be migrated, and say so",
  sanitizeResources: false,
  async fn() {
    await withFleet(2, async (fleet) => {
      await pgQuery(fleet.controlUrl, "DROP TABLE tenants");
      const r = await runCli(["--database=tenant", "--wait=0"], {
        cwd: fleet.dir,
        env: fleet.env,
      });
      assert.equal(r.code, 4, r.stderr);
      assert.match(r.stderr, /the control database "control" still has 1 pending migration/);
    });
  },
});

Deno.test({
  name: "status and plan over tenants: one line per tenant, --verbose per file; --tenant narrows",
  sanitizeResources: false,
  async fn() {
    await withFleet(3, async (fleet) => {
      const run = (args: string[]) => runCli(args, { cwd: fleet.dir, env: fleet.env });
      const first = await run(["--tenant=t01"]);
      assert.equal(first.code, 0, first.stderr);
      assert.deepEqual(await applied(fleet.urlOf("t00")), []);
      assert.deepEqual(await applied(fleet.urlOf("t01")), BOTH);

      const status = await run(["status"]);
      assert.equal(status.code, 0, status.stderr);
      assert.match(status.stdout, /^TENANT +STATE +APPLIED +PENDING +FAILED +DRIFT$/m);
      assert.match(status.stdout, /^tenant\/t00 +pending +0 +2 +0 +0$/m);
      assert.match(status.stdout, /^tenant\/t01 +up to date +2 +0 +0 +0$/m);
      assert.doesNotMatch(status.stdout, /V2__one_hit\.sql/);
      const verbose = await run(["status", "--verbose"]);
      assert.match(verbose.stdout, /^tenant\/t00 \(postgres/m);
      assert.match(verbose.stdout, /V2__one_hit\.sql +pending/);

      const plan = await run(["plan"]);
      assert.equal(plan.code, 0, plan.stderr);
      assert.match(plan.stdout, /^tenant\/t00 +ok +2 pending/m);
      assert.match(plan.stdout, /^tenant\/t01 +ok +2 skipped/m);
      assert.match(lastLine(plan.stdout), /tenants: 3 ok of 3; dry run: nothing changed/);
      assert.deepEqual(await applied(fleet.urlOf("t00")), []);

      const unknown = await run(["--tenant=nope"]);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /--tenant=nope names no tenant of "tenant"/);

      // An applied file changed: the tenant that applied it drifted and stops; the others go on.
      await Deno.writeTextFile(
        join(fleet.dir, "migrations/tenant/V1__hits.sql"),
        "CREATE TABLE IF NOT EXISTS hits (id bigserial PRIMARY KEY);\n",
      );
      const drift = await run([]);
      assert.equal(drift.code, 3, drift.stderr);
      assert.match(drift.stdout, /^ {2}tenant t01: CHECKSUM_MISMATCH/m);
      assert.match(
        lastLine(drift.stdout),
        /tenants: 2 ok, 1 drifted of 3; exit 3 CHECKSUM_MISMATCH/,
      );
      assert.deepEqual(await applied(fleet.urlOf("t00")), BOTH);
    });
  },
});

Deno.test({
  name: "--timeout stops a tenant like SIGTERM: rolled back, counted failed; the others go on",
  sanitizeResources: false,
  async fn() {
    await withFleet(3, async (fleet) => {
      // t01's V2 sleeps: its transaction is rolled back when its time is up.
      await pgQuery(
        fleet.urlOf("t01"),
        "CREATE FUNCTION pg_temp_hits_trigger() RETURNS trigger LANGUAGE plpgsql AS " +
          "$$ BEGIN PERFORM pg_sleep(30); RETURN NEW; END $$",
      ).catch(() => {});
      await pgQuery(fleet.urlOf("t01"), "CREATE TABLE hits (id serial PRIMARY KEY)");
      await pgQuery(
        fleet.urlOf("t01"),
        "CREATE TRIGGER slow BEFORE INSERT ON hits FOR EACH ROW EXECUTE FUNCTION pg_temp_hits_trigger()",
      );
      const r = await runCli(["--json", "--timeout=2"], { cwd: fleet.dir, env: fleet.env });
      assert.equal(r.code, 1, r.stderr);
      const by = Object.fromEntries(
        (JSON.parse(r.stdout).tenants as TenantEntry[]).map((t) => [t.id, t]),
      );
      assert.equal(by.t01!.state, "failed");
      assert.equal(by.t01!.error!.code, "TENANT_TIMEOUT");
      assert.match(by.t01!.error!.message, /--timeout=2 s.*rolled back/);
      assert.deepEqual(await applied(fleet.urlOf("t01")), ["V1__hits.sql"]);
      assert.equal(await hits(fleet.urlOf("t01")), 0);
      for (const id of ["t00", "t02"]) assert.equal(by[id]!.state, "ok");
    });
  },
});

Deno.test({
  name: "schema-per-tenant: each tenant's tracking table and tables live in its own schema",
  sanitizeResources: false,
  async fn() {
    await withFleet(3, async (fleet) => {
      const r = await runCli(["--max-parallel=3"], { cwd: fleet.dir, env: fleet.env });
      assert.equal(r.code, 0, r.stderr);
      for (const id of fleet.ids) {
        assert.deepEqual(await applied(fleet.controlUrl, `tenant_${id}`), BOTH, id);
        const [row] = await pgQuery(
          fleet.controlUrl,
          `SELECT count(*)::int AS n FROM "tenant_${id}".hits`,
        );
        assert.equal(row?.n, 1);
      }
      // The control database's own tracking table holds only its own migration.
      assert.deepEqual(await applied(fleet.controlUrl), ["V1__tenants.sql"]);
    }, {
      config: tenantConfig("${CONTROL_DATABASE_URL}").replace(
        "      url:",
        "      schema: tenant_{id}\n      url:",
      ),
    });
  },
});
