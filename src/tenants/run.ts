// A command over a run that has tenant groups: the group's files are read and checked once, the
// other databases (the control database first among them) run as the command runs them, then each
// group's tenants are listed from its control database and run in a bounded pool, each through the
// command's per-database work (work.ts). One failing tenant does not stop the others unless
// --fail-fast; the result has one entry per tenant, and exits 0 only when every tenant succeeded.

import { sleep } from "../core/backoff.ts";
import {
  ConfigError,
  DriftError,
  type ErrorData,
  EXIT,
  InterruptedError,
  MigrateError,
  toErrorData,
  UnreachableError,
  UsageError,
} from "../core/errors.ts";
import { close, databaseResult, discover, inspect, type PipelineDeps } from "../core/pipeline.ts";
import type { Reporter } from "../core/reporter.ts";
import type { DatabaseResult, RunMode, RunResult, TenantResult } from "../core/result.ts";
import type { DatabaseConfig } from "../core/types.ts";
import { driverKind } from "../drivers/driver.ts";
import { messageEvent, writeEvent } from "../report/log_json.ts";
import { tenantEvent, tenantLine, TenantProgress } from "../report/tenants.ts";
import { queryTenants, selectTenants, type Tenant, tenantsOf } from "./list.ts";
import { type Finished, runPool } from "./pool.ts";
import type { Shard } from "./shard.ts";
import { type Shared, TENANT_WORK, type TenantCommand } from "./work.ts";
import { confirm } from "../core/history.ts";
import { oneDatabase, PER_DATABASE } from "../commands/target.ts";
import type { Options } from "../cli.ts";
import type { DatabaseOutcome } from "../core/pipeline.ts";

/** What a run over tenants was asked for. */
export interface TenantRunOptions {
  /** --tenant: only these ids (all when empty). */
  only: string[];
  shard: Shard | null;
  maxParallel: number;
  retries: number;
  /** Per tenant; 0 for none. */
  timeoutSeconds: number;
  failFast: boolean;
  /** A line per file (and, for status, a table per tenant), not only per tenant. */
  verbose: boolean;
  /** Human lines go to stderr (--json). */
  json: boolean;
  logFormat: "text" | "json";
  gracePeriodSeconds: number;
  mode: RunMode;
  /** The first pause before a retry, in ms. */
  backoffMs?: number;
}

/** A command as main.ts runs it (D: what main.ts gives every command). */
export type CommandFn<D extends PipelineDeps = PipelineDeps> = (
  targets: DatabaseConfig[],
  deps: D,
) => Promise<RunResult>;

/** The command `name` (whose plain form is `command`) over a run that may have tenant groups. */
export function withTenants<D extends PipelineDeps>(
  name: string,
  command: CommandFn<D>,
  opts: TenantRunOptions,
): CommandFn<D> {
  return async (targets, deps) => {
    const started = performance.now();
    const groups = targets.filter((t) => t.tenants);
    if (groups.length === 0) {
      throw new ConfigError(
        "CONFIG",
        "--tenant and --shard choose tenants of a tenant group, and this run has none",
        { hint: "declare a group with `tenants:` in db-migrate.yaml, or drop the flags" },
      );
    }
    const load = TENANT_WORK[name];
    if (!load) throw new UsageError(`the ${name} command does not run across tenants yet`);
    const cmd = await load();
    let plain = targets.filter((t) => !t.tenants);
    if (cmd.asks) {
      // A command that changes tracking by hand works on one database (its versions are that
      // database's): here, one group. --tenant and --shard say which, so the others are left out.
      if (opts.only.length > 0 || opts.shard) plain = [];
      oneDatabase(
        [...plain, ...groups],
        [],
        cmd.asks(deps.options as Options).command,
        PER_DATABASE,
      );
    }
    // Every group's files are read and checked before any database is touched (exit 2).
    const purpose = name === "migrate" || name === "plan" ? "run" : "status";
    const shared = new Map<string, Shared>();
    for (const g of groups) {
      const part = await prepareGroup(g, deps, purpose);
      await cmd.check?.(part, deps, g.name);
      shared.set(g.name, part);
    }

    if (opts.shard && plain.length > 0) {
      // Two shards must never migrate the control database at once: a shard runs tenants only.
      deps.reporter.notice(
        `note: --shard runs tenants only; ${plain.map((d) => `"${d.name}"`).join(", ")} ` +
          "not run here (migrate them once, before the shards)",
      );
      plain = [];
    }
    const head: RunResult = plain.length > 0 ? await command(plain, deps) : {
      mode: opts.mode,
      seedMode: deps.options.seed,
      databases: [],
      exitCode: 0,
      durationMs: 0,
    };
    head.tenants = [];
    if (head.exitCode !== 0) {
      deps.reporter.notice(
        `tenants not run: ${groups.map((g) => `"${g.name}"`).join(", ")} wait for the databases ` +
          "before them to succeed",
      );
      return head;
    }
    try {
      for (const g of groups) {
        const control = g.tenants!.control;
        if (name === "migrate" && !plain.some((p) => p.name === control.name)) {
          await awaitControl(control, deps);
        }
        const part = await runGroup(g, cmd, shared.get(g.name)!, deps, opts);
        head.databases.push(...part.databases);
        head.tenants.push(...part.tenants);
        if (part.error) throw part.error;
        if (deps.signal.aborted) break;
        if (opts.failFast && part.tenants.some((t) => t.state !== "ok")) break;
      }
      const error = runError(head.tenants, deps.signal);
      if (error) {
        head.error = error;
        head.exitCode = error.exitCode;
      }
    } catch (err) {
      const e = toErrorData(err);
      head.error = e;
      head.exitCode = e.exitCode;
    }
    head.durationMs = performance.now() - started;
    return head;
  };
}

/** A group's files, read and checksummed once, and each checked and prepared once (exit 2). */
async function prepareGroup(
  g: DatabaseConfig,
  deps: PipelineDeps,
  purpose: "status" | "run",
): Promise<Shared> {
  const files = discover(g, deps.options);
  // The template stands in for the URL: it says the kind, and no tenant is reached here.
  const kind = await driverKind({ ...g, url: g.tenants!.url }, { embedded: false });
  const prepared: Shared["prepared"] = new Map();
  if ("skip" in kind) return { files, kind: null, prepared };
  for (const file of [...files.migrations, ...files.seeds]) {
    if (purpose === "status" && file.format !== "sql") continue;
    const p = await kind.prepare(file, {
      database: g.name,
      maxStatementMb: deps.options.maxStatementMb,
    });
    if (purpose === "run") { for (const n of p.notices) deps.reporter.notice(n); }
    prepared.set(file.script, p);
  }
  return { files, kind, prepared };
}

/**
 * Waits (up to --wait) until the control database has no pending migration: tenants are migrated
 * after it, and a run that does not migrate it (a shard) leaves that to the run that does.
 */
async function awaitControl(control: DatabaseConfig, deps: PipelineDeps): Promise<void> {
  const deadline = Date.now() + deps.options.waitSeconds * 1000;
  for (let said = false;;) {
    const ins = await inspect(
      discover(control, { ...deps.options, seed: "none" }),
      databaseResult(control),
      deps,
      "status",
    );
    const pending = (ins.plan?.pending ?? []).filter((e) => e.file?.kind === "migration").length;
    await close(ins);
    if (pending === 0) return;
    if (Date.now() >= deadline) {
      throw new UnreachableError(
        "DB_UNREACHABLE",
        control.name,
        `the control database "${control.name}" still has ${pending} pending ${
          pending === 1 ? "migration" : "migrations"
        } after ${deps.options.waitSeconds} s: tenants are migrated after it`,
        `migrate it first (db-migrate --database=${control.name}), then the tenants`,
      );
    }
    if (!said) {
      deps.reporter.notice(
        `waiting for the control database "${control.name}" to be migrated (${pending} pending; ` +
          `up to ${deps.options.waitSeconds} s, --wait)`,
      );
      said = true;
    }
    await sleep(2000, deps.signal);
    if (deps.signal.aborted) throw deps.signal.reason;
  }
}

/** Whether a tenant's failure may pass on another attempt: a connection, a lock. */
function retryable(outcome: DatabaseOutcome): boolean {
  const err = outcome.error;
  if (err instanceof UnreachableError) return !err.permanent;
  return err instanceof MigrateError && err.code === "CONNECTION_LOST";
}

/**
 * Lists a group's tenants, asks once about changing them (a command that asks), and runs the
 * command's work over them in the pool.
 */
async function runGroup(
  g: DatabaseConfig,
  cmd: TenantCommand,
  shared: Shared,
  deps: PipelineDeps,
  opts: TenantRunOptions,
): Promise<{ databases: DatabaseResult[]; tenants: TenantResult[]; error?: unknown }> {
  const all = tenantsOf(g, await queryTenants(g, deps));
  const chosen = selectTenants(g.name, all, opts.only, opts.shard);
  deps.reporter.notice(
    `tenant group "${g.name}": ${all.length} tenants listed by "${g.tenants!.control.name}"` +
      (chosen.length === all.length ? "" : `, ${chosen.length} in this run`) +
      (opts.shard ? ` (shard ${opts.shard.index} of ${opts.shard.count})` : "") +
      `; up to ${opts.maxParallel} at a time`,
  );
  let refused: unknown = null;
  if (cmd.asks && chosen.length > 0) {
    // Once for the group, before any tenant is touched: each tenant then goes ahead unasked (or,
    // in a dry run, says what it would do). Refused, no tenant runs: each is `not run`.
    const options = deps.options as Options;
    await confirm({
      ...cmd.asks(options),
      database: g.name,
      tenants: chosen.length,
      yes: options.yes,
      dryRun: options.dryRun,
    }).catch((err) => refused = err);
  }
  const work = cmd.work;
  const out = opts.json ? Deno.stderr : Deno.stdout;
  const logJson = opts.logFormat === "json";
  const progress = new TenantProgress(out, chosen.length, {
    tty: !logJson && out.isTerminal(),
    json: logJson,
  });
  const width = Math.max(8, ...chosen.map((t) => t.target.name.length));
  const base = deps.reporter;
  const notice = (text: string) =>
    logJson
      ? writeEvent(Deno.stderr, messageEvent("warn", text))
      : progress.line(text, Deno.stderr);
  const reporter: Reporter = {
    notice,
    // Per file only when asked (or in a JSON log, where every event is a record to filter).
    step: (s) => opts.verbose || logJson ? base.step(s) : undefined,
    upToDate: (d, n) => opts.verbose ? base.upToDate(d, n) : undefined,
    files: (scripts) => base.files(scripts),
  };
  const results = new Map<string, DatabaseResult>();
  const ended = new Map<string, TenantResult>();
  const toResult = (t: Tenant, end: Finished<DatabaseOutcome> | null): TenantResult => {
    const db = end?.outcome.result ?? databaseResult(t.target);
    results.set(t.target.name, db);
    const r: TenantResult = {
      group: g.name,
      id: t.id,
      database: t.target.name,
      state: "ok",
      attempts: end?.attempts ?? 0,
      ms: end?.ms ?? 0,
    };
    if (!end) {
      r.state = "not run";
      db.notice = refused
        ? "not run: not confirmed"
        : deps.signal.aborted
        ? "not run: the run was stopped"
        : "not run: --fail-fast";
      return r;
    }
    const err = end.outcome.error;
    if (err === null) return r;
    r.state = err instanceof DriftError ? "drift" : "failed";
    r.error = end.timedOut ? timeoutError(t, err, opts.timeoutSeconds) : toErrorData(err);
    return r;
  };
  if (refused) {
    const tenants = chosen.map((t) => toResult(t, null));
    return { databases: chosen.map((t) => results.get(t.target.name)!), tenants, error: refused };
  }
  try {
    await runPool(
      chosen,
      (t, ctx) =>
        work(
          { ...shared.files, target: t.target },
          { ...deps, signal: ctx.signal, graceOver: ctx.graceOver, reporter },
          shared,
        ),
      { failed: (o) => o.error !== null, retryable },
      {
        maxParallel: opts.maxParallel,
        retries: opts.retries,
        timeoutMs: opts.timeoutSeconds * 1000,
        graceMs: opts.gracePeriodSeconds * 1000,
        failFast: opts.failFast,
        signal: deps.signal,
        graceOver: deps.graceOver,
        ...(opts.backoffMs === undefined ? {} : { backoffMs: opts.backoffMs }),
      },
      {
        started: (_t, attempt) => attempt === 1 ? progress.start() : undefined,
        retrying: (t, o, attempt, ms) => {
          const e = toErrorData(o.error);
          notice(
            `${t.target.name}: attempt ${attempt} of ${opts.retries + 1} failed (${e.code}: ${
              e.message.split("\n")[0]
            }); trying again in ${(ms / 1000).toFixed(1)} s`,
          );
        },
        finished: (t, end) => {
          const r = toResult(t, end);
          ended.set(t.target.name, r);
          if (logJson) writeEvent(out, tenantEvent(r));
          else if ((opts.mode === "status" || opts.mode === "info") && !opts.verbose) {
            // The table after the run has a line per tenant: only the count moves here.
            progress.finish("", r.state !== "ok");
          } else {
            progress.finish(
              tenantLine(r, results.get(r.database), opts.mode, width),
              r.state !== "ok",
            );
          }
        },
      },
    );
  } finally {
    progress.stop();
  }
  // In the group's order, whatever order they finished in.
  const tenants = chosen.map((t) => ended.get(t.target.name) ?? toResult(t, null));
  return { databases: chosen.map((t) => results.get(t.target.name)!), tenants };
}

/** A tenant stopped by --timeout, as an error (exit 1): what the stop did is in the message. */
function timeoutError(t: Tenant, err: unknown, seconds: number): ErrorData {
  const stop = err instanceof InterruptedError
    ? err.detail ? `: ${err.detail.note}` : ": stopped between files"
    : `: ${toErrorData(err).message.split("\n")[0]}`;
  return toErrorData(
    new MigrateError(
      "TENANT_TIMEOUT",
      EXIT.failed,
      `"${t.target.name}" ran past --timeout=${seconds} s and was stopped as SIGTERM stops a run${stop}`,
      {
        database: t.target.name,
        hint: "run again to apply the rest, or raise --timeout for long migrations",
      },
    ),
  );
}

/**
 * The run's error from its tenants: a stop request first, then drift (exit 3), then the failures
 * (their exit code when they share one, else 1), with the first failed tenant's error.
 */
function runError(tenants: TenantResult[], signal: AbortSignal): ErrorData | null {
  if (signal.aborted) return toErrorData(signal.reason);
  const drift = tenants.filter((t) => t.state === "drift");
  const failed = tenants.filter((t) => t.state === "failed");
  const bad = [...drift, ...failed];
  if (bad.length === 0) return null;
  const first = bad[0]!.error!;
  const codes = new Set(failed.map((t) => t.error!.exitCode));
  const exitCode = drift.length > 0 ? EXIT.drift : codes.size === 1 ? [...codes][0]! : EXIT.failed;
  return {
    ...first,
    exitCode,
    message: `${bad.length} of ${tenants.length} ${
      tenants.length === 1 ? "tenant" : "tenants"
    } did not succeed; the first, "${bad[0]!.database}": ${first.message}`,
  };
}
