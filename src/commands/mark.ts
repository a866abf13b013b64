// `db-migrate mark applied VERSION...` records migrations as applied without running them (the
// schema is already there); `mark pending VERSION...` forgets their rows so that they run again.
// Rows say how they got there (`marked`). Confirmed first, made under migrate's lock.

import { ConfigError } from "../core/errors.ts";
import { confirm, inspectOne, underLock } from "../core/history.ts";
import { oneDatabase, PER_DATABASE } from "./target.ts";
import { close, type PipelineDeps } from "../core/pipeline.ts";
import type { PlanEntry } from "../core/plan.ts";
import { type RunResult, runResult } from "../core/result.ts";
import { stepOf } from "../core/steps.ts";
import type { DatabaseConfig, Step } from "../core/types.ts";
import type { Options } from "../cli.ts";

/** What mark does to one version: change it, or leave it as it is (and why). */
interface Change {
  entry: PlanEntry;
  version: number;
  /** Null: the row already says so; nothing to do. */
  action: string | null;
}

/** The changes `mark applied|pending` makes; a version with neither file nor row is exit 2. */
export function markChanges(
  migrations: PlanEntry[],
  how: "applied" | "pending",
  versions: number[],
  database: string,
): Change[] {
  const byVersion = new Map(migrations.map((e) => [e.file?.version ?? e.row?.version, e]));
  const out: Change[] = [];
  const unknown: number[] = [];
  for (const version of [...new Set(versions)].sort((a, b) => a - b)) {
    const entry = byVersion.get(version);
    if (!entry || (how === "applied" && !entry.file)) {
      unknown.push(version);
      continue;
    }
    const script = entry.file?.script ?? entry.row!.script;
    if (how === "applied") {
      out.push({
        entry,
        version,
        action: entry.state === "applied" ? null : `record version ${version} (${script}) as ` +
          `applied without running it (now ${entry.state})`,
      });
    } else {
      out.push({
        entry,
        version,
        action: entry.row === null
          ? null
          : `forget version ${version} (${script}, now ${entry.state}) so that it runs again`,
      });
    }
  }
  if (unknown.length > 0) {
    throw new ConfigError(
      "UNKNOWN_VERSION",
      `cannot mark ${how} in "${database}": no migration ${
        how === "applied" ? "file" : "file or tracking row"
      } has version ${unknown.join(", ")}; nothing was changed`,
      { database, hint: "`db-migrate status` lists the versions" },
    );
  }
  return out;
}

/** Marks migrations applied or pending in one database. */
export function mark(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  const opts = deps.options as Options;
  const [how, ...words] = opts.args as ["applied" | "pending", ...string[]];
  const versions = words.map(Number);
  const results: RunResult["databases"] = [];
  return runResult(opts.dryRun ? "dry-run" : "mark", opts.seed, results, async () => {
    const target = oneDatabase(targets, opts.databases, `mark ${how}`, PER_DATABASE);
    const { ins, result } = await inspectOne(target, deps);
    results.push(result);
    try {
      if (!ins.driver || !ins.plan) return;
      const changes = markChanges(ins.plan.migrations, how, versions, target.name);
      const todo = changes.filter((c) => c.action !== null);
      deps.reporter.files(changes.map((c) => scriptOf(c.entry)));
      const steps = (status: Step["status"], note: (c: Change) => string) =>
        changes.map((c) => {
          const step = stepOf(target.name, c.entry, c.action === null ? "skipped" : status);
          step.note = c.action === null ? `already ${how}` : note(c);
          return step;
        });
      const go = await confirm({
        command: `mark ${how}`,
        database: target.name,
        actions: todo.map((c) => c.action!),
        yes: opts.yes,
        dryRun: opts.dryRun,
      });
      if (!go) {
        for (const s of steps("pending", (c) => `would ${c.action}`)) {
          result.steps.push(s);
          deps.reporter.step(s);
        }
        return;
      }
      if (todo.length > 0) {
        await underLock(ins, deps, async (now) => {
          // Read again under the lock: what another run did meanwhile counts.
          const fresh = markChanges(now.migrations, how, versions, target.name).filter((c) =>
            c.action !== null
          );
          if (how === "applied") {
            await ins.driver!.record(fresh.map((c) => ({ file: c.entry.file!, how: "marked" })));
          } else {
            await ins.driver!.forget(fresh.map((c) => ({ kind: "migration", version: c.version })));
          }
        });
      }
      for (const s of steps(how === "applied" ? "marked" : "unmarked", () => `marked ${how}`)) {
        result.steps.push(s);
        deps.reporter.step(s);
      }
    } finally {
      await close(ins);
    }
  });
}

function scriptOf(e: PlanEntry): string {
  return e.file?.script ?? e.row?.script ?? "?";
}
