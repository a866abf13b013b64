// `db-migrate plan` (or `--dry-run`): what a real run would do, read from each database's tracking
// table; changes nothing, not even the tracking table. Drift is reported and the exit is 0: the
// state could be told.

import {
  closeAll,
  databaseResult,
  drifted,
  driftError,
  filesToPrint,
  inspectAll,
  type Inspection,
  type PipelineDeps,
} from "../core/pipeline.ts";
import { oneDatabase, PER_DATABASE } from "./target.ts";
import { type RunResult, runResult } from "../core/result.ts";
import { repairNote, stepOf } from "../core/steps.ts";
import type { DatabaseConfig } from "../core/types.ts";

/** Lists what a run would apply (and repair) in each database. */
export function plan(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  if (deps.options.target) {
    oneDatabase(targets, [], "--to/--steps", PER_DATABASE);
  }
  const results = targets.map(databaseResult);
  const { repair } = deps.options;
  return runResult("dry-run", deps.options.seed, results, async () => {
    const inspections = await inspectAll(targets, results, deps, "run");
    try {
      deps.reporter.files(filesToPrint(inspections));
      const drift = inspections.map(drifted).filter((d) => d !== null);
      if (drift.length > 0 && !repair) {
        // A dry run could tell what a real run would do: say so, and exit 0 as the contract pins.
        deps.reporter.notice(`warning: ${(await driftError(drift)).message}`);
      }
      for (const ins of inspections) planDrift(ins, deps);
      for (const ins of inspections) planPending(ins, deps);
    } finally {
      await closeAll(inspections);
    }
  });
}

/** A plan's drifted files as steps: `drift`, or `repaired` (would be) under --repair. */
export function planDrift(ins: Inspection, deps: PipelineDeps): void {
  const { repair } = deps.options;
  for (const e of ins.plan?.drift ?? []) {
    const step = stepOf(ins.result.name, e, repair ? "repaired" : "drift");
    step.note = repair ? `would be repaired: ${repairNote(e)}` : e.state;
    ins.result.steps.push(step);
    deps.reporter.step(step);
  }
}

/** A plan's skipped and pending files as steps; a pending one says what it would do. */
export function planPending(ins: Inspection, deps: PipelineDeps): void {
  if (!ins.plan) return;
  for (const e of ins.plan.skipped) {
    ins.result.steps.push(stepOf(ins.result.name, e, "skipped"));
  }
  for (const e of ins.plan.pending) {
    const prepared = ins.prepared.get(e.file!.script)!;
    const step = stepOf(ins.result.name, e, "pending");
    // Data seeds show their tables and row counts, never a value.
    step.note = prepared.summary + (e.reason === "new" ? "" : ` (${e.reason})`) +
      prepared.qualifiers.map((q) => ` (${q})`).join("");
    ins.result.steps.push(step);
    deps.reporter.step(step);
  }
}
