// `db-migrate seed [--seed=MODE] [--reset]`: applies only the seeds of the mode, to databases whose
// migrations are all applied (a seed needs their tables). --reset first empties the tables the
// mode's seeds write (a YAML seed's tables, a CSV seed's table, the tables a SQL seed names in
// `-- db-migrate: resets TABLE`) and forgets the seeds' tracking rows, so all of them apply again:
// local databases only, confirmed first, under the migration lock.

import type { CommandDeps } from "../cli.ts";
import { confirmChange } from "../core/confirm.ts";
import { ConfigError, UsageError } from "../core/errors.ts";
import { checkLocal } from "../core/local.ts";
import { withLock } from "../core/lock.ts";
import {
  apply,
  close,
  closeAll,
  databaseResult,
  drifted,
  driftError,
  filesToPrint,
  inspectAll,
  type Inspection,
  notRun,
} from "../core/pipeline.ts";
import { planDatabase } from "../core/plan.ts";
import { type RunResult, runResult } from "../core/result.ts";
import { stepOf } from "../core/steps.ts";
import type { DatabaseConfig, TrackedFile } from "../core/types.ts";
import { resetsDirective } from "../sql/directives.ts";

/** The tables the seeds write, in seed order, each once: what seed --reset empties. */
export async function seedTables(seeds: TrackedFile[], database: string): Promise<string[]> {
  const tables: string[] = [];
  const add = (t: string) => {
    if (!tables.includes(t)) tables.push(t);
  };
  for (const f of seeds) {
    if (f.format === "sql") {
      resetsDirective(f.text).forEach(add);
      continue;
    }
    // The seed modules (yaml, the CSV reader) load only when there is a data seed.
    const { parseDataSeed } = await import("../seeds/load.ts");
    const seed = await parseDataSeed(f, database);
    if (seed.format === "csv") add(seed.table);
    else seed.tables.forEach((t) => add(t.name));
  }
  return tables;
}

/** The exit-2 error of a database with migrations still to apply: seeds would miss their tables. */
function pendingMigrations(ins: Inspection): ConfigError | null {
  const pending = ins.plan?.pending.filter((e) => e.file?.kind === "migration") ?? [];
  if (pending.length === 0) return null;
  const name = ins.files.target.name;
  return new ConfigError(
    "MIGRATIONS_PENDING",
    `seed applies seeds only, and "${name}" has ${pending.length} migrations to apply first: ${
      pending.map((e) => e.file!.script).join(", ")
    }`,
    { database: name, hint: "run db-migrate migrate (it applies the seeds too)" },
  );
}

/** Empties the seeds' tables and forgets their rows (after asking); false for a dry run. */
async function resetSeeds(ins: Inspection, deps: CommandDeps): Promise<boolean> {
  const { options } = deps;
  const name = ins.files.target.name;
  const seeds = ins.files.seeds;
  const tables = await seedTables(seeds, name);
  const actions: string[] = [];
  const cluster = ins.driver?.clusterName?.() ?? null;
  if (tables.length > 0) {
    actions.push(
      `empty the tables ${tables.join(", ")}` +
        (ins.files.target.kind === "postgres"
          ? " (TRUNCATE ... RESTART IDENTITY CASCADE: rows of other tables that reference " +
            "them go too)"
          : cluster === null
          ? ""
          : ` on every host of cluster "${cluster}" (TRUNCATE ... ON CLUSTER)`),
    );
  }
  actions.push(
    `forget the tracking rows of the ${seeds.length} seeds of the mode "${options.seed}"`,
    `apply the ${seeds.length} seeds again`,
  );
  const go = await confirmChange({
    command: "seed --reset",
    database: name,
    actions,
    yes: options.yes,
    dryRun: options.dryRun,
  });
  if (!go) return false;
  const driver = ins.driver!;
  await withLock(driver, {
    database: name,
    timeoutMs: options.lockTimeoutSeconds * 1000,
    signal: deps.signal,
    onWait: deps.reporter.notice,
  }, async () => {
    await driver.emptyTables(tables);
    await driver.forget(seeds.map((f) => ({ kind: "seed" as const, script: f.script })));
  });
  deps.reporter.notice(
    `${name}: ${tables.length > 0 ? `emptied ${tables.join(", ")}; ` : ""}forgot the rows of ` +
      `${seeds.length} seeds`,
  );
  // Planned again: the seeds are pending now, and apply() checks and runs them under the lock.
  ins.plan = planDatabase(ins.files.migrations, seeds, (await driver.readTracking(false)) ?? []);
  return true;
}

/** Applies the seeds of the mode to each database (after --reset, all of them again). */
export function seed(targets: DatabaseConfig[], deps: CommandDeps): Promise<RunResult> {
  const { options } = deps;
  const results = targets.map(databaseResult);
  return runResult("seed", options.seed, results, async () => {
    if (options.seed === "none") {
      throw new UsageError("seed --seed=none has no seeds to apply: name a mode (--seed=sample)");
    }
    if (options.reset) {
      for (const t of targets) checkLocal(t, "seed --reset", deps.env("DB_MIGRATE_ALLOW_RESET"));
    }
    const inspections = await inspectAll(targets, results, deps, "run");
    try {
      // As a run: drift and pending migrations anywhere stop it before any database is changed.
      const drift = inspections.map(drifted).filter((d) => d !== null);
      if (drift.length > 0) throw await driftError(drift);
      for (const ins of inspections) {
        const err = pendingMigrations(ins);
        if (err) throw err;
      }
      if (options.dryRun && !options.reset) {
        // As plan: what would be applied, changing nothing.
        deps.reporter.files(filesToPrint(inspections));
        for (const ins of inspections) {
          const name = ins.files.target.name;
          for (const e of ins.plan?.skipped ?? []) {
            ins.result.steps.push(stepOf(name, e, "skipped"));
          }
          for (const e of ins.plan?.pending ?? []) {
            const step = stepOf(name, e, "pending");
            ins.result.steps.push(step);
            deps.reporter.step(step);
          }
        }
        return;
      }
      for (const [i, ins] of inspections.entries()) {
        try {
          if (!ins.driver) continue;
          if (options.reset && !(await resetSeeds(ins, deps))) continue;
          deps.reporter.files(filesToPrint([ins]));
          await apply(ins, deps);
        } catch (err) {
          for (const later of inspections.slice(i + 1)) notRun(later);
          throw err;
        } finally {
          await close(ins);
        }
      }
    } finally {
      await closeAll(inspections);
    }
  });
}
