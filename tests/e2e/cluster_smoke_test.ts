// The test cluster works as the cluster tests need it, and ClickHouse 18.16 answers on it the way
// src/drivers/clickhouse/cluster.ts reads it (see docs/clickhouse-cluster-findings.md).
import assert from "node:assert/strict";
import {
  eventually,
  replicaQuery,
  ScratchCluster,
  testCluster,
  withClusterDatabase,
} from "../cluster_helpers.ts";
import {
  clusterOptions,
  createDatabaseOnClusterSql,
  createLockOnClusterSql,
  createTrackingOnClusterSql,
  onClusterSettings,
  parseClusterError,
  parseHostStatuses,
  syncReplicaSql,
} from "../../src/drivers/clickhouse/cluster.ts";

Deno.test("system.clusters on each replica lists both replicas of the test cluster", async () => {
  const cluster = testCluster();
  for (const replica of [1, 2]) {
    const rows = (await replicaQuery(
      cluster,
      replica,
      `SELECT shard_num, replica_num, port FROM system.clusters WHERE cluster = '${cluster.name}' ` +
        "ORDER BY replica_num FORMAT JSONEachRow",
    )).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(rows.length, 2, `replica ${replica} sees ${rows.length} hosts`);
    assert.deepEqual(rows.map((r) => [r.shard_num, r.replica_num]), [[1, 1], [1, 2]]);
    assert.notEqual(rows[0].port, rows[1].port);
  }
  const macros = await replicaQuery(
    cluster,
    2,
    "SELECT macro, substitution FROM system.macros FORMAT TSV",
  );
  assert.match(macros, /^replica\tr2$/m);
});

Deno.test("a Replicated table created ON CLUSTER through replica 1 shows rows inserted through replica 2", async () => {
  await withClusterDatabase(async (cluster, db) => {
    const body = await replicaQuery(
      cluster,
      1,
      `CREATE TABLE ${db}.events ON CLUSTER ${cluster.name} (id UInt32) ` +
        `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${db}/events', '{replica}') ORDER BY id`,
      onClusterSettings(30),
    );
    assert.deepEqual(parseHostStatuses(body)?.map((h) => h.status), [0, 0]);
    await replicaQuery(cluster, 2, `INSERT INTO ${db}.events VALUES (1), (2), (3)`);
    // Asynchronous replication: SYNC REPLICA makes replica 1 fetch the part first.
    await replicaQuery(cluster, 1, syncReplicaSql(db, "events"));
    assert.equal((await replicaQuery(cluster, 1, `SELECT sum(id) FROM ${db}.events`)).trim(), "6");
  });
});

Deno.test("db-migrate's cluster DDL is accepted ON CLUSTER and makes Replicated tables on both replicas", async () => {
  await withClusterDatabase(async (cluster, db) => {
    const options = clusterOptions({ cluster: cluster.name }, "test")!;
    for (
      const sql of [
        createDatabaseOnClusterSql(db, cluster.name),
        createTrackingOnClusterSql(db, options),
        createLockOnClusterSql(db, options),
      ]
    ) {
      const hosts = parseHostStatuses(await replicaQuery(cluster, 1, sql, onClusterSettings(30)));
      assert.equal(hosts?.length, 2, sql);
      assert.ok(hosts!.every((h) => h.status === 0 && h.error === ""), JSON.stringify(hosts));
    }
    const engines = await replicaQuery(
      cluster,
      2,
      `SELECT name, engine FROM system.tables WHERE database = '${db}' ORDER BY name FORMAT TSV`,
    );
    assert.equal(
      engines,
      "_schema_migrations\tReplicatedReplacingMergeTree\n" +
        "_schema_migrations_lock\tReplicatedReplacingMergeTree\n",
    );
    const paths = await replicaQuery(
      cluster,
      2,
      `SELECT zookeeper_path FROM system.replicas WHERE database = '${db}' ORDER BY table FORMAT TSV`,
    );
    assert.equal(
      paths,
      `/clickhouse/db-migrate/${cluster.name}/${db}/_schema_migrations\n` +
        `/clickhouse/db-migrate/${cluster.name}/${db}/_schema_migrations_lock\n`,
    );
  });
});

Deno.test("a statement that fails on one host answers HTTP 500 naming that host; the other keeps the change", async () => {
  await withClusterDatabase(async (cluster, db) => {
    await replicaQuery(cluster, 2, `CREATE TABLE ${db}.t (a UInt8) ENGINE = Memory`);
    const err = await replicaQuery(
      cluster,
      1,
      `CREATE TABLE ${db}.t ON CLUSTER ${cluster.name} (a UInt8) ENGINE = Memory`,
      onClusterSettings(30),
    ).then(() => null, (e: Error) => e.message);
    assert.ok(err, "the statement should have failed on replica 2");
    const failure = parseClusterError(err.slice(err.indexOf("Code: ")));
    const port2 = (await replicaQuery(cluster, 2, "SELECT tcpPort()").catch(() => "")).trim();
    assert.equal(failure.kind, "host", err);
    if (failure.kind === "host") {
      assert.equal(failure.code, 57);
      assert.match(failure.message, /already exists/);
      if (port2) assert.equal(String(failure.port), port2);
    }
    assert.equal(
      (await replicaQuery(cluster, 1, `EXISTS TABLE ${db}.t`)).trim(),
      "1",
      "replica 1 keeps the table: there is no atomicity across hosts",
    );
  });
});

Deno.test("identical blocks inserted twice into a Replicated table are kept once, unless insert_deduplicate=0", async () => {
  await withClusterDatabase(async (cluster, db) => {
    await replicaQuery(
      cluster,
      1,
      `CREATE TABLE ${db}.d ON CLUSTER ${cluster.name} (a UInt8) ` +
        `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${db}/d', '{replica}') ORDER BY a`,
      onClusterSettings(30),
    );
    await replicaQuery(cluster, 1, `INSERT INTO ${db}.d VALUES (7)`);
    await replicaQuery(cluster, 2, `INSERT INTO ${db}.d VALUES (7)`);
    await replicaQuery(cluster, 1, syncReplicaSql(db, "d"));
    assert.equal((await replicaQuery(cluster, 1, `SELECT count() FROM ${db}.d`)).trim(), "1");
    await replicaQuery(cluster, 1, `INSERT INTO ${db}.d VALUES (7)`, { insert_deduplicate: "0" });
    assert.equal((await replicaQuery(cluster, 1, `SELECT count() FROM ${db}.d`)).trim(), "2");
  });
});

Deno.test("with replica 2 down, ON CLUSTER times out (code 159) and replica 2 catches up when it returns", async () => {
  const scratch = await ScratchCluster.start();
  try {
    await withClusterDatabase(async (cluster, db) => {
      await replicaQuery(
        cluster,
        1,
        `CREATE TABLE ${db}.r ON CLUSTER ${cluster.name} (a UInt8) ` +
          `ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/${db}/r', '{replica}') ORDER BY a`,
        onClusterSettings(30),
      );
      // A clean shutdown: the crash case (killReplica) costs the 10 s of a ZooKeeper session.
      await scratch.stopReplica(2);
      const err = await replicaQuery(
        cluster,
        1,
        `CREATE TABLE ${db}.late ON CLUSTER ${cluster.name} (a UInt8) ENGINE = Memory`,
        onClusterSettings(2),
      ).then(() => null, (e: Error) => e.message);
      assert.ok(err, "ON CLUSTER should not succeed while a host is down");
      const failure = parseClusterError(err.slice(err.indexOf("Code: ")));
      assert.equal(failure.kind, "timeout", err);
      if (failure.kind === "timeout") {
        assert.equal(failure.unfinished, 1);
        assert.match(failure.task, /^\/clickhouse\/task_queue\/ddl\/query-\d+$/);
      }
      // The live replica ran it, and plain inserts into Replicated tables go on.
      assert.equal((await replicaQuery(cluster, 1, `EXISTS TABLE ${db}.late`)).trim(), "1");
      await replicaQuery(cluster, 1, `INSERT INTO ${db}.r VALUES (5)`);
      // A quorum of two cannot be had with one replica: refused at once (code 285).
      await assert.rejects(
        replicaQuery(cluster, 1, `INSERT INTO ${db}.r VALUES (6)`, { insert_quorum: "2" }),
        /Code: 285/,
      );
      await scratch.startReplica(2);
      await eventually(
        "replica 2 to run the queued DDL and fetch the row",
        async () =>
          (await replicaQuery(cluster, 2, `EXISTS TABLE ${db}.late`)).trim() === "1" &&
          (await replicaQuery(cluster, 2, `SELECT count() FROM ${db}.r`)).trim() === "1",
        60_000,
      );
    }, scratch.cluster);
  } finally {
    await scratch.stop();
  }
});
