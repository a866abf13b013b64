import assert from "node:assert/strict";
import {
  clusterOptions,
  createDatabaseOnClusterSql,
  createLockOnClusterSql,
  createTrackingOnClusterSql,
  ddlTaskFinishedSql,
  ddlTaskSql,
  DEFAULT_ZOOKEEPER_PATH,
  failedReplicatedCreateHint,
  forShards,
  hasOnCluster,
  hostLabel,
  mergeClusterInputs,
  onClusterSettings,
  onEveryHostSql,
  parseClusterError,
  parseDdlFinished,
  parseDdlTaskHosts,
  parseHostStatuses,
  replicaCatchUp,
  replicaPathSql,
  type ReplicaStatusRow,
  replicatedCreateSql,
  SHARDED_REPLICA,
  substituteCluster,
  syncReplicaSql,
  TRACKING_WRITE_SETTINGS,
  zookeeperPath,
} from "../../src/drivers/clickhouse/cluster.ts";
import { createTrackingSql } from "../../src/drivers/clickhouse/sql.ts";

const OPTS = clusterOptions({ cluster: "prod" }, "test")!;

Deno.test("clusterOptions() is null without a cluster and fills in the defaults with one", () => {
  assert.equal(clusterOptions({}, "the URL"), null);
  assert.deepEqual(clusterOptions({ cluster: "prod" }, "the URL"), {
    name: "prod",
    zookeeperPath: DEFAULT_ZOOKEEPER_PATH,
    replica: "{replica}",
    timeoutSeconds: 180,
  });
  assert.deepEqual(
    clusterOptions(
      { cluster: "c.1-a", cluster_path: "/zk/{shard}/{table}", cluster_replica: "{host}" },
      "x",
    ),
    { name: "c.1-a", zookeeperPath: "/zk/{shard}/{table}", replica: "{host}", timeoutSeconds: 180 },
  );
});

Deno.test("clusterOptions() refuses bad names, paths and a path without a cluster, naming where", () => {
  assert.throws(
    () => clusterOptions({ cluster: "a b" }, 'the URL of "ch"'),
    /the URL of "ch": cluster "a b"/,
  );
  assert.throws(() => clusterOptions({ cluster: "'x'" }, "u"), /not a cluster name/);
  assert.throws(() => clusterOptions({ cluster: "" }, "u"), /must name a cluster/);
  assert.throws(
    () => clusterOptions({ cluster_path: "/x" }, "u"),
    /cluster_path needs cluster=NAME/,
  );
  assert.throws(() => clusterOptions({ cluster: "c", cluster_path: "x/y" }, "u"), /absolute/);
  assert.throws(() => clusterOptions({ cluster: "c", cluster_path: "/x/" }, "u"), /absolute/);
  assert.throws(
    () => clusterOptions({ cluster: "c", cluster_path: "/x'y" }, "u"),
    /must not contain/,
  );
  assert.throws(
    () => clusterOptions({ cluster: "c", cluster_replica: "" }, "u"),
    /cluster_replica/,
  );
  assert.equal(clusterOptions({ cluster: "c", cluster_timeout: "7" }, "u")?.timeoutSeconds, 7);
  for (const bad of ["0", "1.5", "x", "-3"]) {
    assert.throws(
      () => clusterOptions({ cluster: "c", cluster_timeout: bad }, "u"),
      /cluster_timeout must be a whole number/,
    );
  }
  assert.throws(() => clusterOptions({ cluster_timeout: "5" }, "u"), /needs cluster=NAME/);
});

Deno.test("hasOnCluster() finds the clause outside string literals", () => {
  assert.equal(hasOnCluster("CREATE TABLE t ON CLUSTER prod (a UInt8) ENGINE = Memory"), true);
  assert.equal(hasOnCluster("alter table t on\n  cluster '{cluster}' add column b UInt8"), true);
  assert.equal(hasOnCluster("INSERT INTO t VALUES ('ON CLUSTER x')"), false);
  assert.equal(hasOnCluster("CREATE TABLE t (a UInt8) ENGINE = Memory"), false);
});

Deno.test("parseDdlTaskHosts() and ddlTaskSql() read a DDL queue entry's hosts", () => {
  assert.deepEqual(
    parseDdlTaskHosts(
      "version: 1\nquery: CREATE TABLE e1.x2 ON CLUSTER c (a UInt8) ENGINE = Memory\n" +
        "hosts: ['127%2E0%2E0%2E1:19301','127%2E0%2E0%2E1:19302']\ninitiator: vm:19301\n",
    ),
    ["127.0.0.1:19301", "127.0.0.1:19302"],
  );
  assert.deepEqual(parseDdlTaskHosts("version: 1\n"), []);
  assert.equal(
    ddlTaskSql("/clickhouse/task_queue/ddl/query-0000000009"),
    "SELECT value FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl' " +
      "AND name = 'query-0000000009'",
  );
});

Deno.test("mergeClusterInputs() takes each key from either and refuses two values of one key", () => {
  assert.deepEqual(mergeClusterInputs(undefined, undefined, "ch"), {});
  assert.deepEqual(
    mergeClusterInputs({ cluster: "prod" }, { cluster: "prod", cluster_timeout: "30" }, "ch"),
    { cluster: "prod", cluster_timeout: "30" },
  );
  assert.deepEqual(mergeClusterInputs({ cluster: "prod" }, undefined, "ch"), { cluster: "prod" });
  assert.throws(
    () => mergeClusterInputs({ cluster: "prod" }, { cluster: "staging" }, "ch"),
    /the URL of "ch" and db-migrate.yaml disagree on the cluster \(cluster: "prod" in the URL, "staging"/,
  );
});

Deno.test("zookeeperPath() fills in cluster, database and table and leaves server macros", () => {
  assert.equal(
    zookeeperPath(OPTS, "analytics", "_schema_migrations"),
    "/clickhouse/db-migrate/prod/analytics/_schema_migrations",
  );
  const custom = clusterOptions({
    cluster: "prod",
    cluster_path: "/clickhouse/tables/{shard}/{database}",
  }, "x")!;
  assert.equal(
    zookeeperPath(custom, "analytics", "_schema_migrations_lock"),
    "/clickhouse/tables/{shard}/analytics/_schema_migrations_lock",
  );
});

Deno.test("createDatabaseOnClusterSql() creates the database on every host", () => {
  assert.equal(
    createDatabaseOnClusterSql("my db", "prod"),
    "CREATE DATABASE IF NOT EXISTS `my db` ON CLUSTER `prod`",
  );
});

Deno.test("createTrackingOnClusterSql() is the single-server table, replicated, ON CLUSTER, without COMMENTs", () => {
  const sql = createTrackingOnClusterSql("analytics", OPTS);
  assert.match(
    sql,
    /^CREATE TABLE IF NOT EXISTS `analytics`\.`_schema_migrations` ON CLUSTER `prod` \(/,
  );
  assert.match(
    sql,
    /\) ENGINE = ReplicatedReplacingMergeTree\('\/clickhouse\/db-migrate\/prod\/analytics\/_schema_migrations', '\{replica\}', updated\)\nORDER BY script$/,
  );
  assert.doesNotMatch(sql, /COMMENT/);
  // Every column of the single-server table, with its type and default, in the same order.
  const columns = (text: string) =>
    text.split("\n").filter((l) => /^ {2}\w/.test(l)).map((l) =>
      l.replace(/ COMMENT '(?:[^'\\]|\\.)*'/, "").replace(/,$/, "").trim()
    );
  assert.deepEqual(columns(sql), columns(createTrackingSql("analytics")));
  assert.ok(columns(sql).includes("query_id         String DEFAULT ''"));
});

Deno.test("createLockOnClusterSql() replicates the lease table with its own path", () => {
  const sql = createLockOnClusterSql("analytics", OPTS);
  assert.match(sql, /`analytics`\.`_schema_migrations_lock` ON CLUSTER `prod` \(/);
  assert.match(
    sql,
    /ReplicatedReplacingMergeTree\('\/clickhouse\/db-migrate\/prod\/analytics\/_schema_migrations_lock', '\{replica\}', updated\)/,
  );
  assert.doesNotMatch(sql, /COMMENT/);
});

Deno.test("replicatedCreateSql() keeps string defaults and quotes that look like COMMENT", () => {
  const sql = replicatedCreateSql(
    "CREATE TABLE `d`.`t` (\n  a String DEFAULT ' COMMENT ''x''' COMMENT 'it''s \\' a',\n  b UInt8\n) ENGINE = MergeTree()\nORDER BY b",
    { cluster: "c", path: "/p/t", replica: "{replica}" },
  );
  assert.equal(
    sql,
    "CREATE TABLE `d`.`t` ON CLUSTER `c` (\n  a String DEFAULT ' COMMENT ''x''',\n  b UInt8\n) ENGINE = ReplicatedMergeTree('/p/t', '{replica}')\nORDER BY b",
  );
  assert.throws(
    () =>
      replicatedCreateSql("CREATE TABLE `d`.`t` (a UInt8) ENGINE = Log", {
        cluster: "c",
        path: "/p",
        replica: "r",
      }),
    /no plain MergeTree/,
  );
});

Deno.test("failedReplicatedCreateHint() names the path to remove and the way around it", () => {
  const hint = failedReplicatedCreateHint("/clickhouse/db-migrate/prod/a/_schema_migrations");
  assert.match(hint, /zkCli\.sh deleteall \/clickhouse\/db-migrate\/prod\/a\/_schema_migrations/);
  assert.match(hint, /cluster_path/);
});

Deno.test("onClusterSettings() asks for JSONEachRow and bounds the wait for every host", () => {
  assert.deepEqual(onClusterSettings(30), {
    default_format: "JSONEachRow",
    distributed_ddl_task_timeout: "30",
  });
  assert.equal(onClusterSettings(0).distributed_ddl_task_timeout, "1");
});

// Bodies as ClickHouse 18.16 answered CREATE TABLE ... ON CLUSTER on the test cluster.
const JSON_BODY =
  '{"host":"127.0.0.1","port":19301,"status":"0","error":"","num_hosts_remaining":"1","num_hosts_active":"0"}\n' +
  '{"host":"127.0.0.1","port":19302,"status":"0","error":"","num_hosts_remaining":"0","num_hosts_active":"0"}\n';
const TSV_BODY = "127.0.0.1\t19301\t0\t\t1\t0\n127.0.0.1\t19302\t0\t\t0\t0\n";

Deno.test("parseHostStatuses() reads the per-host table as JSONEachRow and as TabSeparated", () => {
  const expected = [
    { host: "127.0.0.1", port: 19301, status: 0, error: "" },
    { host: "127.0.0.1", port: 19302, status: 0, error: "" },
  ];
  assert.deepEqual(parseHostStatuses(JSON_BODY), expected);
  assert.deepEqual(parseHostStatuses(TSV_BODY), expected);
  assert.deepEqual(
    parseHostStatuses(
      "host\tport\tstatus\terror\tnum_hosts_remaining\tnum_hosts_active\n" + TSV_BODY,
    ),
    expected,
  );
  assert.deepEqual(parseHostStatuses("h\t9000\t57\tTable x\\nexists\t0\t0\n"), [
    { host: "h", port: 9000, status: 57, error: "Table x\nexists" },
  ]);
});

Deno.test("parseHostStatuses() is null for what is not an ON CLUSTER answer", () => {
  assert.equal(parseHostStatuses(""), null);
  assert.equal(parseHostStatuses("1\n"), null);
  assert.equal(parseHostStatuses('{"count()":"1"}\n'), null);
  assert.equal(parseHostStatuses("a\tb\n"), null);
});

Deno.test("parseClusterError() names the first failing host and its own error", () => {
  const body =
    "Code: 57, e.displayText() = DB::Exception: There was an error on [127.0.0.1:19302]: " +
    "Code: 57, e.displayText() = DB::Exception: Table e1.x1 already exists., e.what() = DB::Exception, " +
    "e.what() = DB::Exception\n";
  assert.deepEqual(parseClusterError(body), {
    kind: "host",
    host: "127.0.0.1",
    port: 19302,
    code: 57,
    message: "Table e1.x1 already exists.",
  });
  const comment =
    "Code: 122, e.displayText() = DB::Exception: There was an error on [127.0.0.1:19301]: " +
    "Code: 122, e.displayText() = DB::Exception: Table structure in ZooKeeper is too different from " +
    "local table structure, e.what() = DB::Exception, e.what() = DB::Exception";
  const c = parseClusterError(comment);
  assert.equal(c.kind, "host");
  assert.equal(c.kind === "host" && c.code, 122);
  assert.equal(hostLabel({ host: "::1", port: 9000 }), "[::1]:9000");
});

Deno.test("parseClusterError() reads code 159: the queue entry and how many hosts have not answered", () => {
  const body = "Code: 159, e.displayText() = DB::Exception: Watching task " +
    "/clickhouse/task_queue/ddl/query-0000000009 is executing longer than " +
    "distributed_ddl_task_timeout (=5) seconds. There are 1 unfinished hosts (0 of them are " +
    "currently active), they are going to execute the query in background, e.what() = DB::Exception";
  assert.deepEqual(parseClusterError(body), {
    kind: "timeout",
    task: "/clickhouse/task_queue/ddl/query-0000000009",
    timeoutSeconds: 5,
    unfinished: 1,
    active: 0,
  });
  assert.deepEqual(
    parseClusterError(
      "Code: 170, e.displayText() = DB::Exception: Requested cluster 'nope' not found, e.what() = DB::Exception",
    ),
    { kind: "other", code: 170, message: "Requested cluster 'nope' not found" },
  );
});

Deno.test("parseDdlFinished() reads every host's result from the DDL queue", () => {
  assert.equal(
    ddlTaskFinishedSql("/clickhouse/task_queue/ddl/query-0000000008"),
    "SELECT name, value FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl/query-0000000008/finished'",
  );
  assert.deepEqual(
    parseDdlFinished([
      {
        name: "127%2E0%2E0%2E1:19302",
        value:
          "57\nCode: 57, e.displayText() = DB::Exception: Table e1.x2 already exists., e.what() = DB::Exception",
      },
      { name: "127%2E0%2E0%2E1:19301", value: "0\n" },
    ]),
    [
      { host: "127.0.0.1", port: 19301, status: 0, error: "" },
      { host: "127.0.0.1", port: 19302, status: 57, error: "Table e1.x2 already exists." },
    ],
  );
});

Deno.test("substituteCluster() replaces {cluster} only as the cluster of ON CLUSTER", () => {
  assert.equal(
    substituteCluster("CREATE TABLE t ON CLUSTER '{cluster}' (a UInt8) ENGINE = Memory", "prod"),
    "CREATE TABLE t ON CLUSTER `prod` (a UInt8) ENGINE = Memory",
  );
  assert.equal(
    substituteCluster("DROP TABLE t on cluster {cluster}", "prod"),
    "DROP TABLE t on cluster `prod`",
  );
  assert.equal(
    substituteCluster('ALTER TABLE t ON  CLUSTER\n"{cluster}" DELETE WHERE 1', "p"),
    "ALTER TABLE t ON  CLUSTER\n`p` DELETE WHERE 1",
  );
  assert.equal(
    substituteCluster("DROP TABLE t ON CLUSTER `{cluster}`", "p"),
    "DROP TABLE t ON CLUSTER `p`",
  );
  const engine = "CREATE TABLE t ON CLUSTER '{cluster}' (a UInt8) ENGINE = " +
    "ReplicatedMergeTree('/clickhouse/tables/{cluster}/{shard}/t', '{replica}') ORDER BY a";
  assert.equal(
    substituteCluster(engine, "prod"),
    engine.replace("ON CLUSTER '{cluster}'", "ON CLUSTER `prod`"),
  );
  for (
    const untouched of [
      "INSERT INTO t VALUES ('ON CLUSTER {cluster}')",
      "SELECT 1 -- ON CLUSTER '{cluster}'",
      "SELECT 1 /* ON CLUSTER {cluster} */",
      "SELECT '{cluster}'",
    ]
  ) {
    assert.equal(substituteCluster(untouched, "prod"), untouched);
  }
  assert.equal(
    substituteCluster("DROP TABLE t ON CLUSTER '{cluster}'", null),
    "DROP TABLE t ON CLUSTER '{cluster}'",
  );
});

Deno.test("syncReplicaSql() and the write settings: sync before reads, no quorum", () => {
  assert.equal(
    syncReplicaSql("a b", "_schema_migrations"),
    "SYSTEM SYNC REPLICA `a b`.`_schema_migrations`",
  );
  assert.deepEqual(TRACKING_WRITE_SETTINGS, {});
});

Deno.test("replicaCatchUp() tells a caught-up replica from one that lags or lost ZooKeeper", () => {
  const row = (o: Partial<ReplicaStatusRow>): ReplicaStatusRow => ({
    table: "_schema_migrations",
    replica_name: "r2",
    is_readonly: 0,
    is_session_expired: 0,
    absolute_delay: 0,
    queue_size: 0,
    inserts_in_queue: 0,
    log_pointer: 289,
    log_max_index: 288,
    total_replicas: 2,
    active_replicas: 2,
    ...o,
  });
  assert.equal(replicaCatchUp([]), null);
  assert.deepEqual(
    replicaCatchUp([
      row({}),
      row({ table: "_schema_migrations_lock", log_pointer: 0, log_max_index: 0 }),
    ]),
    {
      replica: "r2",
      caughtUp: true,
      delaySeconds: 0,
      queued: 0,
      readonly: false,
      activeReplicas: 2,
      totalReplicas: 2,
    },
  );
  // As seen while the only replica with a part was down: one GET_PART waiting.
  const behind = replicaCatchUp([
    row({ queue_size: 1, inserts_in_queue: 1, absolute_delay: 722, active_replicas: 1 }),
  ])!;
  assert.equal(behind.caughtUp, false);
  assert.equal(behind.delaySeconds, 722);
  assert.equal(behind.activeReplicas, 1);
  assert.equal(replicaCatchUp([row({ is_readonly: 1 })])!.caughtUp, false);
});

Deno.test("forShards() keeps one shard as given; several shards keep one table and unique replica names", () => {
  assert.equal(forShards(OPTS, 1), OPTS);
  assert.equal(forShards(OPTS, 0), OPTS);
  assert.deepEqual(forShards(OPTS, 2), { ...OPTS, replica: SHARDED_REPLICA });
  assert.equal(SHARDED_REPLICA, "{shard}-{replica}");
  // A replica name the operator chose is theirs.
  const own = { ...OPTS, replica: "{host}" };
  assert.equal(forShards(own, 3), own);
  // A path per shard would split the record and the lock: refused, saying why.
  const perShard = { ...OPTS, zookeeperPath: "/zk/{shard}/{database}/{table}" };
  assert.equal(forShards(perShard, 1), perShard);
  assert.throws(
    () => forShards(perShard, 2),
    /cluster "prod" has 2 shards and cluster_path "\/zk\/\{shard\}.*its own tracking table and lock/,
  );
});

Deno.test("onEveryHostSql() sends db-migrate's own DROP and TRUNCATE ON CLUSTER", () => {
  assert.equal(
    onEveryHostSql("DROP TABLE IF EXISTS `db`.`t`", "prod"),
    "DROP TABLE IF EXISTS `db`.`t` ON CLUSTER `prod`",
  );
  assert.match(
    replicaPathSql("d'b", "_schema_migrations"),
    /database = 'd\\'b' AND table = '_schema_migrations'/,
  );
});
