// The one small interface the rest of the program talks to; nothing outside src/drivers/ imports a
// database client. Drivers are loaded lazily by kind, so a PostgreSQL-only run never loads ClickHouse.

import type { DataSeed } from "../seeds/types.ts";
import type { Dialect } from "../sql/split.ts";
import type { TransactionPlan } from "../sql/transaction.ts";
import type { DatabaseConfig, DbKind, Resolution, TrackedFile, TrackedRow } from "../core/types.ts";

/** A file to apply and how. */
export interface ApplyRequest {
  file: TrackedFile;
  /** False for files that must run statement by statement outside a transaction. */
  transactional: boolean;
  /** PostgreSQL: the file's own BEGIN/COMMIT as checked before the run (read again when absent). */
  control?: TransactionPlan;
  /** The tracking row of an earlier failed attempt, if any (lets a driver resume). */
  previous: TrackedRow | null;
  /** Aborted when the run is asked to stop (SIGTERM, SIGINT): start nothing new. */
  signal: AbortSignal;
  /**
   * Aborted when a statement that cannot be rolled back may no longer be waited for (the grace
   * period after `signal` is over, or a second signal); `signal` when absent.
   */
  graceOver?: AbortSignal;
  /** Where to say that the run waits (for a statement an earlier run left running). */
  notice?: (text: string) => void;
  /** Operators' decisions on statements of unknown outcome, by query_id (--resolve-unknown). */
  resolveUnknown?: ReadonlyMap<string, Resolution>;
}

/** A YAML or CSV seed to load: the file and its content, parsed and checked by src/seeds/. */
export interface SeedRequest extends ApplyRequest {
  seed: DataSeed;
}

/** What applying one file did. */
export interface ApplyOutcome {
  ms: number;
  /** Words for the progress line, such as a resume point. */
  note?: string;
  /** The query_id of a statement of unknown outcome that --resolve-unknown decided. */
  resolved?: string;
}

/** A drifted migration to record as it is now (`file` set) or to forget (`file` null). */
export interface RepairItem {
  version: number;
  file: TrackedFile | null;
}

/** Who holds the migration lock, for the waiting message. */
export interface LockHolder {
  description: string;
}

/** One connection to one database, with the tracking table and the lock. */
export interface Driver {
  readonly kind: DbKind;
  readonly dialect: Dialect;
  /** One connection attempt; throws on failure (the caller retries within --wait). */
  connect(timeoutMs: number): Promise<void>;
  /** Closes the connection; safe to call twice. */
  close(): Promise<void>;
  /** Whether the connection error can never heal by waiting (bad password, no such database). */
  isPermanent(err: unknown): boolean;
  /** Whether `_schema_migrations` exists (read at connect). */
  hasTrackingTable(): boolean;
  /** Creates `_schema_migrations` when missing. */
  ensureTrackingTable(): Promise<void>;
  /** Every tracking row, without the stored file texts (one query); detail adds what --status shows. */
  readTracking(detail?: boolean): Promise<TrackedRow[]>;
  /** The stored texts of the given scripts, for drift diffs. */
  readContents(scripts: string[]): Promise<Map<string, string | null>>;
  /** Tries to take the migration lock once. */
  tryLock(): Promise<boolean>;
  /** Who holds the lock now, or null when it is free or unknown. */
  lockHolder(): Promise<LockHolder | null>;
  /** Releases the lock. */
  unlock(): Promise<void>;
  /** Applies one file and records it; throws ApplyError with the file position on failure. */
  apply(req: ApplyRequest): Promise<ApplyOutcome>;
  /** Loads a YAML or CSV seed and records it in one transaction; without it, only SQL seeds run. */
  applySeed?(req: SeedRequest): Promise<ApplyOutcome>;
  /**
   * Refuses a seed whose format this driver cannot load (a ConfigError, exit 2); called for every
   * pending YAML and CSV seed before anything is applied. Without it, applySeed takes both.
   */
  checkSeedFormat?(file: TrackedFile): void;
  /** Records current checksums of drifted migrations and forgets missing ones. */
  repair(items: RepairItem[]): Promise<void>;
}

/** Opens the driver for a database's kind, importing its module only when needed. */
export async function openDriver(
  db: DatabaseConfig,
  url: string,
  opts: { embedded?: boolean } = {},
): Promise<Driver> {
  if (db.kind === "postgres") {
    const { PostgresDriver } = await import("./postgres.ts");
    return new PostgresDriver(db.name, url, { ...opts, urlVariable: db.urlVariable });
  }
  const { ClickHouseDriver } = await import("./clickhouse.ts");
  return new ClickHouseDriver(db.name, url);
}
