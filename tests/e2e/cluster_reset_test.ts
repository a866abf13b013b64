// reset and seed --reset on a ClickHouse cluster: what they drop or empty goes on every replica,
// not only on the one the URL names (the cluster's tables are Replicated, made ON CLUSTER).
import assert from "node:assert/strict";
import { output, replicaQuery, withClusterDatabase } from "../cluster_helpers.ts";
import { lastLine, runCli } from "../helpers.ts";
import { summaryCounts, withProject } from "./_util.ts";

function url(urls: string[], replica: number, cluster: string): string {
  const u = new URL(urls[replica - 1]!);
  u.searchParams.set("cluster", cluster);
  return u.toString();
}

const HITS = `CREATE TABLE IF NOT EXISTS hits ON CLUSTER '{cluster}' (id UInt64, tag String)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/hits', '{replica}')
ORDER BY id;
`;

Deno.test("reset through replica 1 drops the tables on every replica, so replica 2 starts afresh too", async () => {
  await withClusterDatabase(async (cluster, db, urls) => {
    const files = {
      "migrations/events/V1__hits.sql": HITS,
      "migrations/events/V2__rows.sql": "INSERT INTO hits VALUES (1, 'a'), (2, 'b');\n",
    };
    await withProject(files, async (dir) => {
      const run = (replica: number, args: string[]) =>
        runCli(["--seed=none", "--wait=5", ...args], {
          cwd: dir,
          env: { EVENTS_URL: url(urls, replica, cluster.name) },
        });
      const first = await run(1, []);
      assert.equal(first.code, 0, output(first));

      const reset = await run(1, ["reset", "--database=events", "--yes"]);
      assert.equal(reset.code, 0, output(reset));
      const left = await replicaQuery(
        cluster,
        2,
        `SELECT name FROM system.tables WHERE database = '${db}' ORDER BY name FORMAT TSV`,
      );
      assert.doesNotMatch(left, /^hits$|^_schema_migrations$/m, "replica 2 keeps no table");

      // Through replica 2: both migrations pending and applied again.
      const again = await run(2, []);
      assert.equal(again.code, 0, output(again));
      assert.deepEqual(summaryCounts(lastLine(again.stdout)), {
        applied: 2,
        skipped: 0,
        failed: 0,
      });
    });
  });
});
