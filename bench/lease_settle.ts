// How long a lease claim takes from the server reading now() to being visible to another run,
// on a single server and on a replicated cluster (through the other replica after SYNC REPLICA):
// the margin the lease's SETTLE_MS (250 ms, src/drivers/clickhouse/lock.ts) must cover.
//
//   eval "$(bash tests/services.sh env)"
//   deno run -A bench/lease_settle.ts [ROUNDS]
//
// Each round inserts a claim through replica 1 (or the single server) and times, from just before
// the request: the INSERT's answer (the claim is committed: on a cluster, in ZooKeeper), and, on the
// cluster, SYNC REPLICA plus the read on replica 2 that first shows it. Prints p50/p90/max in ms.

import { createLockOnClusterSql } from "../src/drivers/clickhouse/cluster.ts";
import { clusterOptions } from "../src/drivers/clickhouse/cluster.ts";
import { createLockSql, insertClaimSql } from "../src/drivers/clickhouse/lease_sql.ts";

const rounds = Number(Deno.args[0] ?? 100);

async function q(base: string, sql: string): Promise<string> {
  const u = new URL(base);
  u.pathname = "/";
  const res = await fetch(u, { method: "POST", body: sql });
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.status}: ${text}`);
  return text;
}

function stats(label: string, xs: number[]): void {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(1);
  console.log(
    `${label.padEnd(44)} p50 ${at(0.5)}  p90 ${at(0.9)}  p99 ${at(0.99)}  max ${
      s[s.length - 1]!.toFixed(1)
    }  (n=${s.length})`,
  );
}

async function single(url: string): Promise<void> {
  const db = `bench_lease_${Date.now()}`;
  await q(url, `CREATE DATABASE ${db}`);
  try {
    await q(url, createLockSql(db));
    const insert: number[] = [];
    for (let i = 1; i <= rounds; i++) {
      const t0 = performance.now();
      await q(
        url,
        insertClaimSql(db, { holder: `h${i}`, claimedAt: "now", lease: 20, info: "", updated: i }),
      );
      insert.push(performance.now() - t0);
    }
    stats("single server: INSERT claim answered", insert);
  } finally {
    await q(url, `DROP DATABASE ${db}`);
  }
}

async function cluster(urls: string[], name: string): Promise<void> {
  const db = `bench_lease_${Date.now()}`;
  const opts = clusterOptions({ cluster: name }, "bench")!;
  await q(urls[0]!, `CREATE DATABASE ${db} ON CLUSTER ${name}`);
  try {
    await q(urls[0]!, createLockOnClusterSql(db, opts));
    const insert: number[] = [];
    const visible: number[] = [];
    for (let i = 1; i <= rounds; i++) {
      const holder = `h${i}`;
      const t0 = performance.now();
      await q(
        urls[0]!,
        insertClaimSql(db, { holder, claimedAt: "now", lease: 20, info: "", updated: i }),
      );
      insert.push(performance.now() - t0);
      await q(urls[1]!, `SYSTEM SYNC REPLICA ${db}._schema_migrations_lock`);
      const seen = await q(
        urls[1]!,
        `SELECT count() FROM ${db}._schema_migrations_lock WHERE holder = '${holder}'`,
      );
      if (seen.trim() !== "1") throw new Error(`claim ${holder} not seen after SYNC REPLICA`);
      visible.push(performance.now() - t0);
    }
    stats("cluster: INSERT claim answered (replica 1)", insert);
    stats("cluster: seen on replica 2 after SYNC", visible);
  } finally {
    await q(urls[0]!, `DROP DATABASE ${db} ON CLUSTER ${name}`);
  }
}

const single_url = Deno.env.get("CLICKHOUSE_TEST_URL");
if (single_url) await single(single_url);
const urls = (Deno.env.get("CLICKHOUSE_CLUSTER_URLS") ?? "").split(",").filter(Boolean);
const name = Deno.env.get("CLICKHOUSE_CLUSTER_NAME");
if (urls.length >= 2 && name) await cluster(urls, name);
