// `db-migrate info`: per database, the server and the connection's user, who holds the migration
// lock now, the counts (applied, pending, failed, undone, drift), the last applied migration, and
// every failed row with its error and the statement it stopped at: the "view failed migrations"
// query users otherwise write by hand. Changes nothing.

import {
  closeAll,
  databaseResult,
  inspectAll,
  type Inspection,
  type PipelineDeps,
} from "../core/pipeline.ts";
import type { PlanEntry } from "../core/plan.ts";
import { type DatabaseInfo, type RunResult, runResult } from "../core/result.ts";
import { readTracked } from "../core/read.ts";
import { statusEntry } from "../core/steps.ts";
import { isoTime } from "../core/time.ts";
import type { DatabaseConfig, DbKind } from "../core/types.ts";
import { statementHead } from "../sql/excerpt.ts";
import { splitStatements } from "../sql/split.ts";

/**
 * The statement a failed row stopped at, from the file's text and the row's progress: the U-file's
 * for an undo that stopped part-way.
 */
function failedStatement(e: PlanEntry, kind: DbKind, database: string): string | null {
  const done = e.row?.statementsDone;
  if (!e.file || e.file.format !== "sql" || done === null || done === undefined) return null;
  let text = e.file.text;
  if (e.row?.provenance === "undoing") {
    if (!e.file.undo) return null;
    try {
      text = readTracked(e.file.undo.path, database).text;
    } catch {
      return null; // info only looks: an unreadable U-file shows no statement
    }
  }
  const stmt = splitStatements(text, kind)[done];
  return stmt ? statementHead(stmt) : null;
}

/** The counts and rows info shows of one database's plan. */
export function infoOf(
  entries: PlanEntry[],
  kind: DbKind,
  database: string,
): Pick<DatabaseInfo, "counts" | "lastApplied" | "failed"> {
  const count = (states: string[]) => entries.filter((e) => states.includes(e.state)).length;
  const applied = entries.filter((e) =>
    e.row?.kind === "migration" && (e.state === "applied" || e.state === "checksum mismatch")
  );
  const last = applied.reduce<PlanEntry | null>(
    (a, e) => (a === null || (e.row!.version ?? 0) > (a.row!.version ?? 0) ? e : a),
    null,
  );
  return {
    counts: {
      applied: count(["applied", "checksum mismatch"]),
      pending: count(["pending"]),
      failed: count(["failed"]),
      undone: count(["undone"]),
      drift: count(["checksum mismatch", "missing file"]),
    },
    lastApplied: last
      ? {
        version: last.row!.version,
        script: last.row!.script,
        appliedAt: last.row!.appliedAt ? isoTime(last.row!.appliedAt) : null,
      }
      : null,
    failed: entries.filter((e) => e.state === "failed").map((e) => ({
      script: e.row!.script,
      version: e.row!.version,
      error: e.row!.error ?? null,
      during: e.row!.provenance === "undoing" ? "undo" as const : "apply" as const,
      at: failedStatement(e, kind, database),
    })),
  };
}

/** Reads each database's server, lock and tracking table. */
export function info(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  const results = targets.map(databaseResult);
  return runResult("info", deps.options.seed, results, async () => {
    const inspections = await inspectAll(targets, results, deps, "status");
    try {
      for (const ins of inspections) await infoOne(ins);
    } finally {
      await closeAll(inspections);
    }
  });
}

/** One inspected database's rows, server, lock holder and figures, into its result. */
export async function infoOne(ins: Inspection): Promise<void> {
  if (!ins.plan || !ins.driver) return;
  const entries = [...ins.plan.migrations, ...ins.plan.seeds];
  ins.result.status = entries.map(statusEntry);
  const server = await ins.driver.server();
  const holder = await ins.driver.lockHolder().catch(() => null);
  const replicas = await ins.driver.replicas?.();
  if (replicas) ins.result.replicas = replicas;
  ins.result.info = {
    server: server.version,
    user: server.user,
    lockHolder: holder?.description ?? null,
    tracked: ins.tracked,
    ...infoOf(entries, ins.files.target.kind, ins.files.target.name),
  };
}
