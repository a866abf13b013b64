// COPY ... FROM STDIN through postgres.js, with the server's answer: the number of rows copied, or
// its error with the CONTEXT (`COPY t, line 9, column price: "eight"`) that says where the bad value
// is. postgres.js hands the stream out when the COPY starts and settles its promise then, so an
// error that arrives after the data was sent (the usual case) would be dropped; the query's
// resolve and reject (own properties of postgres.js 3.4's Query) are wrapped to see the end.

import type postgres from "postgres";

type Sql = ReturnType<typeof postgres>;

/** What the feed writes with: resolves once the chunk is taken (waiting when the socket is full). */
export type CopyWrite = (chunk: Uint8Array) => Promise<void>;

/**
 * Runs `text` (a COPY ... FROM STDIN), calls `feed` to send the data, and returns how many rows
 * the server copied. Throws the server's error when it refuses the data; an abort cancels it.
 */
export async function copyIn(
  sql: Sql,
  text: string,
  feed: (write: CopyWrite) => Promise<void>,
  signal: AbortSignal,
): Promise<number> {
  const query = sql.unsafe(text);
  const q = query as unknown as { resolve(x: unknown): void; reject(e: unknown): void };
  let started = false, serverError: unknown = null;
  let finish!: { resolve(n: number): void; reject(e: unknown): void };
  const finished = new Promise<number>((resolve, reject) => (finish = { resolve, reject }));
  finished.catch(() => {});
  const resolve = q.resolve, reject = q.reject;
  q.resolve = (x) => {
    if (!started) {
      started = true;
      resolve(x);
    } else finish.resolve(Number((x as { count?: unknown })?.count ?? 0));
  };
  q.reject = (e) => {
    serverError ??= e;
    reject(e);
    finish.reject(e);
  };
  const onAbort = () => query.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    const stream = await query.writable();
    stream.on("error", (e: unknown) => {
      serverError ??= e;
      finish.reject(e);
    });
    const write: CopyWrite = async (chunk) => {
      if (signal.aborted) throw signal.reason;
      if (serverError !== null) throw serverError;
      if (stream.write(chunk)) return;
      await Promise.race([new Promise((r) => stream.once("drain", r)), finished]);
    };
    try {
      await feed(write);
    } catch (err) {
      // The server's own error says more than the write that found the stream gone; when the
      // feed failed first, CopyFail ends the COPY so that the connection can roll back.
      const server = serverError;
      if (server === null) stream.destroy(err instanceof Error ? err : new Error(String(err)));
      await finished.catch(() => {});
      throw server ?? err;
    }
    stream.end();
    return await finished;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/** A COPY ... FROM STDIN left open while its rows are produced (see openCopy). */
export interface OpenCopy {
  /** Sends a chunk; throws the server's error once it refused the data, or the abort reason. */
  write(chunk: Uint8Array): Promise<void>;
  /** Ends the data; resolves to the rows copied, or throws the server's error. */
  end(): Promise<number>;
  /** Gives up after a failed write: ends the COPY (CopyFail) and returns the server's error. */
  fail(err: unknown): Promise<unknown>;
}

/**
 * Starts `text` (a COPY ... FROM STDIN) and keeps it open: rows go in as they are produced, so the
 * server reads one batch while the next is prepared, and many batches cost one COPY's round trips.
 */
export function openCopy(sql: Sql, text: string, signal: AbortSignal): OpenCopy {
  let ready!: (write: CopyWrite) => void;
  const started = new Promise<CopyWrite>((r) => (ready = r));
  let stop!: { resolve(): void; reject(e: unknown): void };
  const stopped = new Promise<void>((resolve, reject) => (stop = { resolve, reject }));
  const done = copyIn(sql, text, (write) => {
    ready(write);
    return stopped;
  }, signal);
  done.catch(() => {});
  // Until the server has started the COPY, a write waits; a COPY that fails to start ends the wait.
  const writer = Promise.race([started, done.then(() => null)]);
  return {
    async write(chunk) {
      const write = await writer;
      if (write === null) throw new Error("the COPY ended before its data was sent");
      await write(chunk);
    },
    end() {
      stop.resolve();
      return done;
    },
    async fail(err) {
      stop.reject(err);
      return await done.then(() => err, (e) => e);
    },
  };
}
