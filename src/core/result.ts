// The outcome of a command as data: what the text, JSON and log reporters, --status and the
// Kubernetes termination message all render. No formatting here.

import { type ErrorData, toErrorData } from "./errors.ts";
import type { Step } from "./types.ts";

/**
 * What a command did, as the JSON document says: `apply` (migrate), `dry-run` (plan, or any
 * command given --dry-run), `status`, `undo`, `mark`, `baseline` or `info`.
 */
export type RunMode = "apply" | "dry-run" | "status" | "undo" | "mark" | "baseline" | "info";

/** The outcome of a whole run, as data. */
export interface RunResult {
  mode: RunMode;
  seedMode: string;
  databases: DatabaseResult[];
  exitCode: number;
  /** The error that ended the run: reported once, here (a failed step does not repeat it). */
  error?: ErrorData;
  durationMs: number;
}

/** One database's part of a run. */
export interface DatabaseResult {
  name: string;
  kind: string;
  /** The URL with its password hidden, or a note (`embedded PostgreSQL in .db-migrate/postgres`). */
  target: string | null;
  /** Set when the database was left out, with the reason. */
  notice?: string;
  steps: Step[];
  /** Every migration and seed with its state, for --status. */
  status?: StatusEntry[];
  /** The server and the tracking table in figures, for `info`. */
  info?: DatabaseInfo;
}

/** What `info` tells of one database beside its status rows. */
export interface DatabaseInfo {
  server: string;
  user: string;
  /** Who holds the migration lock now, or null. */
  lockHolder: string | null;
  /** Whether the tracking table exists. */
  tracked: boolean;
  counts: { applied: number; pending: number; failed: number; undone: number; drift: number };
  /** The most recently applied migration. */
  lastApplied: { version: number | null; script: string; appliedAt: string | null } | null;
  /** Every failed row: its error and, where the error named one, its statement. */
  failed: {
    script: string;
    version: number | null;
    error: string | null;
    /** Whether the file failed being applied, or its U-file failed undoing it. */
    during: "apply" | "undo";
    /** The statement it stopped at, when the row says how far it got. */
    at: string | null;
  }[];
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
  /** How its row got there (applied, marked, baselined, repaired, undone), when it has one. */
  provenance?: string;
  /** Who wrote its row (applied it, marked it, undid it), when it has one. */
  by?: string;
}

/** Runs a command's body and returns its result, with the error that ended it as data. */
export async function runResult(
  mode: RunMode,
  seedMode: string,
  databases: DatabaseResult[],
  body: () => Promise<void>,
): Promise<RunResult> {
  const started = performance.now();
  const result: RunResult = { mode, seedMode, databases, exitCode: 0, durationMs: 0 };
  try {
    await body();
  } catch (err) {
    failed(result, err);
  }
  result.durationMs = performance.now() - started;
  return result;
}

/** Marks a result as ended by err: its exit code and the error as data. */
export function failed(result: RunResult, err: unknown): RunResult {
  const error = toErrorData(err);
  result.exitCode = error.exitCode;
  result.error = error;
  return result;
}
