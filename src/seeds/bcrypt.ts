// `!bcrypt TEXT`: bcryptjs hashes, spread over the machine's cores with module workers, since one hash
// costs about 70 ms at cost 10 on one core. A re-applied seed keeps a stored hash that still matches.

/** What to do for one `!bcrypt` value: hash text, unless `existing` is a hash of it already. */
export interface BcryptJob {
  text: string;
  /** The hash stored in the row with the same key, if any. */
  existing: string | null;
}

/** A message sent to a worker. */
export interface BcryptRequest extends BcryptJob {
  id: number;
  cost: number;
}

/** A worker's answer. */
export type BcryptResponse = { id: number; hash: string } | { id: number; error: string };

/** The cost used when BCRYPT_COST is unset. */
export const DEFAULT_BCRYPT_COST = 10;

/** BCRYPT_COST as a number (4..31), or a message saying what is wrong with it. */
export function bcryptCost(raw: string | undefined): number | string {
  if (raw === undefined || raw.trim() === "") return DEFAULT_BCRYPT_COST;
  const cost = Number(raw.trim());
  if (!Number.isInteger(cost) || cost < 4 || cost > 31) {
    return `BCRYPT_COST is "${raw}": expected a whole number from 4 to 31`;
  }
  return cost;
}

/** Why text cannot be hashed with bcrypt (over 72 bytes, which bcrypt would cut silently), or null. */
export function checkBcryptText(text: string): string | null {
  const bytes = new TextEncoder().encode(text).length;
  return bytes > 72
    ? `!bcrypt text is ${bytes} bytes long; bcrypt uses only the first 72 and would ignore the rest`
    : null;
}

/** Whether a stored value looks like a bcrypt hash worth comparing against. */
export function isBcryptHash(value: string | null): value is string {
  return value !== null && /^\$2[aby]\$\d{2}\$[./A-Za-z0-9]{53}$/.test(value);
}

type BcryptLib = typeof import("bcryptjs").default;

/** Runs one job on the calling thread (also what each worker does). */
export function runJob(bcrypt: BcryptLib, job: BcryptJob, cost: number): string {
  if (isBcryptHash(job.existing) && bcrypt.compareSync(job.text, job.existing)) return job.existing;
  return bcrypt.hashSync(job.text, cost);
}

/**
 * The most workers one run starts: each is a V8 isolate of about 14 MB (measured: 2 workers 80 MB
 * peak, 8 workers 160 MB), and the shipped Job's limit is 256 Mi, shared with the run itself.
 */
export const MAX_WORKERS = 4;

/** How many workers to use for n jobs: one per core, never more than the jobs or MAX_WORKERS. */
export function poolSize(jobs: number, cores: number = navigator.hardwareConcurrency ?? 1): number {
  return Math.max(1, Math.min(jobs, cores, MAX_WORKERS));
}

/**
 * Hashes (or keeps) every job's value, in parallel across `workers` module workers; returns the
 * hashes in job order. With one worker it runs on the calling thread and starts none.
 */
export async function bcryptAll(
  jobs: BcryptJob[],
  cost: number,
  opts: { workers?: number; signal?: AbortSignal } = {},
): Promise<string[]> {
  const pool = new BcryptPool(opts.workers ?? poolSize(jobs.length));
  try {
    return await pool.hash(jobs, cost, opts.signal);
  } finally {
    pool.close();
  }
}

/**
 * Module workers kept while a seed file loads, so that its batches share them instead of each
 * starting its own (a worker takes tens of milliseconds to start and load bcryptjs); close() ends
 * them. A pool of one hashes on the calling thread.
 */
export class BcryptPool {
  #workers: Worker[] = [];

  constructor(readonly size: number = poolSize(Infinity)) {}

  /** Hashes (or keeps) every job's value; returns the hashes in job order. */
  async hash(jobs: BcryptJob[], cost: number, signal?: AbortSignal): Promise<string[]> {
    if (jobs.length === 0) return [];
    signal?.throwIfAborted();
    const size = Math.min(this.size, jobs.length);
    if (size <= 1) {
      const bcrypt = (await import("bcryptjs")).default;
      return jobs.map((job) => {
        signal?.throwIfAborted();
        return runJob(bcrypt, job, cost);
      });
    }
    while (this.#workers.length < size) {
      this.#workers.push(
        new Worker(new URL("./bcrypt_worker.ts", import.meta.url).href, { type: "module" }),
      );
    }
    const workers = this.#workers.slice(0, size);
    const out = new Array<string>(jobs.length);
    let next = 0, done = 0;
    let onAbort = () => {};
    try {
      await new Promise<void>((resolve, reject) => {
        onAbort = () => reject(signal!.reason);
        signal?.addEventListener("abort", onAbort, { once: true });
        const feed = (w: Worker) => {
          if (next >= jobs.length) return;
          const id = next++;
          const request: BcryptRequest = { id, cost, ...jobs[id]! };
          w.postMessage(request);
        };
        for (const w of workers) {
          w.onmessage = (e: MessageEvent<BcryptResponse>) => {
            const msg = e.data;
            if ("error" in msg) return reject(new Error(`bcrypt worker failed: ${msg.error}`));
            out[msg.id] = msg.hash;
            if (++done === jobs.length) resolve();
            else feed(w);
          };
          w.onerror = (e) => {
            e.preventDefault();
            reject(new Error(`bcrypt worker failed: ${e.message}`));
          };
          feed(w);
        }
      });
    } catch (err) {
      // Some workers may still be hashing a job of this call: they are of no use any more.
      this.close();
      throw err;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      for (const w of workers) (w.onmessage = null), (w.onerror = null);
    }
    return out;
  }

  /** Ends the workers; safe to call twice. */
  close(): void {
    for (const w of this.#workers) w.terminate();
    this.#workers = [];
  }
}
