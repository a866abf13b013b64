// The operations commands on a ClickHouse cluster, as processes through one replica and then the
// other (tests/services.sh's cluster: ZooKeeper and two replicas of one shard, and the same two
// servers as two shards): the provenance column added to an old tracking table reaches every
// replica, undo / mark / baseline through one replica are what status and info show through the
// other, reset and seed --reset act on every host, a two-shard cluster keeps one record and one
// lock, and a ZooKeeper outage in the middle of a file records nothing that was not confirmed.
import assert from "node:assert/strict";
import {
  eventually,
  output,
  replicaQuery,
  replicaUrl as url,
  runEvents as run,
  ScratchCluster,
  syncedRows,
  type TestCluster,
  withClusterDatabase,
} from "../cluster_helpers.ts";
import { lastLine, runCli, spawnCli } from "../helpers.ts";
import { summaryCounts, withProject } from "./_util.ts";

/** The current tracking rows as replica `replica` reads them: [version, success, provenance]. */
async function tracking(
  cluster: TestCluster,
  replica: number,
  db: string,
): Promise<[number, number, string][]> {
  const rows = await syncedRows<{ version: number; success: number; provenance: string }>(
    cluster,
    replica,
    `${db}._schema_migrations`,
    `SELECT version, success, provenance FROM ${db}._schema_migrations FINAL
     WHERE deleted = 0 AND kind = 'migration' ORDER BY version`,
  );
  return rows.map((r) => [Number(r.version), Number(r.success), String(r.provenance)]);
}

/** The states `status --json` shows through one URL: [script, state, provenance]. */
async function states(dir: string, at: string): Promise<string[][]> {
  const status = await run(dir, at, ["--status", "--json"]);
  assert.equal(status.code, 0, output(status));
  return JSON.parse(status.stdout).databases[0].status.map((
    e: { script: string; state: string; provenance?: string },
  ) => [e.script, e.state, e.provenance ?? "-"]);
}

/** Tables of `db` on one replica, db-migrate's own left out. */
async function tables(cluster: TestCluster, replica: number, db: string): Promise<string[]> {
  const text = await replicaQuery(
    cluster,
    replica,
    `SELECT name FROM system.tables WHERE database = '${db}' AND substring(name, 1, 1) != '_' ` +
      "ORDER BY name",
  );
  return text.split("\n").filter(Boolean);
}

/** A migration that creates a Replicated table ON CLUSTER (`Replacing` for seeds' tables). */
function replicated(table: string, engine = "MergeTree"): string {
  return `CREATE TABLE IF NOT EXISTS ${table} ON CLUSTER '{cluster}' (id UInt64)
ENGINE = Replicated${engine}('/clickhouse/tables/{shard}/{database}/${table}', '{replica}')
ORDER BY id;
`;
}

Deno.test("a tracking table from before provenance, upgraded through replica 1, has the column on replica 2", async () => {
  await withClusterDatabase(async (cluster, db, urls) => {
    const files = {
      "migrations/events/V1__e1.sql": replicated("e1"),
      "migrations/events/V2__e2.sql": replicated("e2"),
      "migrations/events/V3__e3.sql": replicated("e3"),
    };
    await withProject(files, async (dir) => {
      const at = (replica: number) => url(urls, replica, { cluster: cluster.name });
      const first = await run(dir, at(1), ["--to=1"]);
      assert.equal(first.code, 0, output(first));
      // As an earlier release left it: no provenance column, on either replica (an ALTER of a
      // Replicated table reaches every replica).
      await replicaQuery(cluster, 1, `ALTER TABLE ${db}._schema_migrations DROP COLUMN provenance`);
      const hasColumn = async (replica: number) =>
        (await replicaQuery(
          cluster,
          replica,
          `SELECT count() FROM system.columns WHERE database = '${db}' ` +
            "AND table = '_schema_migrations' AND name = 'provenance'",
        )).trim();
      assert.equal(await hasColumn(2), "0");

      // status through replica 2 reads the old table as it is, and changes nothing.
      assert.deepEqual(await states(dir, at(2)), [
        ["V1__e1.sql", "applied", "applied"],
        ["V2__e2.sql", "pending", "-"],
        ["V3__e3.sql", "pending", "-"],
      ]);
      assert.equal(await hasColumn(2), "0");

      // A run through replica 1 adds the column; replica 2 has it as soon as the run is over.
      const upgrade = await run(dir, at(1), ["--to=2"]);
      assert.equal(upgrade.code, 0, output(upgrade));
      assert.equal(await hasColumn(1), "1");
      assert.equal(await hasColumn(2), "1");
      const ddl = await replicaQuery(
        cluster,
        2,
        `SELECT type, default_expression FROM system.columns WHERE database = '${db}' ` +
          "AND table = '_schema_migrations' AND name = 'provenance' FORMAT TSV",
      );
      assert.equal(ddl, "String\t\\'applied\\'\n");

      // Rows written through replica 2 carry provenance, and replica 1 reads them.
      const mark = await run(dir, at(2), ["mark", "applied", "3", "-y"]);
      assert.equal(mark.code, 0, output(mark));
      assert.deepEqual(await tracking(cluster, 1, db), [
        [1, 1, "applied"],
        [2, 1, "applied"],
        [3, 1, "marked"],
      ]);
    });
  });
});

Deno.test("undo, mark and baseline through one replica are what status, info and migrate see through the other", async () => {
  await withClusterDatabase(async (cluster, db, urls) => {
    const files: Record<string, string> = {
      "migrations/events/V1__e1.sql": replicated("e1"),
      "migrations/events/V2__e2.sql": replicated("e2") +
        "INSERT INTO e2 SELECT number FROM numbers(3);\n",
      "migrations/events/U2__e2.sql": "DROP TABLE IF EXISTS e2 ON CLUSTER '{cluster}';\n",
      "migrations/events/V3__e3.sql": replicated("e3"),
    };
    await withProject(files, async (dir) => {
      const at = (replica: number) => url(urls, replica, { cluster: cluster.name });

      // baseline through replica 2: replica 1 sees V1 baselined, and its run does not run V1.
      const base = await run(dir, at(2), ["baseline", "--version=1", "-y"]);
      assert.equal(base.code, 0, output(base));
      assert.deepEqual((await states(dir, at(1)))[0], ["V1__e1.sql", "applied", "baselined"]);
      const migrate = await run(dir, at(1), ["--to=2"]);
      assert.equal(migrate.code, 0, output(migrate));
      assert.equal(summaryCounts(lastLine(migrate.stdout)).applied, 1);
      assert.deepEqual(await tables(cluster, 2, db), ["e2"], "V1 was baselined, not run");

      // undo through replica 1: e2 is gone from both replicas, and replica 2's info says undone.
      const undo = await run(dir, at(1), ["undo", "-y"]);
      assert.equal(undo.code, 0, output(undo));
      assert.deepEqual(await tables(cluster, 2, db), []);
      assert.deepEqual((await tracking(cluster, 2, db))[1], [2, 0, "undone"]);
      const info = await run(dir, at(2), ["info"]);
      assert.equal(info.code, 0, output(info));
      assert.match(info.stdout, /files: +1 applied, 1 pending, 0 failed, 1 undone/);
      assert.match(info.stdout, /replica r1: active, caught up\n {2}replica r2: active, caught up/);

      // migrate through replica 2 applies V2 again (and only V2), seen on replica 1.
      const again = await run(dir, at(2), ["--to=2"]);
      assert.equal(again.code, 0, output(again));
      assert.deepEqual(summaryCounts(lastLine(again.stdout)), {
        applied: 1,
        skipped: 1,
        failed: 0,
      });
      const e2 = await syncedRows<{ n: string }>(
        cluster,
        1,
        `${db}.e2`,
        `SELECT count() AS n FROM ${db}.e2`,
      );
      assert.equal(Number(e2[0]!.n), 3);
      assert.deepEqual((await tracking(cluster, 1, db))[1], [2, 1, "applied"]);

      // mark applied through replica 2, mark pending through replica 1: each seen by the other.
      const marked = await run(dir, at(2), ["mark", "applied", "3", "-y"]);
      assert.equal(marked.code, 0, output(marked));
      assert.deepEqual((await states(dir, at(1)))[2], ["V3__e3.sql", "applied", "marked"]);
      const pending = await run(dir, at(1), ["mark", "pending", "3", "-y"]);
      assert.equal(pending.code, 0, output(pending));
      assert.deepEqual((await states(dir, at(2)))[2], ["V3__e3.sql", "pending", "-"]);
      const last = await run(dir, at(2));
      assert.equal(last.code, 0, output(last));
      assert.equal(summaryCounts(lastLine(last.stdout)).applied, 1);
      assert.deepEqual(await tables(cluster, 1, db), ["e2", "e3"]);
    });
  });
});

Deno.test("reset and seed --reset through one replica act on every host of the cluster", async () => {
  await withClusterDatabase(async (cluster, db, urls) => {
    const files = {
      "migrations/events/V1__e1.sql": replicated("e1", "ReplacingMergeTree"),
      // One table per host, not replicated: only an ON CLUSTER statement reaches the other's.
      "migrations/events/V2__local.sql":
        "CREATE TABLE IF NOT EXISTS local ON CLUSTER '{cluster}' (id UInt64) " +
        "ENGINE = ReplacingMergeTree ORDER BY id;\n",
      "seeds/events/reference/010_rows.sql":
        "-- db-migrate: resets e1\n-- db-migrate: resets local\n" +
        "INSERT INTO e1 VALUES (1), (2);\nINSERT INTO local VALUES (1);\n",
    };
    await withProject(files, async (dir) => {
      const at = (replica: number) => url(urls, replica, { cluster: cluster.name });
      const env = (replica: number) => ({ EVENTS_URL: at(replica) });
      const first = await runCli(["--wait=5"], { cwd: dir, env: env(1) });
      assert.equal(first.code, 0, output(first));
      // Rows by hand on replica 2: in the replicated table, and in replica 2's own table.
      await replicaQuery(cluster, 2, `INSERT INTO ${db}.e1 VALUES (99)`);
      await replicaQuery(cluster, 2, `INSERT INTO ${db}.local VALUES (99)`);

      const seed = await runCli(["seed", "--reset", "--yes", "--wait=5"], {
        cwd: dir,
        env: env(1),
      });
      assert.equal(seed.code, 0, output(seed));
      assert.match(seed.stderr, /emptied e1, local/);
      const count = async (replica: number, table: string) =>
        Number(
          (await syncedRows<{ n: string }>(
            cluster,
            replica,
            `${db}.e1`,
            `SELECT count() AS n FROM ${db}.${table}`,
          ))[0]!.n,
        );
      assert.equal(await count(2, "e1"), 2, "replica 2's row by hand is gone, the seed's are back");
      assert.equal(await count(2, "local"), 0, "replica 2's own table was emptied too");
      assert.equal(await count(1, "local"), 1, "the seed wrote through replica 1");

      // The confirmation says where the drop goes; a dry run changes nothing.
      const dry = await runCli(["reset", "--database=events", "--dry-run"], {
        cwd: dir,
        env: env(1),
      });
      assert.equal(dry.code, 0, output(dry));
      assert.match(dry.stdout + dry.stderr, new RegExp(`every host of cluster "${cluster.name}"`));

      const reset = await runCli(["reset", "--database=events", "--yes"], {
        cwd: dir,
        env: env(1),
      });
      assert.equal(reset.code, 0, output(reset));
      for (const replica of [1, 2]) {
        const left = await replicaQuery(
          cluster,
          replica,
          `SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name`,
        );
        assert.equal(left, "_schema_migrations_lock\n", `replica ${replica} kept only the lock`);
      }
      // Through replica 2, everything applies again: its tracking went with replica 1's.
      const again = await runCli(["--wait=5"], { cwd: dir, env: env(2) });
      assert.equal(again.code, 0, output(again));
      assert.deepEqual(summaryCounts(lastLine(again.stdout)), {
        applied: 3,
        skipped: 0,
        failed: 0,
      });
      assert.equal(await count(1, "e1"), 2);
    });
  });
});

Deno.test("a cluster of two shards keeps one record and one lock: runs through either shard take turns and agree", async () => {
  await withClusterDatabase(async (cluster, db, urls) => {
    assert.ok(cluster.shardedName, "CLICKHOUSE_SHARDED_CLUSTER_NAME is not set");
    const files: Record<string, string> = {
      // A table per shard (each shard its own data), made on every host.
      "migrations/events/V1__hits.sql":
        `CREATE TABLE IF NOT EXISTS hits ON CLUSTER '{cluster}' (id UInt64)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{sharded_shard}/{database}/hits', '{replica}')
ORDER BY id;
CREATE TABLE IF NOT EXISTS marker ON CLUSTER '{cluster}' (v String, r UInt64)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/all/{database}/marker', '{replica}')
ORDER BY v;
`,
    };
    // Marker rows differ (rand64): identical blocks would be deduplicated.
    for (const v of [2, 3, 4]) {
      files[`migrations/events/V${v}__m${v}.sql`] =
        `INSERT INTO marker SELECT 'V${v}', rand64();\nSELECT sleep(0.3);\n`;
    }
    await withProject(files, async (dir) => {
      const at = (host: number, params: Record<string, string> = {}) =>
        url(urls, host, { cluster: cluster.shardedName, ...params });
      const ours = async (host: number) =>
        (await replicaQuery(
          cluster,
          host,
          `SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name`,
        )).split("\n").filter(Boolean);

      // A tracking table per shard would be a record and a lock per shard: refused, nothing made.
      const perShard = await run(dir, at(1, { cluster_path: "/clickhouse/t/{shard}/{database}" }));
      assert.equal(perShard.code, 2, output(perShard));
      assert.match(perShard.stderr, /has 2 shards and cluster_path .*\{shard\}/);
      assert.deepEqual([await ours(1), await ours(2)], [[], []]);

      const spawn = (host: number) =>
        spawnCli(["--seed=none", "--wait=5", "--lock-timeout=120"], {
          cwd: dir,
          env: { EVENTS_URL: at(host) },
        }).output();
      const [a, b] = await Promise.all([spawn(1), spawn(2)]);
      const text = (o: Deno.CommandOutput) =>
        `exit ${o.code}\n${new TextDecoder().decode(o.stdout)}${
          new TextDecoder().decode(o.stderr)
        }`;
      assert.equal(a.code, 0, text(a));
      assert.equal(b.code, 0, text(b));
      const applied = [a, b].map((o) =>
        summaryCounts(lastLine(new TextDecoder().decode(o.stdout))).applied
      );
      assert.equal(applied[0]! + applied[1]!, 4, `applied ${applied}: ${text(a)}${text(b)}`);
      const markers = await syncedRows<{ v: string; n: string }>(
        cluster,
        2,
        `${db}.marker`,
        `SELECT v, count() AS n FROM ${db}.marker GROUP BY v ORDER BY v`,
      );
      assert.deepEqual(markers.map((r) => [r.v, Number(r.n)]), [["V2", 1], ["V3", 1], ["V4", 1]]);
      for (const host of [1, 2]) {
        assert.deepEqual(await ours(host), [
          "_schema_migrations",
          "_schema_migrations_lock",
          "hits",
          "marker",
        ]);
      }

      // One tracking table for the cluster, a replica on each host of each shard, named by
      // shard and replica (replica macros are often unique only within a shard).
      const status = await run(dir, at(2), ["--status", "--json"]);
      assert.equal(status.code, 0, output(status));
      const doc = JSON.parse(status.stdout).databases[0];
      assert.deepEqual(doc.replicas.map((r: { replica: string }) => r.replica), [
        "01-r1",
        "01-r2",
      ]);
      assert.ok(doc.status.every((e: { state: string }) => e.state === "applied"));
      const again = await run(dir, at(1));
      assert.equal(again.code, 0, output(again));
      assert.deepEqual(summaryCounts(lastLine(again.stdout)), {
        applied: 0,
        skipped: 4,
        failed: 0,
      });
    });
  });
});

Deno.test({
  name:
    "ZooKeeper lost in the middle of a file: nothing unconfirmed is recorded as applied, and the file resumes once it is back",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const scratch = await ScratchCluster.start();
    try {
      await withClusterDatabase(async (cluster, db, urls) => {
        const files: Record<string, string> = {
          "migrations/events/V1__hits.sql":
            `CREATE TABLE IF NOT EXISTS hits ON CLUSTER '{cluster}' (id UInt64, tag String)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/hits', '{replica}')
ORDER BY id;
`,
        };
        await withProject(files, async (dir) => {
          const at = (replica: number) =>
            url(urls, replica, { cluster: cluster.name, cluster_timeout: "5" });
          const first = await run(dir, at(1));
          assert.equal(first.code, 0, output(first));
          const count = async (replica: number, where: string) =>
            Number(
              (await syncedRows<{ n: string }>(
                cluster,
                replica,
                `${db}.hits`,
                `SELECT count() AS n FROM ${db}.hits WHERE ${where}`,
              ))[0]!.n,
            );
          const v2 = async (replica: number) =>
            (await syncedRows<{ success: number; done: number }>(
              cluster,
              replica,
              `${db}._schema_migrations`,
              `SELECT success, statements_done AS done FROM ${db}._schema_migrations FINAL
               WHERE script = 'V2__rows.sql' AND deleted = 0`,
            )).map((r) => [Number(r.success), Number(r.done)]);

          await t.step(
            "lost during a statement: not counted; the next run stops for the operator, and rerun applies it once",
            async () => {
              await Deno.writeTextFile(
                `${dir}/migrations/events/V2__rows.sql`,
                "INSERT INTO hits SELECT number + 100, 'slow' FROM numbers(3) " +
                  "WHERE sleepEachRow(1) = 0;\nINSERT INTO hits VALUES (5, 'e');\n",
              );
              const child = spawnCli(["--seed=none", "--wait=5"], {
                cwd: dir,
                env: { EVENTS_URL: at(1) },
              });
              await eventually("statement 1 of V2 to be in flight", async () =>
                (await replicaQuery(
                  cluster,
                  1,
                  "SELECT count() FROM system.processes WHERE query LIKE '%sleepEachRow%' " +
                    "AND query NOT LIKE '%system.processes%'",
                )).trim() !== "0");
              await scratch.killZooKeeper();
              const out = await child.output();
              const lost = {
                code: out.code,
                stdout: new TextDecoder().decode(out.stdout),
                stderr: new TextDecoder().decode(out.stderr),
              };
              // Exit 4, as the cluster is unavailable; not the statement's fault.
              assert.equal(lost.code, 4, output(lost));
              assert.match(
                lost.stderr,
                /CLUSTER_UNAVAILABLE|lost ZooKeeper during statement 1 of 2/,
              );
              assert.match(lost.stderr, /not the statement's fault/);
              const queryId = lost.stderr.match(/sent with query_id (\S+?):/)?.[1];
              assert.ok(queryId, output(lost));

              await scratch.startZooKeeper(db);
              // Not recorded as applied, on either replica: the row names the statement in flight.
              for (const replica of [1, 2]) {
                assert.deepEqual(
                  await v2(replica),
                  [[0, 0]],
                  `replica ${replica}\n${output(lost)}`,
                );
              }
              // It failed while running: the next run cannot tell what it wrote and stops (once
              // the lease of the run that lost ZooKeeper has run out), running nothing.
              const unknown = await run(dir, at(1));
              assert.equal(unknown.code, 1, output(unknown));
              assert.match(unknown.stderr, new RegExp(`cannot tell whether statement 1 of 2`));
              assert.match(unknown.stderr, new RegExp(`--resolve-unknown=${queryId}=rerun`));
              assert.equal(await count(2, "tag = 'slow'"), 0, "the failed INSERT left no rows");
              // The operator checked: nothing was written, so it runs again, and the file goes on.
              const again = await run(dir, at(1), [`--resolve-unknown=${queryId}=rerun`]);
              assert.equal(again.code, 0, `${output(lost)}\n---\n${output(again)}`);
              assert.deepEqual(await v2(2), [[1, 2]]);
              assert.equal(await count(2, "tag = 'slow'"), 3, "the INSERT's rows, once");
              assert.equal(await count(2, "id = 5"), 1);
            },
          );

          await t.step(
            "lost between statements: the next run goes on after the confirmed one",
            async () => {
              // Statement 1 ends, then ZooKeeper goes while statement 2 waits: its progress row
              // (a Replicated insert) cannot be written, and statement 2 fails.
              await Deno.writeTextFile(
                `${dir}/migrations/events/V3__more.sql`,
                "INSERT INTO hits VALUES (6, 'f');\n" +
                  "SELECT sleep(2);\n" +
                  "INSERT INTO hits VALUES (7, 'g');\n",
              );
              const child = spawnCli(["--seed=none", "--wait=5"], {
                cwd: dir,
                env: { EVENTS_URL: at(2) },
              });
              await eventually("statement 2 of V3 to be in flight", async () =>
                (await replicaQuery(
                  cluster,
                  2,
                  "SELECT count() FROM system.processes WHERE query LIKE '%sleep(2)%' " +
                    "AND query NOT LIKE '%system.processes%'",
                )).trim() !== "0");
              await scratch.killZooKeeper();
              const out = await child.output();
              const lost = {
                code: out.code,
                stdout: new TextDecoder().decode(out.stdout),
                stderr: new TextDecoder().decode(out.stderr),
              };
              assert.equal(lost.code, 4, output(lost));
              assert.match(lost.stderr, /CLUSTER_UNAVAILABLE|lost ZooKeeper/);
              await scratch.startZooKeeper(db);
              for (const replica of [1, 2]) {
                const rows = await syncedRows<{ success: number; done: number }>(
                  cluster,
                  replica,
                  `${db}._schema_migrations`,
                  `SELECT success, statements_done AS done FROM ${db}._schema_migrations FINAL
                 WHERE script = 'V3__more.sql'`,
                );
                assert.deepEqual(rows.map((r) => [Number(r.success), Number(r.done)]), [[0, 1]]);
              }
              // Through the replica that ran it, whose query log says statement 2 finished.
              const again = await run(dir, at(2));
              assert.equal(again.code, 0, `${output(lost)}\n---\n${output(again)}`);
              assert.match(again.stdout + again.stderr, /resumed at statement 3 of 3/);
              assert.equal(await count(1, "id = 6"), 1, "statement 1 ran once");
              assert.equal(await count(1, "id = 7"), 1);
            },
          );
        });
      }, scratch.cluster);
    } finally {
      await scratch.stop();
    }
  },
});
