// A bounded pool for many databases: at most `maxParallel` at a time (so never more open connections
// than that), a transient failure tried again with backoff, a time limit per item that stops it the
// way SIGTERM would, and --fail-fast. It knows nothing of databases: the caller's work does the job
// and says whether its outcome failed and whether that failure is worth another attempt.

import { Backoff, sleep } from "../core/backoff.ts";
import { InterruptedError } from "../core/errors.ts";

/** How the pool runs. */
export interface PoolOptions {
  /** Items at a time (at least 1). */
  maxParallel: number;
  /** Further attempts after a retryable failure. */
  retries: number;
  /** Per item, all attempts together; 0 for none. */
  timeoutMs: number;
  /** After the time limit, how long a statement that cannot be rolled back may still run. */
  graceMs: number;
  /** Start no new item after the first one that failed. */
  failFast: boolean;
  /** The run's stop request (SIGTERM/SIGINT): start nothing new, pass it on to running items. */
  signal: AbortSignal;
  /** The run's end of grace, passed on to running items. */
  graceOver?: AbortSignal | undefined;
  /** The first pause before a retry, in ms (doubling up to 30 s). */
  backoffMs?: number;
}

/** What the work of one attempt gets. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  attempt: number;
  /** Aborted by the run's stop or by the item's time limit (with an InterruptedError). */
  signal: AbortSignal;
  graceOver: AbortSignal;
}

/** How the pool reads an outcome. */
export interface OutcomeRules<T> {
  failed(outcome: T): boolean;
  /** Whether a failed outcome may pass on another attempt (a connection, a lock). */
  retryable(outcome: T): boolean;
}

/** One item's end. */
export interface Finished<T> {
  outcome: T;
  attempts: number;
  /** The item ran past its time limit and was stopped. */
  timedOut: boolean;
  ms: number;
}

/** What the pool says as it goes. */
export interface PoolEvents<I, T> {
  started?(item: I, attempt: number): void;
  /** A failed attempt that will be tried again after `pauseMs`. */
  retrying?(item: I, outcome: T, attempt: number, pauseMs: number): void;
  finished?(item: I, end: Finished<T>): void;
}

/**
 * Runs `work` over the items, at most maxParallel at a time, in the items' order; returns each
 * item's end, or null for one never started (--fail-fast, or a stop request).
 */
export async function runPool<I, T>(
  items: readonly I[],
  work: (item: I, ctx: AttemptContext) => Promise<T>,
  rules: OutcomeRules<T>,
  opts: PoolOptions,
  events: PoolEvents<I, T> = {},
): Promise<(Finished<T> | null)[]> {
  const ends: (Finished<T> | null)[] = items.map(() => null);
  let next = 0;
  let stopStarting = false;
  const runOne = async (index: number): Promise<void> => {
    const item = items[index]!;
    const started = performance.now();
    const stop = new AbortController();
    const grace = new AbortController();
    const forward = () => stop.abort(opts.signal.reason);
    opts.signal.addEventListener("abort", forward, { once: true });
    const forwardGrace = () => grace.abort(opts.graceOver?.reason);
    opts.graceOver?.addEventListener("abort", forwardGrace, { once: true });
    let timedOut = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    if (opts.timeoutMs > 0) {
      timers.push(setTimeout(() => {
        timedOut = true;
        // Stopped as SIGTERM stops a run: a transaction rolls back, ClickHouse records where it
        // got; a statement that cannot be rolled back has the grace period.
        stop.abort(new InterruptedError("SIGTERM"));
        timers.push(setTimeout(() => grace.abort(stop.signal.reason), opts.graceMs));
      }, opts.timeoutMs));
    }
    const pause = new Backoff(opts.backoffMs ?? 1000, 30_000);
    let outcome!: T;
    let attempt = 0;
    try {
      for (;;) {
        attempt++;
        events.started?.(item, attempt);
        outcome = await work(item, { attempt, signal: stop.signal, graceOver: grace.signal });
        if (!rules.failed(outcome) || stop.signal.aborted) break;
        if (attempt > opts.retries || !rules.retryable(outcome)) break;
        const ms = pause.next();
        events.retrying?.(item, outcome, attempt, ms);
        await sleep(ms, stop.signal);
        if (stop.signal.aborted) break;
      }
    } finally {
      for (const t of timers) clearTimeout(t);
      opts.signal.removeEventListener("abort", forward);
      opts.graceOver?.removeEventListener("abort", forwardGrace);
    }
    const end: Finished<T> = {
      outcome,
      attempts: attempt,
      timedOut,
      ms: performance.now() - started,
    };
    ends[index] = end;
    if (opts.failFast && rules.failed(outcome)) stopStarting = true;
    events.finished?.(item, end);
  };
  const lane = async (): Promise<void> => {
    while (!stopStarting && !opts.signal.aborted && next < items.length) {
      await runOne(next++);
    }
  };
  const lanes = Math.max(1, Math.min(opts.maxParallel, items.length));
  await Promise.all(Array.from({ length: lanes }, lane));
  return ends;
}
