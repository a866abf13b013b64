// What the `verify` command will do once it is wired (issue 18), built here from today's parts so
// the engine is tested on real databases: files found as a run finds them, applied through the
// PostgreSQL driver (the same ApplyError positions a run reports), snapshots read on the same
// session. PGlite runs in process behind its socket, so the driver talks to it as a run does
// while the snapshot queries it directly (one session: never both at once).

import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import postgres from "postgres";
import { discoverMigrations, discoverSeeds } from "../../src/core/discover.ts";
import { fileDirectives } from "../../src/sql/directives.ts";
import {
  EMBEDDED_EXTENSIONS,
  extensionsNamedIn,
  loadExtensions,
} from "../../src/drivers/embedded/extensions.ts";
import { PostgresDriver } from "../../src/drivers/postgres/driver.ts";
import { preparePostgres } from "../../src/drivers/postgres/kind.ts";
import { splitStatements } from "../../src/sql/split.ts";
import type { SeedMode, TrackedFile } from "../../src/core/types.ts";
import { checkIdempotency, type IdempotencyResult } from "../../src/verify/idempotency.ts";
import {
  type Query,
  type Snapshot,
  takeFingerprint,
  takeSnapshot,
  takeWriteMark,
} from "../../src/verify/snapshot.ts";

/** A scratch database: a URL for the driver and a query function on the same database. */
export interface Scratch {
  url: string;
  query: Query;
  /** Runs a text of several statements (PGlite only). */
  exec?: (sql: string) => Promise<unknown>;
  close(): Promise<void>;
}

// A fresh cluster costs an initdb (seconds); later scratches in the same process start from a
// copy of the first one's files, taken before anything was applied to it.
let pristine: Promise<Blob> | null = null;

/** PGlite in memory with the extensions these texts create, served on 127.0.0.1. */
export async function startPglite(texts: Iterable<string> = []): Promise<Scratch> {
  const extensions = await loadExtensions(extensionsNamedIn(texts));
  let db: PGlite;
  if (pristine === null) {
    db = await PGlite.create({ extensions });
    pristine = db.dumpDataDir("none");
    await pristine;
  } else {
    db = await PGlite.create({ extensions, loadDataDir: await pristine });
  }
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: 0, maxConnections: 1 });
  await server.start();
  const port = Number(server.getServerConn().split(":").at(-1));
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    query: async (sql) => (await db.query<Record<string, unknown>>(sql)).rows,
    exec: (sql) => db.exec(sql),
    async close() {
      await server.stop();
      await db.close();
    },
  };
}

/** A second client on a server database (a server, unlike PGlite, takes many). */
export function serverQuery(url: string): { query: Query; close(): Promise<void> } {
  const sql = postgres(url, { max: 1, fetch_types: false, onnotice: () => {}, idle_timeout: 0 });
  return {
    query: (text) => sql.unsafe(text) as unknown as Promise<Record<string, unknown>[]>,
    close: () => sql.end({ timeout: 5 }),
  };
}

/** The migrations, then the seeds of the mode, of one database folder, as a run orders them. */
export function projectFiles(
  root: string,
  database: string,
  seed: SeedMode = "none",
): TrackedFile[] {
  return [
    ...discoverMigrations(`${root}/migrations/${database}`, database),
    ...discoverSeeds(`${root}/seeds/${database}`, database, seed),
  ];
}

/** Applies files through the PostgreSQL driver on url, as a run applies pending files. */
export async function openApplier(url: string, database: string, embedded: boolean) {
  // The scratch server is stopped by its owner, not by the driver.
  const driver = new PostgresDriver(database, url, {
    urlVariable: "VERIFY_URL",
    ...(embedded ? { embedded: { extensions: EMBEDDED_EXTENSIONS, stop: async () => {} } } : {}),
  });
  await driver.connect(10_000);
  await driver.ensureTracking();
  const signal = new AbortController().signal;
  const ctx = {
    previous: null,
    signal,
    graceOver: signal,
    notice: () => {},
    resolveUnknown: new Map(),
  };
  return {
    async apply(file: TrackedFile): Promise<void> {
      const prepared = await preparePostgres(file, { database, maxStatementMb: 16 });
      await driver.execute(prepared, ctx);
    },
    close: () => driver.close(),
  };
}

/** Applies files once and returns the snapshot. */
export async function applyAndSnapshot(
  scratch: Scratch,
  files: TrackedFile[],
  database: string,
  embedded: boolean,
): Promise<Snapshot> {
  const applier = await openApplier(scratch.url, database, embedded);
  try {
    for (const f of files) await applier.apply(f);
  } finally {
    await applier.close();
  }
  return await takeSnapshot(scratch.query);
}

/** The idempotency check of files on a scratch database. */
export async function verifyFiles(
  scratch: Scratch,
  files: TrackedFile[],
  database: string,
  opts: {
    embedded: boolean;
    /**
     * "versions" (default): takeFingerprint(); "mark": takeWriteMark(), with the second pass run
     * without tracking rows, straight through `exec` (for the bench: no file positions); false:
     * a full snapshot after every file.
     */
    fingerprint?: "versions" | "mark" | false;
    exec?: (sql: string) => Promise<unknown>;
    timings?: Record<string, number>;
  },
): Promise<IdempotencyResult> {
  const applier = await openApplier(scratch.url, database, opts.embedded);
  const times = opts.timings ?? {};
  const timed =
    <A extends unknown[], T>(name: string, fn: (...a: A) => Promise<T>) =>
    async (...a: A): Promise<T> => {
      const started = performance.now();
      try {
        return await fn(...a);
      } finally {
        times[name] = (times[name] ?? 0) + performance.now() - started;
      }
    };
  try {
    return await checkIdempotency(files, {
      apply: timed("apply", async (f: TrackedFile, pass: 1 | 2) => {
        if (
          pass === 2 && opts.fingerprint === "mark" && f.format === "sql" &&
          fileDirectives(f.text).transaction
        ) {
          await opts.exec!(`begin;\n${f.text}\n;commit;`);
        } else {
          await applier.apply(f);
        }
      }),
      snapshot: timed("snapshot", () => takeSnapshot(scratch.query)),
      fingerprints: opts.fingerprint === false ? [] : [
        ...(opts.fingerprint === "mark"
          ? [timed("mark", (_: readonly string[]) => takeWriteMark(scratch.query))]
          : []),
        timed("fingerprint", (tables: readonly string[]) => takeFingerprint(scratch.query, tables)),
      ],
      statements: (text) => splitStatements(text, "postgres"),
    });
  } finally {
    await applier.close();
  }
}
