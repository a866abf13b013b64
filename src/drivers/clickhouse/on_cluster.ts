// What the driver does on a ClickHouse cluster: sends an ON CLUSTER statement and checks every
// host's answer, makes this replica fetch db-migrate's tables before it reads them, and turns the
// error of an ON CLUSTER statement into what an operator needs (the host that failed, or the queue
// entry and the hosts that have not confirmed it). The SQL and the parsing are in cluster.ts; see
// docs/clickhouse-cluster-findings.md for what 18.16 does.

import {
  clusterFailureOf,
  type ClusterOptions,
  ddlTaskFinishedSql,
  ddlTaskSql,
  hostLabel,
  onClusterSettings,
  parseDdlFinished,
  parseDdlTaskHosts,
  parseHostStatuses,
  syncReplicaSql,
} from "./cluster.ts";
import {
  type ClickHouseHttp,
  ClickHouseRequestError,
  type ExecOptions,
  QUERY_TIMEOUT_MS,
  requestError,
} from "./http.ts";
import { quoteString } from "./sql.ts";

/**
 * An ON CLUSTER statement that did not succeed on every host, or a replica that cannot catch up.
 * The message does not repeat the code: whoever prints it adds it.
 */
export class ClusterError extends ClickHouseRequestError {
  /** What the operator does next. */
  readonly hint: string;
  constructor(message: string, code: number | null, hint: string, cause?: unknown) {
    super(message, code, cause);
    this.name = "ClusterError";
    this.hint = hint;
  }
}

/** Error codes of a cluster the servers do not know, and of a macro they do not define. */
const UNKNOWN_CLUSTER = 170;
const NO_MACRO = 62;
/** A table that is no Replicated table refuses SYNC REPLICA (18.16: code 48, NOT_IMPLEMENTED). */
const NOT_REPLICATED = 48;

/**
 * Sends one ON CLUSTER statement with its per-host answer as JSONEachRow and the cluster's
 * timeout, and throws a ClusterError unless every host reported success. `what` names the
 * statement in messages ("the tracking table", "statement 2 of 3").
 */
export async function sendOnCluster(
  http: ClickHouseHttp,
  sql: string,
  cluster: ClusterOptions,
  opts: ExecOptions = {},
): Promise<void> {
  let body: string;
  try {
    body = await http.text(sql, {
      // db-migrate's own DDL: the server's wait plus a margin for its answer.
      timeoutMs: QUERY_TIMEOUT_MS + cluster.timeoutSeconds * 1000,
      ...opts,
      settings: { ...opts.settings, ...onClusterSettings(cluster.timeoutSeconds) },
    });
  } catch (err) {
    throw await explainClusterError(http, err, cluster);
  }
  const bad = (parseHostStatuses(body) ?? []).filter((h) => h.status !== 0);
  if (bad.length > 0) {
    throw new ClusterError(
      `failed on ${bad.map((h) => `${hostLabel(h)} (${h.error}, code ${h.status})`).join(", ")}`,
      bad[0]!.status,
      "hosts that succeeded keep the change (there is no atomicity across hosts): fix the " +
        "cause on the host named and run again",
    );
  }
}

/**
 * The error of an ON CLUSTER statement as the operator needs it: which host failed (ClickHouse
 * names only the first), or, after distributed_ddl_task_timeout, which hosts have not confirmed it
 * (read from the DDL queue in ZooKeeper when this user may read system.zookeeper).
 */
export async function explainClusterError(
  http: ClickHouseHttp,
  err: unknown,
  cluster: ClusterOptions,
): Promise<ClickHouseRequestError> {
  const e = requestError(err, { timedOut: false, timeoutMs: 0 });
  if (e.code === null) return e;
  const failure = clusterFailureOf({ code: e.code, message: e.message });
  if (failure.kind === "host") {
    return new ClusterError(
      `failed on ${hostLabel(failure)}: ${failure.message}`,
      failure.code,
      "ClickHouse names the first host that failed; hosts that succeeded keep the change " +
        "(there is no atomicity across hosts). Fix the cause on that host and run again; the " +
        `DDL queue shows every host's answer: ${ddlQueueHint()}`,
      err,
    );
  }
  if (failure.kind === "timeout") {
    const unfinished = await unfinishedHosts(http, failure.task);
    const who = unfinished.length > 0
      ? `${unfinished.join(", ")}`
      : `${failure.unfinished} ${failure.unfinished === 1 ? "host" : "hosts"}`;
    const stuck = failure.active === 0
      ? "not running it: down, or cut off from ZooKeeper"
      : `${failure.active} of them still running it`;
    return new ClusterError(
      `not confirmed by ${who} within cluster_timeout (${failure.timeoutSeconds} s; ${stuck}); ` +
        `queue entry ${failure.task}`,
      e.code,
      "the hosts that answered have applied it, and the others run it from the queue when they " +
        "are back; db-migrate does not count it as applied. Bring the host back (or, if it is " +
        "gone for good, remove it from <remote_servers> on every server), then run again: the " +
        "statement is sent again, which does nothing where it already ran (IF NOT EXISTS). " +
        `Each host's answer: SELECT name, value FROM system.zookeeper WHERE path = ${
          quoteString(`${failure.task}/finished`)
        }; raise cluster_timeout for statements that run long`,
      err,
    );
  }
  if (e.code === UNKNOWN_CLUSTER) {
    return new ClusterError(
      e.message,
      e.code,
      `the servers' <remote_servers> has no cluster "${cluster.name}": check cluster= in the ` +
        "URL or db-migrate.yaml against SELECT DISTINCT cluster FROM system.clusters",
      err,
    );
  }
  if (e.code === NO_MACRO) {
    return new ClusterError(
      e.message,
      e.code,
      "a macro such as {replica} or {shard} is not defined in this server's <macros>",
      err,
    );
  }
  return e;
}

/** The hosts of a DDL queue entry that have not reported, or [] when ZooKeeper cannot be read. */
async function unfinishedHosts(http: ClickHouseHttp, task: string): Promise<string[]> {
  try {
    const [entry] = await http.rows<{ value: string }>(ddlTaskSql(task));
    const all = parseDdlTaskHosts(entry?.value ?? "");
    const finished = parseDdlFinished(
      await http.rows<{ name: string; value: string }>(ddlTaskFinishedSql(task)),
    ).map(hostLabel);
    return all.filter((h) => !finished.includes(h));
  } catch {
    return [];
  }
}

/** How to read the DDL queue on 18.16 (no system.distributed_ddl_queue there). */
function ddlQueueHint(): string {
  return "SELECT name, value FROM system.zookeeper WHERE path = '/clickhouse/task_queue/ddl' " +
    "ORDER BY name DESC LIMIT 5 (the path is the servers' <distributed_ddl><path>)";
}

/**
 * Makes this replica fetch every write the cluster has acknowledged on one of db-migrate's tables
 * before it is read (replication is asynchronous: without it a read on one replica right after a
 * write through another misses it). Bounded by cluster_timeout on the client's side: on 18.16 the
 * server waits without limit while a part it needs exists only on a replica that is down.
 */
export async function syncReplica(
  http: ClickHouseHttp,
  database: string,
  table: string,
  cluster: ClusterOptions,
): Promise<void> {
  try {
    await http.exec(syncReplicaSql(database, table), { timeoutMs: cluster.timeoutSeconds * 1000 });
  } catch (err) {
    const e = requestError(err, { timedOut: false, timeoutMs: 0 });
    if (e.code === NOT_REPLICATED) {
      throw new ClusterError(
        `${database}.${table} is not a Replicated table, though cluster "${cluster.name}" is ` +
          `configured: ${e.message}`,
        e.code,
        "it was made by a run without cluster=: rename it away (RENAME TABLE) on every server " +
          "and run again to make it ON CLUSTER, then copy its rows into the new table",
        err,
      );
    }
    if (e.code !== null) {
      // 18.16 answers 242 (table in readonly mode) or a ZooKeeper error when it lost ZooKeeper.
      throw new ClusterError(
        `this replica cannot bring ${database}.${table} up to date: ${e.message}`,
        e.code,
        "the replica cannot reach ZooKeeper (or ClickHouse Keeper), which replication and ON " +
          "CLUSTER need: bring it back and run again; nothing was changed by this step",
        err,
      );
    }
    if (!e.timedOut) throw e;
    let why = "";
    try {
      const [q] = await http.rows<{ last_exception: string; num_tries: number }>(
        `SELECT last_exception, num_tries FROM system.replication_queue
WHERE database = ${quoteString(database)} AND table = ${quoteString(table)}
  AND last_exception != '' ORDER BY num_tries DESC LIMIT 1`,
      );
      if (q) why = `; its replication queue says: ${q.last_exception} (${q.num_tries} tries)`;
    } catch {
      // system.replication_queue may not be readable: the message still says what is known
    }
    throw new ClusterError(
      `this replica did not catch up on ${database}.${table} within cluster_timeout ` +
        `(${cluster.timeoutSeconds} s)${why}`,
      null,
      "a change db-migrate needs exists only on a replica that is down (or this replica is cut " +
        "off from ZooKeeper): bring that replica back (this replica then catches up by itself) " +
        "and run again, or run through the replica that has it",
      err,
    );
  }
}
