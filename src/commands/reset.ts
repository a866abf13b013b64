// `db-migrate reset --database=DB [--migrate]`: drops everything in a development database (every
// non-system schema of PostgreSQL, every table of the ClickHouse database), then with --migrate
// applies the migrations and seeds again. Local databases only (see core/local.ts); it says what it
// will drop and asks first (core/confirm.ts); under the migration lock, as a run.

import type { CommandDeps } from "../cli.ts";
import { confirmChange } from "../core/confirm.ts";
import { checkLocal } from "../core/local.ts";
import { withLock } from "../core/lock.ts";
import {
  close,
  databaseResult,
  discover,
  type Files,
  inspect,
  migrateDatabase,
} from "../core/pipeline.ts";
import { type DatabaseResult, reportResult, type RunResult } from "../core/result.ts";
import type { DatabaseConfig } from "../core/types.ts";
import { namedDatabases } from "./target.ts";

/** What reset will do to a database, a line per change, for the confirmation. */
export function resetActions(
  target: DatabaseConfig,
  trackedRows: number | null,
  then: { migrations: number; seeds: number; mode: string } | null,
  cluster: string | null = null,
): string[] {
  const tracking = trackedRows === null
    ? "(it has no tracking table)"
    : `and the tracking table with its ${trackedRows} ${trackedRows === 1 ? "row" : "rows"}`;
  const actions = target.kind === "postgres"
    ? [
      "drop every schema but the system ones (pg_catalog, information_schema), with all they " +
      `hold: tables, views, types, functions, data ${tracking}`,
      "create an empty public schema",
    ]
    : [
      `drop every table of the ClickHouse database, with its data, ${tracking}` +
      (cluster === null ? "" : `, on every host of cluster "${cluster}" (DROP ... ON CLUSTER)`),
    ];
  if (then) {
    actions.push(
      `apply the ${then.migrations} migrations, then the ${then.seeds} seeds of the mode ` +
        `"${then.mode}"`,
    );
  }
  return actions;
}

/** Resets each database --database names (all refused unless local, before any change). */
export function reset(targets: DatabaseConfig[], deps: CommandDeps): Promise<RunResult> {
  const { options } = deps;
  const results: DatabaseResult[] = targets.map(databaseResult);
  return reportResult("reset", options.seed, async (report) => {
    const lines: string[] = [];
    report({ lines, data: { reset: lines } });
    namedDatabases(targets, options.databases, "reset");
    for (const t of targets) checkLocal(t, "reset", deps.env("DB_MIGRATE_ALLOW_RESET"));
    // With --migrate, a bad file stops the reset before anything is dropped, as it stops a run.
    const files: Files[] = targets.map((t) =>
      options.migrate ? discover(t, options) : { target: t, migrations: [], seeds: [] }
    );
    for (const [i, f] of files.entries()) {
      const name = f.target.name;
      const ins = await inspect(f, results[i]!, deps, "status");
      try {
        if (!ins.driver) continue; // left out (a ClickHouse database without a URL, --embedded)
        const rows = ins.tracked ? (await ins.driver.readTracking(false))?.length ?? 0 : null;
        const go = await confirmChange({
          command: "reset",
          database: name,
          actions: resetActions(
            f.target,
            rows,
            options.migrate
              ? { migrations: f.migrations.length, seeds: f.seeds.length, mode: options.seed }
              : null,
            ins.driver.clusterName?.() ?? null,
          ),
          yes: options.yes,
          dryRun: options.dryRun,
        });
        if (!go) {
          lines.push(`${name}: would be reset (dry run: nothing changed)`);
          continue;
        }
        const driver = ins.driver;
        await withLock(driver, {
          database: name,
          timeoutMs: options.lockTimeoutSeconds * 1000,
          signal: deps.signal,
          onWait: deps.reporter.notice,
        }, () => driver.dropAll());
        lines.push(`${name}: dropped everything`);
      } finally {
        await close(ins);
      }
      if (options.migrate && !options.dryRun) {
        const outcome = await migrateDatabase(f.target, deps);
        results[i] = outcome.result;
        if (outcome.error) throw outcome.error;
      }
    }
  }, results);
}
