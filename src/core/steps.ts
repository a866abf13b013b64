// Plan entries as the records every reporter renders: a step of a run, a row of --status.

import type { PlanEntry } from "./plan.ts";
import type { StatusEntry } from "./result.ts";
import { isoTime } from "./time.ts";
import type { Step } from "./types.ts";

/** The step of a file or tracking row in a run, with its status. */
export function stepOf(database: string, e: PlanEntry, status: Step["status"]): Step {
  const f = e.file, r = e.row;
  return {
    database,
    kind: f?.kind ?? r?.kind ?? "migration",
    version: f?.version ?? r?.version ?? null,
    script: f?.script ?? r?.script ?? "?",
    checksum: f?.checksum ?? r?.checksum ?? "",
    status,
  };
}

/** The --status row of a file or tracking row. */
export function statusEntry(e: PlanEntry): StatusEntry {
  const f = e.file, r = e.row;
  return {
    kind: f?.kind ?? r?.kind ?? "migration",
    version: f?.version ?? r?.version ?? null,
    script: f?.script ?? r?.script ?? "?",
    state: e.state === "pending" && e.reason === "changed" ? "pending" : e.state,
    checksum: f?.checksum ?? r?.checksum ?? null,
    // An undone row's time and user are when and by whom it was undone.
    appliedAt: r?.appliedAt && (r.success || e.state === "undone") ? isoTime(r.appliedAt) : null,
    ms: r && r.success ? r.executionMs ?? null : null,
    error: r && !r.success ? r.error ?? null : null,
    ...(r ? { provenance: r.provenance ?? "applied" } : {}),
    ...(r?.appliedBy ? { by: r.appliedBy } : {}),
  };
}

/** What a repaired drift entry says: its row was given the file's checksum, or forgotten. */
export function repairNote(e: PlanEntry): string {
  return e.file ? "current checksum recorded" : "row removed, file gone";
}
