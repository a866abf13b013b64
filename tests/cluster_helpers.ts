// Test helpers for the ClickHouse cluster that tests/services.sh starts (ZooKeeper and two
// replicas of one shard): its URLs, per-test databases made and dropped ON CLUSTER, a query per
// replica, and a scratch cluster of its own for a test that stops a replica.
import { join } from "node:path";
import { chQuery, type CliResult, ROOT, runCli, uniqueName } from "./helpers.ts";

const HOW_TO_START = "Run the tests with `deno task test` (tests/run.sh starts a ClickHouse " +
  "cluster and exports CLICKHOUSE_CLUSTER_URLS and CLICKHOUSE_CLUSTER_NAME), or run " +
  '`eval "$(bash tests/services.sh start)"` first.';

/** The cluster's name and the base URL of each replica (replica 1 first). */
export interface TestCluster {
  name: string;
  /** `http://default@127.0.0.1:PORT/default`, one per replica. */
  urls: string[];
  /** The same servers declared as two shards of one replica each. */
  shardedName: string;
}

/** The shared test cluster, from the environment; fails with a how-to when it is not set. */
export function testCluster(): TestCluster {
  const urls = (Deno.env.get("CLICKHOUSE_CLUSTER_URLS") ?? "").split(",").filter((u) => u !== "");
  const name = Deno.env.get("CLICKHOUSE_CLUSTER_NAME") ?? "";
  if (urls.length < 2 || name === "") {
    throw new Error(
      `CLICKHOUSE_CLUSTER_URLS (two or more URLs) and CLICKHOUSE_CLUSTER_NAME are not set. ${HOW_TO_START}`,
    );
  }
  return { name, urls, shardedName: Deno.env.get("CLICKHOUSE_SHARDED_CLUSTER_NAME") ?? "" };
}

/** A URL with its path replaced by a database name. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = "/" + database;
  return u.toString();
}

/** Runs one query on replica `replica` (1-based) of the cluster; `settings` go into the URL. */
export function replicaQuery(
  cluster: TestCluster,
  replica: number,
  query: string,
  settings: Record<string, string> = {},
): Promise<string> {
  const url = cluster.urls[replica - 1];
  if (!url) throw new Error(`the test cluster has no replica ${replica}`);
  return chQuery(url, query, settings);
}

// Bounds every ON CLUSTER statement of the helpers: a replica that is down must not hold a test
// for the server's default of 180 s.
const DDL = { distributed_ddl_task_timeout: "30" };

/**
 * Creates a database ON CLUSTER, runs fn with it (the cluster, the database's name, and its URL on
 * each replica), and drops it ON CLUSTER afterwards, so its Replicated tables leave nothing in
 * ZooKeeper. When the drop fails on a host (18.16 leaves a data directory behind after a failed
 * Replicated CREATE, and DROP DATABASE then fails there with "Directory not empty"), each replica
 * drops it again on its own.
 */
export async function withClusterDatabase<T>(
  fn: (cluster: TestCluster, name: string, urls: string[]) => Promise<T>,
  cluster: TestCluster = testCluster(),
): Promise<T> {
  const name = uniqueName();
  try {
    await replicaQuery(cluster, 1, `CREATE DATABASE ${name} ON CLUSTER ${cluster.name}`, DDL);
  } catch (e) {
    throw new Error(
      `cannot create a test database on cluster ${cluster.name}: ${
        (e as Error).message
      }. ${HOW_TO_START}`,
      { cause: e },
    );
  }
  try {
    return await fn(cluster, name, cluster.urls.map((u) => withDatabase(u, name)));
  } finally {
    try {
      await replicaQuery(
        cluster,
        1,
        `DROP DATABASE IF EXISTS ${name} ON CLUSTER ${cluster.name}`,
        DDL,
      );
    } catch {
      for (const url of cluster.urls) {
        await chQuery(url, `DROP DATABASE IF EXISTS ${name}`).catch(() => {});
      }
    }
  }
}

/** Waits until `check` holds (polling every 50 ms) or throws `what` after `ms`. */
export async function eventually(
  what: string,
  check: () => Promise<boolean>,
  ms = 20_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what}: not within ${ms} ms`);
}

/**
 * A cluster of its own (`bash tests/services.sh cluster-run`), for a test that stops and starts a
 * replica: the shared cluster must stay up for the other tests.
 */
export class ScratchCluster {
  readonly #supervisor: Deno.ChildProcess;
  readonly #restarted = new Map<number, Deno.ChildProcess>();
  /** ZooKeeper when the test started it again. */
  #zookeeper: Deno.ChildProcess | null = null;
  readonly cluster: TestCluster;
  readonly dir: string;
  /** ZooKeeper's pid, then each replica's, as started. */
  readonly #pids: number[];

  private constructor(
    supervisor: Deno.ChildProcess,
    env: Record<string, string>,
  ) {
    this.#supervisor = supervisor;
    this.cluster = {
      name: env.CLICKHOUSE_CLUSTER_NAME!,
      urls: env.CLICKHOUSE_CLUSTER_URLS!.split(","),
      shardedName: env.CLICKHOUSE_SHARDED_CLUSTER_NAME ?? "",
    };
    this.dir = env.CLICKHOUSE_CLUSTER_DIR!;
    this.#pids = env.CLICKHOUSE_CLUSTER_PIDS!.split(" ").map(Number);
  }

  /** Starts ZooKeeper and two replicas on fresh ports and a fresh directory (about 4 s). */
  static async start(): Promise<ScratchCluster> {
    const child = new Deno.Command("bash", {
      args: [join(ROOT, "tests/services.sh"), "cluster-run"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const stderr = new Response(child.stderr).text();
    const env: Record<string, string> = {};
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = "";
    let ready = false;
    while (!ready) {
      const { value, done } = await reader.read();
      if (done) break;
      buffered += value;
      let nl: number;
      while ((nl = buffered.indexOf("\n")) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line === "# ready") ready = true;
        // `export NAME=value`, printed with printf %q: the values here need only \ unescaped.
        const m = line.match(/^export (\w+)=(.*)$/);
        if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, "$1").replace(/\\(.)/g, "$1");
      }
    }
    reader.releaseLock();
    // Keep draining stdout so the supervisor never blocks on a full pipe.
    child.stdout.pipeTo(new WritableStream()).catch(() => {});
    if (!ready) {
      const status = await child.status;
      throw new Error(
        `tests/services.sh cluster-run exited (${status.code}) before the cluster was ready:\n${await stderr}`,
      );
    }
    stderr.catch(() => {});
    return new ScratchCluster(child, env);
  }

  /**
   * Kills replica `replica` (1-based) with SIGKILL, as a crash would, and waits until it is gone.
   * Its ZooKeeper session lives on for 10 s: until then quorum inserts wait for it, and a restart
   * waits for the session to expire before it replicates.
   */
  killReplica(replica: number): Promise<void> {
    return this.#signalReplica(replica, "SIGKILL");
  }

  /** Stops replica `replica` (1-based) with SIGTERM, as a clean shutdown, and waits until it is gone. */
  stopReplica(replica: number): Promise<void> {
    return this.#signalReplica(replica, "SIGTERM");
  }

  async #signalReplica(replica: number, signal: Deno.Signal): Promise<void> {
    const restarted = this.#restarted.get(replica);
    if (restarted) {
      this.#restarted.delete(replica);
      restarted.kill(signal);
      await restarted.status;
      return;
    }
    const pid = this.#pids[replica]!;
    try {
      Deno.kill(pid, signal);
    } catch {
      return; // already gone
    }
    // The supervisor reaps it; wait until the pid no longer runs the server.
    await eventually(`replica ${replica} to exit`, async () => {
      try {
        const cmd = await Deno.readTextFile(`/proc/${pid}/cmdline`);
        return !cmd.includes(this.dir);
      } catch {
        return true;
      }
    });
  }

  /** Kills ZooKeeper with SIGKILL: the replicas lose their sessions and turn read-only. */
  async killZooKeeper(): Promise<void> {
    if (this.#zookeeper) {
      const zk = this.#zookeeper;
      this.#zookeeper = null;
      zk.kill("SIGKILL");
      await zk.status;
      return;
    }
    const pid = this.#pids[0]!;
    try {
      Deno.kill(pid, "SIGKILL");
    } catch {
      return; // already gone
    }
    await eventually("ZooKeeper to exit", async () => {
      try {
        return !(await Deno.readTextFile(`/proc/${pid}/cmdline`)).includes(this.dir);
      } catch {
        return true;
      }
    });
  }

  /**
   * Starts ZooKeeper again on its data and port (`tests/services.sh zookeeper-run`), and waits
   * until every replica has its session back and can write db-migrate's tables of `database`.
   */
  async startZooKeeper(database: string): Promise<void> {
    this.#zookeeper = new Deno.Command("bash", {
      args: [join(ROOT, "tests/services.sh"), "zookeeper-run", this.dir],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    for (let replica = 1; replica <= this.cluster.urls.length; replica++) {
      await eventually(
        `replica ${replica} to write to ZooKeeper again`,
        async () =>
          (await replicaQuery(
            this.cluster,
            replica,
            `SELECT count() FROM system.replicas WHERE database = '${database}' AND ` +
              "(is_readonly OR is_session_expired)",
          )).trim() === "0",
        60_000,
      );
    }
  }

  /** Starts replica `replica` again on its directory and ports, and waits until it answers. */
  async startReplica(replica: number): Promise<void> {
    const dir = join(this.dir, `ch${replica}`);
    const port = new URL(this.cluster.urls[replica - 1]!).port;
    this.#restarted.set(
      replica,
      new Deno.Command("bash", {
        args: [join(ROOT, "tests/services.sh"), "clickhouse-run", dir, port],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).spawn(),
    );
    await eventually(
      `replica ${replica} to answer again`,
      async () =>
        (await replicaQuery(
          this.cluster,
          replica,
          "SELECT data_path FROM system.databases WHERE name = 'default'",
        ))
          .trim() === `${dir}/data/data/default/`,
      60_000,
    );
  }

  /** Stops every server and removes the directory. */
  async stop(): Promise<void> {
    for (const replica of [...this.#restarted.keys()]) await this.killReplica(replica);
    if (this.#zookeeper) await this.killZooKeeper();
    try {
      this.#supervisor.kill("SIGTERM");
    } catch {
      // already gone
    }
    await this.#supervisor.status;
  }
}

/** A replica's URL for a database, with the cluster (and any other) parameters. */
export function replicaUrl(
  urls: string[],
  replica: number,
  params: Record<string, string> = {},
): string {
  const u = new URL(urls[replica - 1]!);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  return u.toString();
}

/** Runs the CLI on the project with the database `events` at that URL. */
export function runEvents(dir: string, eventsUrl: string, args: string[] = []): Promise<CliResult> {
  return runCli(["--seed=none", "--wait=5", ...args], { cwd: dir, env: { EVENTS_URL: eventsUrl } });
}

/** A run's exit code and output, for assertion messages. */
export function output(r: CliResult): string {
  return `exit ${r.code}\n${r.stdout}\n${r.stderr}`;
}

/** Rows of a query on one replica, after that replica fetched `table` (SYNC REPLICA). */
export async function syncedRows<T = Record<string, unknown>>(
  cluster: TestCluster,
  replica: number,
  table: string,
  query: string,
): Promise<T[]> {
  await replicaQuery(cluster, replica, `SYSTEM SYNC REPLICA ${table}`);
  const body = await replicaQuery(cluster, replica, `${query} FORMAT JSONEachRow`);
  return body.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l));
}
