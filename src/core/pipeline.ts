// One database at a time, the steps every command composes: discover its files → inspect (open,
// connect with --wait, read tracking, plan, check and prepare what will run; nothing changes) →
// apply (under its lock: ensure tracking, read and plan again, repair, execute each pending file,
// record, unlock) → close. A run of several databases inspects them all first, so that drift or a
// bad file anywhere stops it before any change, then applies them one at a time, each locked only
// while it is worked on; migrateDatabase() is the whole of it for one database.

import {
  type Driver,
  type DriverKind,
  driverKind,
  type OpenOptions,
  type PreparedFile,
} from "../drivers/driver.ts";
import { connectWithWait } from "./connect.ts";
import { discoverMigrations, discoverSeeds } from "./discover.ts";
import type { Drifted } from "./drift.ts";
import { ApplyError, describeError, InterruptedError, MigrateError } from "./errors.ts";
import { withLock } from "./lock.ts";
import { type DatabasePlan, limitPlan, planDatabase, type PlanEntry, type Target } from "./plan.ts";
import type { Reporter } from "./reporter.ts";
import type { DatabaseResult } from "./result.ts";
import { repairNote, stepOf } from "./steps.ts";
import type { DatabaseConfig, Resolution, SeedMode, TrackedFile } from "./types.ts";

/** What a run was asked to do, flags and environment merged. */
export interface RunOptions {
  seed: SeedMode;
  waitSeconds: number;
  lockTimeoutSeconds: number;
  /** The largest SQL file to read, in MB. */
  maxFileMb: number;
  /** The largest PostgreSQL statement to send, in MB. */
  maxStatementMb: number;
  /** The largest YAML seed read with the document API, in MB (default 2). */
  maxYamlMb?: number;
  repair: boolean;
  embedded: boolean;
  /** --resolve-unknown: the operator's decision per query_id of a statement of unknown outcome. */
  resolveUnknown: ReadonlyMap<string, Resolution>;
  /** verify --against=URL: rehearse on this server instead of checking idempotency. */
  against?: string | null;
  /** verify --rehearse: rehearse on each database's own URL. */
  rehearse?: boolean;
  /** --to / --steps: how far a run applies migrations; all that are pending when absent. */
  target?: Target;
}

/** What the pipeline needs from its caller. */
export interface PipelineDeps {
  options: RunOptions;
  reporter: Reporter;
  /** Aborted by SIGTERM/SIGINT (or a pool's timeout): start nothing new, roll back what can be. */
  signal: AbortSignal;
  /** Aborted when a statement that cannot be rolled back may no longer be waited for. */
  graceOver?: AbortSignal;
  /** The working directory, for embedded data (`.db-migrate/<database>/`). */
  cwd: string;
}

/** What every command gives DriverKind.open(): the run's directory, lock wait, signal and notices. */
export function openOptions(deps: PipelineDeps, files: readonly TrackedFile[] = []): OpenOptions {
  return {
    cwd: deps.cwd,
    lockTimeoutMs: deps.options.lockTimeoutSeconds * 1000,
    signal: deps.signal,
    notice: deps.reporter.notice,
    files,
  };
}

/** A database's files, read and checksummed: nothing is touched yet. */
export interface Files {
  target: DatabaseConfig;
  migrations: TrackedFile[];
  seeds: TrackedFile[];
}

/** What inspecting a database found; `driver` stays connected until close(). */
export interface Inspection {
  files: Files;
  result: DatabaseResult;
  /** Null when the database is left out (see result.notice). */
  kind: DriverKind | null;
  driver: Driver | null;
  /** Whether the tracking table exists. */
  tracked: boolean;
  plan: DatabasePlan | null;
  /** The files that will run, checked and prepared, by script. */
  prepared: Map<string, PreparedFile>;
}

/** `status` reads the detail of each row and parses no data seed; `run` prepares all that will run. */
export type Purpose = "status" | "run";

/** A database's part of a result, before anything is known of it. */
export function databaseResult(target: DatabaseConfig): DatabaseResult {
  return { name: target.name, kind: target.kind, target: null, steps: [] };
}

/** Lists, reads and checksums a database's migrations and the seeds of the mode (exit 2 for a bad file). */
export function discover(target: DatabaseConfig, options: RunOptions): Files {
  const limits = { maxFileMb: options.maxFileMb };
  return {
    target,
    migrations: discoverMigrations(target.migrationsDir, target.name, limits),
    seeds: discoverSeeds(target.seedsDir, target.name, options.seed, limits),
  };
}

/**
 * Connects to one database, reads its tracking rows, plans, and checks and prepares every file that
 * will run; changes nothing. On failure the driver is closed again.
 */
export async function inspect(
  files: Files,
  result: DatabaseResult,
  deps: PipelineDeps,
  purpose: Purpose,
  /** Files already checked and prepared, shared by databases that run the same files (tenants). */
  prepared: Map<string, PreparedFile> = new Map(),
): Promise<Inspection> {
  const { target } = files;
  const ins: Inspection = {
    files,
    result,
    kind: null,
    driver: null,
    tracked: false,
    plan: null,
    prepared,
  };
  const kind = await driverKind(target, { embedded: deps.options.embedded });
  if ("skip" in kind) {
    result.notice = kind.skip;
    deps.reporter.notice(`${target.name}: ${kind.skip}`);
    return ins;
  }
  ins.kind = kind;
  result.target = kind.describe(target);
  try {
    ins.driver = await kind.open(target, openOptions(deps, [...files.migrations, ...files.seeds]));
    await connectWithWait(ins.driver, target, result.target, {
      waitSeconds: deps.options.waitSeconds,
      signal: deps.signal,
      notice: deps.reporter.notice,
    });
    // Read-only: the plan says what will run, and all of it is checked (split, directives,
    // meta-commands, empty files, seed parsing) before any database is locked or changed. Only
    // pending files are checked, so a no-op run parses no seed.
    const rows = await ins.driver.readTracking(purpose === "status");
    ins.tracked = rows !== null;
    ins.plan = limitPlan(
      planDatabase(files.migrations, files.seeds, rows ?? []),
      deps.options.target,
    );
    await prepare(ins, ins.plan.pending, deps, purpose);
    return ins;
  } catch (err) {
    await close(ins);
    throw err;
  }
}

/** Inspects each database in turn; on a failure, closes those already open. */
export async function inspectAll(
  targets: DatabaseConfig[],
  results: DatabaseResult[],
  deps: PipelineDeps,
  purpose: Purpose,
): Promise<Inspection[]> {
  // Every file of every database is read and checked before any database is touched.
  const files = targets.map((t) => discover(t, deps.options));
  const out: Inspection[] = [];
  try {
    for (const [i, f] of files.entries()) out.push(await inspect(f, results[i]!, deps, purpose));
  } catch (err) {
    await closeAll(out);
    throw err;
  }
  return out;
}

/** Checks and prepares the pending files not prepared yet; a bad one is a ConfigError (exit 2). */
async function prepare(
  ins: Inspection,
  pending: PlanEntry[],
  deps: PipelineDeps,
  purpose: Purpose,
): Promise<void> {
  for (const e of pending) {
    const file = e.file!;
    if (ins.prepared.has(file.script)) continue;
    // --status parses no data seed: it only looks, and a large CSV costs time.
    if (purpose === "status" && file.format !== "sql") continue;
    const prepared = await ins.kind!.prepare(file, {
      database: ins.files.target.name,
      maxStatementMb: deps.options.maxStatementMb,
      ...(deps.options.maxYamlMb === undefined ? {} : { maxYamlMb: deps.options.maxYamlMb }),
    });
    if (purpose !== "status") { for (const n of prepared.notices) deps.reporter.notice(n); }
    ins.prepared.set(file.script, prepared);
  }
}

/** The exit-3 error for drifted databases (drift.ts, loaded only when there is drift). */
export async function driftError(dbs: Drifted[]): Promise<MigrateError> {
  return (await import("./drift.ts")).driftError(dbs);
}

/** The drifted migrations of an inspected database, for driftError(). */
export function drifted(ins: Inspection): Drifted | null {
  if (!ins.driver || !ins.plan || ins.plan.drift.length === 0) return null;
  return { database: ins.files.target.name, driver: ins.driver, drift: ins.plan.drift };
}

/** The files a run will print a line for: pending and drifted ones. */
export function filesToPrint(inspections: Inspection[]): string[] {
  return inspections.flatMap((ins) =>
    [...ins.plan?.pending ?? [], ...ins.plan?.drift ?? []].map((e) =>
      e.file?.script ?? e.row?.script ?? ""
    )
  );
}

/** The skipped and pending files of a database that was not applied, as steps. */
export function notRun(ins: Inspection): void {
  const { plan, result, files } = ins;
  if (!plan) return;
  for (const e of plan.skipped) result.steps.push(stepOf(files.target.name, e, "skipped"));
  for (const e of plan.pending) result.steps.push(stepOf(files.target.name, e, "not run"));
}

/**
 * Applies what is pending in an inspected database, under its lock, and records each step in its
 * result; throws at the first failure (the files after it are `not run`). A database with nothing
 * to apply and nothing to repair takes no lock. Returns the --resolve-unknown decisions it used.
 */
export async function apply(ins: Inspection, deps: PipelineDeps): Promise<Set<string>> {
  const { driver, plan } = ins;
  const resolved = new Set<string>();
  if (!driver || !plan) return resolved;
  const { options } = deps;
  // A run that finds every file applied and unchanged (or drift, which stops it) changes nothing,
  // so it needs no lock: concurrent runs only ever add rows, never undo "applied". This keeps the
  // common release no-op free of the lock's cost, which on ClickHouse is a lease that settles.
  if (ins.tracked && plan.pending.length === 0 && (plan.drift.length === 0 || !options.repair)) {
    await execute(ins, plan, deps, resolved);
    return resolved;
  }
  // Stopped before this database was started (or while waiting for its lock): nothing of it ran.
  let started = false;
  try {
    if (deps.signal.aborted) throw deps.signal.reason;
    await withLock(driver, {
      database: ins.files.target.name,
      timeoutMs: options.lockTimeoutSeconds * 1000,
      signal: deps.signal,
      onWait: deps.reporter.notice,
    }, async () => {
      started = true;
      await driver.ensureTracking();
      // Read again under the lock: another run may have applied files meanwhile (or, through
      // --repair, forgotten some); whatever is pending now and was not before is checked too.
      const { migrations, seeds } = ins.files;
      const rows = (await driver.readTracking(false)) ?? [];
      const now = limitPlan(planDatabase(migrations, seeds, rows), options.target);
      ins.plan = now;
      const drift = drifted(ins);
      if (drift && !options.repair) throw await driftError([drift]);
      await prepare(ins, now.pending, deps, "run");
      if (options.repair) await repair(ins, now, deps);
      await execute(ins, now, deps, resolved);
    });
  } catch (err) {
    if (!started) notRun(ins);
    throw err;
  }
  return resolved;
}

/** --repair: records the current checksums of changed migrations and forgets deleted ones. */
async function repair(ins: Inspection, plan: DatabasePlan, deps: PipelineDeps): Promise<void> {
  if (plan.drift.length === 0) return;
  for (const e of plan.drift) {
    const step = stepOf(ins.files.target.name, e, "repaired");
    step.note = repairNote(e);
    ins.result.steps.push(step);
    deps.reporter.step(step);
  }
  const driver = ins.driver!;
  await driver.forget(
    plan.drift.filter((e) => !e.file).map((e) => ({
      kind: "migration" as const,
      version: e.row!.version!,
    })),
  );
  await driver.record(plan.drift.filter((e) => e.file).map((e) => ({ file: e.file! })));
}

/** Runs the pending files in order, each recorded as a step; stops at the first failure. */
async function execute(
  ins: Inspection,
  plan: DatabasePlan,
  deps: PipelineDeps,
  resolved: Set<string>,
): Promise<void> {
  const name = ins.files.target.name;
  const { result } = ins;
  for (const e of plan.skipped) result.steps.push(stepOf(name, e, "skipped"));
  if (plan.pending.length === 0) deps.reporter.upToDate(name, plan.skipped.length);
  let stopped: unknown = null;
  for (const e of plan.pending) {
    const file = e.file!;
    if (stopped || deps.signal.aborted) {
      stopped ??= deps.signal.reason;
      result.steps.push(stepOf(name, e, "not run"));
      continue;
    }
    const step = stepOf(name, e, "applied");
    try {
      const out = await ins.driver!.execute(ins.prepared.get(file.script)!, {
        previous: e.row,
        signal: deps.signal,
        graceOver: deps.graceOver ?? deps.signal,
        notice: deps.reporter.notice,
        resolveUnknown: deps.options.resolveUnknown,
      });
      step.ms = out.ms;
      const notes = [out.note];
      if (out.resolved) resolved.add(out.resolved);
      if (e.reason === "changed") notes.push("changed, applied again");
      if (e.reason === "retry") notes.push("retried after a failure");
      const note = notes.filter(Boolean).join("; ");
      if (note) step.note = note;
    } catch (err) {
      const stop = interruptionOf(err, deps.signal);
      if (stop) {
        // What the stop did to this file, as the driver found it: a rolled-back or unstarted file
        // was not run; one that stays partly applied is failed, as its tracking row says.
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
          database: name,
          script: file.script,
          serverMessage: describeError(err),
        });
      }
    }
    result.steps.push(step);
    deps.reporter.step(step);
  }
  if (stopped) throw stopped;
}

/** The stop request, with what it did to the file when the driver said, or null for a failure. */
function interruptionOf(err: unknown, signal: AbortSignal): InterruptedError | null {
  if (err instanceof InterruptedError) return err;
  const reason = signal.reason;
  if (signal.aborted && !(err instanceof MigrateError) && reason instanceof InterruptedError) {
    return reason;
  }
  return null;
}

/** Closes an inspected database's driver (and its embedded server); never throws. */
export async function close(ins: Inspection): Promise<void> {
  const driver = ins.driver;
  ins.driver = null;
  await driver?.close().catch(() => {});
}

/** Closes every inspected database. */
export async function closeAll(inspections: Inspection[]): Promise<void> {
  for (const ins of inspections) await close(ins);
}

/** The outcome of migrateDatabase(): the database's result, and the error that stopped it. */
export interface DatabaseOutcome {
  result: DatabaseResult;
  /** Null when every file was applied (or there was nothing to apply). */
  error: unknown;
  /** The --resolve-unknown decisions it used. */
  resolved: Set<string>;
}

/**
 * One database end to end: discover, inspect, stop on drift (unless --repair), apply under its lock,
 * close. The unit a run, a tenant pool (with its own abort signal as a timeout) and a test call;
 * never throws.
 */
export function migrateDatabase(
  target: DatabaseConfig,
  deps: PipelineDeps,
): Promise<DatabaseOutcome> {
  return migrateFiles(discover(target, deps.options), deps);
}

/** migrateDatabase() for files already discovered (and maybe prepared): a tenant's work. */
export async function migrateFiles(
  files: Files,
  deps: PipelineDeps,
  prepared?: Map<string, PreparedFile>,
): Promise<DatabaseOutcome> {
  const result = databaseResult(files.target);
  let ins: Inspection | null = null;
  try {
    ins = await inspect(files, result, deps, "run", prepared);
    const drift = drifted(ins);
    if (drift && !deps.options.repair) throw await driftError([drift]);
    deps.reporter.files(filesToPrint([ins]));
    return { result, error: null, resolved: await apply(ins, deps) };
  } catch (err) {
    return { result, error: err, resolved: new Set() };
  } finally {
    if (ins) await close(ins);
  }
}
