// `db-migrate mark applied VERSION...` records migrations as applied without running them (the
// schema is already there); `mark pending VERSION...` forgets their rows so that they run again.
// Rows say how they got there (`marked`). Confirmed first, made under migrate's lock.

import { ConfigError } from "../core/errors.ts";
import { askEach, type Decide, inspectOne, underLock } from "../core/history.ts";
import { oneDatabase, PER_DATABASE } from "./target.ts";
import { close, type Inspection, type PipelineDeps } from "../core/pipeline.ts";
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

/** What mark was asked: `applied` or `pending`, and the versions. */
export interface MarkRequest {
  how: "applied" | "pending";
  versions: number[];
}

/** The request in the command's arguments (`mark applied 3 4`). */
export function markRequest(opts: Options): MarkRequest {
  const [how, ...words] = opts.args as ["applied" | "pending", ...string[]];
  return { how, versions: words.map(Number) };
}

/** What mark does to each tenant of a group, for the one question asked about the group. */
export function markActions(req: MarkRequest): string[] {
  const one = req.versions.length === 1;
  const list = `${one ? "version" : "versions"} ${req.versions.join(", ")}`;
  return [
    req.how === "applied"
      ? `record ${list} as applied without running ${
        one ? "it" : "them"
      }, where not applied already`
      : `forget ${list} so that ${one ? "it runs" : "they run"} again, where recorded`,
  ];
}

/** Marks migrations applied or pending in one database. */
export function mark(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  const opts = deps.options as Options;
  const req = markRequest(opts);
  const results: RunResult["databases"] = [];
  return runResult(opts.dryRun ? "dry-run" : "mark", opts.seed, results, async () => {
    const target = oneDatabase(targets, opts.databases, `mark ${req.how}`, PER_DATABASE);
    const { ins, result } = await inspectOne(target, deps);
    results.push(result);
    try {
      await markOne(ins, deps, req, askEach(`mark ${req.how}`, opts));
    } finally {
      await close(ins);
    }
  });
}

/**
 * Marks one inspected database's migrations as `req` says, once `decide` agrees (the steps say
 * what was, or would be, done); the change is made under migrate's lock, read again there.
 */
export async function markOne(
  ins: Inspection,
  deps: PipelineDeps,
  req: MarkRequest,
  decide: Decide,
): Promise<void> {
  const { how, versions } = req;
  const name = ins.files.target.name;
  if (!ins.driver || !ins.plan) return;
  const changes = markChanges(ins.plan.migrations, how, versions, name);
  const todo = changes.filter((c) => c.action !== null);
  deps.reporter.files(changes.map((c) => scriptOf(c.entry)));
  const steps = (status: Step["status"], note: (c: Change) => string) =>
    changes.map((c) => {
      const step = stepOf(name, c.entry, c.action === null ? "skipped" : status);
      step.note = c.action === null ? `already ${how}` : note(c);
      return step;
    });
  if (!await decide(name, todo.map((c) => c.action!))) {
    for (const s of steps("pending", (c) => `would ${c.action}`)) {
      ins.result.steps.push(s);
      deps.reporter.step(s);
    }
    return;
  }
  if (todo.length > 0) {
    await underLock(ins, deps, async (now) => {
      // Read again under the lock: what another run did meanwhile counts.
      const fresh = markChanges(now.migrations, how, versions, name).filter((c) =>
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
    ins.result.steps.push(s);
    deps.reporter.step(s);
  }
}

function scriptOf(e: PlanEntry): string {
  return e.file?.script ?? e.row?.script ?? "?";
}
