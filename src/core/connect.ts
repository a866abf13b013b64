// Connecting with --wait: a database that is still starting (a Compose service, a Job before its
// database) is tried again with backoff and a line per attempt, until the wait runs out (exit 4).

import type { Driver } from "../drivers/driver.ts";
import { Backoff, sleep } from "./backoff.ts";
import { describeError, MigrateError, UnreachableError } from "./errors.ts";
import type { DatabaseConfig } from "./types.ts";

/** How long to keep trying, and where to say so. */
export interface ConnectOptions {
  waitSeconds: number;
  signal: AbortSignal;
  notice: (text: string) => void;
}

/** Connects, retrying with backoff and a line per attempt until --wait runs out (exit 4). */
export async function connectWithWait(
  driver: Driver,
  db: DatabaseConfig,
  where: string,
  opts: ConnectOptions,
): Promise<void> {
  const deadline = Date.now() + opts.waitSeconds * 1000;
  const pause = new Backoff(250, 2000);
  for (let attempt = 1;; attempt++) {
    try {
      await driver.connect(Math.min(10_000, Math.max(1000, deadline - Date.now())));
      return;
    } catch (err) {
      if (opts.signal.aborted) throw opts.signal.reason;
      // The driver's own verdict (a TLS certificate it cannot trust, a server it refuses) keeps its
      // message, hint and exit code.
      if (err instanceof MigrateError) throw err;
      const why = describeError(err);
      // A missing Deno permission will not appear by waiting either.
      if (driver.isPermanent(err) || err instanceof Deno.errors.NotCapable) {
        throw new UnreachableError(
          "DB_UNREACHABLE",
          db.name,
          `cannot connect to "${db.name}" at ${where}: ${why}`,
          `check the user, password and database name in ${db.urlSource ?? db.urlVariable}`,
          true,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new UnreachableError(
          "DB_UNREACHABLE",
          db.name,
          `cannot reach "${db.name}" at ${where} within ${opts.waitSeconds} s (${attempt} ${
            attempt === 1 ? "attempt" : "attempts"
          }): ${why}`,
          "start the database or fix its URL; raise --wait if it starts slowly",
        );
      }
      const pauseMs = pause.next(left);
      opts.notice(
        `${db.name}: cannot connect to ${where} (attempt ${attempt}: ${why}); retrying in ${
          (pauseMs / 1000).toFixed(1)
        } s`,
      );
      await sleep(pauseMs, opts.signal);
      if (opts.signal.aborted) throw opts.signal.reason;
    }
  }
}
