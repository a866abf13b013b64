// What the commands that change tracking by hand share (undo, mark, baseline): one database named
// for them, its state read without a lock, the plan confirmed, and the change made under the same
// lock migrate takes, after reading the tracking table again.

import type { ChangeRequest, ConfirmIO } from "./confirm.ts";
import { ConfigError } from "./errors.ts";
import { withLock } from "./lock.ts";
import {
  databaseResult,
  discover,
  inspect,
  type Inspection,
  type PipelineDeps,
} from "./pipeline.ts";
import { type DatabasePlan, planDatabase } from "./plan.ts";
import type { DatabaseResult } from "./result.ts";
import type { DatabaseConfig, TrackedRow } from "./types.ts";

/** The deps to inspect with: a target (--to, --steps) is the command's own, not a limit on the forward plan. */
export function historyDeps<D extends PipelineDeps>(deps: D): D {
  const { target: _, ...options } = deps.options;
  return { ...deps, options };
}

/** Reads one database's files and tracking rows (with their detail); changes nothing. */
export async function inspectOne(
  target: DatabaseConfig,
  deps: PipelineDeps,
): Promise<{ ins: Inspection; result: DatabaseResult }> {
  const result = databaseResult(target);
  const plain = historyDeps(deps);
  const ins = await inspect(discover(target, plain.options), result, plain, "status");
  return { ins, result };
}

/** Asks for the change (confirm.ts, loaded here); false for a dry run. */
export async function confirm(req: ChangeRequest, io?: ConfirmIO): Promise<boolean> {
  const { confirmChange } = await import("./confirm.ts");
  return await confirmChange(req, io);
}

/**
 * Whether to make one database's changes, once they are known (its name, a line per change): true
 * to go, false for a dry run; throws when not agreed. Alone, a command asks about that database;
 * across tenants the group was asked once before any tenant was touched (agreed()).
 */
export type Decide = (database: string, actions: string[]) => Promise<boolean>;

/** Asks about each database as it comes (a command run on one database). */
export function askEach(command: string, opts: { yes: boolean; dryRun: boolean }): Decide {
  return (database, actions) =>
    confirm({ command, database, actions, yes: opts.yes, dryRun: opts.dryRun });
}

/** The answer given beforehand for a whole tenant group: go, unless it is a dry run. */
export function agreed(opts: { dryRun: boolean }): Decide {
  return () => Promise.resolve(!opts.dryRun);
}

/**
 * Runs fn under the database's migration lock, with the tracking table made (or given its newer
 * columns) and read again: fn gets the plan as it stands now.
 */
export async function underLock<T>(
  ins: Inspection,
  deps: PipelineDeps,
  fn: (plan: DatabasePlan, rows: TrackedRow[]) => Promise<T>,
): Promise<T> {
  const driver = ins.driver!;
  if (deps.signal.aborted) throw deps.signal.reason;
  return await withLock(driver, {
    database: ins.files.target.name,
    timeoutMs: deps.options.lockTimeoutSeconds * 1000,
    signal: deps.signal,
    onWait: deps.reporter.notice,
  }, async () => {
    await driver.ensureTracking();
    const rows = (await driver.readTracking(true)) ?? [];
    return await fn(planDatabase(ins.files.migrations, ins.files.seeds, rows), rows);
  });
}

/** The error for tracking that another run changed between the plan and the lock. */
export function trackingChanged(database: string, what: string): ConfigError {
  return new ConfigError(
    "TRACKING_CHANGED",
    `the tracking table of "${database}" changed while waiting for the lock: ${what}; nothing ` +
      "was changed",
    { database, hint: "look at `db-migrate status` and run the command again" },
  );
}
