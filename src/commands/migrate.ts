// `db-migrate [migrate]`: apply the pending migrations of every database, then the seeds of the
// mode. Every database is inspected first, so drift or a bad file anywhere stops the run before any
// change; then each is applied in turn, locked only while it is worked on. The first failure stops
// the run: the databases after it are not started.

import {
  apply,
  close,
  closeAll,
  databaseResult,
  drifted,
  driftError,
  filesToPrint,
  inspectAll,
  notRun,
  type PipelineDeps,
} from "../core/pipeline.ts";
import type { Drifted } from "../core/drift.ts";
import { oneDatabase, PER_DATABASE } from "./target.ts";
import { type RunResult, runResult } from "../core/result.ts";
import type { DatabaseConfig } from "../core/types.ts";

/** Applies what is pending in each database and returns the run's result. */
export function migrate(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  if (deps.options.target) {
    oneDatabase(targets, [], "--to/--steps", PER_DATABASE);
  }
  const results = targets.map(databaseResult);
  return runResult("apply", deps.options.seed, results, async () => {
    const inspections = await inspectAll(targets, results, deps, "run");
    try {
      // Drift stops the run (exit 3) before any database is locked or changed.
      const drift = inspections.map(drifted).filter((d) => d !== null);
      if (drift.length > 0 && !deps.options.repair) throw await driftError(drift);
      if (drift.length > 0) await confirmRepair(drift, deps);
      deps.reporter.files(filesToPrint(inspections));
      const resolved = new Set<string>();
      for (const [i, ins] of inspections.entries()) {
        try {
          for (const id of await apply(ins, deps)) resolved.add(id);
        } catch (err) {
          for (const later of inspections.slice(i + 1)) notRun(later);
          throw err;
        } finally {
          await close(ins);
        }
      }
      for (const id of deps.options.resolveUnknown.keys()) {
        if (resolved.has(id)) continue;
        deps.reporter.notice(
          `warning: --resolve-unknown=${id}: no statement waiting for a decision has that ` +
            "query_id; nothing was resolved by it",
        );
      }
    } finally {
      await closeAll(inspections);
    }
  });
}

/**
 * --repair forgets or rewrites tracking, so on a terminal it asks first (type the database name);
 * off one (a Job, CI) it goes on as it always has, since the flag itself is the agreement.
 */
async function confirmRepair(drift: Drifted[], deps: PipelineDeps): Promise<void> {
  const yes = (deps.options as { yes?: boolean }).yes ?? false;
  const { confirmChange, terminalIO } = await import("../core/confirm.ts");
  const io = terminalIO();
  if (yes || !io.isTerminal()) return;
  for (const d of drift) {
    await confirmChange({
      command: "--repair",
      database: d.database,
      actions: d.drift.map((e) =>
        e.file
          ? `record the current checksum of ${e.file.script} (the file changed since it was applied)`
          : `forget ${e.row!.script}, whose file is gone`
      ),
      yes: false,
      dryRun: false,
    }, io);
  }
}
