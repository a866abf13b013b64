// What each command does to one tenant: the per-database work the fan-out runs in its pool. A
// command works across tenants by adding its entry here: a function of one database's files that
// never throws and says how the database ended (DatabaseOutcome).

import type { PreparedFile } from "../drivers/driver.ts";
import type { DatabaseOutcome, Files, PipelineDeps } from "../core/pipeline.ts";

/** What the tenants of one group share: their files, checked and prepared once. */
export interface Shared {
  prepared: Map<string, PreparedFile>;
}

/** One command's work on one database; never throws (the error is in the outcome). */
export type DatabaseWork = (
  files: Files,
  deps: PipelineDeps,
  shared: Shared,
) => Promise<DatabaseOutcome>;

/**
 * Inspects one database, lets `fn` work on it (read it, or lock it and change it through
 * `ins.driver`), closes it; the outcome holds any error. A command that inspects first builds its
 * entry on this.
 */
export async function inspected(
  files: Files,
  deps: PipelineDeps,
  shared: Shared,
  purpose: "status" | "run",
  fn: (ins: import("../core/pipeline.ts").Inspection) => void | Promise<void>,
): Promise<DatabaseOutcome> {
  const { databaseResult, inspect, close } = await import("../core/pipeline.ts");
  const result = databaseResult(files.target);
  let ins = null;
  try {
    ins = await inspect(files, result, deps, purpose, shared.prepared);
    await fn(ins);
    return { result, error: null, resolved: new Set() };
  } catch (err) {
    return { result, error: err, resolved: new Set() };
  } finally {
    if (ins) await close(ins);
  }
}

/** The per-database work of each command that runs across tenants, loaded when it runs. */
export const TENANT_WORK: Record<string, () => Promise<DatabaseWork>> = {
  migrate: async () => {
    const { migrateFiles } = await import("../core/pipeline.ts");
    return (files, deps, shared) => migrateFiles(files, deps, shared.prepared);
  },
  plan: async () => {
    const { planDrift, planPending } = await import("../commands/plan.ts");
    const { filesToPrint } = await import("../core/pipeline.ts");
    return (files, deps, shared) =>
      inspected(files, deps, shared, "run", (ins) => {
        deps.reporter.files(filesToPrint([ins]));
        planDrift(ins, deps);
        planPending(ins, deps);
      });
  },
  status: async () => {
    const { statusRows } = await import("../commands/status.ts");
    return (files, deps, shared) => inspected(files, deps, shared, "status", statusRows);
  },
};
