// What each command does to one tenant: the per-database work the fan-out runs in its pool. A
// command works across tenants by adding its entry here: a function of one database's files that
// never throws and says how the database ended (DatabaseOutcome), and, for a command that changes
// tracking, what it will do to each tenant, asked once for the whole group before any is touched.

import type { DriverKind, PreparedFile } from "../drivers/driver.ts";
import type { DatabaseOutcome, Files, PipelineDeps } from "../core/pipeline.ts";
import type { Options } from "../cli.ts";

/** What the tenants of one group share: their files, checked and prepared once. */
export interface Shared {
  files: Files;
  /** Null when the group's kind is left out (a ClickHouse group without a URL). */
  kind: DriverKind | null;
  prepared: Map<string, PreparedFile>;
}

/** One command's work on one database; never throws (the error is in the outcome). */
export type DatabaseWork = (
  files: Files,
  deps: PipelineDeps,
  shared: Shared,
) => Promise<DatabaseOutcome>;

/** A command as it runs across the tenants of a group. */
export interface TenantCommand {
  work: DatabaseWork;
  /** More of the group's files to check once, before any tenant is touched (undo's U-files). */
  check?: (shared: Shared, deps: PipelineDeps, group: string) => Promise<void>;
  /**
   * What the command will do to each tenant (`mark applied`, its lines), asked once for the group
   * after its tenants are listed and before any is touched; each tenant then goes ahead unasked.
   */
  asks?: (options: Options) => { command: string; actions: string[] };
}

/**
 * Inspects one database, lets `fn` work on it (read it, or lock it and change it through
 * `ins.driver`), closes it; the outcome holds any error. A command that inspects first builds its
 * entry on this.
 */
export async function inspected(
  files: Files,
  deps: PipelineDeps,
  shared: Shared,
  purpose: "status" | "run",
  fn: (ins: import("../core/pipeline.ts").Inspection) => void | Promise<void>,
): Promise<DatabaseOutcome> {
  const { databaseResult, inspect, close } = await import("../core/pipeline.ts");
  const result = databaseResult(files.target);
  let ins = null;
  try {
    ins = await inspect(files, result, deps, purpose, shared.prepared);
    await fn(ins);
    return { result, error: null, resolved: new Set() };
  } catch (err) {
    return { result, error: err, resolved: new Set() };
  } finally {
    if (ins) await close(ins);
  }
}

/**
 * The work of a command that changes tracking by hand (mark, baseline, undo): each tenant read as
 * the command reads one database (its own --to/--steps are no limit on the forward plan), and
 * changed without asking again, since the group was asked (or it is a dry run).
 */
async function byHand(
  fn: (
    ins: import("../core/pipeline.ts").Inspection,
    deps: PipelineDeps,
    options: Options,
    decide: import("../core/history.ts").Decide,
  ) => Promise<void>,
): Promise<DatabaseWork> {
  const { agreed, historyDeps } = await import("../core/history.ts");
  return (files, deps, shared) => {
    const plain = historyDeps(deps);
    const options = deps.options as Options;
    return inspected(
      files,
      plain,
      shared,
      "status",
      (ins) => fn(ins, plain, options, agreed(options)),
    );
  };
}

/** The per-database work of each command that runs across tenants, loaded when it runs. */
export const TENANT_WORK: Record<string, () => Promise<TenantCommand>> = {
  migrate: async () => {
    const { migrateFiles } = await import("../core/pipeline.ts");
    return { work: (files, deps, shared) => migrateFiles(files, deps, shared.prepared) };
  },
  plan: async () => {
    const { planDrift, planPending } = await import("../commands/plan.ts");
    const { filesToPrint } = await import("../core/pipeline.ts");
    return {
      work: (files, deps, shared) =>
        inspected(files, deps, shared, "run", (ins) => {
          deps.reporter.files(filesToPrint([ins]));
          planDrift(ins, deps);
          planPending(ins, deps);
        }),
    };
  },
  status: async () => {
    const { statusRows } = await import("../commands/status.ts");
    return { work: (files, deps, shared) => inspected(files, deps, shared, "status", statusRows) };
  },
  info: async () => {
    const { infoOne } = await import("../commands/info.ts");
    return { work: (files, deps, shared) => inspected(files, deps, shared, "status", infoOne) };
  },
  mark: async () => {
    const { markActions, markChanges, markOne, markRequest } = await import("../commands/mark.ts");
    const { planDatabase } = await import("../core/plan.ts");
    return {
      work: await byHand((ins, deps, o, decide) => markOne(ins, deps, markRequest(o), decide)),
      // A version without a file is unknown in every tenant: said once, before any is touched.
      check: (shared, deps, group) => {
        const req = markRequest(deps.options as Options);
        if (req.how === "applied") {
          const files = planDatabase(shared.files.migrations, [], []).migrations;
          markChanges(files, "applied", req.versions, group);
        }
        return Promise.resolve();
      },
      asks: (o) => ({
        command: `mark ${markRequest(o).how}`,
        actions: markActions(markRequest(o)),
      }),
    };
  },
  baseline: async () => {
    const { baselineActions, baselineOne } = await import("../commands/baseline.ts");
    return {
      work: await byHand((ins, deps, o, decide) =>
        baselineOne(ins, deps, o.baselineVersion!, decide)
      ),
      asks: (o) => ({ command: "baseline", actions: baselineActions(o.baselineVersion!) }),
    };
  },
  undo: async () => {
    const { prepareUndoFiles, undoActions, undoOne } = await import("../commands/undo.ts");
    return {
      work: await byHand((ins, deps, o, decide) => undoOne(ins, deps, o.target, decide)),
      check: async (shared, deps, group) => {
        if (shared.kind) {
          await prepareUndoFiles(
            shared.files.migrations,
            shared.kind,
            deps,
            group,
            shared.prepared,
          );
        }
      },
      asks: (o) => ({ command: "undo", actions: undoActions(o.target) }),
    };
  },
};
