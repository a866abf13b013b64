// `db-migrate undo --database=DB [--to=VERSION | --steps=N]`: undoes applied migrations with their
// U-files (`U<version>__<description>.sql`, Flyway's naming), newest first. Everything is checked
// before any change: drift stops it (exit 3), an applied migration in range without a U-file stops
// it (exit 2, naming each), and every U-file is read and checked. Then the plan is confirmed and,
// under migrate's lock, each U-file runs with the change of its migration's row (PostgreSQL: in
// one transaction; ClickHouse: statement by statement, resuming as forward files do). The row
// stays, as undone, with when and by whom; migrate applies the migration again.

import { ApplyError, ConfigError, describeError, MigrateError } from "../core/errors.ts";
import { askEach, type Decide, inspectOne, trackingChanged, underLock } from "../core/history.ts";
import { oneDatabase, PER_DATABASE } from "./target.ts";
import {
  close,
  drifted,
  driftError,
  type Inspection,
  type PipelineDeps,
} from "../core/pipeline.ts";
import type { PlanEntry } from "../core/plan.ts";
import { readTracked } from "../core/read.ts";
import { type RunResult, runResult } from "../core/result.ts";
import { stepOf } from "../core/steps.ts";
import type { DatabaseConfig, TrackedFile, TrackedRow } from "../core/types.ts";
import type { Driver, DriverKind, PreparedFile } from "../drivers/driver.ts";
import type { Options } from "../cli.ts";

/** Whether a migration's row can be undone: applied, or an undo that stopped part-way. */
function undoable(e: PlanEntry): boolean {
  return e.row !== null && e.file !== null &&
    (e.state === "applied" || e.row.provenance === "undoing");
}

/** The entries to undo, newest first: the last N applied, or all above a version. */
export function undoRange(migrations: PlanEntry[], target: Options["target"]): PlanEntry[] {
  const applied = migrations.filter(undoable).sort((a, b) => b.file!.version! - a.file!.version!);
  if (target?.to !== undefined) return applied.filter((e) => e.file!.version! > target.to!);
  return applied.slice(0, target?.steps ?? 1);
}

/**
 * Migrations that failed part-way above the lowest one to undo: undoing beneath a half-applied
 * migration would leave it on top of a schema it was not written for.
 */
export function undoBlockers(migrations: PlanEntry[], range: PlanEntry[]): PlanEntry[] {
  const lowest = Math.min(...range.map((e) => e.file!.version!));
  return migrations.filter((e) =>
    e.state === "failed" && e.row?.provenance !== "undoing" &&
    (e.file?.version ?? e.row?.version ?? 0) > lowest
  );
}

/** The U-file of a migration, read and checksummed like any tracked file. */
function undoFile(file: TrackedFile, database: string, maxFileMb: number): TrackedFile {
  const u = file.undo!;
  const { text, sum } = readTracked(u.path, database, maxFileMb);
  return {
    kind: "migration",
    version: file.version,
    description: file.description,
    script: u.script,
    path: u.path,
    text,
    checksum: sum,
    format: "sql",
  };
}

/** What undo does to each tenant of a group, for the one question asked about the group. */
export function undoActions(target: Options["target"]): string[] {
  const n = target?.steps ?? 1;
  return [
    target?.to !== undefined
      ? `undo every applied migration above version ${target.to}, newest first, with its U-file`
      : n === 1
      ? "undo the last applied migration with its U-file"
      : `undo the last ${n} applied migrations, newest first, with their U-files`,
  ];
}

/**
 * Reads and checks every U-file of a database's migrations into `prepared` (by the U-file's
 * script): a tenant group checks them all once, before any tenant is touched.
 */
export async function prepareUndoFiles(
  files: TrackedFile[],
  kind: DriverKind,
  deps: PipelineDeps,
  database: string,
  prepared: Map<string, PreparedFile>,
): Promise<void> {
  for (const file of files) {
    if (!file.undo || prepared.has(file.undo.script)) continue;
    const u = undoFile(file, database, deps.options.maxFileMb);
    const p = await kind.prepare(u, { database, maxStatementMb: deps.options.maxStatementMb });
    for (const n of p.notices) deps.reporter.notice(n);
    prepared.set(u.script, p);
  }
}

/** Undoes the last applied migration(s) of one database. */
export function undo(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  const opts = deps.options as Options;
  const mode = opts.dryRun ? "dry-run" : "undo";
  const results: RunResult["databases"] = [];
  return runResult(mode, opts.seed, results, async () => {
    const target = oneDatabase(targets, opts.databases, "undo", PER_DATABASE);
    const { ins, result } = await inspectOne(target, deps);
    results.push(result);
    try {
      await undoOne(ins, deps, opts.target, askEach("undo", opts));
    } finally {
      await close(ins);
    }
  });
}

/**
 * Undoes one inspected database's last applied migration(s) (`target`: --to, --steps), once
 * `decide` agrees; everything is checked first. U-files are prepared into the inspection's map of
 * prepared files (a tenant group's, shared by its tenants).
 */
export async function undoOne(
  ins: Inspection,
  deps: PipelineDeps,
  target: Options["target"],
  decide: Decide,
): Promise<void> {
  const name = ins.files.target.name;
  const result = ins.result;
  if (!ins.driver || !ins.plan) return;
  const drift = drifted(ins);
  if (drift) throw await driftError([drift]);
  const range = undoRange(ins.plan.migrations, target);
  if (range.length === 0) {
    deps.reporter.notice(`${name}: no applied migration to undo`);
    return;
  }
  const blockers = undoBlockers(ins.plan.migrations, range);
  if (blockers.length > 0) {
    const names = blockers.map((e) => `"${e.row!.script}"`).join(", ");
    throw new ConfigError(
      "UNDO_BLOCKED",
      `cannot undo in "${name}": ${names} failed part-way above what would be undone; ` +
        "nothing was undone",
      {
        database: name,
        hint: "finish it with migrate, or forget it with mark pending, then undo again",
      },
    );
  }
  const missing = range.filter((e) => !e.file!.undo);
  if (missing.length > 0) {
    const names = missing.map((e) => `"${e.file!.script}"`).join(", ");
    throw new ConfigError(
      "NO_UNDO_FILE",
      `cannot undo ${names} in "${name}": no U-file undoes ${
        missing.length === 1 ? "it" : "them"
      }; nothing was undone`,
      {
        database: name,
        position: { file: missing[0]!.file!.path },
        hint: `write ${
          missing.map((e) => `U${e.file!.script.slice(1)}`).join(", ")
        } beside the migration, or undo fewer (--steps, --to)`,
      },
    );
  }
  // Every U-file is read and checked before anything changes.
  await prepareUndoFiles(range.map((e) => e.file!), ins.kind!, deps, name, ins.prepared);
  const prepared = new Map(
    range.map((e) => [e.file!.version!, ins.prepared.get(e.file!.undo!.script)!]),
  );
  deps.reporter.files(range.map((e) => e.file!.undo!.script));
  const go = await decide(
    name,
    range.map((e) =>
      `undo version ${e.file!.version} (${e.file!.script}) by running ${e.file!.undo!.script}`
    ),
  );
  if (!go) {
    for (const e of range) {
      const step = { ...stepOf(name, e, "pending"), script: e.file!.undo!.script };
      step.note = `would undo ${e.file!.script} (${prepared.get(e.file!.version!)!.summary})`;
      result.steps.push(step);
      deps.reporter.step(step);
    }
    return;
  }
  await underLock(ins, deps, async (now) => {
    const byVersion = new Map(
      now.migrations.map((e) => [e.file?.version ?? e.row?.version, e]),
    );
    const rows: TrackedRow[] = [];
    for (const e of range) {
      const fresh = byVersion.get(e.file!.version!);
      if (!fresh || !undoable(fresh)) {
        throw trackingChanged(name, `${e.file!.script} is no longer applied`);
      }
      rows.push(fresh.row!);
    }
    await undoEach(ins.driver!, range, rows, prepared, deps, result);
  });
}

/** Runs each U-file in turn; stops at the first failure (the rest are `not run`). */
async function undoEach(
  driver: Driver,
  range: PlanEntry[],
  rows: TrackedRow[],
  prepared: Map<number, PreparedFile>,
  deps: PipelineDeps,
  result: RunResult["databases"][number],
): Promise<void> {
  const name = result.name;
  let stopped: unknown = null;
  for (const [i, e] of range.entries()) {
    const file = e.file!;
    const u = prepared.get(file.version!)!;
    const step = { ...stepOf(name, e, "undone"), script: u.file.script, checksum: u.file.checksum };
    if (stopped || deps.signal.aborted) {
      stopped ??= deps.signal.reason;
      result.steps.push({ ...step, status: "not run" });
      continue;
    }
    try {
      const out = await driver.execute(u, {
        previous: rows[i]!,
        signal: deps.signal,
        graceOver: deps.graceOver ?? deps.signal,
        notice: deps.reporter.notice,
        resolveUnknown: deps.options.resolveUnknown,
        undoes: file,
      });
      step.ms = out.ms;
      step.note = `undid ${file.script}${out.note ? `; ${out.note}` : ""}`;
    } catch (err) {
      step.status = "failed";
      stopped = err instanceof MigrateError ? err : new ApplyError({
        database: name,
        script: u.file.script,
        serverMessage: describeError(err),
      });
    }
    result.steps.push(step);
    deps.reporter.step(step);
  }
  if (stopped) throw stopped;
}
