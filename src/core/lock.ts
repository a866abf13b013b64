// One run per database at a time: take the driver's lock with a bounded wait, say who holds it while
// waiting, and always release it.

import type { Driver } from "../drivers/driver.ts";
import { Backoff } from "./backoff.ts";
import { UnreachableError } from "./errors.ts";

/** How long to wait for the lock and where to say so. */
export interface LockOptions {
  database: string;
  timeoutMs: number;
  signal: AbortSignal;
  onWait: (message: string) => void;
}

/** Takes the driver's lock or throws LOCK_TIMEOUT (exit 4); returns the release function. */
export async function acquireLock(driver: Driver, opts: LockOptions): Promise<() => Promise<void>> {
  const started = Date.now();
  let lastHolder = "";
  let lastSaid = 0;
  const pause = new Backoff(100, 1000);
  while (!(await driver.tryLock())) {
    if (opts.signal.aborted) throw opts.signal.reason;
    const waited = Date.now() - started;
    if (waited >= opts.timeoutMs) {
      const holder = (await driver.lockHolder().catch(() => null))?.description ?? "unknown";
      throw new UnreachableError(
        "LOCK_TIMEOUT",
        opts.database,
        `cannot take the migration lock of "${opts.database}" within ${
          Math.round(opts.timeoutMs / 1000)
        } s: held by ${holder}`,
        "wait for that run to finish, or end it; raise --lock-timeout if runs are long",
      );
    }
    const holder = (await driver.lockHolder().catch(() => null))?.description ?? "another session";
    if (holder !== lastHolder || Date.now() - lastSaid >= 10_000) {
      opts.onWait(
        `${opts.database}: waiting for the migration lock, held by ${holder} (waited ${
          Math.round(waited / 1000)
        } s of ${Math.round(opts.timeoutMs / 1000)} s)`,
      );
      lastHolder = holder;
      lastSaid = Date.now();
    }
    await pause.wait(opts.signal, opts.timeoutMs - waited);
  }
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    await driver.unlock().catch(() => {});
  };
}

/** Runs fn while holding the driver's lock, and releases it in all cases. */
export async function withLock<T>(
  driver: Driver,
  opts: LockOptions,
  fn: () => Promise<T>,
): Promise<T> {
  const release = await acquireLock(driver, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}
