// `--embedded`: PGlite (PostgreSQL compiled to WASM, run in this process) behind
// @electric-sql/pglite-socket, so the ordinary postgres.js driver talks to it over TCP and there is
// one PostgreSQL code path. Loaded with `await import()` only in --embedded runs: PGlite and its
// extension bundles cost ~1 s to load and nothing otherwise.
//
// Limits found by probing (PGlite 0.5.16 = PostgreSQL 18 single-user backend, pglite-socket 0.2.17,
// postgres.js 3.4.9, Deno 2.9):
// - PGlite is ONE backend. Every socket client shares its session: advisory locks, SET, temp
//   tables. So pg_try_advisory_lock() always succeeds (session locks are reentrant) and cannot keep
//   two runs apart; pg_stat_activity shows one "standalone backend" row whatever is connected.
// - The socket server takes one client at a time (maxConnections 1). Deno's node:net drops extra
//   connections at accept; postgres.js treats a drop before start-up as "retry now" and loops,
//   ignoring connect_timeout, until the first client disconnects. So use one client (max: 1) and
//   end it before opening another. Raising maxConnections is not safe: the server interleaves the
//   clients' protocol messages outside explicit transactions, so unnamed statements can mix.
// - Nothing in PGlite stops a second process from opening the same directory; both then write and
//   the last to close silently wins. Hence the exclusive file lock below, which also makes
//   concurrent `--embedded` runs take turns as the contract asks. flock is dropped by the kernel
//   when a process dies, so a killed run leaves no stale lock.
// - statement_timeout and lock_timeout are accepted but never fire (no signals in WASM), and
//   CancelRequest is ignored, so a runaway statement can only be stopped by ending the process.
// - CREATE INDEX CONCURRENTLY works (outside a transaction block, as on a server): there are no
//   other sessions to wait for.
// - Extensions: PGlite creates only those whose bundle it was given at start (embedded_extensions.ts
//   lists the package's), and one created earlier must be given again at every start.

import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { basename, dirname, join } from "node:path";
import { Backoff } from "../../core/backoff.ts";
import { ConfigError, UnreachableError } from "../../core/errors.ts";
import { isEmbeddedExtension, loadExtensions } from "./extensions.ts";

/** A running embedded PostgreSQL and how to reach it. */
export interface EmbeddedServer {
  url: string;
  close(): Promise<void>;
}

/** How long to wait for another process that has the same data directory open. */
export interface EmbeddedOptions {
  /** Default 300 s, the CLI's --lock-timeout default. */
  lockTimeoutMs?: number;
  signal?: AbortSignal;
  onWait?: (message: string) => void;
  /**
   * Extensions the run may create (see extensionsNamedIn()); those already in the database are
   * loaded too, found at start.
   */
  extensions?: Iterable<string>;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Takes the directory's lock, waiting for another process up to the timeout (exit 4 after it). */
async function lockDataDir(lockPath: string, name: string, opts: EmbeddedOptions) {
  const timeoutMs = opts.lockTimeoutMs ?? 300_000;
  const file = await Deno.open(lockPath, { read: true, write: true, create: true });
  try {
    const started = Date.now();
    let said = false;
    const pause = new Backoff(50, 1000);
    while (!(await file.tryLock(true))) {
      if (opts.signal?.aborted) throw opts.signal.reason;
      const waited = Date.now() - started;
      if (waited >= timeoutMs) {
        throw new UnreachableError(
          "LOCK_TIMEOUT",
          name,
          `cannot open the embedded database "${name}" within ${timeoutMs / 1000} s: ` +
            `another db-migrate process has ${join(dirname(lockPath), name)} open`,
          "wait for that run to finish, or end it; raise --lock-timeout if runs are long",
        );
      }
      if (!said) {
        opts.onWait?.(`${name}: waiting for another process using the embedded database`);
        said = true;
      }
      await pause.wait(opts.signal, timeoutMs - waited);
    }
    return file;
  } catch (err) {
    file.close();
    throw err;
  }
}

/**
 * Makes sure dataDir holds a complete cluster. PGlite runs initdb in memory and then unpacks it into
 * the directory, and treats any directory with PG_VERSION as a finished cluster: a run killed
 * mid-unpack would leave a broken database behind for good. Building it next door and renaming it
 * into place makes creation all-or-nothing, for the price of one extra start on the first run.
 */
async function ensureCluster(dataDir: string, scratch: string): Promise<void> {
  if (await exists(join(dataDir, "PG_VERSION"))) return;
  if (await exists(dataDir)) {
    // Not ours to delete: a cluster of ours always has PG_VERSION.
    for await (const _ of Deno.readDir(dataDir)) {
      throw new ConfigError(
        "CONFIG",
        `${dataDir} is not empty but holds no embedded database (no PG_VERSION)`,
        { database: basename(dataDir), hint: "move that directory away and run again" },
      );
    }
    await Deno.remove(dataDir); // rename() below needs it gone
  }
  // Leftovers of an earlier killed initialisation: only the lock holder ever writes here.
  await Deno.remove(scratch, { recursive: true }).catch(() => {});
  // No extensions: CREATE EXTENSION happens later, on the real start, which loads them.
  const db = await PGlite.create(scratch);
  await db.close();
  await Deno.rename(scratch, dataDir);
}

/**
 * Extensions the cluster's configuration preloads. PGlite writes pg_stat_statements into
 * shared_preload_libraries once it was loaded, and then cannot start without it.
 */
async function preloaded(dataDir: string): Promise<string[]> {
  let conf: string;
  try {
    conf = await Deno.readTextFile(join(dataDir, "postgresql.conf"));
  } catch {
    return [];
  }
  const line = /^\s*shared_preload_libraries\s*=\s*'?([^'#\n]*)/m.exec(conf)?.[1] ?? "";
  return line.split(",").map((n) => n.trim()).filter(isEmbeddedExtension);
}

/** Starts PGlite on dataDir behind a socket server on 127.0.0.1 and returns a postgres:// URL for it. */
export async function startEmbedded(
  dataDir: string,
  opts: EmbeddedOptions = {},
): Promise<EmbeddedServer> {
  const parent = dirname(dataDir);
  const name = basename(dataDir);
  await Deno.mkdir(parent, { recursive: true });
  // Beside the data directory, not in it, so the directory itself can be renamed into place.
  const lock = await lockDataDir(join(parent, `.${name}.lock`), name, opts);
  let db: PGlite | undefined;
  try {
    await ensureCluster(dataDir, join(parent, `.${name}.init`));
    const wanted = new Set([...(opts.extensions ?? []), ...await preloaded(dataDir)]);
    db = await PGlite.create(dataDir, { extensions: await loadExtensions(wanted) });
    // An extension created by an earlier run needs its bundle now too, or its functions (and the
    // indexes using them) fail; rare enough (the files usually name it) to pay a second start.
    const installed = await db.query<{ name: string }>("select extname as name from pg_extension");
    const missing = installed.rows.map((r) => r.name).filter((n) =>
      isEmbeddedExtension(n) && !wanted.has(n)
    );
    if (missing.length > 0) {
      await db.close();
      for (const n of missing) wanted.add(n);
      db = await PGlite.create(dataDir, { extensions: await loadExtensions(wanted) });
    }
    // maxConnections 1 is the default; said here because the limits above depend on it.
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 });
    await server.start();
    // Port 0 lets the OS choose, so parallel runs and a real PostgreSQL on 5432 never collide;
    // start() stores the port it got, and getServerConn() reports it as "host:port".
    const port = Number(server.getServerConn().split(":").at(-1));
    const pg = db;
    let closing: Promise<void> | undefined;
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      close() {
        // stop() drops clients and queues a ROLLBACK for one left inside a transaction; PGlite's
        // close() waits for queued work, then shuts the backend down so the files are consistent.
        closing ??= (async () => {
          try {
            await server.stop();
            await pg.close();
          } finally {
            lock.close();
          }
        })();
        return closing;
      },
    };
  } catch (err) {
    if (db && !db.closed) await db.close().catch(() => {});
    lock.close();
    throw err;
  }
}
