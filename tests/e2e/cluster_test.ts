// ClickHouse clusters end to end: the CLI as a process against the replicated test cluster of
// tests/services.sh (ZooKeeper and two replicas of one shard), through one replica and then the
// other, as two Jobs behind a load balancer would.
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
  testCluster,
  withClusterDatabase,
} from "../cluster_helpers.ts";
import { lastLine, spawnCli } from "../helpers.ts";
import { summaryCounts, withProject } from "./_util.ts";

/** The current tracking rows of `db` as replica `replica` reads them. */
function tracking(cluster: TestCluster, replica: number, db: string) {
  return syncedRows<{ script: string; success: number; statements_done: number }>(
    cluster,
    replica,
    `${db}._schema_migrations`,
    `SELECT script, success, statements_done FROM ${db}._schema_migrations FINAL
     WHERE deleted = 0 ORDER BY script`,
  );
}

const EVENTS_V1 = `CREATE TABLE IF NOT EXISTS hits ON CLUSTER '{cluster}' (id UInt64, tag String)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/hits', '{replica}')
ORDER BY id;
`;

/** The native port of replica `replica`, as ClickHouse names hosts in its errors. */
async function tcpPort(cluster: TestCluster, replica: number): Promise<string> {
  return (await replicaQuery(
    cluster,
    1,
    `SELECT port FROM system.clusters WHERE cluster = '${cluster.name}' AND replica_num = ${replica}`,
  )).trim();
}

Deno.test("a run through replica 1 is seen on replica 2: tables and tracking there, and a run through replica 2 applies nothing", async () => {
  await withClusterDatabase(async (cluster, db, urls) => {
    const files = {
      "migrations/events/V1__hits.sql": EVENTS_V1,
      "migrations/events/V2__rows.sql": "INSERT INTO hits VALUES (1, 'a'), (2, 'b');\n",
      // The cluster named in the config file instead of the URL.
      "db-migrate.yaml": `databases:\n  - name: events\n    cluster: ${cluster.name}\n`,
    };
    await withProject(files, async (dir) => {
      const first = await run(dir, url(urls, 1, { cluster: cluster.name }));
      assert.equal(first.code, 0, output(first));
      assert.deepEqual(summaryCounts(lastLine(first.stdout)), {
        applied: 2,
        skipped: 0,
        failed: 0,
      });

      // Replica 2 holds the tables (Replicated, made ON CLUSTER) and every tracking row.
      const engines = await replicaQuery(
        cluster,
        2,
        `SELECT name, engine FROM system.tables WHERE database = '${db}' ORDER BY name FORMAT TSV`,
      );
      assert.equal(
        engines,
        "_schema_migrations\tReplicatedReplacingMergeTree\n" +
          "_schema_migrations_lock\tReplicatedReplacingMergeTree\n" +
          "hits\tReplicatedMergeTree\n",
      );
      assert.deepEqual(await tracking(cluster, 2, db), [
        { script: "V1__hits.sql", success: 1, statements_done: 1 },
        { script: "V2__rows.sql", success: 1, statements_done: 1 },
      ]);
      const hits = await syncedRows(
        cluster,
        2,
        `${db}.hits`,
        `SELECT count() AS n FROM ${db}.hits`,
      );
      assert.equal(Number(hits[0]!.n), 2);

      // Through replica 2, with the cluster from db-migrate.yaml: nothing to apply, and status agrees.
      const second = await run(dir, urls[1]!);
      assert.equal(second.code, 0, output(second));
      assert.deepEqual(summaryCounts(lastLine(second.stdout)), {
        applied: 0,
        skipped: 2,
        failed: 0,
      });
      const status = await run(dir, urls[1]!, ["--status", "--json"]);
      assert.equal(status.code, 0, output(status));
      const doc = JSON.parse(status.stdout);
      assert.deepEqual(doc.databases[0].replicas, [
        { replica: "r1", active: true, caughtUp: true, behind: 0 },
        { replica: "r2", active: true, caughtUp: true, behind: 0 },
      ]);
      assert.deepEqual(
        doc.databases[0].status.map((e: { script: string; state: string }) => [e.script, e.state]),
        [["V1__hits.sql", "applied"], ["V2__rows.sql", "applied"]],
      );
      // The text forms show each replica too: status under its table, info under its counts.
      const statusText = await run(dir, urls[1]!, ["--status"]);
      assert.match(
        statusText.stdout,
        /replica r1: active, caught up\n {2}replica r2: active, caught up/,
      );
      const info = await run(dir, urls[1]!, ["info"]);
      assert.equal(info.code, 0, output(info));
      assert.match(info.stdout, /files: +2 applied, 0 pending/);
      assert.match(info.stdout, /replica r1: active, caught up\n {2}replica r2: active, caught up/);

      // A changed file is drift through either replica; --repair through replica 2 is seen on 1.
      await Deno.writeTextFile(
        `${dir}/migrations/events/V2__rows.sql`,
        "INSERT INTO hits VALUES (1, 'a'), (2, 'b'); -- reviewed\n",
      );
      const drift = await run(dir, url(urls, 1, { cluster: cluster.name }));
      assert.equal(drift.code, 3, output(drift));
      const repair = await run(dir, urls[1]!, ["--repair"]);
      assert.equal(repair.code, 0, output(repair));
      const after = await run(dir, url(urls, 1, { cluster: cluster.name }));
      assert.equal(after.code, 0, output(after));
      assert.deepEqual(summaryCounts(lastLine(after.stdout)).applied, 0);
    });
  });
});

Deno.test("two runs at once through two replicas take turns: each migration runs once", async () => {
  await withClusterDatabase(async (cluster, db, urls) => {
    // The marker rows differ (rand64): identical blocks would be deduplicated by the table.
    const files: Record<string, string> = {
      "migrations/events/V1__marker.sql":
        `CREATE TABLE IF NOT EXISTS marker ON CLUSTER '{cluster}' (v String, r UInt64)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/marker', '{replica}')
ORDER BY v;
`,
    };
    for (const v of [2, 3, 4]) {
      files[`migrations/events/V${v}__m${v}.sql`] =
        `INSERT INTO marker SELECT 'V${v}', rand64();\nSELECT sleep(0.3);\n`;
    }
    await withProject(files, async (dir) => {
      const spawn = (replica: number) =>
        spawnCli(["--seed=none", "--wait=5", "--lock-timeout=120"], {
          cwd: dir,
          env: { EVENTS_URL: url(urls, replica, { cluster: cluster.name }) },
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
      for (const replica of [1, 2]) {
        const rows = await syncedRows<{ v: string; n: string }>(
          cluster,
          replica,
          `${db}.marker`,
          `SELECT v, count() AS n FROM ${db}.marker GROUP BY v ORDER BY v`,
        );
        assert.deepEqual(rows.map((r) => [r.v, Number(r.n)]), [["V2", 1], ["V3", 1], ["V4", 1]]);
      }
    });
  });
});

Deno.test("an ON CLUSTER statement that fails on one host fails the file naming that host, and resumes there", async () => {
  await withClusterDatabase(async (cluster, db, urls) => {
    // The table exists on replica 2 only, so a CREATE without IF NOT EXISTS fails there alone.
    await replicaQuery(cluster, 2, `CREATE TABLE ${db}.t (a UInt8) ENGINE = Memory`);
    const port2 = await tcpPort(cluster, 2);
    const files = {
      "migrations/events/V1__t.sql": "CREATE TABLE IF NOT EXISTS s ON CLUSTER '{cluster}' " +
        "(a UInt8) ENGINE = Memory;\nCREATE TABLE t ON CLUSTER '{cluster}' (a UInt8) ENGINE = Memory;\n",
    };
    await withProject(files, async (dir) => {
      const target = url(urls, 1, { cluster: cluster.name, cluster_timeout: "20" });
      const failed = await run(dir, target);
      assert.equal(failed.code, 1, output(failed));
      assert.match(
        failed.stderr,
        new RegExp(`failed on 127\\.0\\.0\\.1:${port2}: .*already exists`),
      );
      assert.match(failed.stderr, /no atomicity across hosts/);
      assert.deepEqual(await tracking(cluster, 2, db), [
        { script: "V1__t.sql", success: 0, statements_done: 1 },
      ]);
      // Replica 1 kept the table: the fix is IF NOT EXISTS, and the file resumes at statement 2
      // (through the other replica).
      await Deno.writeTextFile(
        `${dir}/migrations/events/V1__t.sql`,
        files["migrations/events/V1__t.sql"].replace(
          "CREATE TABLE t",
          "CREATE TABLE IF NOT EXISTS t",
        ),
      );
      const again = await run(dir, url(urls, 2, { cluster: cluster.name }));
      assert.equal(again.code, 0, output(again));
      assert.match(again.stdout + again.stderr, /resumed at statement 2 of 2/);
      assert.equal((await replicaQuery(cluster, 2, `EXISTS TABLE ${db}.t`)).trim(), "1");
    });
  });
});

Deno.test("a cluster the servers do not know and a bad cluster parameter are reported as such", async () => {
  const cluster = testCluster();
  await withProject({ "migrations/events/V1__a.sql": "SELECT 1;\n" }, async (dir) => {
    const bad = await run(dir, url(cluster.urls, 1, { cluster: "nope" }));
    assert.equal(bad.code, 4, output(bad));
    assert.match(bad.stderr, /CLUSTER_UNAVAILABLE|no cluster "nope"/);
    const param = await run(dir, url(cluster.urls, 1, { cluster: "x'y" }));
    assert.equal(param.code, 2, output(param));
    assert.match(param.stderr, /cluster "x'y" is not a cluster name/);
    const timeout = await run(dir, url(cluster.urls, 1, { cluster: "c", cluster_timeout: "x" }));
    assert.equal(timeout.code, 2, output(timeout));
  });
});

Deno.test({
  name: "a replica down, ZooKeeper down, and kill -9 resumed through the other replica",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const scratch = await ScratchCluster.start();
    try {
      await withClusterDatabase(async (cluster, db, urls) => {
        const files: Record<string, string> = {
          "migrations/events/V1__hits.sql": EVENTS_V1,
        };
        await withProject(files, async (dir) => {
          const target = (replica: number) =>
            url(urls, replica, { cluster: cluster.name, cluster_timeout: "3" });
          const first = await run(dir, target(1));
          assert.equal(first.code, 0, output(first));

          await t.step(
            "replica 2 stopped: plain statements complete, an ON CLUSTER one fails within cluster_timeout naming it, and the next run finishes once it is back",
            async () => {
              const port2 = await tcpPort(cluster, 2);
              await scratch.stopReplica(2);
              await Deno.writeTextFile(
                `${dir}/migrations/events/V2__rows.sql`,
                "INSERT INTO hits VALUES (1, 'a');\n",
              );
              const plain = await run(dir, target(1));
              assert.equal(plain.code, 0, output(plain));
              // status through replica 1 shows replica 2 down (read from ZooKeeper).
              const status = await run(dir, target(1), ["--status", "--json"]);
              assert.equal(status.code, 0, output(status));
              const replicas = JSON.parse(status.stdout).databases[0].replicas;
              assert.deepEqual(
                replicas.map((r: { replica: string; active: boolean }) => [r.replica, r.active]),
                [["r1", true], ["r2", false]],
              );
              await Deno.writeTextFile(
                `${dir}/migrations/events/V3__late.sql`,
                "INSERT INTO hits VALUES (2, 'b');\nCREATE TABLE IF NOT EXISTS late ON CLUSTER " +
                  "'{cluster}' (a UInt8) ENGINE = Memory;\n",
              );
              const started = Date.now();
              const down = await run(dir, target(1));
              assert.equal(down.code, 1, output(down));
              assert.match(
                down.stderr,
                new RegExp(
                  `not confirmed by 127\\.0\\.0\\.1:${port2} within cluster_timeout \\(3 s`,
                ),
              );
              assert.match(down.stderr, /Bring the host back/);
              assert.ok(Date.now() - started < 60_000);
              // Not recorded as applied: statement 1 done, statement 2 not.
              const rows = await syncedRows<{ script: string; success: number; done: number }>(
                cluster,
                1,
                `${db}._schema_migrations`,
                `SELECT script, success, statements_done AS done FROM ${db}._schema_migrations
               FINAL WHERE script = 'V3__late.sql'`,
              );
              assert.deepEqual(rows.map((r) => [r.success, r.done]), [[0, 1]]);

              await scratch.startReplica(2);
              await eventually(
                "replica 2 to run the queued CREATE",
                async () =>
                  (await replicaQuery(cluster, 2, `EXISTS TABLE ${db}.late`)).trim() === "1",
                60_000,
              );
              const back = await run(dir, target(2));
              assert.equal(back.code, 0, output(back));
              assert.match(back.stdout + back.stderr, /resumed at statement 2 of 2/);
              const hits = await syncedRows(
                cluster,
                2,
                `${db}.hits`,
                `SELECT count() AS n FROM ${db}.hits`,
              );
              assert.equal(Number(hits[0]!.n), 2);
            },
          );

          await t.step(
            "kill -9 during a statement, then resumed through the other replica",
            async () => {
              await Deno.writeTextFile(
                `${dir}/migrations/events/V4__slow.sql`,
                "INSERT INTO hits SELECT number + 100, 'slow' FROM numbers(3) " +
                  "WHERE sleepEachRow(1) = 0;\nINSERT INTO hits VALUES (3, 'c');\n",
              );
              const child = spawnCli(["--seed=none"], {
                cwd: dir,
                env: { EVENTS_URL: target(1) },
              });
              child.stdout.cancel();
              child.stderr.cancel();
              await eventually("statement 1 of V4 to be in flight", async () => {
                const rows = await replicaQuery(
                  cluster,
                  1,
                  `SELECT count() FROM system.processes WHERE query LIKE '%sleepEachRow%' ` +
                    "AND query NOT LIKE '%system.processes%'",
                );
                return rows.trim() !== "0";
              });
              child.kill("SIGKILL");
              await child.status;
              // Through replica 2: its query log cannot tell what replica 1 ran, so it stops for
              // an operator instead of guessing, and says which replica can tell.
              const unknown = await run(dir, target(2), ["--lock-timeout=120"]);
              assert.equal(unknown.code, 1, output(unknown));
              assert.match(unknown.stderr, /OUTCOME_UNKNOWN|cannot tell whether statement 1/);
              assert.match(unknown.stderr, /each replica keeps its own query log/);
              // Through replica 1, which ran it: it waits for it and goes on after it.
              const resumed = await run(dir, target(1), ["--lock-timeout=120"]);
              assert.equal(resumed.code, 0, output(resumed));
              const slow = await syncedRows(
                cluster,
                2,
                `${db}.hits`,
                `SELECT count() AS n FROM ${db}.hits WHERE tag = 'slow'`,
              );
              assert.equal(Number(slow[0]!.n), 3, "the slow INSERT ran once");
            },
          );

          await t.step(
            "ZooKeeper down: the run stops with CLUSTER_UNAVAILABLE, exit 4",
            async () => {
              await Deno.writeTextFile(
                `${dir}/migrations/events/V5__more.sql`,
                "INSERT INTO hits VALUES (4, 'd');\n",
              );
              await scratch.killZooKeeper();
              const res = await run(dir, target(1));
              assert.equal(res.code, 4, output(res));
              assert.match(res.stderr, /CLUSTER_UNAVAILABLE|ZooKeeper/);
            },
          );
        });
      }, scratch.cluster).catch((err) => {
        // The database cannot be dropped ON CLUSTER once ZooKeeper is gone: the scratch cluster
        // goes with it.
        if (!/ZooKeeper|Coordination|readonly|cannot/i.test(String(err))) throw err;
      });
    } finally {
      await scratch.stop();
    }
  },
});
