// The one small interface the core talks to, and the registry of database kinds. Nothing outside
// src/drivers/ imports a database client; kinds are loaded lazily, so a PostgreSQL-only run never
// loads ClickHouse, and a run without --embedded never loads PGlite.

import { ConfigError } from "../core/errors.ts";
import type {
  DatabaseConfig,
  DbKind,
  Provenance,
  ReplicaState,
  Resolution,
  TrackedFile,
  TrackedRow,
} from "../core/types.ts";

/**
 * A file checked and made ready to run, before any database is touched. What the core reads is
 * here; how the file runs (its statements, its parsed seed) is the kind's, in `body`.
 */
export interface PreparedFile {
  file: TrackedFile;
  /** What it would do, for --dry-run: `3 statements`, `roles 5 rows` (never a value). */
  summary: string;
  /** How it runs, when that is worth saying: `no transaction`. */
  qualifiers: string[];
  /** Warnings to show before anything runs (a file's own BEGIN that joins the file's transaction). */
  notices: string[];
  /** The kind's own reading of the file; the core passes it back to execute() untouched. */
  body: unknown;
}

/** What a kind needs to prepare a file. */
export interface PrepareContext {
  /** The database's name, for messages. */
  database: string;
  /** The largest statement a kind that sends statements whole may send, in MB. */
  maxStatementMb: number;
  /** The largest YAML seed read with the `yaml` document API, in MB (--max-yaml-size; default 2). */
  maxYamlMb?: number;
}

/** What a driver needs beside the file to run it. */
export interface ExecuteContext {
  /** The tracking row of an earlier failed attempt, if any (lets a driver resume). */
  previous: TrackedRow | null;
  /** Aborted when the run is asked to stop (SIGTERM, SIGINT, a pool's timeout): start nothing new. */
  signal: AbortSignal;
  /** Aborted when a statement that cannot be rolled back may no longer be waited for. */
  graceOver: AbortSignal;
  /** Where to say that the run waits (for a statement an earlier run left running). */
  notice: (text: string) => void;
  /** Operators' decisions on statements of unknown outcome, by query_id (--resolve-unknown). */
  resolveUnknown: ReadonlyMap<string, Resolution>;
  /** Set by `verify` only: run the file its way, never writing a tracking row (see Trial). */
  trial?: Trial;
  /**
   * Set when the file is a U-file: the applied migration it undoes. Its tracking row (not the
   * U-file's) then records the run, and ends as `undone` instead of applied; `previous` is that
   * row.
   */
  undoes?: TrackedFile;
}

/**
 * How `verify` runs a file (PostgreSQL): `untracked` in its own transaction without its tracking
 * row (a second run, as when the row was lost); `rehearsal` inside the caller's open transaction, in
 * a savepoint, without its row, for the caller to roll back.
 */
export type Trial = "untracked" | "rehearsal";

/** What applying one file did. */
export interface ApplyOutcome {
  ms: number;
  /** Words for the progress line, such as a resume point. */
  note?: string;
  /** The query_id of a statement of unknown outcome that --resolve-unknown decided. */
  resolved?: string;
}

/**
 * A file to record as applied without running it (repair, mark applied, baseline): its current
 * checksum and text, and how it got there. A repaired row keeps when and by whom it was applied;
 * a marked or baselined one, and any new row, says now and the connection's user.
 */
export interface RecordEntry {
  file: TrackedFile;
  /** The row's provenance; `repaired` when not given. */
  how?: Extract<Provenance, "repaired" | "marked" | "baselined">;
}

/** The server as `info` shows it. */
export interface ServerInfo {
  /** The server's version string. */
  version: string;
  /** The user the connection runs as. */
  user: string;
}

/** A tracking row to delete: a migration by version, a seed by script. */
export type ForgetEntry =
  | { kind: "migration"; version: number }
  | { kind: "seed"; script: string };

/** Who holds the migration lock, for the waiting message. */
export interface LockHolder {
  description: string;
}

/** One connection to one database: its lock, its tracking table and the files it runs. */
export interface Driver {
  /** One connection attempt; throws on failure (the caller retries within --wait). */
  connect(timeoutMs: number): Promise<void>;
  /** Closes the connection (and stops an embedded server); safe to call twice. */
  close(): Promise<void>;
  /** Whether the connection error can never heal by waiting (bad password, no such database). */
  isPermanent(err: unknown): boolean;
  /** Tries to take the migration lock once (creating what the lock needs). */
  tryLock(): Promise<boolean>;
  /** Who holds the lock now, or null when it is free or unknown. */
  lockHolder(): Promise<LockHolder | null>;
  /** Releases the lock. */
  unlock(): Promise<void>;
  /** Every tracking row (null: no tracking table); detail adds what status shows. One query. */
  readTracking(detail: boolean): Promise<TrackedRow[] | null>;
  /** Creates the tracking table (and what it lives in) when missing. */
  ensureTracking(): Promise<void>;
  /** The stored texts of the given scripts, for drift diffs. */
  readContents(scripts: string[]): Promise<Map<string, string | null>>;
  /** Runs a prepared file and records it (in one transaction where the kind has them). */
  execute(file: PreparedFile, ctx: ExecuteContext): Promise<ApplyOutcome>;
  /** Records files as applied without running them (with how they got there). */
  record(entries: RecordEntry[]): Promise<void>;
  /** Deletes tracking rows. */
  forget(entries: ForgetEntry[]): Promise<void>;
  /** Drops everything the migrations could have created (reset, on local databases only). */
  dropAll(): Promise<void>;
  /**
   * Empties tables that seeds write (seed --reset, on local databases only): names as seeds give
   * them, `table` or `schema.table`; one that does not exist is passed over.
   */
  emptyTables(tables: string[]): Promise<void>;
  /** The cluster the database lives on (reset says it drops on every host), absent or null elsewhere. */
  clusterName?(): string | null;
  /** Each replica of a replicated database and whether it has caught up; absent elsewhere. */
  replicas?(): Promise<ReplicaState[] | null>;
  /**
   * One statement on the driver's own session, rows as records (PostgreSQL): `verify` reads its
   * snapshots and opens and rolls back its rehearsal's transaction with it.
   */
  query?(sql: string): Promise<Record<string, unknown>[]>;
  /** The server's version and the connection's user, for `info`. */
  server(): Promise<ServerInfo>;
  /**
   * Runs one query in a read-only transaction and returns its rows (import reads another tool's
   * history table with it, and can never write it). PostgreSQL only.
   */
  selectReadOnly?(sql: string): Promise<Record<string, unknown>[]>;
  /** Runs a read-only query (a tenant list), every value as text; kinds without it have no tenants. */
  queryRows?(sql: string): Promise<QueryRows>;
}

/** The rows of a query, every value as text (null stays null), and its columns in order. */
export interface QueryRows {
  columns: string[];
  rows: Record<string, string | null>[];
}

/** What opening a driver may need beside the database (an embedded server, its file lock). */
export interface OpenOptions {
  /** The working directory: embedded data lives in `.db-migrate/<database>/` under it. */
  cwd: string;
  /** How long to wait for another process that holds an embedded database. */
  lockTimeoutMs: number;
  signal: AbortSignal;
  notice: (text: string) => void;
  /** The files the run may apply (an embedded server loads the extensions they create). */
  files: readonly TrackedFile[];
}

/** What the core knows of a kind of database before connecting to one. */
export interface DriverKind {
  readonly kind: DbKind;
  /** Where a database of this kind is, for messages: the URL without its password. */
  describe(target: DatabaseConfig): string;
  /** Offline: checks and prepares one file that will run; throws a ConfigError (exit 2). */
  prepare(file: TrackedFile, ctx: PrepareContext): Promise<PreparedFile>;
  /** A driver for a database of this kind, not yet connected. */
  open(target: DatabaseConfig, opts: OpenOptions): Promise<Driver>;
}

/**
 * Offline: checks and prepares one file as a kind of database would, with no URL and no driver
 * (validate). Loads only the kind's checks, not its client.
 */
export async function prepareOffline(
  kind: DbKind,
  file: TrackedFile,
  ctx: PrepareContext,
): Promise<PreparedFile> {
  return kind === "postgres"
    ? await (await import("./postgres/prepare.ts")).preparePostgres(file, ctx)
    : await (await import("./clickhouse/prepare.ts")).prepareClickHouse(file, ctx);
}

/** A database that a run leaves out, and why (a ClickHouse database without a URL under --embedded). */
export interface Skipped {
  skip: string;
}

/**
 * The kind of a database, loaded on first use: by its URL's kind, or the embedded PostgreSQL for a
 * database without a URL under --embedded.
 */
export async function driverKind(
  target: DatabaseConfig,
  opts: { embedded: boolean },
): Promise<DriverKind | Skipped> {
  if (target.url === null) {
    if (!opts.embedded) {
      throw new ConfigError("MISSING_URL", `database "${target.name}" has no URL`, {
        database: target.name,
        hint: `set ${target.urlVariable}`,
      });
    }
    if (target.kind !== "postgres") {
      return {
        skip: `skipped: no URL (set ${target.urlVariable}); --embedded covers PostgreSQL only`,
      };
    }
    return (await import("./embedded/kind.ts")).embeddedKind;
  }
  return target.kind === "postgres"
    ? (await import("./postgres/kind.ts")).postgresKind
    : (await import("./clickhouse/kind.ts")).clickhouseKind;
}
