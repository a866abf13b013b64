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

/** How many workers to use for n jobs: one per core, never more than the jobs. */
export function poolSize(jobs: number, cores: number = navigator.hardwareConcurrency ?? 1): number {
  return Math.max(1, Math.min(jobs, cores));
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
  if (jobs.length === 0) return [];
  const size = opts.workers ?? poolSize(jobs.length);
  if (size <= 1) {
    const bcrypt = (await import("bcryptjs")).default;
    return jobs.map((job) => {
      opts.signal?.throwIfAborted();
      return runJob(bcrypt, job, cost);
    });
  }
  const out = new Array<string>(jobs.length);
  const workers: Worker[] = [];
  try {
    let next = 0;
    await new Promise<void>((resolve, reject) => {
      let done = 0;
      const onAbort = () => reject(opts.signal!.reason);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      const feed = (w: Worker) => {
        if (next >= jobs.length) return;
        const id = next++;
        const request: BcryptRequest = { id, cost, ...jobs[id]! };
        w.postMessage(request);
      };
      for (let i = 0; i < Math.min(size, jobs.length); i++) {
        const w = new Worker(new URL("./bcrypt_worker.ts", import.meta.url).href, {
          type: "module",
        });
        workers.push(w);
        w.onmessage = (e: MessageEvent<BcryptResponse>) => {
          const msg = e.data;
          if ("error" in msg) return reject(new Error(`bcrypt worker failed: ${msg.error}`));
          out[msg.id] = msg.hash;
          if (++done === jobs.length) {
            opts.signal?.removeEventListener("abort", onAbort);
            resolve();
          } else feed(w);
        };
        w.onerror = (e) => {
          e.preventDefault();
          reject(new Error(`bcrypt worker failed: ${e.message}`));
        };
        feed(w);
      }
    });
  } finally {
    for (const w of workers) w.terminate();
  }
  return out;
}
