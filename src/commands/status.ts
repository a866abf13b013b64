// `db-migrate status` (or `--status`): every migration and seed of each database with its state,
// when it was applied and how long it took; changes nothing.

import {
  closeAll,
  databaseResult,
  inspectAll,
  type Inspection,
  type PipelineDeps,
} from "../core/pipeline.ts";
import { type RunResult, runResult } from "../core/result.ts";
import { statusEntry } from "../core/steps.ts";
import type { DatabaseConfig } from "../core/types.ts";

/** Reads the state of every file of each database. */
export function status(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  const results = targets.map(databaseResult);
  return runResult("status", deps.options.seed, results, async () => {
    const inspections = await inspectAll(targets, results, deps, "status");
    try {
      for (const ins of inspections) {
        statusRows(ins);
        const replicas = await ins.driver?.replicas?.();
        if (replicas) ins.result.replicas = replicas;
      }
    } finally {
      await closeAll(inspections);
    }
  });
}

/** An inspected database's rows, one per migration and seed, as its result's status. */
export function statusRows(ins: Inspection): void {
  // Its rows are the result: a step per row would only repeat them.
  if (ins.plan) ins.result.status = [...ins.plan.migrations, ...ins.plan.seeds].map(statusEntry);
}
