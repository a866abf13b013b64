// The tracking table of a ClickHouse database: ClickHouse has no UPDATE, so every change of a file's
// row is a new row with a higher `updated`, read back with FINAL, and a forgotten row is a newer row
// with `deleted = 1` (a tombstone). The database named in the URL is created by the first real run.
// On a cluster the database and the table are created ON CLUSTER (a Replicated table), and every
// read first makes this replica fetch what the others have written (SYNC REPLICA).

import { checksum } from "../../core/checksum.ts";
import { ConfigError } from "../../core/errors.ts";
import type { Provenance, TrackedFile, TrackedRow } from "../../core/types.ts";
import { splitStatements } from "../../sql/split.ts";
import type { ForgetEntry, RecordEntry } from "../driver.ts";
import {
  clusterHostsSql,
  type ClusterOptions,
  createDatabaseOnClusterSql,
  createTrackingOnClusterSql,
  failedReplicatedCreateHint,
  forShards,
  zookeeperPath,
} from "./cluster.ts";
import { type ClickHouseHttp, type ClickHouseRequestError, QUERY_TIMEOUT_MS } from "./http.ts";
import { ClusterError, sendOnCluster, syncReplica } from "./on_cluster.ts";
import {
  addProvenanceColumnSql,
  addQueryIdColumnSql,
  createDatabaseSql,
  createTrackingSql,
  existsSql,
  insertTrackingSql,
  maxUpdatedSql,
  selectContentsSql,
  selectProgressSql,
  selectTrackingSql,
  TRACKING_TABLE,
  type TrackingRecord,
} from "./sql.ts";

/** A tracking row to write; its row version is given when it is written. */
export type NewRow = Omit<TrackingRecord, "updated">;

/** The stored progress of one file (selectProgressSql). */
export interface ProgressRow {
  success: number;
  statements_done: number;
  statements_total: number;
  statement_hashes: string[];
  deleted: number;
  query_id: string;
  applied_epoch: number;
}

/** A tracking row as the server returns it (selectTrackingSql). */
interface RowData {
  version: string | number | null;
  description: string;
  script: string;
  checksum: string;
  kind: string;
  applied_epoch: number;
  execution_ms: string | number;
  success: number;
  applied_by: string;
  error: string | null;
  statements_done: number;
  statements_total: number;
  statement_hashes?: string[];
  deleted: number;
  updated: string | number;
  provenance: string;
}

/** A stored row as it is written again, with a new row version. */
function copy(r: RowData): NewRow {
  return {
    version: r.version === null ? null : Number(r.version),
    description: r.description,
    script: r.script,
    checksum: r.checksum,
    kind: r.kind === "seed" ? "seed" : "migration",
    appliedAt: Number(r.applied_epoch),
    executionMs: Number(r.execution_ms),
    success: Number(r.success) === 1,
    appliedBy: r.applied_by,
    content: "",
    error: r.error,
    statementsDone: Number(r.statements_done),
    statementsTotal: Number(r.statements_total),
    statementHashes: r.statement_hashes ?? [],
    queryId: "",
    deleted: false,
    provenance: r.provenance,
  };
}

/** The row that forgets a stored one. */
function tombstone(r: RowData): NewRow {
  return { ...copy(r), deleted: true };
}

/** Whether a stored row is one of a migration version's (or a seed script's) rows. */
function matches(r: RowData, e: ForgetEntry): boolean {
  return e.kind === "migration"
    ? r.kind === "migration" && r.version !== null && Number(r.version) === e.version
    : r.kind === "seed" && r.script === e.script;
}

/** The tracking table of one ClickHouse database. */
export class Tracking {
  #hasDb = false;
  #hasTable = false;
  /** Whether the table has its query_id column (tables made before it lack it). */
  #hasQueryId = false;
  /** Whether the table has its provenance column (tables made before it lack it). */
  #hasProvenance = false;
  /** The next row version (read once under the lock). */
  #nextUpdated: bigint | null = null;

  /** `database`: the ClickHouse database the URL names; `name`: db-migrate's, for messages. */
  constructor(
    readonly http: ClickHouseHttp,
    readonly database: string,
    readonly name: string,
    readonly user: string,
    /** The cluster the tables live on, or null for a single server. */
    readonly cluster: ClusterOptions | null = null,
  ) {}

  /** Reads what exists (database, table, query_id column): the check a connection makes. */
  async probe(timeoutMs: number): Promise<void> {
    const [row] = await this.http.rows<{
      has_db: string | number;
      has_table: string | number;
      has_query_id: string | number;
      has_provenance: string | number;
    }>(existsSql(this.database), timeoutMs);
    this.#hasDb = Number(row?.has_db) > 0;
    this.#hasTable = this.#hasDb && Number(row?.has_table) > 0;
    this.#hasQueryId = this.#hasTable && Number(row?.has_query_id) > 0;
    this.#hasProvenance = this.#hasTable && Number(row?.has_provenance) > 0;
    this.#nextUpdated = null;
  }

  /** Creates the database the URL names, once; only real runs do. */
  async ensureDatabase(): Promise<void> {
    if (this.#hasDb) return;
    if (this.cluster) {
      await sendOnCluster(
        this.http,
        createDatabaseOnClusterSql(this.database, this.cluster.name),
        this.cluster,
      );
    } else {
      await this.http.exec(createDatabaseSql(this.database));
    }
    this.#hasDb = true;
  }

  /**
   * On a cluster, makes this replica fetch what other replicas wrote to a table of db-migrate's
   * before it is read; nothing on a single server.
   */
  async sync(table = TRACKING_TABLE): Promise<void> {
    if (this.cluster) await syncReplica(this.http, this.database, table, this.cluster);
  }

  /**
   * Creates one of db-migrate's tables: as given on a single server, ON CLUSTER with a Replicated
   * engine (clusterSql) on a cluster, where a failure's hint says what a failed Replicated CREATE
   * leaves in ZooKeeper.
   */
  async createTable(
    table: string,
    singleSql: string,
    clusterSql: (database: string, cluster: ClusterOptions) => string,
  ): Promise<void> {
    if (!this.cluster) {
      await this.http.exec(singleSql);
      return;
    }
    const shaped = await this.#shaped();
    try {
      await sendOnCluster(this.http, clusterSql(this.database, shaped), this.cluster);
    } catch (err) {
      const e = err as ClickHouseRequestError;
      // A host-level failure or a timeout is explained already; a refused CREATE leaves its path.
      if (e.code === null || (err instanceof ClusterError && e.code === 159)) throw err;
      const hint = failedReplicatedCreateHint(zookeeperPath(this.cluster, this.database, table));
      throw new ClusterError(
        `cannot create ${this.database}.${table} on cluster "${this.cluster.name}": ${e.message}`,
        e.code,
        err instanceof ClusterError ? `${err.hint}; ${hint}` : hint,
        err,
      );
    }
  }

  /**
   * The cluster options as the cluster's shape needs them (forShards), from its shards as this
   * server lists them; CONFIG (exit 2) for a cluster_path that would split the tracking per shard.
   */
  async #shaped(): Promise<ClusterOptions> {
    const cluster = this.cluster!;
    const hosts = await this.http.rows<{ shard_num: number | string }>(
      clusterHostsSql(cluster.name),
    );
    try {
      return forShards(cluster, new Set(hosts.map((h) => Number(h.shard_num))).size);
    } catch (err) {
      throw new ConfigError("CONFIG", `"${this.name}": ${(err as Error).message}`, {
        database: this.name,
        hint: "leave cluster_path without {shard} (the default has none): the tracking and " +
          "lease tables are one for the whole cluster",
      });
    }
  }

  /** Creates the table (and its database), or adds the columns a table from before them lacks. */
  async ensure(): Promise<void> {
    if (!this.#hasTable) {
      await this.ensureDatabase();
      await this.createTable(
        TRACKING_TABLE,
        createTrackingSql(this.database),
        createTrackingOnClusterSql,
      );
      this.#hasTable = true;
      this.#hasQueryId = true;
      this.#hasProvenance = true;
    }
    if (!this.#hasQueryId) {
      // A table from before query_id: add it (under the lock, so no other run does the same).
      await this.#addColumn(addQueryIdColumnSql(this.database, !this.cluster));
      this.#hasQueryId = true;
    }
    if (!this.#hasProvenance) {
      await this.#addColumn(addProvenanceColumnSql(this.database, !this.cluster));
      this.#hasProvenance = true;
    }
  }

  /**
   * Adds a column to the tracking table. Not ON CLUSTER: an ALTER ADD COLUMN of a Replicated
   * table goes through ZooKeeper to every replica (18.16 answers once the active ones have it; one
   * that is down takes it when it is back), and ON CLUSTER would send it to each replica again.
   * On a cluster, a run through another replica may have added it since this one looked (code 44:
   * the column exists): that is the change wanted.
   */
  async #addColumn(sql: string): Promise<void> {
    try {
      await this.http.exec(sql);
    } catch (err) {
      if (!this.cluster || (err as ClickHouseRequestError).code !== 44) throw err;
    }
  }

  /**
   * On a cluster, looks at the columns again when the table lacked one: another replica's run may
   * have added it since this connection looked, and its rows must read as they were written.
   */
  async #refreshColumns(): Promise<void> {
    if (!this.cluster || (this.#hasQueryId && this.#hasProvenance)) return;
    const next = this.#nextUpdated;
    await this.probe(QUERY_TIMEOUT_MS);
    this.#nextUpdated = next;
  }

  async #rows(withHashes: boolean): Promise<RowData[]> {
    if (!this.#hasTable) return [];
    await this.sync();
    await this.#refreshColumns();
    const rows = await this.http.rows<RowData>(
      selectTrackingSql(this.database, withHashes, this.#hasProvenance),
    )
      .catch((err) => {
        // 47: missing columns, as in a _schema_migrations that another tool created.
        if ((err as ClickHouseRequestError).code !== 47) throw err;
        throw new ConfigError(
          "CONFIG",
          `the table ${this.database}._schema_migrations in "${this.name}" was not ` +
            `created by db-migrate: ${(err as Error).message}`,
          {
            database: this.name,
            hint: "rename that table, or point db-migrate at another ClickHouse database",
          },
        );
      });
    return rows.filter((r) => Number(r.deleted) === 0);
  }

  /** Every current row, or null without a table. */
  async read(): Promise<TrackedRow[] | null> {
    if (!this.#hasTable) return null;
    return (await this.#rows(false)).map((r) => ({
      version: r.version === null ? null : Number(r.version),
      description: String(r.description),
      script: String(r.script),
      checksum: String(r.checksum),
      kind: r.kind === "seed" ? "seed" : "migration",
      appliedAt: new Date(Number(r.applied_epoch) * 1000),
      executionMs: Number(r.execution_ms),
      success: Number(r.success) === 1,
      appliedBy: String(r.applied_by),
      error: r.error === null ? null : String(r.error),
      statementsDone: Number(r.statements_done),
      provenance: String(r.provenance || "applied") as Provenance,
    }));
  }

  /** The stored texts of some scripts. */
  async contents(scripts: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (!this.#hasTable || scripts.length === 0) return out;
    await this.sync();
    const rows = await this.http.rows<{ script: string; content: string; deleted: number }>(
      selectContentsSql(this.database, scripts),
    );
    for (const r of rows) {
      if (Number(r.deleted) === 0) out.set(String(r.script), r.content === "" ? null : r.content);
    }
    return out;
  }

  /** The stored progress of one script, if it has a row. */
  async progress(script: string): Promise<ProgressRow | undefined> {
    await this.sync();
    const [p] = await this.http.rows<ProgressRow>(selectProgressSql(this.database, script));
    return p;
  }

  /** The next row version: the highest stored one plus one, then counting up. */
  async nextVersion(): Promise<bigint> {
    if (this.#nextUpdated === null) {
      // On a cluster: after another replica's rows, or ours would be older and lose to them.
      await this.sync();
      const [row] = await this.http.rows<{ updated: string | number }>(
        maxUpdatedSql(this.database),
      );
      this.#nextUpdated = BigInt(row?.updated ?? 0) + 1n;
    }
    return this.#nextUpdated++;
  }

  /** Writes rows, each with the next row version. */
  async write(rows: NewRow[]): Promise<void> {
    const full: TrackingRecord[] = [];
    for (const r of rows) full.push({ ...r, updated: await this.nextVersion() });
    await this.http.exec(insertTrackingSql(this.database, full));
  }

  /** Forgets the other rows a migration's version has under an older name (a renamed file). */
  async forgetRenamed(file: TrackedFile): Promise<void> {
    const stale = (await this.#rows(true)).filter((r) =>
      matches(r, { kind: "migration", version: file.version! }) && r.script !== file.script
    );
    if (stale.length > 0) await this.write(stale.map(tombstone));
  }

  /**
   * Records files as applied with their current checksum, text and statement hashes; a stored row
   * of the version (or script) keeps when and by whom it was applied, and other names of the same
   * version are forgotten.
   */
  async record(entries: RecordEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ensure();
    const rows = await this.#rows(true);
    const out: NewRow[] = [];
    for (const { file: f, how = "repaired" } of entries) {
      const old = rows.filter((r) =>
        matches(
          r,
          f.kind === "migration"
            ? { kind: "migration", version: f.version! }
            : { kind: "seed", script: f.script },
        )
      );
      const kept = old.find((r) => r.script === f.script) ?? old[0];
      const hashes = splitStatements(f.text, "clickhouse").map((s) => checksum(s.text));
      const fresh = {
        version: f.version,
        kind: f.kind,
        appliedAt: "now" as const,
        executionMs: 0,
        appliedBy: this.user,
        deleted: false,
      };
      out.push({
        // A repaired row keeps when and by whom it was applied; a marked one says now.
        ...(kept ? copy(kept) : fresh),
        ...(kept && how !== "repaired" ? fresh : {}),
        provenance: how,
        success: true,
        error: null,
        description: f.description,
        script: f.script,
        checksum: f.checksum,
        content: f.text,
        statementsDone: hashes.length,
        statementsTotal: hashes.length,
        statementHashes: hashes,
        queryId: "",
      });
      out.push(...old.filter((r) => r.script !== f.script).map(tombstone));
    }
    await this.write(out);
  }

  /** Forgets the rows of migration versions or seed scripts. */
  async forget(entries: ForgetEntry[]): Promise<void> {
    if (entries.length === 0 || !this.#hasTable) return;
    const rows = await this.#rows(true);
    const out = rows.filter((r) => entries.some((e) => matches(r, e))).map(tombstone);
    if (out.length > 0) await this.write(out);
  }
}
