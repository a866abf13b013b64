// Every wait of the program (a server that starts, a lock another run holds, a file lock, a
// statement an earlier run left running) sleeps through these two helpers, so a stop request ends
// any wait at once and every retry loop backs off the same way.

/** Waits ms, or less when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Pauses that double from `first` up to `max` ms: one per failed attempt of a retry loop. */
export class Backoff {
  #next: number;
  constructor(first: number, readonly max: number) {
    this.#next = first;
  }

  /** The next pause, at most `limit` ms (the time left), without waiting. */
  next(limit = Infinity): number {
    const pause = Math.max(0, Math.min(this.#next, limit));
    this.#next = Math.min(this.#next * 2, this.max);
    return pause;
  }

  /** Sleeps the next pause (at most `limit` ms); a stop request ends it early. */
  wait(signal?: AbortSignal, limit = Infinity): Promise<void> {
    return sleep(this.next(limit), signal);
  }
}
