// The lease lock of the ClickHouse driver: runs take turns through rows of
// _schema_migrations_lock, as ClickHouse has no advisory lock.
//
// ClickHouse has no compare-and-set, so a claim is an inserted row and the lock belongs to the
// earliest live claim (ties: the smaller holder id). Every run reads the same rows with FINAL and
// so agrees on the winner, provided that a claim is visible to every reader before anyone judges
// a later one. A new claim therefore is judged only SETTLE_MS after the server's clock (second
// resolution: DateTime) was seen past the second of the claim: a claim made in the same second
// has committed by then, and any claim made later carries a later second and loses. A waiting
// run keeps its claim (renewed by each tryLock), so waiting runs get the lock in turn; close()
// withdraws it. Times come from the server's clock, never the clients', so clock skew between the
// machines that run db-migrate does not matter.
// The fast path: a run that sees no live claim first makes a fast claim, dated
// FAST_CLAIM_BACKDATE_S (2 s) back, and reads again at once; if it still sees no other live claim,
// it holds the lock without waiting for the second to pass. Two runs cannot both win so: each
// claim is committed before its run's read, so of two concurrent claims the later-committed one's
// run sees the other (at most one sees nothing). Nor can a fast winner and a run that judges by
// time: a claim the fast winner did not see was committed after its read, so that run's read sees
// the fast claim, and the claim read the server's clock at most SETTLE_MS before it was visible,
// so in the fast claim's second or the one before: never earlier than the backdated fast claim,
// which is therefore the earliest and wins for every run (older db-migrate releases included,
// which know only the earliest-claim rule). A fast claim that sees another claim is replaced at
// once by a plain claim, and the run waits as above. Limits, which make this a lease, not a mutex:
// - an INSERT that becomes visible more than SETTLE_MS after the server read its now() (a stalled
//   server, or a replicated table whose replicas lag) can let two runs both believe they won;
// - a run that dies between its fast claim and replacing it leaves a claim that may be earlier than
//   the fast winner's for its 20 s: runs wait for it meanwhile, and the winner, if it renews then,
//   takes it for another holder and stops (the safe side);
// - a holder stopped for longer than its lease (60 s without renewal: a frozen VM, a network
//   partition) loses the lock to the next run; it notices at its next renewal and stops before its
//   next statement, but a statement already sent runs on;
// - behind a load balancer over several servers each server has its own lease table: the lock
//   then holds only if every run reaches the same server, or a cluster is configured.
// On a cluster (cluster= in the URL or db-migrate.yaml) the lease table is a Replicated table
// created ON CLUSTER, and every read of it is preceded by SYSTEM SYNC REPLICA, so a claim
// acknowledged by any replica before a reader's SYNC is seen by that reader: the reasoning above
// holds across replicas, with the SETTLE_MS premise now covering the claim's commit to ZooKeeper
// (replicated inserts are acknowledged once ZooKeeper has the part; about 10-30 ms here). Added
// limits: claim times come from the clock of the replica each run talks to, so the servers'
// clocks must agree (NTP) to well under a second; and a claim acknowledged by a replica that dies
// before another fetched it is unseen until that replica returns (SYNC then waits for it).

import { sleep } from "../../core/backoff.ts";
import type { LockHolder } from "../driver.ts";
import { humanTime } from "../../core/time.ts";
import {
  type Claim,
  type ClaimRecord,
  insertClaimSql,
  lockWinner,
  pruneLockSql,
  selectLockSql,
} from "./lease_sql.ts";

// A claim lives WAIT_LEASE_S while its run waits (renewed by each tryLock, which
// acquireLock calls at least every second), HOLD_LEASE_S once it holds the lock (renewed every
// RENEW_MS), so a run that dies blocks the others for at most a minute. SETTLE_MS is how long a new
// claim waits for concurrent claims to become visible before it believes it won.
const WAIT_LEASE_S = 20;
const HOLD_LEASE_S = 60;
const RENEW_MS = 10_000;
const SETTLE_MS = 250;
const POLL_MS = 100;

/** What the lease needs from its driver: its queries, and the database of the lease table. */
export interface LeaseLockDeps {
  /** The ClickHouse database that holds _schema_migrations_lock (the one named in the URL). */
  readonly database: string;
  /** The ClickHouse user, shown to other runs that wait for this one. */
  readonly user: string;
  /** Runs a statement that returns no rows we read. */
  exec(sql: string): Promise<void>;
  /** Runs a query and returns its rows. */
  rows<T>(sql: string): Promise<T[]>;
  /** Creates the database and the lease table if they do not exist yet (only real runs lock). */
  ensureTable(): Promise<void>;
  /** Called before each read of the lease table (a cluster's SYNC REPLICA). */
  beforeRead(): Promise<void>;
  /** Whether the driver is connected: a closed driver has no claim left to withdraw. */
  connected(): boolean;
}

/** Who holds a claim, for the waiting message of other runs. */
function describeHost(): string {
  let host = "unknown host";
  try {
    host = Deno.hostname();
  } catch {
    // --allow-sys=hostname not granted: the pid still tells runs apart on one machine
  }
  return `host ${host}, pid ${Deno.pid}`;
}

/** The lease lock of one run on one ClickHouse database. */
export class LeaseLock {
  readonly #deps: LeaseLockDeps;
  readonly #holder = crypto.randomUUID();
  readonly #info: string;
  #lockTable = false;
  #claimedAt: number | null = null;
  #held = false;
  #claimSeq = 0;
  #renewTimer: ReturnType<typeof setInterval> | null = null;
  #renewing: Promise<void> | null = null;
  /** Client-clock time (ms) after which our lease may have run out without a renewal. */
  #leaseDeadline = 0;
  /** Why the lock was lost while held, if it was. */
  #lockLost: string | null = null;
  #claimsSeen = 0;

  constructor(deps: LeaseLockDeps) {
    this.#deps = deps;
    this.#info = `${describeHost()}, user ${deps.user}`;
  }

  async #ensureLockTable(): Promise<void> {
    if (this.#lockTable) return;
    await this.#deps.ensureTable();
    this.#lockTable = true;
  }

  async #readLock(): Promise<{ now: number; claims: Claim[] }> {
    await this.#deps.beforeRead();
    const rows = await this.#deps.rows<
      { holder: string; claimed_at: number; expires_at: number; info: string; now: number }
    >(selectLockSql(this.#deps.database));
    const claims = rows.filter((r) => r.holder !== "").map((r) => ({
      holder: r.holder,
      claimedAt: Number(r.claimed_at),
      expiresAt: Number(r.expires_at),
      info: r.info,
    }));
    this.#claimsSeen = claims.length;
    return { now: Math.max(0, ...rows.map((r) => Number(r.now))), claims };
  }

  async #writeClaim(claimedAt: ClaimRecord["claimedAt"], lease: ClaimRecord["lease"]) {
    await this.#deps.exec(insertClaimSql(this.#deps.database, {
      holder: this.#holder,
      claimedAt,
      lease,
      info: this.#info,
      updated: ++this.#claimSeq,
    }));
  }

  /** Claims the lock, or renews our waiting claim: true once this run holds it. */
  async tryLock(): Promise<boolean> {
    if (this.#held) return true;
    await this.#ensureLockTable();
    let state = await this.#readLock();
    let mine = state.claims.find((c) => c.holder === this.#holder);
    if (!mine || mine.expiresAt <= state.now) {
      // A new claim; a dead one is never revived, as another run may have won in between.
      if (!this.#othersLive(state)) {
        // Nobody else claims: try the fast path (see the top of the file).
        await this.#writeClaim("fast", WAIT_LEASE_S);
        this.#claimedAt = 0; // claimed, time not known yet: close() withdraws it all the same
        state = await this.#readLock();
        mine = state.claims.find((c) => c.holder === this.#holder);
        if (mine && mine.expiresAt > state.now && !this.#othersLive(state)) {
          return await this.#hold(mine.claimedAt);
        }
      }
      // A plain claim (it replaces a fast one: a newer row of the same holder).
      await this.#writeClaim("now", WAIT_LEASE_S);
      this.#claimedAt = 0;
      mine = undefined;
    } else if (mine.expiresAt - state.now < WAIT_LEASE_S / 2) {
      await this.#writeClaim(mine.claimedAt, WAIT_LEASE_S);
    }
    // Judge only once every claim made in the same second as ours must be visible: SETTLE_MS after
    // the server's clock was seen past that second.
    let boundarySeen: number | null = null;
    for (let tries = 0;; tries++) {
      if (mine) {
        if (state.now >= mine.claimedAt + 2) break;
        if (state.now > mine.claimedAt) {
          if (boundarySeen === null) boundarySeen = Date.now();
          else if (Date.now() - boundarySeen >= SETTLE_MS) break;
        }
      }
      if (tries >= 50) return false; // our claim is still not visible: judge it on the next try
      await sleep(boundarySeen === null ? POLL_MS : SETTLE_MS);
      state = await this.#readLock();
      mine = state.claims.find((c) => c.holder === this.#holder);
    }
    this.#claimedAt = mine.claimedAt;
    if (lockWinner(state.claims, state.now)?.holder !== this.#holder) return false;
    return await this.#hold(mine.claimedAt);
  }

  /** Whether the lease table holds a live claim of another run. */
  #othersLive(state: { now: number; claims: Claim[] }): boolean {
    return state.claims.some((c) => c.holder !== this.#holder && c.expiresAt > state.now);
  }

  /** Holds the lock won with the claim of `claimedAt`: a lease to renew. */
  async #hold(claimedAt: number): Promise<boolean> {
    this.#claimedAt = claimedAt;
    await this.#writeClaim(claimedAt, HOLD_LEASE_S);
    this.#held = true;
    this.#lockLost = null;
    this.#leaseDeadline = Date.now() + (HOLD_LEASE_S - 5) * 1000;
    this.#renewTimer = setInterval(() => {
      this.#renewing ??= this.#renew().finally(() => this.#renewing = null);
    }, RENEW_MS);
    return true;
  }

  /** Extends the lease, or marks the lock lost when another run could have taken it. */
  async #renew(): Promise<void> {
    if (!this.#held || this.#claimedAt === null) return;
    try {
      const state = await this.#readLock();
      const mine = state.claims.find((c) => c.holder === this.#holder);
      if (!mine || mine.expiresAt <= state.now) {
        this.#lockLost = "its lease ran out before it was renewed";
      } else {
        const winner = lockWinner(state.claims, state.now);
        if (winner && winner.holder !== this.#holder) {
          this.#lockLost = `another run holds it now (${winner.info})`;
        }
      }
      if (this.#lockLost) {
        this.#stopRenewing();
        return;
      }
      await this.#writeClaim(this.#claimedAt, HOLD_LEASE_S);
      this.#leaseDeadline = Date.now() + (HOLD_LEASE_S - 5) * 1000;
    } catch (err) {
      if (Date.now() > this.#leaseDeadline) {
        this.#lockLost = `its lease could not be renewed: ${(err as Error).message}`;
        this.#stopRenewing();
      }
    }
  }

  #stopRenewing(): void {
    if (this.#renewTimer !== null) clearInterval(this.#renewTimer);
    this.#renewTimer = null;
  }

  /** The run that holds the lock now, other than this one, or null. */
  async lockHolder(): Promise<LockHolder | null> {
    if (!this.#lockTable) return null;
    const state = await this.#readLock();
    const live = state.claims.filter((c) => c.expiresAt > state.now && c.holder !== this.#holder);
    const winner = lockWinner(live, state.now);
    if (!winner) return null;
    // Stable wording (no countdown), so the waiting message repeats only when the holder changes.
    const since = humanTime(new Date(winner.claimedAt * 1000));
    return {
      description: `db-migrate run ${winner.holder.slice(0, 8)} (${winner.info}) since ${since}`,
    };
  }

  /** Withdraws our claim, held or waiting, and stops renewing it. */
  async unlock(): Promise<void> {
    this.#stopRenewing();
    await this.#renewing?.catch(() => {});
    if (!this.#held && this.#claimedAt === null) return;
    this.#held = false;
    this.#claimedAt = null;
    if (!this.#deps.connected()) return;
    // An expiry row rather than ALTER ... DELETE: a mutation is asynchronous.
    await this.#writeClaim(0, "released");
    if (this.#claimsSeen > 100) {
      await this.#deps.exec(pruneLockSql(this.#deps.database)).catch(() => {});
    }
  }

  /**
   * Why the lock was lost while held, or null: asked before each statement, as a holder whose
   * renewals stopped (a frozen timer) must not go on once its lease may have run out.
   */
  lost(): string | null {
    if (this.#lockLost === null && this.#held && Date.now() > this.#leaseDeadline) {
      this.#lockLost = "its lease could not be renewed in time";
    }
    return this.#lockLost;
  }

  /** For the driver's close(): withdraws a claim left behind (best effort), stops renewing. */
  async close(): Promise<void> {
    if (this.#deps.connected() && (this.#held || this.#claimedAt !== null)) {
      await this.unlock().catch(() => {});
    }
    this.#stopRenewing();
  }
}
