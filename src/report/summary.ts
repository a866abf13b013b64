// Counts and the one-line summary, computed from the same step records every reporter renders.

import { MigrateError } from "../errors.ts";
import { scrub } from "../redact.ts";
import type { Step } from "../types.ts";

/** The outcome of a whole run, as data. */
export interface RunResult {
  mode: "apply" | "dry-run" | "status";
  seedMode: string;
  databases: DatabaseResult[];
  exitCode: number;
  error?: { code: string; message: string; database?: string; hint?: string };
  durationMs: number;
}

/** One database's part of a run. */
export interface DatabaseResult {
  name: string;
  kind: string;
  /** The URL with its password hidden, or a note (`embedded: .db-migrate/postgres`). */
  target: string | null;
  /** Set when the database was left out, with the reason. */
  notice?: string;
  steps: Step[];
  /** Every migration and seed with its state, for --status. */
  status?: StatusEntry[];
}

/** One row of a --status table. */
export interface StatusEntry {
  kind: "migration" | "seed";
  version: number | null;
  script: string;
  state: string;
  checksum: string | null;
  appliedAt: string | null;
  ms: number | null;
  error: string | null;
}

/** Counts of a run. */
export interface Counts {
  applied: number;
  skipped: number;
  failed: number;
  pending: number;
  notRun: number;
  repaired: number;
  drift: number;
  seeds: { applied: number; skipped: number; failed: number; pending: number };
}

/** Adds up the steps of all databases. */
export function countSteps(result: RunResult): Counts {
  const c: Counts = {
    applied: 0,
    skipped: 0,
    failed: 0,
    pending: 0,
    notRun: 0,
    repaired: 0,
    drift: 0,
    seeds: { applied: 0, skipped: 0, failed: 0, pending: 0 },
  };
  for (const db of result.databases) {
    for (const s of db.steps) {
      if (s.status === "applied") c.applied++;
      else if (s.status === "skipped") c.skipped++;
      else if (s.status === "failed") c.failed++;
      else if (s.status === "pending") c.pending++;
      else if (s.status === "not run") c.notRun++;
      else if (s.status === "repaired") c.repaired++;
      else if (s.status === "drift") c.drift++;
      if (s.kind === "seed" && s.status in c.seeds) c.seeds[s.status as "applied"]++;
    }
  }
  return c;
}

/** The last line of a text run: `3 applied, 12 skipped, 0 failed` and what else there is to say. */
export function summaryLine(result: RunResult): string {
  const c = countSteps(result);
  const extra: string[] = [];
  if (c.pending) extra.push(`${c.pending} pending`);
  if (c.notRun) extra.push(`${c.notRun} not run`);
  if (c.repaired) extra.push(`${c.repaired} repaired`);
  if (c.drift) extra.push(`${c.drift} drifted (a real run exits 3)`);
  const s = c.seeds;
  if (s.applied + s.skipped + s.failed + s.pending > 0) {
    extra.push(
      `seeds (${result.seedMode}): ${s.applied} applied, ${s.skipped} skipped` +
        (s.failed ? `, ${s.failed} failed` : "") + (s.pending ? `, ${s.pending} pending` : ""),
    );
  }
  if (result.mode === "dry-run") extra.push("dry run: nothing changed");
  if (result.mode === "status") extra.push("status: nothing changed");
  if (result.error && result.exitCode !== 0) {
    extra.push(`exit ${result.exitCode} ${result.error.code}`);
  }
  return `${c.applied} applied, ${c.skipped} skipped, ${c.failed} failed` +
    (extra.length ? `; ${extra.join("; ")}` : "") +
    ` in ${(result.durationMs / 1000).toFixed(2)} s`;
}

/** The exit code and the reported error of a failed run; `internal` describes an unexpected error. */
export function failureOf(
  err: unknown,
  internal: (err: unknown) => string,
): Pick<Required<RunResult>, "exitCode" | "error"> {
  if (!(err instanceof MigrateError)) {
    return { exitCode: 1, error: { code: "INTERNAL", message: internal(err) } };
  }
  return {
    exitCode: err.exitCode,
    error: {
      code: err.code,
      message: scrub(err.message),
      ...(err.database ? { database: err.database } : {}),
      ...(err.hint ? { hint: err.hint } : {}),
    },
  };
}
