// Files on disk against rows in the tracking table: what is applied, pending, drifted or missing.
// Pure, so every rule here is unit-tested without a database.

import type { EntryState, TrackedFile, TrackedRow } from "./types.ts";

/** One file or tracking row and its state. */
export interface PlanEntry {
  file: TrackedFile | null;
  row: TrackedRow | null;
  state: EntryState;
  /** Why a pending entry runs: never applied (or undone), changed since (seeds), or failed last time. */
  reason?: "new" | "changed" | "retry";
}

/** What a run of one database would do. */
export interface DatabasePlan {
  /** Every migration, by version, files and rows merged. */
  migrations: PlanEntry[];
  /** The seeds of the mode, in application order. */
  seeds: PlanEntry[];
  /** Applied migrations whose file changed or vanished. */
  drift: PlanEntry[];
  /** Files to apply, in order: migrations first, then seeds. */
  pending: PlanEntry[];
  /** Files already applied and unchanged. */
  skipped: PlanEntry[];
}

/** Compares the files of one database with its tracking rows. */
export function planDatabase(
  migrations: TrackedFile[],
  seeds: TrackedFile[],
  rows: TrackedRow[],
): DatabasePlan {
  const byVersion = new Map<number, TrackedRow>();
  const seedRows = new Map<string, TrackedRow>();
  for (const r of rows) {
    if (r.kind === "migration" && r.version !== null) byVersion.set(r.version, r);
    else if (r.kind === "seed") seedRows.set(r.script, r);
  }

  const migrationEntries: PlanEntry[] = [];
  const seen = new Set<number>();
  for (const file of migrations) {
    const v = file.version!;
    seen.add(v);
    const row = byVersion.get(v) ?? null;
    if (!row) migrationEntries.push({ file, row, state: "pending", reason: "new" });
    else if (isUndone(row)) migrationEntries.push({ file, row, state: "undone", reason: "new" });
    else if (!row.success) migrationEntries.push({ file, row, state: "failed", reason: "retry" });
    else if (row.checksum !== file.checksum) {
      migrationEntries.push({ file, row, state: "checksum mismatch" });
    } else migrationEntries.push({ file, row, state: "applied" });
  }
  let orphans = 0;
  for (const [v, row] of byVersion) {
    if (!seen.has(v)) {
      const state = isUndone(row) ? "undone" : row.success ? "missing file" : "failed";
      migrationEntries.push({ file: null, row, state });
      orphans++;
    }
  }
  // The files come sorted; only rows without a file need placing among them.
  if (orphans > 0) migrationEntries.sort((a, b) => version(a) - version(b));

  const seedEntries: PlanEntry[] = seeds.map((file) => {
    const row = seedRows.get(file.script) ?? null;
    if (!row) return { file, row, state: "pending", reason: "new" };
    if (!row.success) return { file, row, state: "failed", reason: "retry" };
    if (row.checksum !== file.checksum) return { file, row, state: "pending", reason: "changed" };
    return { file, row, state: "applied" };
  });

  const drift = migrationEntries.filter((e) =>
    e.state === "checksum mismatch" || e.state === "missing file"
  );
  const runnable = (e: PlanEntry) => e.file !== null && e.reason !== undefined;
  return {
    migrations: migrationEntries,
    seeds: seedEntries,
    drift,
    pending: [...migrationEntries.filter(runnable), ...seedEntries.filter(runnable)],
    skipped: [...migrationEntries, ...seedEntries].filter((e) => e.state === "applied"),
  };
}

/** Whether a row is of a migration its U-file undid: not applied, and not failed either. */
export function isUndone(row: TrackedRow): boolean {
  return row.provenance === "undone";
}

/** How far a run goes: `--to=VERSION` (up to and including it) or `--steps=N` (the next N). */
export interface Target {
  to?: number;
  steps?: number;
}

/**
 * Limits a plan to a target: only the pending migrations up to `to`, or the first `steps` of them;
 * the seeds wait while any migration stays pending, as they may need what it creates.
 */
export function limitPlan(plan: DatabasePlan, target: Target | undefined): DatabasePlan {
  if (!target || (target.to === undefined && target.steps === undefined)) return plan;
  const migrations = plan.pending.filter((e) => e.file?.kind === "migration");
  let kept = migrations;
  if (target.to !== undefined) kept = kept.filter((e) => e.file!.version! <= target.to!);
  if (target.steps !== undefined) kept = kept.slice(0, target.steps);
  const seeds = kept.length === migrations.length
    ? plan.pending.filter((e) => e.file?.kind === "seed")
    : [];
  return { ...plan, pending: [...kept, ...seeds] };
}

function version(e: PlanEntry): number {
  return e.file?.version ?? e.row?.version ?? 0;
}
