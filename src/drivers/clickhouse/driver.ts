// ClickHouse over its HTTP interface. ClickHouse has no transactions and takes one statement per
// request, so a file runs statement by statement with its progress recorded after each one
// (runner.ts, resume.ts); it has no advisory lock either, so runs take turns through lease rows
// (lock.ts). The database named in the URL is created by the first real run (in tryLock and
// ensureTracking, which only real runs call), so --dry-run and --status change nothing.

import { ConfigError, UnreachableError } from "../../core/errors.ts";
import { redactUrl } from "../../core/redact.ts";
import type { ReplicaState, TrackedRow } from "../../core/types.ts";
import type {
  ApplyOutcome,
  Driver,
  ExecuteContext,
  ForgetEntry,
  LockHolder,
  PreparedFile,
  RecordEntry,
  ServerInfo,
} from "../driver.ts";
import { tlsFailure, tlsUnreachable } from "../tls_errors.ts";
import { ClickHouseHttp, ClickHouseRequestError, QUERY_TIMEOUT_MS } from "./http.ts";
import { ClusterError, sendOnCluster } from "./on_cluster.ts";
import { PERMANENT_CODES } from "./http_errors.ts";
import {
  type ClusterOptions,
  clusterOptions,
  createLockOnClusterSql,
  KEEPER_LOST_CODES,
  logIndex,
  mergeClusterInputs,
  onEveryHostSql,
  replicaBehind,
  replicaPathSql,
  tableExistsSql,
  zookeeperChildrenSql,
  zookeeperPath,
} from "./cluster.ts";
import { createLockSql, LOCK_TABLE } from "./lease_sql.ts";
import { LeaseLock } from "./lock.ts";
import type { ChBody } from "./prepare.ts";
import type { ChSession } from "./session.ts";
import { dropTableSql, tablesSql, TRACKING_TABLE, truncateTableSql } from "./sql.ts";
import { Tracking } from "./tracking.ts";
import type { ClickHouseTls } from "./tls.ts";
import { type ClickHouseTarget, parseClickHouseUrl } from "./url.ts";

/** The target of a URL, or BAD_URL (exit 2) without its password. */
function targetOf(database: string, url: string): ClickHouseTarget {
  try {
    return parseClickHouseUrl(url);
  } catch (err) {
    throw new ConfigError(
      "BAD_URL",
      `the URL of "${database}" (${redactUrl(url)}) is not a ClickHouse URL: ${
        (err as Error).message
      }`,
      {
        database,
        hint:
          "write it as http://user:password@host:8123/database (https:// or clickhouse:// work too)",
      },
    );
  }
}

/**
 * The cluster of a database, from its URL's parameters and db-migrate.yaml's keys (a key both
 * give must agree), or null for a single server; CONFIG (exit 2) when they are invalid.
 */
export function clusterOf(
  database: string,
  target: ClickHouseTarget,
  fromConfig?: { settings: Record<string, string>; where: string },
): ClusterOptions | null {
  try {
    const input = mergeClusterInputs(target.cluster, fromConfig?.settings, database);
    const where = fromConfig
      ? `${fromConfig.where}${target.cluster ? ` and the URL of "${database}"` : ""}`
      : `the URL of "${database}"`;
    return clusterOptions(input, where);
  } catch (err) {
    throw new ConfigError("CONFIG", (err as Error).message, {
      database,
      hint: "see README: ClickHouse clusters, for cluster, cluster_path, cluster_replica and " +
        "cluster_timeout",
    });
  }
}

/** ClickHouse driver over @clickhouse/client-web. */
export class ClickHouseDriver implements Driver {
  readonly #session: ChSession;

  readonly #tls: ClickHouseTls | null;

  /**
   * `tls`: the database's CA file for https:// (clickHouseTls()); none: Deno's trusted CAs.
   * `config`: the cluster keys of db-migrate.yaml, merged with the URL's.
   */
  constructor(
    readonly database: string,
    readonly url: string,
    tls?: ClickHouseTls,
    config?: { settings: Record<string, string>; where: string },
  ) {
    const target = targetOf(database, url);
    const cluster = clusterOf(database, target, config);
    this.#tls = tls ?? null;
    const http = new ClickHouseHttp(target, database, tls?.fetch);
    const tracking = new Tracking(http, target.database, database, target.username, cluster);
    const lock = new LeaseLock({
      database: target.database,
      user: target.username,
      exec: (sql) => http.exec(sql),
      rows: <T>(sql: string) => http.rows<T>(sql),
      ensureTable: async () => {
        await tracking.ensureDatabase();
        // On a cluster, ON CLUSTER only when missing here: with a replica down it would wait
        // cluster_timeout and fail on every run, though the table is there.
        if (cluster && await this.#hasLockTable()) return;
        await tracking.createTable(
          LOCK_TABLE,
          createLockSql(target.database),
          createLockOnClusterSql,
        );
      },
      beforeRead: () => tracking.sync(LOCK_TABLE),
      connected: () => http.connected,
    });
    this.#session = { name: database, target, http, tracking, lock, cluster };
  }

  async #hasLockTable(): Promise<boolean> {
    const { http, target } = this.#session;
    const [row] = await http.rows<{ n: number | string }>(
      tableExistsSql(target.database, LOCK_TABLE),
    );
    return Number(row?.n) > 0;
  }

  async connect(timeoutMs: number): Promise<void> {
    await this.#disconnect();
    const { http, tracking } = this.#session;
    http.open();
    try {
      // A real query, not just an HTTP answer: a server still starting answers /ping already.
      const [one] = await http.rows<{ ok: number }>("SELECT 1 AS ok", timeoutMs);
      if (Number(one?.ok) !== 1) {
        throw new ClickHouseRequestError("SELECT 1 did not return 1", null);
      }
      await tracking.probe(timeoutMs);
    } catch (err) {
      await this.#disconnect();
      throw this.#tlsError(err);
    }
  }

  /**
   * A TLS failure explained (cause and fix): a certificate problem stops at once (exit 4), as
   * waiting cannot fix it; a port not speaking TLS yet is retried with the reason.
   */
  #tlsError(err: unknown): unknown {
    const tls = this.#tls;
    if (!tls || !this.#session.target.endpoint.startsWith("https:")) return err;
    const failure = tlsFailure(err, tls.setup);
    if (failure === null) return err;
    if (failure.permanent) return tlsUnreachable(this.database, redactUrl(this.url), failure);
    return new Error(`${failure.message}; ${failure.hint}`, { cause: err });
  }

  async #disconnect(): Promise<void> {
    await this.#session.lock.close();
    await this.#session.http.close();
  }

  /** Closes the connection and the CA's HTTP client: the driver is not connected again. */
  async close(): Promise<void> {
    await this.#disconnect();
    this.#tls?.close();
  }

  isPermanent(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === "number" && PERMANENT_CODES.has(code)) return true;
    const message = String((err as Error)?.message ?? "");
    return /unknown user|wrong password|authentication failed|password is incorrect/i.test(message);
  }

  ensureTracking(): Promise<void> {
    return this.#cluster(this.#session.tracking.ensure());
  }

  readTracking(_detail: boolean): Promise<TrackedRow[] | null> {
    // One query reads every column: the detail costs nothing more here.
    return this.#cluster(this.#session.tracking.read());
  }

  readContents(scripts: string[]): Promise<Map<string, string | null>> {
    return this.#cluster(this.#session.tracking.contents(scripts));
  }

  tryLock(): Promise<boolean> {
    return this.#cluster(this.#session.lock.tryLock());
  }

  lockHolder(): Promise<LockHolder | null> {
    return this.#session.lock.lockHolder();
  }

  unlock(): Promise<void> {
    return this.#session.lock.unlock();
  }

  /**
   * db-migrate's own work on a cluster (its ON CLUSTER DDL, SYNC REPLICA before a read) that the
   * cluster could not complete: CLUSTER_UNAVAILABLE (exit 4), with the driver's explanation.
   */
  async #cluster<T>(work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      const code = (err as ClickHouseRequestError).code;
      if (
        this.#session.cluster && err instanceof ClickHouseRequestError &&
        !(err instanceof ClusterError) && code !== null && KEEPER_LOST_CODES.has(code)
      ) {
        // A write to db-migrate's Replicated tables (a tracking row) while this replica had lost
        // ZooKeeper: what it would have recorded is found out by the next run.
        throw new UnreachableError(
          "CLUSTER_UNAVAILABLE",
          this.database,
          `"${this.database}" lost ZooKeeper: ${err.message} (code ${code})`,
          "bring ZooKeeper (or ClickHouse Keeper) back and run again through this replica: a " +
            "statement whose end could not be recorded is looked up in this replica's query log " +
            "(nothing unconfirmed is counted as applied); the next run waits until this run's " +
            "lease runs out, as it could not be released",
        );
      }
      if (!(err instanceof ClusterError)) throw err;
      throw new UnreachableError(
        "CLUSTER_UNAVAILABLE",
        this.database,
        `cluster "${this.#session.cluster?.name}" of "${this.database}": ${err.message}` +
          (err.code === null ? "" : ` (code ${err.code})`),
        err.hint,
      );
    }
  }

  execute(file: PreparedFile, ctx: ExecuteContext): Promise<ApplyOutcome> {
    return this.#cluster(this.#execute(file, ctx));
  }

  async #execute(file: PreparedFile, ctx: ExecuteContext): Promise<ApplyOutcome> {
    const body = file.body as ChBody;
    if ("seed" in body) {
      const { applySeed } = await import("./seed_csv.ts");
      return await applySeed(this.#session, {
        file: file.file,
        seed: body.seed,
        signal: ctx.signal,
      });
    }
    // Loaded when a file runs: a run with nothing to apply never needs it.
    return await (await import("./runner.ts")).runFile(this.#session, file.file, ctx);
  }

  record(entries: RecordEntry[]): Promise<void> {
    return this.#cluster(this.#session.tracking.record(entries));
  }

  forget(entries: ForgetEntry[]): Promise<void> {
    return this.#cluster(this.#session.tracking.forget(entries));
  }

  /**
   * On a cluster, every replica of the tracking table and how far behind it is, read from
   * ZooKeeper through this server (so a replica that is down shows too); null on a single server,
   * before the first run, or when this user may not read system.zookeeper.
   */
  async replicas(): Promise<ReplicaState[] | null> {
    const { http, cluster, target } = this.#session;
    if (!cluster) return null;
    type Node = { name: string; value: string };
    try {
      // The path as this server expanded it: a cluster_path may hold server macros ({shard}, ...).
      const [own] = await http.rows<{ zookeeper_path: string }>(
        replicaPathSql(target.database, TRACKING_TABLE),
      );
      const zk = own?.zookeeper_path ?? zookeeperPath(cluster, target.database, TRACKING_TABLE);
      const names = await http.rows<Node>(zookeeperChildrenSql(`${zk}/replicas`));
      const log = await http.rows<Node>(zookeeperChildrenSql(`${zk}/log`));
      const newest = Math.max(-1, ...log.map((n) => logIndex(n.name)));
      const out: ReplicaState[] = [];
      for (const { name } of names.sort((a, b) => a.name.localeCompare(b.name))) {
        const nodes = await http.rows<Node>(zookeeperChildrenSql(`${zk}/replicas/${name}`));
        const queue = await http.rows<Node>(zookeeperChildrenSql(`${zk}/replicas/${name}/queue`));
        const pointer = Number(nodes.find((n) => n.name === "log_pointer")?.value ?? 0);
        const behind = replicaBehind({ logPointer: pointer, queued: queue.length }, newest);
        out.push({
          replica: name,
          active: nodes.some((n) => n.name === "is_active"),
          caughtUp: behind === 0,
          behind,
        });
      }
      return out.length > 0 ? out : null;
    } catch {
      // No grant on system.zookeeper, or no table yet: status goes on without this part.
      return null;
    }
  }

  emptyTables(tables: string[]): Promise<void> {
    const { target } = this.#session;
    return this.#cluster(this.#everyHost(tables.map((t) => truncateTableSql(target.database, t))));
  }

  /** The name of the cluster the database lives on, or null for a single server. */
  clusterName(): string | null {
    return this.#session.cluster?.name ?? null;
  }

  /** Runs db-migrate's own statements in turn: ON CLUSTER on every host of a cluster. */
  async #everyHost(statements: string[]): Promise<void> {
    const { http, cluster } = this.#session;
    for (const sql of statements) {
      if (cluster) await sendOnCluster(http, onEveryHostSql(sql, cluster.name), cluster);
      else await http.exec(sql);
    }
  }

  async server(): Promise<ServerInfo> {
    const { http, target } = this.#session;
    const [r] = await http.rows<{ version: string }>("SELECT version() AS version");
    return { version: `ClickHouse ${r?.version ?? "?"}`, user: target.username };
  }

  /**
   * Drops every table of the URL's database, the tracking table too; not the lease table, so a run
   * that resets under the lock keeps holding it. On a cluster each DROP is ON CLUSTER: every
   * replica drops the table (the last one removes its ZooKeeper path), or the reset fails naming
   * the host that did not.
   */
  async dropAll(): Promise<void> {
    const { http, target, tracking } = this.#session;
    const tables = await http.rows<{ name: string }>(tablesSql(target.database));
    await this.#cluster(this.#everyHost(
      tables.filter((t) => t.name !== LOCK_TABLE).map((t) =>
        dropTableSql(target.database, String(t.name))
      ),
    ));
    await tracking.probe(QUERY_TIMEOUT_MS);
  }
}
