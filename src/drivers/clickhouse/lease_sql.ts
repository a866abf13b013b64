// The SQL of the lease lock (lock.ts) and the pure judgement of who holds it, kept apart from the
// code that runs them so they can be unit-tested without a server.

import { qualified, quoteString } from "./sql.ts";

/** The table of lock leases, next to the tracking table. */
export const LOCK_TABLE = "_schema_migrations_lock";

/**
 * Creates the lease table of the migration lock: one row per claimant (`holder`, a random id per
 * run), replaced by its newer rows. Times are the server's clock, so clients' clocks do not matter.
 */
export function createLockSql(database: string): string {
  return `CREATE TABLE IF NOT EXISTS ${qualified(database, LOCK_TABLE)} (
  holder     String COMMENT 'random id of one db-migrate run',
  claimed_at DateTime COMMENT 'when the claim was made; the earliest live claim holds the lock',
  expires_at DateTime COMMENT 'the claim is dead after this (renewed while alive; 1970 when released)',
  info       String COMMENT 'host, pid and user of the run, for waiting messages',
  updated    UInt64 COMMENT 'row version per holder'
) ENGINE = ReplacingMergeTree(updated)
ORDER BY holder`;
}

/**
 * The server's clock and every claim, as rows `{holder, claimed_at, expires_at, info, now}`. The
 * first row has an empty holder and alone carries `now`, so the clock comes back even when there
 * are no claims, in the same query as the claims. The claims' `now` is a materialized 0: ClickHouse
 * 18.16 refuses a UNION ALL whose two parts give one column different constant values ("Cannot
 * convert column now because it is constant but values of constants are different"), which two
 * now() calls do when the query straddles a second.
 */
export function selectLockSql(database: string): string {
  return `SELECT '' AS holder, toUInt32(0) AS claimed_at, toUInt32(0) AS expires_at, '' AS info,
  toUInt32(now()) AS now
UNION ALL
SELECT holder, toUInt32(claimed_at) AS claimed_at, toUInt32(expires_at) AS expires_at, info,
  materialize(toUInt32(0)) AS now
FROM ${qualified(database, LOCK_TABLE)} FINAL`;
}

/**
 * How far back a fast claim (lock.ts) dates itself: far enough that it is earlier than any claim
 * that was not yet visible when the fast claim was judged (such a claim read the server's clock at
 * most SETTLE_MS, and here up to a second, before that judgement).
 */
export const FAST_CLAIM_BACKDATE_S = 2;

/** A claim row to write. */
export interface ClaimRecord {
  holder: string;
  /**
   * "now" for a new claim (the server's clock), "fast" for a new claim dated
   * FAST_CLAIM_BACKDATE_S before it, or the epoch seconds of the claim being kept.
   */
  claimedAt: "now" | "fast" | number;
  /** Seconds from now until the claim dies, or "released" to end it at once. */
  lease: number | "released";
  info: string;
  updated: number;
}

/** Writes (or renews, or releases) a claim. */
export function insertClaimSql(database: string, c: ClaimRecord): string {
  const claimed = c.claimedAt === "now"
    ? "now()"
    : c.claimedAt === "fast"
    ? `now() - ${FAST_CLAIM_BACKDATE_S}`
    : `toDateTime(${Math.trunc(c.claimedAt)})`;
  const expires = c.lease === "released" ? "toDateTime(0)" : `now() + ${Math.trunc(c.lease)}`;
  return `INSERT INTO ${
    qualified(database, LOCK_TABLE)
  } (holder, claimed_at, expires_at, info, updated) VALUES (${
    quoteString(c.holder)
  }, ${claimed}, ${expires}, ${quoteString(c.info)}, ${Math.trunc(c.updated)})`;
}

/** Drops claims dead for over a day, so the lease table stays small (an asynchronous mutation). */
export function pruneLockSql(database: string): string {
  return `ALTER TABLE ${qualified(database, LOCK_TABLE)} DELETE WHERE expires_at < now() - 86400`;
}

/** One claim as read back. */
export interface Claim {
  holder: string;
  claimedAt: number;
  expiresAt: number;
  info: string;
}

/** The live claim that holds the lock: the earliest claim, ties broken by holder id. */
export function lockWinner(claims: Claim[], now: number): Claim | null {
  let best: Claim | null = null;
  for (const c of claims) {
    if (c.expiresAt <= now) continue;
    if (
      best === null || c.claimedAt < best.claimedAt ||
      (c.claimedAt === best.claimedAt && c.holder < best.holder)
    ) best = c;
  }
  return best;
}
