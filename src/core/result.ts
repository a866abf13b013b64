// The outcome of a command as data: what the text, JSON and log reporters, --status and the
// Kubernetes termination message all render. No formatting here.

import { type ErrorData, toErrorData } from "./errors.ts";
import type { Step } from "./types.ts";

/** What a command did: `apply` (migrate), `dry-run` (plan) or `status`, as the JSON document says. */
export type RunMode = "apply" | "dry-run" | "status";

/** The outcome of a whole run, as data. */
export interface RunResult {
  mode: RunMode;
  seedMode: string;
  databases: DatabaseResult[];
  exitCode: number;
  /** The error that ended the run: reported once, here (a failed step does not repeat it). */
  error?: ErrorData;
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
