// The scratch database of `verify`: PGlite in memory, behind its socket so the ordinary PostgreSQL
// driver applies the files as a run does, gone when the driver is closed. A fresh cluster costs an
// initdb (7-11 s on 2 cores); the first run keeps an empty cluster's files in the cache directory
// and later runs start from them (2-3 s). The cache is only ever a speed-up: one that cannot be
// read or written is rebuilt or done without.

import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { join } from "node:path";
import type { DatabaseConfig, TrackedFile } from "../../core/types.ts";
import type { Driver } from "../driver.ts";
import { PostgresDriver } from "../postgres/driver.ts";
import { EMBEDDED_EXTENSIONS, extensionsNamedIn, loadExtensions } from "./extensions.ts";

/** How to start a scratch database. */
export interface ScratchOptions {
  /** The files it will run: PGlite is given the bundles of the extensions they create. */
  files: readonly TrackedFile[];
  /** Where the empty cluster is kept between runs; null: none kept. */
  cacheDir: string | null;
}

/** The cache file of the PGlite build in use: another build makes (and reads) another file. */
async function cacheFile(dir: string): Promise<string> {
  const build = new TextEncoder().encode(import.meta.resolve("@electric-sql/pglite"));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", build));
  const key = Array.from(digest.slice(0, 6), (b) => b.toString(16).padStart(2, "0")).join("");
  return join(dir, `pglite-cluster-${key}.tar.gz`);
}

/** The empty cluster kept by an earlier run, or null. */
async function cached(path: string | null): Promise<Blob | null> {
  if (path === null) return null;
  try {
    return new Blob([await Deno.readFile(path)]);
  } catch {
    return null;
  }
}

/** Keeps an empty cluster for later runs; written next door and renamed, so a reader sees all or nothing. */
async function keep(db: PGlite, path: string): Promise<void> {
  try {
    const dump = await db.dumpDataDir("gzip");
    await Deno.mkdir(join(path, ".."), { recursive: true });
    const tmp = `${path}.${Deno.pid}.tmp`;
    await Deno.writeFile(tmp, new Uint8Array(await dump.arrayBuffer()));
    await Deno.rename(tmp, path);
  } catch {
    // a read-only working directory: the next run pays the initdb again
  }
}

/** Starts PGlite in memory, from the kept empty cluster when there is one. */
async function startPglite(opts: ScratchOptions): Promise<PGlite> {
  const extensions = await loadExtensions(extensionsNamedIn(opts.files.map((f) => f.text)));
  const path = opts.cacheDir === null ? null : await cacheFile(opts.cacheDir);
  const pristine = await cached(path);
  if (pristine !== null) {
    try {
      return await PGlite.create({ extensions, loadDataDir: pristine });
    } catch {
      // unreadable (cut short, another build): made again below
    }
  }
  const db = await PGlite.create({ extensions });
  if (path !== null) await keep(db, path);
  return db;
}

/**
 * A driver on a new, empty PostgreSQL in memory (PGlite), for the idempotency check of `verify`;
 * closing the driver stops it, and nothing of it stays.
 */
export async function openScratch(target: DatabaseConfig, opts: ScratchOptions): Promise<Driver> {
  const db = await startPglite(opts);
  try {
    const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 });
    await server.start();
    const port = Number(server.getServerConn().split(":").at(-1));
    let closing: Promise<void> | undefined;
    const stop = () =>
      closing ??= (async () => {
        try {
          await server.stop();
        } finally {
          await db.close();
        }
      })();
    return new PostgresDriver(target.name, `postgres://postgres@127.0.0.1:${port}/postgres`, {
      urlVariable: target.urlVariable,
      embedded: { extensions: EMBEDDED_EXTENSIONS, stop },
    });
  } catch (err) {
    await db.close().catch(() => {});
    throw err;
  }
}
