// The driver conformance suite: what every kind of database must do, through the registry and the
// Driver interface only, against its real server. Each driver's test file (postgres_test.ts,
// embedded_test.ts, clickhouse_test.ts) calls conformance() with its subject; a new driver is done
// when it passes. Not a test file itself (deno test runs `*_test.ts`).
import assert from "node:assert/strict";
import { join } from "node:path";
import { checksum } from "../../src/core/checksum.ts";
import { ApplyError, ConfigError, MigrateError } from "../../src/core/errors.ts";
import { acquireLock } from "../../src/core/lock.ts";
import { migrateDatabase, type PipelineDeps } from "../../src/core/pipeline.ts";
import type { Reporter } from "../../src/core/reporter.ts";
import type { DatabaseConfig, DbKind, TrackedFile, TrackedRow } from "../../src/core/types.ts";
import { type Driver, type DriverKind, driverKind } from "../../src/drivers/driver.ts";
import { makeProject, ROOT } from "../helpers.ts";

/** A fresh database of the subject's kind, for one test. */
export interface TestDatabase {
  /** The database as a run sees it: named `app`, its folders in `cwd`. */
  target: DatabaseConfig;
  /** Whether the target runs on the embedded PostgreSQL. */
  embedded: boolean;
  /** The project directory: migrations/app/ and seeds/app/ are written here. */
  cwd: string;
  /** Runs a query outside the driver (open no driver of this database meanwhile: PGlite has one). */
  query(sql: string): Promise<Record<string, unknown>[]>;
}

/** A kind of database under test, and how its SQL reads. */
export interface Subject {
  name: string;
  kind: DbKind;
  /** Whether a file and its tracking row commit together, so a failed file leaves nothing. */
  transactional: boolean;
  /** Makes a fresh database, runs fn with it, and drops it. */
  withDatabase<T>(fn: (db: TestDatabase) => Promise<T>): Promise<T>;
  /** A statement that creates a table `name (id, label)` whose rows a seed may replace by id. */
  createTable(name: string): string;
  /** A statement that writes (or replaces) one row of such a table. */
  upsert(name: string, id: number, label: string): string;
  /** A query giving `present` (1 or true) when the table exists. */
  tableExists(name: string): string;
}

const quiet: Reporter = { notice: () => {}, step: () => {}, upToDate: () => {}, files: () => {} };

/** A file as discover() reads it. */
export function trackedFile(script: string, text: string): TrackedFile {
  const m = /^V(\d+)__(.+)\.sql$/.exec(script);
  const ext = script.slice(script.lastIndexOf(".") + 1);
  return {
    kind: m ? "migration" : "seed",
    version: m ? Number(m[1]) : null,
    description: m ? m[2]!.replaceAll("_", " ") : script,
    script,
    path: m ? `migrations/app/${script}` : `seeds/app/${script}`,
    text,
    checksum: checksum(text),
    format: ext === "csv" ? "csv" : ext === "sql" ? "sql" : "yaml",
  };
}

/** A database `app` at a server's URL, with a fresh project folder, for one test. */
export async function onServer<T>(
  kind: DbKind,
  url: string,
  query: TestDatabase["query"],
  fn: (db: TestDatabase) => Promise<T>,
): Promise<T> {
  const project = await makeProject({});
  try {
    return await fn({
      target: {
        name: "app",
        kind,
        url,
        urlSource: "APP_URL",
        urlVariable: "APP_URL",
        migrationsDir: `${project.dir}/migrations/app`,
        seedsDir: `${project.dir}/seeds/app`,
      },
      embedded: false,
      cwd: project.dir,
      query,
    });
  } finally {
    await project.cleanup();
  }
}

/** Opens and connects a driver of the target, as a run does. */
export async function openDriver(db: TestDatabase, lockTimeoutMs = 30_000): Promise<Driver> {
  const kind = await kindOf(db);
  const driver = await kind.open(db.target, {
    cwd: db.cwd,
    lockTimeoutMs,
    signal: new AbortController().signal,
    notice: () => {},
    files: [],
  });
  try {
    await driver.connect(10_000);
  } catch (err) {
    await driver.close();
    throw err;
  }
  return driver;
}

async function kindOf(db: TestDatabase): Promise<DriverKind> {
  const kind = await driverKind(db.target, { embedded: db.embedded });
  if ("skip" in kind) throw new Error(`the registry skips ${db.target.name}: ${kind.skip}`);
  return kind;
}

/** Runs fn with a connected driver, closed afterwards whatever happens. */
export async function withDriver<T>(db: TestDatabase, fn: (d: Driver) => Promise<T>): Promise<T> {
  const driver = await openDriver(db);
  try {
    return await fn(driver);
  } finally {
    await driver.close();
  }
}

/** Prepares a file as a run does and applies it. */
export async function run(
  db: TestDatabase,
  d: Driver,
  file: TrackedFile,
  previous = null as TrackedRow | null,
) {
  const prepared = await (await kindOf(db)).prepare(file, {
    database: db.target.name,
    maxStatementMb: 16,
  });
  const signal = new AbortController().signal;
  return await d.execute(prepared, {
    previous,
    signal,
    graceOver: signal,
    notice: () => {},
    resolveUnknown: new Map(),
  });
}

/** The tracking rows by script (none without a table). */
async function rows(d: Driver): Promise<Map<string, TrackedRow>> {
  return new Map(((await d.readTracking(false)) ?? []).map((r) => [r.script, r]));
}

/** Writes files into the test database's project folders. */
async function write(db: TestDatabase, files: Record<string, string>): Promise<void> {
  for (const [path, text] of Object.entries(files)) {
    const full = join(db.cwd, path);
    await Deno.mkdir(join(full, ".."), { recursive: true });
    await Deno.writeTextFile(full, text);
  }
}

/** Runs the whole pipeline for the test database, as `db-migrate --seed=MODE` does. */
async function migrate(db: TestDatabase, opts: { repair?: boolean; seed?: "reference" } = {}) {
  const deps: PipelineDeps = {
    options: {
      seed: opts.seed ?? "reference",
      waitSeconds: 5,
      lockTimeoutSeconds: 30,
      maxFileMb: 64,
      maxStatementMb: 16,
      repair: opts.repair ?? false,
      embedded: db.embedded,
      resolveUnknown: new Map(),
    },
    reporter: quiet,
    signal: new AbortController().signal,
    cwd: db.cwd,
  };
  return await migrateDatabase(db.target, deps);
}

/** Whether a table exists, asked outside the driver. */
async function exists(s: Subject, db: TestDatabase, table: string): Promise<boolean> {
  const [row] = await db.query(s.tableExists(table));
  return row?.present === true || Number(row?.present) === 1;
}

/** Holds the target's migration lock in another process until release() (tests/drivers/_lock_holder.ts). */
async function lockInAnotherProcess(db: TestDatabase) {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      join(ROOT, "deno.json"),
      join(ROOT, "tests/drivers/_lock_holder.ts"),
      JSON.stringify({ target: db.target, embedded: db.embedded, cwd: db.cwd }),
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let said = "";
  while (!said.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) break;
    said += value;
  }
  assert.equal(said.trim(), "locked", "the other process took the lock");
  return {
    async release() {
      await child.stdin.close();
      while (!(await reader.read()).done) { /* drain */ }
      assert.equal((await child.status).code, 0);
    },
  };
}

/** Registers the conformance tests of one subject. */
export function conformance(s: Subject): void {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `${s.name} conformance: ${name}`, sanitizeResources: false, fn });

  test("an empty database has no tracking table until ensureTracking(), and connecting creates none", async () => {
    await s.withDatabase(async (db) => {
      await withDriver(db, async (d) => {
        assert.equal(await d.readTracking(false), null);
        assert.equal(await d.readTracking(true), null);
        assert.deepEqual(await d.readContents(["V1__a.sql"]), new Map());
      });
      assert.equal(await exists(s, db, "_schema_migrations"), false);
      await withDriver(db, async (d) => {
        await d.ensureTracking();
        await d.ensureTracking(); // idempotent
        assert.deepEqual(await d.readTracking(false), []);
      });
      assert.equal(await exists(s, db, "_schema_migrations"), true);
    });
  });

  test("execute() applies a file and records it; a new connection reads the row and the text", async () => {
    await s.withDatabase(async (db) => {
      const v1 = trackedFile("V001__first.sql", `${s.createTable("first")};\n`);
      await withDriver(db, async (d) => {
        await d.ensureTracking();
        const out = await run(db, d, v1);
        assert.ok(out.ms >= 0);
      });
      assert.equal(await exists(s, db, "first"), true);
      await withDriver(db, async (d) => {
        const row = (await rows(d)).get("V001__first.sql");
        assert.deepEqual(
          [row?.version, row?.kind, row?.checksum, row?.success],
          [1, "migration", v1.checksum, true],
        );
        const detail = (await d.readTracking(true))![0]!;
        assert.ok(detail.appliedAt instanceof Date);
        assert.equal(typeof detail.appliedBy, "string");
        assert.deepEqual(
          await d.readContents(["V001__first.sql"]),
          new Map([["V001__first.sql", v1.text]]),
        );
      });
    });
  });

  test("record() writes a row without running the file, and forget() deletes rows", async () => {
    await s.withDatabase(async (db) => {
      const v1 = trackedFile("V001__never.sql", `${s.createTable("never")};\n`);
      const seed = trackedFile("reference/010_x.sql", `${s.upsert("never", 1, "a")};\n`);
      await withDriver(db, async (d) => {
        await d.record([{ file: v1 }, { file: seed }]);
        const found = await rows(d);
        assert.deepEqual(
          [...found.values()].map((r) => [r.script, r.kind, r.version, r.checksum, r.success]),
          [
            ["V001__never.sql", "migration", 1, v1.checksum, true],
            ["reference/010_x.sql", "seed", null, seed.checksum, true],
          ].sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
        );
        // Recorded again with another text: one row, the new checksum and text.
        const changed = trackedFile("V001__never.sql", `${s.createTable("never")};\n-- edited\n`);
        await d.record([{ file: changed }]);
        assert.equal((await rows(d)).get("V001__never.sql")?.checksum, changed.checksum);
        assert.equal(
          (await d.readContents(["V001__never.sql"])).get("V001__never.sql"),
          changed.text,
        );
        await d.forget([{ kind: "migration", version: 1 }, { kind: "seed", script: seed.script }]);
        assert.deepEqual(await rows(d), new Map());
      });
      assert.equal(await exists(s, db, "never"), false, "record() ran nothing");
    });
  });

  test("the migration lock is held across processes: another process waits, then gets it", async () => {
    await s.withDatabase(async (db) => {
      await withDriver(db, async (d) => await d.ensureTracking());
      const other = await lockInAnotherProcess(db);
      try {
        // The lock is bounded: LOCK_TIMEOUT (exit 4) while the other process holds it.
        const err = await (async () => {
          const d = await openDriver(db, 500);
          try {
            await acquireLock(d, {
              database: "app",
              timeoutMs: 500,
              signal: new AbortController().signal,
              onWait: () => {},
            });
            return null;
          } finally {
            await d.close();
          }
        })().then(() => null, (e) => e);
        assert.ok(err instanceof MigrateError && err.code === "LOCK_TIMEOUT", String(err));
        assert.equal(err.exitCode, 4);
      } finally {
        await other.release();
      }
      await withDriver(db, async (d) => {
        assert.equal(await d.tryLock(), true);
        await d.unlock();
      });
    });
  });

  test("a second run applies nothing; a changed or deleted migration is drift (exit 3), which --repair records", async () => {
    await s.withDatabase(async (db) => {
      await write(db, {
        "migrations/app/V001__one.sql": `${s.createTable("one")};\n`,
        "migrations/app/V002__two.sql": `${s.createTable("two")};\n`,
      });
      const first = await migrate(db);
      assert.equal(first.error, null, String(first.error));
      assert.deepEqual(first.result.steps.map((x) => x.status), ["applied", "applied"]);
      const again = await migrate(db);
      assert.deepEqual(again.result.steps.map((x) => x.status), ["skipped", "skipped"]);

      await write(db, { "migrations/app/V001__one.sql": `${s.createTable("one")};\n-- edited\n` });
      await Deno.remove(join(db.cwd, "migrations/app/V002__two.sql"));
      const drift = await migrate(db);
      assert.ok(drift.error instanceof MigrateError, String(drift.error));
      assert.equal(drift.error.code, "CHECKSUM_MISMATCH");
      assert.equal(drift.error.exitCode, 3);
      assert.match(drift.error.message, /"V001__one\.sql" was applied with checksum/);
      assert.match(drift.error.message, /\+-- edited/);
      assert.match(
        drift.error.message,
        /"V002__two\.sql" \(version 2\) was applied but its file is gone/,
      );

      const repaired = await migrate(db, { repair: true });
      assert.equal(repaired.error, null, String(repaired.error));
      assert.deepEqual(repaired.result.steps.map((x) => [x.script, x.status]), [
        ["V001__one.sql", "repaired"],
        ["V002__two.sql", "repaired"],
      ]);
      assert.equal((await migrate(db)).error, null, "no drift after the repair");
    });
  });

  test("a statement that fails in the middle of a file names its line and statement, and nothing after it runs", async () => {
    await s.withDatabase(async (db) => {
      const text = `${s.createTable("half")};\n${
        s.upsert("half", 1, "a")
      };\nSELECT no_such_column FROM half;\n${s.upsert("half", 2, "b")};\n`;
      const file = trackedFile("V001__half.sql", text);
      let previous: TrackedRow | null = null;
      await withDriver(db, async (d) => {
        await d.ensureTracking();
        const err = await run(db, d, file).then(() => null, (e) => e);
        assert.ok(err instanceof ApplyError, String(err));
        assert.equal(err.code, "APPLY_FAILED");
        assert.equal(err.line, 3);
        assert.equal(err.statement, "SELECT no_such_column FROM half");
        assert.match(err.serverMessage, /no_such_column/);
        previous = (await rows(d)).get("V001__half.sql") ?? null;
      });
      if (s.transactional) {
        // The file and its row are one transaction: nothing of it stays.
        assert.equal(previous, null);
        assert.equal(await exists(s, db, "half"), false);
      } else {
        // No transactions: what ran stays, and the row says where the file stopped.
        assert.deepEqual([previous!.success, previous!.statementsDone], [false, 2]);
        assert.deepEqual(
          (await db.query("SELECT count(*) AS n FROM half")).map((r) => Number(r.n)),
          [1],
        );
      }
      // Fixed, the next attempt applies the file (resuming where the kind can).
      const fixed = trackedFile("V001__half.sql", text.replace("no_such_column", "count(*)"));
      await withDriver(db, async (d) => {
        await run(db, d, fixed, previous);
        assert.equal((await rows(d)).get("V001__half.sql")?.success, true);
      });
      const [count] = await db.query("SELECT count(*) AS n FROM half");
      assert.equal(Number(count?.n), 2, "each row written once");
    });
  });

  test("seeds are tracked by file: an unchanged seed is skipped, a changed one applied again", async () => {
    await s.withDatabase(async (db) => {
      await write(db, {
        "migrations/app/V001__labels.sql": `${s.createTable("labels")};\n`,
        "seeds/app/reference/010_labels.sql": `${s.upsert("labels", 1, "one")};\n`,
        "seeds/app/reference/020_labels.csv": "id,label\n2,two\n3,three\n",
      });
      const first = await migrate(db);
      assert.equal(first.error, null, String(first.error));
      assert.deepEqual(first.result.steps.map((x) => [x.script, x.kind, x.status]), [
        ["V001__labels.sql", "migration", "applied"],
        ["reference/010_labels.sql", "seed", "applied"],
        ["reference/020_labels.csv", "seed", "applied"],
      ]);
      assert.deepEqual((await migrate(db)).result.steps.map((x) => x.status), [
        "skipped",
        "skipped",
        "skipped",
      ]);
      await write(db, {
        "seeds/app/reference/010_labels.sql": `${s.upsert("labels", 1, "uno")};\n`,
      });
      const changed = await migrate(db);
      assert.deepEqual(changed.result.steps.map((x) => [x.script, x.status, x.note]), [
        ["V001__labels.sql", "skipped", undefined],
        ["reference/020_labels.csv", "skipped", undefined],
        ["reference/010_labels.sql", "applied", "changed, applied again"],
      ]);
      const labels = await db.query("SELECT id, label FROM labels ORDER BY id");
      assert.deepEqual(labels.map((r) => [Number(r.id), r.label]), [[1, "uno"], [2, "two"], [
        3,
        "three",
      ]]);
    });
  });

  test("a seed with a mistake is refused before anything runs (exit 2, file and line)", async () => {
    await s.withDatabase(async (db) => {
      await write(db, {
        "migrations/app/V001__labels.sql": `${s.createTable("labels")};\n`,
        "seeds/app/reference/010_labels.csv": 'id,label\n1,one\n2,"never closed\n',
      });
      const out = await migrate(db);
      assert.ok(out.error instanceof ConfigError, String(out.error));
      assert.equal(out.error.code, "INVALID_SEED");
      assert.equal(out.error.position?.line, 3);
      assert.equal(await exists(s, db, "labels"), false, "not even the migration ran");
      assert.equal(await exists(s, db, "_schema_migrations"), false);
    });
  });

  test("emptyTables() empties the tables named, keeps the others and passes over missing ones", async () => {
    await s.withDatabase(async (db) => {
      await write(db, {
        "migrations/app/V001__two.sql": `${s.createTable("emptied")};\n${s.createTable("kept")};\n`,
        "seeds/app/reference/010_rows.sql": `${s.upsert("emptied", 1, "a")};\n${
          s.upsert("kept", 1, "b")
        };\n`,
      });
      assert.equal((await migrate(db)).error, null);
      await withDriver(db, (d) => d.emptyTables(["emptied", "no_such_table"]));
      const count = async (t: string) =>
        Number(Object.values((await db.query(`SELECT count(*) AS n FROM ${t}`))[0] ?? {})[0]);
      assert.equal(await count("emptied"), 0);
      assert.equal(await count("kept"), 1);
      assert.equal(await exists(s, db, "emptied"), true, "emptied, not dropped");
    });
  });

  test("dropAll() drops what the migrations created, the tracking table too", async () => {
    await s.withDatabase(async (db) => {
      await write(db, { "migrations/app/V001__gone.sql": `${s.createTable("gone")};\n` });
      assert.equal((await migrate(db)).error, null);
      await withDriver(db, async (d) => {
        await d.dropAll();
        assert.equal(await d.readTracking(false), null);
      });
      assert.equal(await exists(s, db, "gone"), false);
      assert.equal(await exists(s, db, "_schema_migrations"), false);
      const again = await migrate(db);
      assert.deepEqual(again.result.steps.map((x) => x.status), ["applied"], "a fresh start");
    });
  });

  test("record() says how a row got there: repaired, marked or baselined", async () => {
    await s.withDatabase(async (db) => {
      const [a, b, c] = [1, 2, 3].map((v) =>
        trackedFile(`V00${v}__t${v}.sql`, `${s.createTable(`t${v}`)};\n`)
      );
      await withDriver(db, async (d) => {
        await d.record([{ file: a! }, { file: b!, how: "marked" }, { file: c!, how: "baselined" }]);
        const found = await rows(d);
        assert.deepEqual(
          [...found.values()].map((r) => [r.version, r.success, r.provenance]),
          [[1, true, "repaired"], [2, true, "marked"], [3, true, "baselined"]],
        );
      });
      assert.equal(await exists(s, db, "t2"), false, "record() ran nothing");
    });
  });

  test("execute() of a U-file undoes its migration: the row stays, undone, and the migration applies again", async () => {
    await s.withDatabase(async (db) => {
      const v1 = trackedFile("V001__undoable.sql", `${s.createTable("undoable")};\n`);
      const u1: TrackedFile = {
        ...trackedFile("V001__undoable.sql", "DROP TABLE IF EXISTS undoable;\n"),
        script: "U001__undoable.sql",
        path: "migrations/app/U001__undoable.sql",
      };
      await withDriver(db, async (d) => {
        await d.ensureTracking();
        await run(db, d, v1);
        const applied = (await rows(d)).get(v1.script)!;
        assert.equal(applied.provenance, "applied");
        const prepared = await (await kindOf(db)).prepare(u1, {
          database: "app",
          maxStatementMb: 16,
        });
        const signal = new AbortController().signal;
        await d.execute(prepared, {
          previous: applied,
          signal,
          graceOver: signal,
          notice: () => {},
          resolveUnknown: new Map(),
          undoes: v1,
        });
        const [row] = (await d.readTracking(true))!;
        assert.deepEqual(
          [row?.script, row?.checksum, row?.success, row?.provenance],
          [v1.script, v1.checksum, false, "undone"],
          "the migration's row, not the U-file's, says undone",
        );
        assert.ok(row?.appliedAt instanceof Date, "when it was undone");
        assert.equal(typeof row?.appliedBy, "string");
        assert.equal((await d.readTracking(false))!.length, 1, "no row for the U-file");
      });
      assert.equal(await exists(s, db, "undoable"), false, "the U-file ran");
      await withDriver(db, async (d) => {
        const undone = (await rows(d)).get(v1.script)!;
        await run(db, d, v1, undone);
        const again = (await rows(d)).get(v1.script)!;
        assert.deepEqual([again.success, again.provenance], [true, "applied"]);
      });
      assert.equal(await exists(s, db, "undoable"), true, "applied again");
    });
  });

  test("a tracking table from before provenance reads as applied and gets the column under ensureTracking()", async () => {
    await s.withDatabase(async (db) => {
      const v1 = trackedFile("V001__old.sql", `${s.createTable("old")};\n`);
      await withDriver(db, async (d) => {
        await d.ensureTracking();
        await run(db, d, v1);
      });
      await db.query("ALTER TABLE _schema_migrations DROP COLUMN provenance");
      await withDriver(db, async (d) => {
        assert.equal((await rows(d)).get(v1.script)?.provenance, "applied");
        await d.ensureTracking();
        await d.record([{ file: v1, how: "marked" }]);
        assert.equal((await rows(d)).get(v1.script)?.provenance, "marked");
      });
    });
  });

  test("server() names the server's version and the connection's user", async () => {
    await s.withDatabase(async (db) => {
      await withDriver(db, async (d) => {
        const info = await d.server();
        assert.match(info.version, s.kind === "postgres" ? /^PostgreSQL \d/ : /^ClickHouse \d/);
        assert.ok(info.user.length > 0);
      });
    });
  });
}
