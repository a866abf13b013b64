// The outcome of a command as data: what the text, JSON and log reporters, --status and the
// Kubernetes termination message all render. No formatting here.

import { type ErrorData, toErrorData } from "./errors.ts";
import type { ReplicaState, Step } from "./types.ts";
import type { VerifyReport } from "../verify/report.ts";

/** What a command did: `apply` (migrate), `dry-run` (plan), `status`, or the command's name. */
export type RunMode =
  | "apply"
  | "dry-run"
  | "status"
  | "create"
  | "validate"
  | "list"
  | "reset"
  | "seed"
  | "verify"
  | "undo"
  | "mark"
  | "baseline"
  | "info"
  | "import";

/**
 * What a command that does not apply files reports (create, validate, list): its lines for a
 * person, the last one its summary, and the same as data for the JSON document.
 */
export interface CommandReport {
  lines: string[];
  data: Record<string, unknown>;
}

/** The outcome of a whole run, as data. */
export interface RunResult {
  mode: RunMode;
  seedMode: string;
  databases: DatabaseResult[];
  exitCode: number;
  /** The error that ended the run: reported once, here (a failed step does not repeat it). */
  error?: ErrorData;
  /** Set by create, validate and list: printed in place of the summary line. */
  report?: CommandReport;
  durationMs: number;
  /** A run over tenant groups: one entry per tenant, in the group's order. */
  tenants?: TenantResult[];
}

/** How one tenant ended: `ok`, `failed` (its first error says why), `drift`, or `not run`. */
export type TenantState = "ok" | "failed" | "drift" | "not run";

/** One tenant of a run over a tenant group. */
export interface TenantResult {
  group: string;
  id: string;
  /** Its database's name in the run's results and lines: `tenant/acme`. */
  database: string;
  state: TenantState;
  /** Attempts made (retries after connection failures and lock timeouts); 0 when not run. */
  attempts: number;
  ms: number;
  /** The error that ended it (after the last attempt). */
  error?: ErrorData;
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
  /** For --status on a replicated database: each replica and whether it has caught up. */
  replicas?: ReplicaState[];
  /** What `verify` found. */
  verify?: VerifyReport;
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

/**
 * Runs the body of a command that reports (create, validate, list, reset): it hands its report to `set`,
 * even when it then throws the error that ends the run (validate's problems).
 */
export async function reportResult(
  mode: RunMode,
  seedMode: string,
  body: (set: (report: CommandReport) => void) => Promise<void>,
  databases: DatabaseResult[] = [],
): Promise<RunResult> {
  let report: CommandReport | undefined;
  const result = await runResult(mode, seedMode, databases, () => body((r) => (report = r)));
  if (report) result.report = report;
  return result;
}
