// The core as a library: per database wait → lock → ensure table → plan → apply → seeds → unlock.
// Only main.ts reads argv, prints the summary and sets the exit code.

import type { Options } from "./cli.ts";
import { unifiedDiff } from "./core/diff.ts";
import { fileDirectives } from "./sql/directives.ts";
import { discoverMigrations, discoverSeeds } from "./core/discover.ts";
import { checkSqlFile, emptyFileError, isEmptyDataSeed } from "./sql/checks.ts";
import { type Driver, openDriver } from "./drivers/driver.ts";
import {
  ApplyError,
  ConfigError,
  DriftError,
  type DriftItem,
  InterruptedError,
  MigrateError,
  UnreachableError,
} from "./core/errors.ts";
import { acquireLock, sleep } from "./core/lock.ts";
import { type DatabasePlan, planDatabase, type PlanEntry } from "./core/plan.ts";
import { redactUrl, scrub } from "./core/redact.ts";
import type { DataSeed } from "./seeds/types.ts";
import { type DatabaseResult, failed, type RunResult, type StatusEntry } from "./core/result.ts";
import type { Reporter } from "./report/text.ts";
import { isoTime } from "./report/time.ts";
import { eachStatement } from "./sql/split.ts";
import {
  type FileTransactionStatement,
  TransactionControlError,
  type TransactionPlan,
} from "./sql/transaction.ts";
import type { DatabaseConfig, Step, TrackedFile } from "./core/types.ts";

/** What the core needs from its caller. */
export interface RunDeps {
  reporter: Reporter;
  /** Aborted by SIGTERM/SIGINT: start nothing new, roll back what can be rolled back. */
  signal: AbortSignal;
  /**
   * Aborted when a statement that cannot be rolled back may no longer be waited for (the grace
   * period after `signal`); `signal` when absent.
   */
  graceOver?: AbortSignal;
  /** The working directory, for embedded data (`.db-migrate/<database>/`). */
  cwd: string;
}

interface Session {
  db: DatabaseConfig;
  result: DatabaseResult;
  migrations: TrackedFile[];
  seeds: TrackedFile[];
  driver?: Driver;
  release?: () => Promise<void>;
  closeEmbedded?: () => Promise<void>;
  plan?: DatabasePlan;
  /** Per pending file: whether it runs in a transaction (PostgreSQL). */
  transactional: Map<string, boolean>;
  /** Per pending PostgreSQL file: its own BEGIN/COMMIT, checked (see transaction_control.ts). */
  control: Map<string, TransactionPlan>;
  /** Pending YAML and CSV seeds, parsed before anything is applied (apply and dry-run only). */
  dataSeeds: Map<string, DataSeed>;
}

function message(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return scrub(
      err.message + (typeof code === "string" && !err.message.includes(code) ? ` (${code})` : ""),
    );
  }
  return scrub(String(err));
}

/** Connects, retrying with backoff and a line per attempt until --wait runs out (exit 4). */
async function connectWithWait(
  driver: Driver,
  db: DatabaseConfig,
  target: string,
  opts: Options,
  deps: RunDeps,
): Promise<void> {
  const waitMs = opts.waitSeconds * 1000;
  const deadline = Date.now() + waitMs;
  let delay = 250;
  for (let attempt = 1;; attempt++) {
    try {
      await driver.connect(Math.min(10_000, Math.max(1000, deadline - Date.now())));
      return;
    } catch (err) {
      if (deps.signal.aborted) throw deps.signal.reason;
      const why = message(err);
      // A missing Deno permission will not appear by waiting either.
      if (driver.isPermanent(err) || err instanceof Deno.errors.NotCapable) {
        throw new UnreachableError(
          "DB_UNREACHABLE",
          db.name,
          `cannot connect to "${db.name}" at ${target}: ${why}`,
          `check the user, password and database name in ${db.urlSource ?? db.urlVariable}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new UnreachableError(
          "DB_UNREACHABLE",
          db.name,
          `cannot reach "${db.name}" at ${target} within ${opts.waitSeconds} s (${attempt} ${
            attempt === 1 ? "attempt" : "attempts"
          }): ${why}`,
          "start the database or fix its URL; raise --wait if it starts slowly",
        );
      }
      const pause = Math.min(delay, left);
      deps.reporter.notice(
        `${db.name}: cannot connect to ${target} (attempt ${attempt}: ${why}); retrying in ${
          (pause / 1000).toFixed(1)
        } s`,
      );
      await sleep(pause, deps.signal);
      if (deps.signal.aborted) throw deps.signal.reason;
      delay = Math.min(delay * 2, 2000);
    }
  }
}

function stepOf(db: string, e: PlanEntry, status: Step["status"]): Step {
  const f = e.file, r = e.row;
  return {
    database: db,
    kind: f?.kind ?? r?.kind ?? "migration",
    version: f?.version ?? r?.version ?? null,
    script: f?.script ?? r?.script ?? "?",
    checksum: f?.checksum ?? r?.checksum ?? "",
    status,
  };
}

function statusEntry(e: PlanEntry): StatusEntry {
  const f = e.file, r = e.row;
  return {
    kind: f?.kind ?? r?.kind ?? "migration",
    version: f?.version ?? r?.version ?? null,
    script: f?.script ?? r?.script ?? "?",
    state: e.state === "pending" && e.reason === "changed" ? "pending" : e.state,
    checksum: f?.checksum ?? r?.checksum ?? null,
    appliedAt: r?.appliedAt && r.success ? isoTime(r.appliedAt) : null,
    ms: r && r.success ? r.executionMs ?? null : null,
    error: r && !r.success ? r.error ?? null : null,
  };
}

/** The warning for a file whose own BEGIN/COMMIT run inside db-migrate's transaction for it. */
function joinedNotice(db: string, path: string, joined: FileTransactionStatement[]): string {
  const where = joined.map((t) => `${t.label} at line ${t.line}`).join(", ");
  return `"${path}" of "${db}" holds its own transaction control (${where}): db-migrate runs the ` +
    "file in one transaction that commits with its tracking row, so these statements only join " +
    'it (a COMMIT commits nothing early); mark the file "-- db-migrate: no-transaction" to ' +
    "run them as written";
}

/** Connects to one database, reads its tracking rows, plans and checks what will run; changes nothing. */
async function prepare(s: Session, opts: Options, deps: RunDeps): Promise<void> {
  const { db } = s;
  let url: string;
  if (db.url === null) {
    if (db.kind === "clickhouse") {
      s.result.notice =
        `skipped: no URL (set ${db.urlVariable}); --embedded covers PostgreSQL only`;
      deps.reporter.notice(`${db.name}: ${s.result.notice}`);
      return;
    }
    const dataDir = `${deps.cwd}/.db-migrate/${db.name}`;
    const { startEmbedded } = await import("./drivers/embedded.ts");
    const { extensionsNamedIn } = await import("./drivers/embedded_extensions.ts");
    const server = await startEmbedded(dataDir, {
      lockTimeoutMs: opts.lockTimeoutSeconds * 1000,
      signal: deps.signal,
      onWait: deps.reporter.notice,
      // PGlite creates only the extensions it was started with: those the files create.
      extensions: extensionsNamedIn([...s.migrations, ...s.seeds].map((f) => f.text)),
    });
    s.closeEmbedded = server.close;
    url = server.url;
    s.result.target = `embedded PostgreSQL in .db-migrate/${db.name}`;
  } else {
    url = db.url;
    s.result.target = redactUrl(url);
  }
  const driver = await openDriver(db, url, { embedded: db.url === null });
  s.driver = driver;
  await connectWithWait(driver, db, s.result.target!, opts, deps);
  // Read-only: the plan says what will run, and all of it is checked (split, directives,
  // meta-commands, empty files, seed parsing) before any database is locked or changed. Only
  // pending files are checked, so a no-op run parses no seed.
  const detail = opts.mode === "status";
  const rows = driver.hasTrackingTable() ? await driver.readTracking(detail) : [];
  s.plan = planDatabase(s.migrations, s.seeds, rows);
  await checkPending(s, driver, s.plan.pending, opts, deps);
}

/**
 * Takes the lock of a prepared database and creates its tracking table (on ClickHouse, its database
 * and lock table too), then plans again under the lock. Called for a real run only, once every
 * database has been prepared and checked.
 */
async function lockAndReplan(s: Session, opts: Options, deps: RunDeps): Promise<void> {
  const driver = s.driver, plan = s.plan;
  if (!driver || !plan) return;
  // A run that finds every file applied and unchanged (or drift, which stops it) changes nothing,
  // so it needs no lock: concurrent runs only ever add rows, never undo "applied". This keeps the
  // common release no-op free of the lock's cost, which on ClickHouse is a lease that settles.
  const lockFree = driver.hasTrackingTable() && plan.pending.length === 0 &&
    (plan.drift.length === 0 || !opts.repair);
  if (lockFree) return;
  s.release = await acquireLock(driver, {
    database: s.db.name,
    timeoutMs: opts.lockTimeoutSeconds * 1000,
    signal: deps.signal,
    onWait: deps.reporter.notice,
  });
  await driver.ensureTrackingTable();
  // Read again under the lock: another run may have applied files meanwhile (or, through
  // --repair, forgotten some); whatever is pending now and was not before is checked too.
  const checked = new Set(plan.pending.map((e) => e.file!.script));
  s.plan = planDatabase(s.migrations, s.seeds, await driver.readTracking());
  await checkPending(
    s,
    driver,
    s.plan.pending.filter((e) => !checked.has(e.file!.script)),
    opts,
    deps,
  );
}

/** Checks the pending files offline, before anything is applied; records how each runs. */
async function checkPending(
  s: Session,
  driver: Driver,
  pending: PlanEntry[],
  opts: Options,
  deps: RunDeps,
): Promise<void> {
  const { db } = s;
  for (const e of pending) {
    const f = e.file!;
    if (s.transactional.has(f.script) || s.dataSeeds.has(f.script)) continue;
    if (f.format !== "sql") {
      if (opts.mode === "status") continue;
      if (!driver.applySeed) {
        throw new ConfigError(
          "INVALID_SEED",
          `seed "${f.script}" of "${db.name}": ${f.format.toUpperCase()} seeds are not supported for ${db.kind} databases by this version`,
          { database: db.name, position: { file: f.path }, hint: "use a .sql seed" },
        );
      }
      driver.checkSeedFormat?.(f);
      // The seed modules (and through them yaml and bcryptjs) load only when a data seed runs.
      const { parseDataSeed } = await import("./seeds/load.ts");
      const seed = await parseDataSeed(f, db.name);
      if (isEmptyDataSeed(seed)) throw emptyFileError(f, db.name);
      s.dataSeeds.set(f.script, seed);
      continue;
    }
    checkSqlFile(f, driver.dialect, db.name);
    if (driver.dialect === "postgres") {
      try {
        const d = fileDirectives(f.text);
        if (d.largest && d.largest.length > opts.maxStatementMb * 1024 * 1024) {
          throw new ConfigError(
            "STATEMENT_TOO_LARGE",
            `the statement at line ${d.largest.line}, column ${d.largest.column} of "${f.path}" ` +
              `(database "${db.name}") is ${(d.largest.length / 1024 / 1024).toFixed(1)} MB, ` +
              `over the limit of ${opts.maxStatementMb} MB for one statement ` +
              "(--max-statement-size): PostgreSQL receives a statement as one message, which " +
              "takes about 3 times its size in memory here",
            {
              database: db.name,
              position: { file: f.path, line: d.largest.line, column: d.largest.column },
              hint: "split it (an INSERT into several of a few thousand rows each), or raise " +
                "the limit with --max-statement-size=MB (env DB_MIGRATE_MAX_STATEMENT_SIZE) " +
                "and the job's memory",
            },
          );
        }
        s.transactional.set(f.script, d.transaction);
        s.control.set(f.script, d.control);
        const joined = [...(d.control.opener ? [d.control.opener] : []), ...d.control.folded];
        if (joined.length > 0 && opts.mode !== "status") {
          deps.reporter.notice(`warning: ${joinedNotice(db.name, f.path, joined)}`);
        }
      } catch (err) {
        if (err instanceof ConfigError) throw err;
        if (err instanceof TransactionControlError) {
          throw new ConfigError(
            "TRANSACTION_CONTROL",
            `cannot run "${f.path}" of database "${db.name}": ${err.message}`,
            { database: db.name, position: { file: f.path, line: err.line, column: err.column } },
          );
        }
        const line = (err as { line?: number }).line;
        throw new ConfigError(
          "BAD_DIRECTIVE",
          `cannot read "${f.path}"${line ? ` at line ${line}` : ""} of database "${db.name}": ${
            (err as Error).message
          }`,
          { database: db.name, position: { file: f.path, ...(line ? { line } : {}) } },
        );
      }
    } else {
      s.transactional.set(f.script, false);
    }
  }
}

/** Sizes the progress columns to the files the run will print (pending and drifted ones). */
function layOut(reporter: Reporter, sessions: Session[], opts: Options): void {
  let fileWidth = 0;
  for (const s of sessions) {
    for (const e of [...s.plan?.pending ?? [], ...s.plan?.drift ?? []]) {
      fileWidth = Math.max(fileWidth, (e.file?.script ?? e.row?.script ?? "").length);
    }
  }
  reporter.fileWidth = fileWidth;
  reporter.times = opts.mode === "apply";
  reporter.checksums = opts.mode === "dry-run";
}

/** Runs migrations and seeds as the options say and returns the result as data. */
export async function run(
  opts: Options,
  dbs: DatabaseConfig[],
  deps: RunDeps,
): Promise<RunResult> {
  const started = performance.now();
  const sessions: Session[] = dbs.map((db) => ({
    db,
    result: { name: db.name, kind: db.kind, target: null, steps: [] },
    migrations: [],
    seeds: [],
    transactional: new Map(),
    control: new Map(),
    dataSeeds: new Map(),
  }));
  const result: RunResult = {
    mode: opts.mode,
    seedMode: opts.seed,
    databases: sessions.map((s) => s.result),
    exitCode: 0,
    durationMs: 0,
  };
  try {
    // Every file of every database is read and checked before any database is touched.
    for (const s of sessions) {
      const limits = { maxFileMb: opts.maxFileMb };
      s.migrations = discoverMigrations(s.db.migrationsDir, s.db.name, limits);
      s.seeds = discoverSeeds(s.db.seedsDir, s.db.name, opts.seed, limits);
    }
    for (const s of sessions) await prepare(s, opts, deps);
    if (opts.mode === "apply") {
      // Drift stops the run (exit 3) before any database is locked or changed.
      const early = sessions.filter((s) => s.plan && s.plan.drift.length > 0);
      if (early.length > 0 && !opts.repair) throw await driftError(early);
      for (const s of sessions) await lockAndReplan(s, opts, deps);
    }
    layOut(deps.reporter, sessions, opts);

    const drifted = sessions.filter((s) => s.plan && s.plan.drift.length > 0);
    if (drifted.length > 0 && opts.mode === "apply" && !opts.repair) {
      throw await driftError(drifted);
    }
    if (drifted.length > 0 && opts.mode === "dry-run" && !opts.repair) {
      // A dry run could tell what a real run would do: say so, and exit 0 as the contract pins.
      deps.reporter.notice(`warning: ${(await driftError(drifted)).message}`);
    }
    for (const s of drifted) {
      for (const e of s.plan!.drift) {
        if (opts.mode === "status") continue;
        const step = stepOf(s.db.name, e, opts.repair ? "repaired" : "drift");
        step.note = opts.repair
          ? e.file ? "current checksum recorded" : "row removed, file gone"
          : e.state;
        if (opts.repair && opts.mode === "dry-run") step.note = `would be repaired: ${step.note}`;
        s.result.steps.push(step);
        deps.reporter.step(step);
      }
      if (opts.repair && opts.mode === "apply") {
        await s.driver!.repair(s.plan!.drift.map((e) => ({
          version: (e.file?.version ?? e.row?.version)!,
          file: e.file,
        })));
      }
    }

    for (const s of sessions) {
      if (!s.plan) continue;
      if (opts.mode === "status") {
        // Its rows are the result: a step per row would only repeat them.
        s.result.status = [...s.plan.migrations, ...s.plan.seeds].map(statusEntry);
        continue;
      }
      for (const e of s.plan.skipped) s.result.steps.push(stepOf(s.db.name, e, "skipped"));
      if (opts.mode === "dry-run") {
        for (const e of s.plan.pending) {
          const step = stepOf(s.db.name, e, "pending");
          const seed = s.dataSeeds.get(e.file!.script);
          let count = 0; // counted without an array: a large file is not held twice
          if (!seed) eachStatement(e.file!.text, s.driver!.dialect, () => count++);
          // Data seeds show their tables and row counts, never a value.
          const what = seed
            ? (await import("./seeds/load.ts")).describeDataSeed(seed)
            : `${count} ${count === 1 ? "statement" : "statements"}`;
          step.note = what +
            (e.reason === "new" ? "" : ` (${e.reason})`) +
            (s.transactional.get(e.file!.script) === false && s.db.kind === "postgres"
              ? " (no transaction)"
              : "");
          s.result.steps.push(step);
          deps.reporter.step(step);
        }
      }
    }
    if (opts.mode === "apply") await applyAll(sessions, opts, deps);
  } catch (err) {
    failed(result, err);
  } finally {
    for (const s of sessions) {
      await s.release?.().catch(() => {});
      await s.driver?.close().catch(() => {});
      await s.closeEmbedded?.().catch(() => {});
    }
    result.durationMs = performance.now() - started;
  }
  return result;
}

/** Applies the pending files of each database in order; stops everything at the first failure. */
async function applyAll(sessions: Session[], opts: Options, deps: RunDeps): Promise<void> {
  let stopped: MigrateError | null = null;
  const resolved = new Set<string>();
  for (const s of sessions) {
    if (!s.plan || !s.driver) continue;
    if (stopped) {
      for (const e of s.plan.pending) s.result.steps.push(stepOf(s.db.name, e, "not run"));
      continue;
    }
    if (s.plan.pending.length === 0) {
      deps.reporter.line(
        `${s.db.name.padEnd(deps.reporter.width)}  up to date (${s.plan.skipped.length} skipped)`,
      );
    }
    for (const e of s.plan.pending) {
      const file = e.file!;
      if (stopped || deps.signal.aborted) {
        stopped ??= deps.signal.reason as MigrateError;
        s.result.steps.push(stepOf(s.db.name, e, "not run"));
        continue;
      }
      const step = stepOf(s.db.name, e, "applied");
      try {
        const control = s.control.get(file.script);
        const req = {
          file,
          transactional: s.transactional.get(file.script) ?? true,
          ...(control ? { control } : {}),
          previous: e.row,
          signal: deps.signal,
          graceOver: deps.graceOver ?? deps.signal,
          notice: deps.reporter.notice,
          resolveUnknown: opts.resolveUnknown,
        };
        const seed = s.dataSeeds.get(file.script);
        const out = seed && s.driver.applySeed
          ? await s.driver.applySeed({ ...req, seed })
          : await s.driver.apply(req);
        step.ms = out.ms;
        if (out.note) step.note = out.note;
        if (out.resolved) resolved.add(out.resolved);
        if (e.reason === "changed") {
          step.note = [step.note, "changed, applied again"].filter(Boolean).join("; ");
        }
        if (e.reason === "retry") {
          step.note = [step.note, "retried after a failure"].filter(Boolean).join("; ");
        }
      } catch (err) {
        const stop = interruptionAt(err, s, file, deps);
        if (stop) {
          // What the stop did to this file, as the driver found it: a rolled-back or unstarted
          // file was not run; one that stays partly applied is failed, as its tracking row says.
          stopped = stop;
          const d = stop.detail;
          step.status = !d || d.outcome === "rolled back" || d.outcome === "not started"
            ? "not run"
            : "failed";
          step.note = d?.outcome === "rolled back"
            ? "interrupted, rolled back"
            : `interrupted: ${d?.note ?? "stopped"}`;
        } else {
          step.status = "failed";
          stopped = err instanceof MigrateError ? err : new ApplyError({
            database: s.db.name,
            script: file.script,
            serverMessage: message(err),
          });
        }
      }
      s.result.steps.push(step);
      deps.reporter.step(step);
    }
    await s.release?.();
    s.release = undefined;
  }
  if (stopped) throw stopped;
  for (const id of opts.resolveUnknown.keys()) {
    if (resolved.has(id)) continue;
    deps.reporter.notice(
      `warning: --resolve-unknown=${id}: no statement waiting for a decision has that query_id; ` +
        "nothing was resolved by it",
    );
  }
}

/**
 * The stop request, with what it did to the file, when `err` comes from one; null for a failure.
 * Drivers say what a stop did; one that rethrows the bare request rolled the file back, which only
 * the PostgreSQL driver does (the file and its tracking row are one transaction).
 */
function interruptionAt(
  err: unknown,
  s: Session,
  file: TrackedFile,
  deps: RunDeps,
): InterruptedError | null {
  const reason = deps.signal.reason;
  const bare = err instanceof InterruptedError && !err.detail ? err : null;
  if (err instanceof InterruptedError && err.detail) return err;
  if (!bare && !(deps.signal.aborted && !(err instanceof MigrateError))) return null;
  const request = bare ?? (reason instanceof InterruptedError ? reason : null);
  if (!request) return null;
  if (s.db.kind !== "postgres") return request;
  return request.at({
    database: s.db.name,
    script: file.script,
    outcome: "rolled back",
    note: "its transaction was rolled back, so nothing of it stays",
    hint: "run again to apply it and the rest",
  });
}

/** Builds the exit-3 error naming each drifted file of each database, with a diff of each change. */
async function driftError(sessions: Session[]): Promise<DriftError> {
  const items: DriftItem[] = [];
  const parts: string[] = [];
  for (const s of sessions) {
    const drift = s.plan!.drift;
    const stored = await s.driver!.readContents(drift.map((e) => e.row!.script)).catch(() =>
      new Map<string, string | null>()
    );
    for (const e of drift) {
      const row = e.row!;
      const item: DriftItem = {
        script: e.file?.script ?? row.script,
        state: e.state as DriftItem["state"],
        appliedChecksum: row.checksum,
      };
      if (e.file) {
        item.fileChecksum = e.file.checksum;
        item.diff = await unifiedDiff(row.script, stored.get(row.script) ?? null, e.file.text);
        parts.push(
          `${s.db.name}: "${e.file.script}" was applied with checksum ${
            row.checksum.slice(0, 12)
          }… but the file's is ${e.file.checksum.slice(0, 12)}…:\n${
            item.diff.split("\n").map((l) => `      ${l}`).join("\n")
          }`,
        );
      } else {
        parts.push(
          `${s.db.name}: "${row.script}" (version ${row.version}) was applied but its file is gone`,
        );
      }
      items.push(item);
    }
  }
  const names = sessions.map((s) => `"${s.db.name}"`).join(", ");
  return new DriftError(
    sessions[0]!.db.name,
    items,
    `drift in ${names}: ${items.length} applied ${
      items.length === 1 ? "migration differs" : "migrations differ"
    } from the files; nothing was applied\n  ${parts.join("\n  ")}`,
  );
}
