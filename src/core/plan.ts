// Files on disk against rows in the tracking table: what is applied, pending, drifted or missing.
// Pure, so every rule here is unit-tested without a database.

import type { EntryState, TrackedFile, TrackedRow } from "./types.ts";

/** One file or tracking row and its state. */
export interface PlanEntry {
  file: TrackedFile | null;
  row: TrackedRow | null;
  state: EntryState;
  /** Why a pending entry runs: never applied, changed since (seeds), or failed last time. */
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
    else if (!row.success) migrationEntries.push({ file, row, state: "failed", reason: "retry" });
    else if (row.checksum !== file.checksum) {
      migrationEntries.push({ file, row, state: "checksum mismatch" });
    } else migrationEntries.push({ file, row, state: "applied" });
  }
  let orphans = 0;
  for (const [v, row] of byVersion) {
    if (!seen.has(v)) {
      migrationEntries.push({ file: null, row, state: row.success ? "missing file" : "failed" });
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

function version(e: PlanEntry): number {
  return e.file?.version ?? e.row?.version ?? 0;
}
