// `db-migrate baseline --version=N`: every migration up to N is recorded as applied without running
// it (`baselined`), for a database that already has that schema (imported, or made by another
// tool). Migrations above N stay pending; rows already applied stay as they are.

import { askEach, type Decide, inspectOne, underLock } from "../core/history.ts";
import { oneDatabase, PER_DATABASE } from "./target.ts";
import { close, type Inspection, type PipelineDeps } from "../core/pipeline.ts";
import type { PlanEntry } from "../core/plan.ts";
import { type RunResult, runResult } from "../core/result.ts";
import { stepOf } from "../core/steps.ts";
import type { DatabaseConfig } from "../core/types.ts";
import type { Options } from "../cli.ts";

/** The migrations a baseline at `version` records: files up to it that are not applied. */
export function baselineEntries(migrations: PlanEntry[], version: number): PlanEntry[] {
  return migrations.filter((e) =>
    e.file !== null && e.file.version! <= version && e.state !== "applied" &&
    e.state !== "checksum mismatch"
  );
}

/** What baseline does to each tenant of a group, for the one question asked about the group. */
export function baselineActions(version: number): string[] {
  return [
    `record every migration up to version ${version} that is not applied as applied without ` +
    "running it",
  ];
}

/** Marks every migration up to --version=N applied in one database. */
export function baseline(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  const opts = deps.options as Options;
  const results: RunResult["databases"] = [];
  return runResult(opts.dryRun ? "dry-run" : "baseline", opts.seed, results, async () => {
    const target = oneDatabase(targets, opts.databases, "baseline", PER_DATABASE);
    const { ins, result } = await inspectOne(target, deps);
    results.push(result);
    try {
      await baselineOne(ins, deps, opts.baselineVersion!, askEach("baseline", opts));
    } finally {
      await close(ins);
    }
  });
}

/**
 * Records one inspected database's migrations up to `version` as baselined, once `decide` agrees
 * (the steps say what was, or would be, done), under migrate's lock, read again there.
 */
export async function baselineOne(
  ins: Inspection,
  deps: PipelineDeps,
  version: number,
  decide: Decide,
): Promise<void> {
  const name = ins.files.target.name;
  if (!ins.driver || !ins.plan) return;
  const todo = baselineEntries(ins.plan.migrations, version);
  if (todo.length === 0) {
    deps.reporter.notice(`${name}: every migration up to version ${version} is applied already`);
    return;
  }
  deps.reporter.files(todo.map((e) => e.file!.script));
  const go = await decide(
    name,
    todo.map((e) =>
      `record version ${e.file!.version} (${e.file!.script}) as applied without running it`
    ),
  );
  if (go) {
    await underLock(ins, deps, async (now) => {
      const fresh = baselineEntries(now.migrations, version);
      await ins.driver!.record(fresh.map((e) => ({ file: e.file!, how: "baselined" })));
    });
  }
  for (const e of todo) {
    // Its own state, as import's baselined rows have: the summary counts `N baselined`.
    const step = stepOf(name, e, go ? "baselined" : "pending");
    step.note = go ? `at version ${version}` : `would be baselined at ${version}`;
    ins.result.steps.push(step);
    deps.reporter.step(step);
  }
}
