// Plain data shared by the modules: files found on disk, rows read from the tracking table, and
// the steps of a run that every reporter renders.

/** The kinds of database the job can migrate. */
export type DbKind = "postgres" | "clickhouse";

/** Seed modes, cumulative in this order. */
export const SEED_MODES = ["none", "reference", "sample", "full"] as const;
/** A seed mode. */
export type SeedMode = typeof SEED_MODES[number];
/** A folder of seeds. */
export type SeedSet = "reference" | "sample" | "full";

/** What an operator says of a statement of unknown outcome: it took effect, or run it again. */
export type Resolution = "applied" | "rerun";

/** A file to track: a migration or a seed, read and checksummed. */
export interface TrackedFile {
  kind: "migration" | "seed";
  /** Null for seeds. */
  version: number | null;
  description: string;
  /** The path relative to the database's folder: `V001__init.sql`, `reference/010_rbac.yaml`. */
  script: string;
  /** Absolute or cwd-relative path on disk. */
  path: string;
  /** Normalised text (no BOM, LF); empty for a CSV seed, which is read from `path` in chunks. */
  text: string;
  checksum: string;
  format: "sql" | "yaml" | "csv";
  /** A migration's undo file `U<version>__<description>.sql`, found but not read until needed. */
  undo?: { script: string; path: string };
}

/**
 * How a tracking row got to its state (its `provenance` column): `applied` by running the file,
 * `marked` or `baselined` without running it, `repaired` by --repair, `undone` by its U-file, or
 * `undoing` while an undo outside a transaction stopped part-way (the row then says failed).
 */
export type Provenance = "applied" | "marked" | "baselined" | "repaired" | "undone" | "undoing";

/** A row of `_schema_migrations`, as the drivers return it. */
export interface TrackedRow {
  version: number | null;
  script: string;
  checksum: string;
  kind: "migration" | "seed";
  success: boolean;
  /** Statements of the file that succeeded, for files that ran outside a transaction. */
  statementsDone: number | null;
  /** How the row got there; `applied` for rows written before the column existed. */
  provenance?: Provenance;
  // The rest only `--status` shows; a driver may leave them out unless asked for the detail.
  description?: string;
  appliedAt?: Date | null;
  executionMs?: number;
  appliedBy?: string;
  error?: string | null;
}

/** The state of a file or row, as `--status` shows it. */
export type EntryState =
  | "applied"
  | "pending"
  | "checksum mismatch"
  | "missing file"
  | "failed"
  | "undone";

/** What happened to one file in a run: the one record every reporter renders. */
export interface Step {
  database: string;
  kind: "migration" | "seed";
  version: number | null;
  script: string;
  checksum: string;
  status:
    | "applied"
    | "skipped"
    | "failed"
    | "pending"
    | "repaired"
    | "not run"
    | "drift"
    | "undone"
    | "marked"
    | "unmarked"
    // recorded as applied without running it, from another tool's history (import)
    | "baselined";
  ms?: number;
  /** Extra words for the progress line (statement count, resume point). */
  note?: string;
  error?: string;
}

/** One replica of a replicated database, as `status` shows it. */
export interface ReplicaState {
  /** The replica's name (its `{replica}` macro). */
  replica: string;
  /** Whether it holds a ZooKeeper session now (a replica that is down does not). */
  active: boolean;
  /** Whether it has fetched every change of the tracking table the cluster knows of. */
  caughtUp: boolean;
  /** Changes of the tracking table it has not fetched yet (log entries and queued tasks). */
  behind: number;
}

/** One database as the run sees it. */
export interface DatabaseConfig {
  name: string;
  kind: DbKind;
  /** Null when no URL is configured (allowed only with --embedded). */
  url: string | null;
  /** Where the URL came from (`POSTGRES_URL`, `POSTGRES_URL_FILE`, `db-migrate.yaml`), for messages. */
  urlSource: string | null;
  /** The env variable a user should set, for messages. */
  urlVariable: string;
  /** The config file whose list of databases names this one, when a config file lists them. */
  listedIn?: string;
  migrationsDir: string;
  seedsDir: string;
  /**
   * A ClickHouse cluster's settings from db-migrate.yaml (`cluster`, `cluster_path`, ...), as
   * written, and where (`db-migrate.yaml line 4`): the driver checks them and merges them with
   * the URL's.
   */
  cluster?: { settings: Record<string, string>; where: string };
  /** Set on a tenant group: its databases are the rows of a query on the control database. */
  tenants?: TenantSource;
  /** Schema-per-tenant: the schema that holds the tracking table and leads the search path. */
  schema?: string;
}

/** Where a tenant group's databases come from (`tenants:` in db-migrate.yaml). */
export interface TenantSource {
  /** The control database the query runs on (resolved even when the run leaves it out). */
  control: DatabaseConfig;
  /** Lists the tenants, one row each. */
  query: string;
  /** The column that names a tenant (`id` unless the config says otherwise). */
  idColumn: string;
  /** The URL template, its `${VAR}` already replaced: `postgres://…/{db_name}`. */
  url: string;
  /** The schema template, for schema-per-tenant. */
  schema?: string;
}
