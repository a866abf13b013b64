// Counts and the one-line summary, computed from the same step records every reporter renders.

import type { RunResult } from "../core/result.ts";
import type { Step } from "../core/types.ts";
import { type VerifyReport, verifySummary } from "../verify/report.ts";
import { tenantSummary } from "./tenants.ts";

/** How many files ended in each state. Every file is in exactly one of them. */
export interface Tally {
  applied: number;
  skipped: number;
  failed: number;
  pending: number;
  notRun: number;
  repaired: number;
  /** Recorded without running, from another tool's history (import). */
  baselined: number;
  /** Drift: in --status, `checksumMismatch` + `missingFile`. */
  drift: number;
  checksumMismatch: number;
  missingFile: number;
  /** Undone by their U-files (undo), or shown undone (status, info). */
  undone: number;
  /** Recorded as applied without running (mark applied, baseline). */
  marked: number;
  /** Forgotten, to run again (mark pending). */
  unmarked: number;
}

/** Counts of a run: the totals, and the same split into migrations and seeds. */
export interface Counts extends Tally {
  migrations: Tally;
  seeds: Tally;
}

function emptyTally(): Tally {
  return {
    applied: 0,
    skipped: 0,
    failed: 0,
    pending: 0,
    notRun: 0,
    repaired: 0,
    baselined: 0,
    drift: 0,
    checksumMismatch: 0,
    missingFile: 0,
    undone: 0,
    marked: 0,
    unmarked: 0,
  };
}

const STEP_FIELD: Record<Step["status"], keyof Tally> = {
  applied: "applied",
  skipped: "skipped",
  failed: "failed",
  pending: "pending",
  "not run": "notRun",
  repaired: "repaired",
  drift: "drift",
  undone: "undone",
  marked: "marked",
  unmarked: "unmarked",
  baselined: "baselined",
};

/** A --status row counts as its state: the summary then agrees with the table above it. */
const STATE_FIELD: Record<string, keyof Tally> = {
  applied: "applied",
  failed: "failed",
  pending: "pending",
  "checksum mismatch": "checksumMismatch",
  "missing file": "missingFile",
  undone: "undone",
};

/** Adds up the files of all databases: the steps of a run, or the rows of --status. */
export function countSteps(result: RunResult): Counts {
  const c: Counts = { ...emptyTally(), migrations: emptyTally(), seeds: emptyTally() };
  const add = (kind: "migration" | "seed", field: keyof Tally) => {
    const part = kind === "seed" ? c.seeds : c.migrations;
    c[field]++;
    part[field]++;
    if (field === "checksumMismatch" || field === "missingFile") {
      c.drift++;
      part.drift++;
    }
  };
  for (const db of result.databases) {
    if (result.mode === "status" || result.mode === "info") {
      for (const e of db.status ?? []) add(e.kind, STATE_FIELD[e.state] ?? "pending");
    } else {
      for (const s of db.steps) add(s.kind, STEP_FIELD[s.status]);
    }
  }
  return c;
}

/** The counts beyond applied, skipped and failed, in the words the progress lines and tables use. */
function otherCounts(t: Tally, mode: RunResult["mode"], total = true): string[] {
  const out: string[] = [];
  if (t.pending) out.push(`${t.pending} pending`);
  if (t.notRun) out.push(`${t.notRun} not run`);
  if (t.repaired) out.push(`${t.repaired} repaired`);
  if (t.undone) out.push(`${t.undone} undone`);
  if (t.marked) out.push(`${t.marked} marked`);
  if (t.unmarked) out.push(`${t.unmarked} unmarked`);
  if (t.baselined) out.push(`${t.baselined} baselined`);
  if (mode === "status" || mode === "info") {
    if (t.checksumMismatch) out.push(`${t.checksumMismatch} checksum mismatch`);
    if (t.missingFile) out.push(`${t.missingFile} missing file`);
  } else if (t.drift) {
    out.push(`${t.drift} drifted${mode === "dry-run" && total ? " (a real run exits 3)" : ""}`);
  }
  return out;
}

/** One kind's share of the totals, naming only the states it has files in. */
function share(t: Tally, mode: RunResult["mode"]): string {
  const main: string[] = [];
  if (t.applied) main.push(`${t.applied} applied`);
  if (t.skipped) main.push(`${t.skipped} skipped`);
  if (t.failed) main.push(`${t.failed} failed`);
  return [...main, ...otherCounts(t, mode, false)].join(", ") || "none";
}

function files(t: Tally): number {
  return t.applied + t.skipped + t.failed + t.pending + t.notRun + t.repaired + t.drift +
    t.undone + t.marked + t.unmarked + t.baselined;
}

/**
 * The last line of a text run: `3 applied, 12 skipped, 0 failed`, then the other states, then the
 * same totals split into migrations and seeds (each file counted once), the mode and the time.
 */
export function summaryLine(result: RunResult): string {
  if (result.mode === "verify") return verifyLine(result);
  const c = countSteps(result);
  const head = [`${c.applied} applied`, `${c.skipped} skipped`, `${c.failed} failed`];
  const parts = [[...head, ...otherCounts(c, result.mode)].join(", ")];
  if (files(c.migrations) > 0 && files(c.seeds) > 0) {
    parts.push(`migrations: ${share(c.migrations, result.mode)}`);
    parts.push(`seeds (${result.seedMode}): ${share(c.seeds, result.mode)}`);
  }
  if (result.tenants) parts.push(tenantSummary(result.tenants));
  if (result.mode === "dry-run") parts.push("dry run: nothing changed");
  if (result.mode === "status") parts.push("status: nothing changed");
  if (result.mode === "info") parts.push("info: nothing changed");
  if (result.error && result.exitCode !== 0) {
    parts.push(`exit ${result.exitCode} ${result.error.code}`);
  }
  parts.push(`${(result.durationMs / 1000).toFixed(2)} s`);
  return parts.join("; ");
}

/** The reports of a verify run, in database order. */
export function verifyReports(result: RunResult): VerifyReport[] {
  return result.databases.flatMap((d) => (d.verify ? [d.verify] : []));
}

/** The last line of `verify`: its counts, the exit code when not 0, and the time. */
function verifyLine(result: RunResult): string {
  const reports = verifyReports(result);
  // A run that ended before any database was verified (drift, a bad file) has nothing to count.
  const parts = reports.length === 0 && result.error
    ? ["nothing verified"]
    : [verifySummary(reports, reports.some((r) => r.check === "rehearsal"))];
  if (result.error && result.exitCode !== 0) {
    parts.push(`exit ${result.exitCode} ${result.error.code}`);
  } else if (result.exitCode !== 0) parts.push(`exit ${result.exitCode}`);
  parts.push(`${(result.durationMs / 1000).toFixed(2)} s`);
  return parts.join("; ");
}
