// What a ClickHouse cluster changes, as pure functions: the ON CLUSTER DDL of the database, the
// tracking table and the lease table (Replicated engines with explicit ZooKeeper paths, no column
// COMMENTs), the per-host answer of an ON CLUSTER statement and its errors, the `cluster` URL and
// config parameters, `{cluster}` in migration files, and what a tracking read or write sends.
// No I/O here. Everything was tried on ClickHouse 18.16 with ZooKeeper 3.8: see
// docs/clickhouse-cluster-findings.md for the observations each choice rests on.

import { parseServerError, type ServerError } from "./http_errors.ts";
import { createLockSql, LOCK_TABLE } from "./lease_sql.ts";
import { createTrackingSql, quoteIdent, quoteString, TRACKING_TABLE } from "./sql.ts";

/** How db-migrate keeps its tables on a cluster. */
export interface ClusterOptions {
  /** The cluster's name in the servers' `<remote_servers>`: every ON CLUSTER clause names it. */
  name: string;
  /**
   * The ZooKeeper path of each replicated table db-migrate creates, as a template: `{cluster}`,
   * `{database}` and `{table}` are filled in by db-migrate, other macros (`{shard}`, `{replica}`,
   * ...) by each server. `/{table}` is appended when the template has no `{table}`.
   */
  zookeeperPath: string;
  /** The replica name of each server in those tables (a server macro, usually `{replica}`). */
  replica: string;
  /**
   * How long to wait for every host to confirm an ON CLUSTER statement (sent as
   * distributed_ddl_task_timeout) and for this replica to fetch db-migrate's rows (SYNC REPLICA).
   */
  timeoutSeconds: number;
}

/**
 * The default ZooKeeper path: one table for the whole cluster, not one per shard. With `{shard}` in
 * it, each shard of a multi-shard cluster would get a tracking table of its own, and a run through
 * another shard would not see what the first applied (tried: a row written through shard 1 is not
 * read through shard 2).
 */
export const DEFAULT_ZOOKEEPER_PATH = "/clickhouse/db-migrate/{cluster}/{database}/{table}";
/** The default replica name: the `{replica}` macro, as in ClickHouse's documentation. */
export const DEFAULT_REPLICA = "{replica}";

/**
 * The default replica name on a cluster of several shards: replica macros are often unique only
 * within a shard (`replica1` in each), and every host of every shard is a replica of the one
 * cluster-wide tracking table, so two hosts named alike would collide (18.16: code 253, replica
 * already exists).
 */
export const SHARDED_REPLICA = "{shard}-{replica}";

/**
 * The options as a cluster of `shards` shards needs them. One shard: as given. Several: the
 * tracking and lease tables stay one for the whole cluster (a migration's ON CLUSTER statements
 * reach every shard, so what was applied is the cluster's, and runs through any shard must take
 * turns on one lock), so a path with `{shard}` is refused (each shard would get its own record
 * and lock), and the default replica name becomes SHARDED_REPLICA. Throws an Error that says so.
 */
export function forShards(options: ClusterOptions, shards: number): ClusterOptions {
  if (shards <= 1) return options;
  if (options.zookeeperPath.includes("{shard}")) {
    throw new Error(
      `cluster "${options.name}" has ${shards} shards and cluster_path ` +
        `"${options.zookeeperPath}" names {shard}: each shard would keep its own tracking table ` +
        "and lock, and a run through another shard would apply the migrations again",
    );
  }
  return options.replica === DEFAULT_REPLICA ? { ...options, replica: SHARDED_REPLICA } : options;
}

/** The default of cluster_timeout: ClickHouse's own default distributed_ddl_task_timeout. */
export const DEFAULT_CLUSTER_TIMEOUT_S = 180;

/** The URL parameters (and db-migrate.yaml keys) that configure a cluster. */
export const CLUSTER_URL_PARAMS: readonly string[] = [
  "cluster",
  "cluster_path",
  "cluster_replica",
  "cluster_timeout",
];

/** Raw cluster settings as a URL or db-migrate.yaml gives them, before they are checked. */
export interface ClusterInput {
  cluster?: string;
  cluster_path?: string;
  cluster_replica?: string;
  cluster_timeout?: string;
}

// ClickHouse reads cluster names as XML element names of <remote_servers>.
const CLUSTER_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/**
 * Checks cluster settings and fills in the defaults; null when no cluster is named. `where` says
 * where they came from ("the URL of \"analytics\"", "db-migrate.yaml line 4") for the message of
 * the Error thrown when they are invalid.
 */
export function clusterOptions(input: ClusterInput, where: string): ClusterOptions | null {
  const name = input.cluster?.trim() ?? "";
  if (name === "") {
    const extra = (["cluster_path", "cluster_replica", "cluster_timeout"] as const).find((k) =>
      input[k] !== undefined
    );
    if (extra) throw new Error(`${where}: ${extra} needs cluster=NAME as well`);
    if (input.cluster !== undefined) throw new Error(`${where}: cluster must name a cluster`);
    return null;
  }
  if (!CLUSTER_NAME_RE.test(name)) {
    throw new Error(
      `${where}: cluster "${name}" is not a cluster name (letters, digits, _ . - as in the ` +
        "servers' <remote_servers>)",
    );
  }
  const zookeeperPath = input.cluster_path ?? DEFAULT_ZOOKEEPER_PATH;
  if (!zookeeperPath.startsWith("/") || /\/\/|\/$/.test(zookeeperPath)) {
    throw new Error(
      `${where}: cluster_path "${zookeeperPath}" must be an absolute ZooKeeper path such as ` +
        DEFAULT_ZOOKEEPER_PATH,
    );
  }
  if (/['\\]/.test(zookeeperPath)) {
    throw new Error(`${where}: cluster_path must not contain ' or \\`);
  }
  const replica = input.cluster_replica ?? DEFAULT_REPLICA;
  if (replica === "" || /['\\]/.test(replica)) {
    throw new Error(`${where}: cluster_replica must be a replica name or macro such as {replica}`);
  }
  const timeoutText = input.cluster_timeout ?? String(DEFAULT_CLUSTER_TIMEOUT_S);
  if (!/^\d+$/.test(timeoutText.trim()) || Number(timeoutText) < 1) {
    throw new Error(`${where}: cluster_timeout must be a whole number of seconds, 1 or more`);
  }
  return { name, zookeeperPath, replica, timeoutSeconds: Number(timeoutText) };
}

/**
 * The cluster settings of the URL and of db-migrate.yaml as one: either may give each key; a key
 * both give must have one value (a URL copied from another environment must not silently send
 * DDL to another cluster). Throws an Error naming the key otherwise.
 */
export function mergeClusterInputs(
  fromUrl: ClusterInput | undefined,
  fromConfig: ClusterInput | undefined,
  database: string,
): ClusterInput {
  const out: ClusterInput = { ...fromConfig };
  for (const [key, value] of Object.entries(fromUrl ?? {}) as [keyof ClusterInput, string][]) {
    const other = fromConfig?.[key];
    if (other !== undefined && other !== value) {
      throw new Error(
        `the URL of "${database}" and db-migrate.yaml disagree on the cluster ` +
          `(${key}: "${value}" in the URL, "${other}" in db-migrate.yaml); ` +
          "give it in one place",
      );
    }
    out[key] = value;
  }
  return out;
}

/** The ZooKeeper path of one db-migrate table, with db-migrate's placeholders filled in. */
export function zookeeperPath(options: ClusterOptions, database: string, table: string): string {
  let path = options.zookeeperPath;
  if (!path.includes("{table}")) path += "/{table}";
  return path.replaceAll("{cluster}", options.name).replaceAll("{database}", database)
    .replaceAll("{table}", table);
}

/** `ON CLUSTER `name`` */
export function onClusterClause(cluster: string): string {
  return `ON CLUSTER ${quoteIdent(cluster)}`;
}

/**
 * A statement of db-migrate's own (`DROP TABLE IF EXISTS ...`, `TRUNCATE TABLE IF EXISTS ...`)
 * sent to every host: reset and seed --reset on a cluster. A plain DROP of a Replicated table
 * removes one replica only, and the next CREATE ON CLUSTER makes that replica fetch the old rows
 * back from the others; a plain TRUNCATE empties a Replicated table everywhere but a MergeTree
 * table only on the host it reaches.
 */
export function onEveryHostSql(statement: string, cluster: string): string {
  return `${statement} ${onClusterClause(cluster)}`;
}

/** Creates the database on every host of the cluster. */
export function createDatabaseOnClusterSql(database: string, cluster: string): string {
  return `CREATE DATABASE IF NOT EXISTS ${quoteIdent(database)} ${onClusterClause(cluster)}`;
}

/**
 * Turns a single-server `CREATE TABLE ... ENGINE = <X>MergeTree(args)` into its cluster form:
 * `ON CLUSTER` after the table name, `Replicated<X>MergeTree('path', 'replica', args)`, and no
 * column COMMENTs, which make a Replicated CREATE fail on 18.16 (code 122, "Table structure in
 * ZooKeeper is too different from local table structure").
 */
export function replicatedCreateSql(
  createSql: string,
  o: { cluster: string; path: string; replica: string },
): string {
  const noComments = stripColumnComments(createSql);
  const head = noComments.match(/^CREATE TABLE (IF NOT EXISTS )?((?:`(?:[^`\\]|\\.)*`\.?)+) \(/);
  if (!head) throw new Error("replicatedCreateSql: not a CREATE TABLE of db-migrate");
  const withCluster = noComments.replace(
    head[0],
    `CREATE TABLE ${head[1] ?? ""}${head[2]} ${onClusterClause(o.cluster)} (`,
  );
  const engine = /\) ENGINE = (\w*MergeTree)\(([^)]*)\)/;
  const m = withCluster.match(engine);
  if (!m || m[1]!.startsWith("Replicated")) {
    throw new Error("replicatedCreateSql: no plain MergeTree engine to replicate");
  }
  const args = [quoteString(o.path), quoteString(o.replica), ...(m[2] ? [m[2]] : [])];
  return withCluster.replace(engine, `) ENGINE = Replicated${m[1]}(${args.join(", ")})`);
}

/** Removes `COMMENT '...'` clauses outside string literals (and the string that follows each). */
function stripColumnComments(sql: string): string {
  let out = "";
  let i = 0;
  while (i < sql.length) {
    const ch = sql[i]!;
    if (ch === "'") {
      const end = stringEnd(sql, i);
      out += sql.slice(i, end);
      i = end;
      continue;
    }
    const m = /^\s+COMMENT\s+'/.exec(sql.slice(i, i + 64));
    if (m && (i === 0 || /[\w)'`]/.test(sql[i - 1]!))) {
      i = stringEnd(sql, i + m[0].length - 1);
      continue;
    }
    out += ch;
    i++;
  }
  return out;
}

/** The index just after the single-quoted literal that starts at `start`. */
function stringEnd(sql: string, start: number): number {
  let i = start + 1;
  while (i < sql.length) {
    if (sql[i] === "\\") {
      i += 2;
    } else if (sql[i] === "'") {
      if (sql[i + 1] === "'") i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return sql.length;
}

/** The tracking table on a cluster: ReplicatedReplacingMergeTree, ON CLUSTER, no COMMENTs. */
export function createTrackingOnClusterSql(database: string, options: ClusterOptions): string {
  return replicatedCreateSql(createTrackingSql(database), {
    cluster: options.name,
    path: zookeeperPath(options, database, TRACKING_TABLE),
    replica: options.replica,
  });
}

/** The lease table on a cluster: ReplicatedReplacingMergeTree, ON CLUSTER, no COMMENTs. */
export function createLockOnClusterSql(database: string, options: ClusterOptions): string {
  return replicatedCreateSql(createLockSql(database), {
    cluster: options.name,
    path: zookeeperPath(options, database, LOCK_TABLE),
    replica: options.replica,
  });
}

/**
 * The hint for a Replicated CREATE that failed: it leaves its ZooKeeper path behind (metadata,
 * columns, no replica), and the corrected CREATE on the same path then fails too, with code 122.
 * ClickHouse 18.16 has no SQL to remove it (SYSTEM DROP REPLICA came later).
 */
export function failedReplicatedCreateHint(path: string): string {
  return `a failed Replicated CREATE leaves its ZooKeeper path ${path} behind, and a corrected ` +
    `CREATE on that path fails too: remove it (zkCli.sh deleteall ${path}) once no replica ` +
    "uses it, or give the table another path (cluster_path)";
}

// --- the answer of an ON CLUSTER statement ----------------------------------------------------

/** One host's line of the table an ON CLUSTER statement answers with. */
export interface HostStatus {
  host: string;
  port: number;
  /** 0 when the statement succeeded there, else ClickHouse's error code. */
  status: number;
  error: string;
}

/**
 * The URL settings of an ON CLUSTER statement: the per-host table as JSONEachRow (one JSON object
 * per host; with the default TabSeparated the error text arrives escaped), and how long to wait
 * for every host before the statement fails with code 159 (it then still runs on the others).
 */
export function onClusterSettings(ddlTimeoutSeconds: number): Record<string, string> {
  return {
    default_format: "JSONEachRow",
    distributed_ddl_task_timeout: String(Math.max(1, Math.trunc(ddlTimeoutSeconds))),
  };
}

/**
 * Reads the per-host table of an ON CLUSTER statement that answered 200, as JSONEachRow or as
 * TabSeparated (with or without the header line): `host port status error num_hosts_remaining
 * num_hosts_active`. Null when the body is not such a table (the statement had no ON CLUSTER).
 */
export function parseHostStatuses(body: string): HostStatus[] | null {
  const lines = body.split("\n").filter((l) => l.trim() !== "");
  if (lines.length === 0) return null;
  if (lines[0]!.startsWith("{")) {
    const rows: HostStatus[] = [];
    for (const line of lines) {
      let row: Record<string, unknown>;
      try {
        row = JSON.parse(line);
      } catch {
        return null;
      }
      if (typeof row.host !== "string" || row.port === undefined || row.status === undefined) {
        return null;
      }
      rows.push({
        host: row.host,
        port: Number(row.port),
        status: Number(row.status),
        error: typeof row.error === "string" ? row.error : "",
      });
    }
    return rows;
  }
  const body2 = lines[0] === "host\tport\tstatus\terror\tnum_hosts_remaining\tnum_hosts_active"
    ? lines.slice(1)
    : lines;
  const rows: HostStatus[] = [];
  for (const line of body2) {
    const f = line.split("\t");
    if (f.length !== 6 || !/^\d+$/.test(f[1]!) || !/^-?\d+$/.test(f[2]!)) return null;
    rows.push({ host: f[0]!, port: Number(f[1]), status: Number(f[2]), error: unescapeTsv(f[3]!) });
  }
  return rows.length > 0 ? rows : null;
}

function unescapeTsv(text: string): string {
  const map: Record<string, string> = { n: "\n", t: "\t", r: "\r", "0": "\0", "\\": "\\" };
  return text.replace(/\\(.)/g, (_, c: string) => map[c] ?? c);
}

/** What went wrong with an ON CLUSTER statement, read from the server's error. */
export type ClusterFailure =
  /** A host answered with an error: ClickHouse names the first one only; others may have succeeded. */
  | { kind: "host"; host: string; port: number; code: number | null; message: string }
  /** Not every host answered within distributed_ddl_task_timeout (code 159): it runs there later. */
  | {
    kind: "timeout";
    /** The DDL queue entry, `/clickhouse/task_queue/ddl/query-0000000009`. */
    task: string;
    timeoutSeconds: number;
    unfinished: number;
    /** How many of the unfinished hosts were executing it (0: they are down or stuck). */
    active: number;
  }
  | { kind: "other"; code: number | null; message: string };

/**
 * Reads the error of an ON CLUSTER statement (the body of its HTTP 500). 18.16 says `There was an
 * error on [127.0.0.1:19302]: Code: 57, e.displayText() = DB::Exception: Table x already exists.,
 * e.what() = DB::Exception` (naming only the first failing host), or, code 159, `Watching task
 * /clickhouse/task_queue/ddl/query-0000000009 is executing longer than distributed_ddl_task_timeout
 * (=5) seconds. There are 1 unfinished hosts (0 of them are currently active), they are going to
 * execute the query in background`.
 */
export function parseClusterError(body: string): ClusterFailure {
  return clusterFailureOf(parseServerError(body));
}

/** parseClusterError() for an error already read by parseServerError() (as the driver has it). */
export function clusterFailureOf(outer: ServerError): ClusterFailure {
  const host = outer.message.match(/^There was an error on \[(.*):(\d+)\]: ([\s\S]*)$/);
  if (host) {
    const inner = parseServerError(host[3]!.replace(/, e\.what\(\) = [\w:]+$/, ""));
    return {
      kind: "host",
      host: host[1]!,
      port: Number(host[2]),
      code: inner.code ?? outer.code,
      message: inner.message,
    };
  }
  const timeout = outer.message.match(
    /^Watching task (\S+) is executing longer than distributed_ddl_task_timeout \(=(\d+)\) seconds\. There are (\d+) unfinished hosts \((\d+) of them are currently active\)/,
  );
  if (timeout) {
    return {
      kind: "timeout",
      task: timeout[1]!,
      timeoutSeconds: Number(timeout[2]),
      unfinished: Number(timeout[3]),
      active: Number(timeout[4]),
    };
  }
  return { kind: "other", code: outer.code, message: outer.message };
}

/**
 * What every host of a DDL queue entry has reported: rows `{name, value}` where name is the host
 * as the queue spells it (`127%2E0%2E0%2E1:19302`) and value `<code>\n<error>`. Read after a
 * failure, it names every failing host, not only the first.
 */
export function ddlTaskFinishedSql(task: string): string {
  return `SELECT name, value FROM system.zookeeper WHERE path = ${quoteString(`${task}/finished`)}`;
}

/** The DDL queue entry itself: one row `{value}` whose `hosts: [...]` line lists every host. */
export function ddlTaskSql(task: string): string {
  const slash = task.lastIndexOf("/");
  return `SELECT value FROM system.zookeeper WHERE path = ${
    quoteString(task.slice(0, slash))
  } AND name = ${quoteString(task.slice(slash + 1))}`;
}

/** The hosts of a DDL queue entry (`hosts: ['127%2E0%2E0%2E1:19301',...]`), as `host:port`. */
export function parseDdlTaskHosts(value: string): string[] {
  const line = value.split("\n").find((l) => l.startsWith("hosts: "));
  if (!line) return [];
  return [...line.matchAll(/'([^']*)'/g)].map((m) => decodeURIComponent(m[1]!));
}

/** The latest entries of the DDL queue (`path`: the servers' <distributed_ddl><path>). */
export function ddlQueueSql(path = "/clickhouse/task_queue/ddl", limit = 20): string {
  return `SELECT name, value, ctime FROM system.zookeeper WHERE path = ${quoteString(path)}
ORDER BY name DESC LIMIT ${Math.trunc(limit)}`;
}

/** Reads the rows of ddlTaskFinishedSql: one status per host that has finished. */
export function parseDdlFinished(rows: { name: string; value: string }[]): HostStatus[] {
  return rows.map((r) => {
    const hostPort = decodeURIComponent(r.name);
    const colon = hostPort.lastIndexOf(":");
    const nl = r.value.indexOf("\n");
    const code = Number(nl < 0 ? r.value : r.value.slice(0, nl));
    const text = nl < 0 ? "" : r.value.slice(nl + 1).trim();
    return {
      host: colon < 0 ? hostPort : hostPort.slice(0, colon),
      port: colon < 0 ? 0 : Number(hostPort.slice(colon + 1)),
      status: Number.isFinite(code) ? code : -1,
      error: text === "" ? "" : parseServerError(text).message,
    };
  }).sort((a, b) => a.host.localeCompare(b.host) || a.port - b.port);
}

/** `host:port`, with brackets around an IPv6 host. */
export function hostLabel(h: { host: string; port: number }): string {
  return `${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`;
}

// --- `{cluster}` in migration files -----------------------------------------------------------

/**
 * Replaces `{cluster}` where it is the cluster of an ON CLUSTER clause (`ON CLUSTER '{cluster}'`,
 * also in double quotes, back-quotes or bare) with the configured cluster's name, and nowhere
 * else: engine arguments keep it for the server's own macro, string data and comments are never
 * touched. Without a configured cluster the text is returned as it is, and ClickHouse itself
 * expands '{cluster}' from the server's <macros> (it says "No macro cluster in config" when there
 * is none).
 */
export function substituteCluster(statement: string, cluster: string | null): string {
  if (cluster === null || !statement.includes("{cluster}")) return statement;
  let out = "";
  let i = 0;
  // The last two words outside literals and comments, upper-cased.
  let prev1 = "", prev2 = "";
  while (i < statement.length) {
    const ch = statement[i]!;
    const two = statement.slice(i, i + 2);
    if (two === "--") {
      const end = statement.indexOf("\n", i);
      const stop = end < 0 ? statement.length : end;
      out += statement.slice(i, stop);
      i = stop;
      continue;
    }
    if (two === "/*") {
      const end = statement.indexOf("*/", i + 2);
      const stop = end < 0 ? statement.length : end + 2;
      out += statement.slice(i, stop);
      i = stop;
      continue;
    }
    const afterOnCluster = prev2 === "ON" && prev1 === "CLUSTER";
    if (ch === "'" || ch === '"' || ch === "`") {
      const end = quotedEnd(statement, i, ch);
      const literal = statement.slice(i, end);
      out += afterOnCluster && literal === `${ch}{cluster}${ch}` ? quoteIdent(cluster) : literal;
      prev2 = prev1;
      prev1 = "'";
      i = end;
      continue;
    }
    if (afterOnCluster && statement.startsWith("{cluster}", i)) {
      out += quoteIdent(cluster);
      prev2 = prev1;
      prev1 = "'";
      i += "{cluster}".length;
      continue;
    }
    const word = /^[A-Za-z_][A-Za-z0-9_]*/.exec(statement.slice(i, i + 64));
    if (word) {
      out += word[0];
      prev2 = prev1;
      prev1 = word[0].toUpperCase();
      i += word[0].length;
      continue;
    }
    if (!/\s/.test(ch)) {
      prev2 = prev1;
      prev1 = ch;
    }
    out += ch;
    i++;
  }
  return out;
}

/**
 * Whether a statement (comments already stripped) has an ON CLUSTER clause, so that its answer is
 * the per-host table. Words inside string literals are skipped; a false positive would only ask
 * for that table's format and timeout.
 */
export function hasOnCluster(statement: string): boolean {
  const outside = statement.replace(/'(?:[^'\\]|\\.|'')*'/g, "''");
  return /\bON\s+CLUSTER\b/i.test(outside);
}

/** The index just after the literal or quoted name that starts at `start` with `quote`. */
function quotedEnd(text: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < text.length) {
    if (text[i] === "\\") {
      i += 2;
    } else if (text[i] === quote) {
      if (text[i + 1] === quote) i += 2;
      else return i + 1;
    } else {
      i++;
    }
  }
  return text.length;
}

/**
 * Error codes of a server that lost ZooKeeper (or ClickHouse Keeper) under a statement: 225 no
 * ZooKeeper / session expired, 242 table is read-only, 319 unknown status of an insert, 999
 * keeper exception. Not the statement's fault, and its outcome is for the next run to find out.
 */
export const KEEPER_LOST_CODES: ReadonlySet<number> = new Set([225, 242, 319, 999]);

// --- reading what another replica wrote -------------------------------------------------------

/**
 * Makes this replica fetch everything the cluster's replication log holds for a table, so the next
 * read sees every write acknowledged before it (another replica's tracking row, another run's
 * claim). About 16 ms here. Replication is asynchronous: a read on the second replica right after
 * an insert on the first missed it 40 times out of 40 without this. It waits, without a limit and
 * without heeding KILL QUERY on 18.16, while a part it needs exists only on a replica that is
 * down: send it with a client-side timeout, and on timeout say which table is behind.
 */
export function syncReplicaSql(database: string, table: string): string {
  return `SYSTEM SYNC REPLICA ${quoteIdent(database)}.${quoteIdent(table)}`;
}

/**
 * The settings of a tracking or lease write on a cluster: none beyond the single server's. Not
 * insert_quorum: on 18.16 a quorum insert fails at once while a replica is down (code 285), two at
 * once on one table fail (code 286: two runs claiming the lock together), and a table that ever
 * took one refuses OPTIMIZE ... FINAL for good (code 49). Deduplication stays on: it makes the
 * retry of a write whose answer was lost harmless; rows that must both be kept differ by `updated`.
 */
export const TRACKING_WRITE_SETTINGS: Readonly<Record<string, string>> = Object.freeze({});

/** One row `{zookeeper_path}` of a Replicated table on this server: its path, macros expanded. */
export function replicaPathSql(database: string, table: string): string {
  return `SELECT zookeeper_path FROM system.replicas WHERE database = ${
    quoteString(database)
  } AND table = ${quoteString(table)}`;
}

/** One row `{n}`: 1 when this server has the table, else 0 (an ON CLUSTER CREATE is then due). */
export function tableExistsSql(database: string, table: string): string {
  return `SELECT count() AS n FROM system.tables WHERE database = ${
    quoteString(database)
  } AND name = ${quoteString(table)}`;
}

/** Rows `{host_name, port, shard_num, replica_num}`: the hosts of a cluster as this server knows them. */
export function clusterHostsSql(cluster: string): string {
  return `SELECT host_name, port, shard_num, replica_num FROM system.clusters
WHERE cluster = ${quoteString(cluster)} ORDER BY shard_num, replica_num`;
}

/**
 * How far this replica's copy of db-migrate's tables is behind, as rows `{table, replica_name,
 * is_readonly, is_session_expired, absolute_delay, queue_size, inserts_in_queue, log_pointer,
 * log_max_index, total_replicas, active_replicas, last_queue_update}`. For `status`/`info` per
 * replica; not a read barrier (a replica that says queue_size 0 and log_pointer > log_max_index
 * may still miss a write acknowledged just before: seen 10 times out of 40).
 */
export function replicaStatusSql(database: string): string {
  return `SELECT table, replica_name, is_readonly, is_session_expired, absolute_delay, queue_size,
  inserts_in_queue, log_pointer, log_max_index, total_replicas, active_replicas,
  toUInt32(last_queue_update) AS last_queue_update
FROM system.replicas
WHERE database = ${quoteString(database)} AND table IN ('${TRACKING_TABLE}', '${LOCK_TABLE}')`;
}

/** One row of replicaStatusSql, as numbers. */
export interface ReplicaStatusRow {
  table: string;
  replica_name: string;
  is_readonly: number;
  is_session_expired: number;
  absolute_delay: number;
  queue_size: number;
  inserts_in_queue: number;
  log_pointer: number;
  log_max_index: number;
  total_replicas: number;
  active_replicas: number;
}

/** A replica's state as `status` shows it. */
export interface ReplicaCatchUp {
  replica: string;
  /** Every entry of the replication log fetched and nothing left in the queue. */
  caughtUp: boolean;
  /** Seconds behind the newest change it knows of (ClickHouse's absolute_delay). */
  delaySeconds: number;
  queued: number;
  /** The replica cannot write (lost its ZooKeeper session, or was started without it). */
  readonly: boolean;
  activeReplicas: number;
  totalReplicas: number;
}

/** Sums up a replica's rows of replicaStatusSql (tracking and lease table) into one state. */
export function replicaCatchUp(rows: ReplicaStatusRow[]): ReplicaCatchUp | null {
  if (rows.length === 0) return null;
  const n = (v: unknown) => Number(v);
  return {
    replica: rows[0]!.replica_name,
    // A table whose log was never written has pointer and max index 0 (seen on 18.16).
    caughtUp: rows.every((r) =>
      n(r.queue_size) === 0 && n(r.is_readonly) === 0 &&
      (n(r.log_pointer) > n(r.log_max_index) || n(r.log_pointer) + n(r.log_max_index) === 0)
    ),
    delaySeconds: Math.max(...rows.map((r) => n(r.absolute_delay))),
    queued: rows.reduce((s, r) => s + n(r.queue_size), 0),
    readonly: rows.some((r) => n(r.is_readonly) !== 0 || n(r.is_session_expired) !== 0),
    activeReplicas: Math.min(...rows.map((r) => n(r.active_replicas))),
    totalReplicas: Math.max(...rows.map((r) => n(r.total_replicas))),
  };
}

// --- each replica's state, from ZooKeeper ------------------------------------------------------

/**
 * The children of a ZooKeeper node, as rows `{name, value}`: the replicas of a table
 * (`<path>/replicas`), a replica's state (`log_pointer`, and `is_active` while it holds a session),
 * its queue, or the table's replication log. Read through this server's system.zookeeper, which
 * sees every replica's state, where system.replicas shows only this server's.
 */
export function zookeeperChildrenSql(path: string): string {
  return `SELECT name, value FROM system.zookeeper WHERE path = ${quoteString(path)}`;
}

/** The numeric part of a replication log entry's name (`log-0000000012` → 12). */
export function logIndex(name: string): number {
  const m = name.match(/(\d+)$/);
  return m ? Number(m[1]) : -1;
}

/**
 * Whether a replica has caught up with a table's replication log: its log_pointer (the next entry
 * it will read) is past the newest entry, and its queue is empty. `newest` is -1 when the log is
 * empty (never written, or cleaned up after every replica read it).
 */
export function replicaBehind(
  state: { logPointer: number; queued: number },
  newest: number,
): number {
  const unread = newest < 0 ? 0 : Math.max(0, newest + 1 - state.logPointer);
  return unread + state.queued;
}
