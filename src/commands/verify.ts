// `db-migrate verify`: proves, before files reach a real database, that each PostgreSQL database's
// migrations and seeds keep the project's rule (a file run twice does no harm), or, with
// --against=URL / --rehearse, that its pending files apply on a real server. Every file of every
// database is read and checked first (exit 2), as migrate does.
//
// - The idempotency check: a scratch PGlite in memory per database; the migrations and the seeds of
//   the mode applied as a run applies them, then each again without its tracking row, each held to
//   the rule by src/verify/idempotency.ts. Nothing stays behind but a cached empty cluster.
// - The rehearsal: on the server, under the migration lock, the pending files in one transaction
//   (a savepoint each), rolled back; no tracking row is written. Files that must run outside a
//   transaction are listed as not rehearsable.

import { type Driver, driverKind, type PreparedFile } from "../drivers/driver.ts";
import { withLock } from "../core/lock.ts";
import { UsageError } from "../core/errors.ts";
import {
  close,
  databaseResult,
  discover,
  drifted,
  driftError,
  type Files,
  inspect,
  type PipelineDeps,
} from "../core/pipeline.ts";
import { type DatabaseResult, type RunResult, runResult } from "../core/result.ts";
import type { DatabaseConfig, TrackedFile } from "../core/types.ts";
import { fileDirectives } from "../sql/directives.ts";
import { splitStatements } from "../sql/split.ts";
import { checkIdempotency, failureOf } from "../verify/idempotency.ts";
import { hasFinding, type Rehearsed, type VerifyReport } from "../verify/report.ts";
import { type Query, takeFingerprint, takeSnapshot, takeWriteMark } from "../verify/snapshot.ts";

/** Where the idempotency check runs, as the report says. */
const SCRATCH = "a scratch embedded PostgreSQL (PGlite, in memory)";

/** How long the scratch server may take to answer its first connection. */
const SCRATCH_CONNECT_MS = 30_000;

/** The databases to verify, with --against's URL put in place; a bad combination is exit 2. */
function targetsOf(targets: DatabaseConfig[], against: string | null): DatabaseConfig[] {
  if (against === null) return targets;
  if (!/^postgres(ql)?:\/\//i.test(against)) {
    throw new UsageError("--against takes a PostgreSQL URL (postgres://...)");
  }
  const pg = targets.filter((t) => t.kind === "postgres");
  if (pg.length !== 1) {
    throw new UsageError(
      `--against names one database's server, and ${pg.length} PostgreSQL databases are ` +
        `selected${
          pg.length > 1
            ? ` (${pg.map((t) => t.name).join(", ")}): pick one with --database=NAME`
            : ""
        }`,
    );
  }
  return pg.map((t) => ({ ...t, url: against, urlSource: "--against" }));
}

/** A driver's query, which a PostgreSQL driver has. */
function queryOf(driver: Driver): Query {
  const query = driver.query?.bind(driver);
  if (!query) throw new Error("verify needs a PostgreSQL driver");
  return query;
}

/** Checks and prepares every file of a PostgreSQL database offline (exit 2 for a bad one). */
async function prepareAll(files: Files, deps: PipelineDeps): Promise<Map<string, PreparedFile>> {
  // The PostgreSQL kind, whatever URL the database has: the scratch server is PostgreSQL too.
  const kind = await driverKind({ ...files.target, url: "postgres://" }, { embedded: false });
  if ("skip" in kind) throw new Error(kind.skip);
  const prepared = new Map<string, PreparedFile>();
  for (const file of [...files.migrations, ...files.seeds]) {
    const p = await kind.prepare(file, {
      database: files.target.name,
      maxStatementMb: deps.options.maxStatementMb,
    });
    // The warnings a run would show before it starts (a file's own BEGIN that joins its transaction).
    for (const n of p.notices) deps.reporter.notice(n);
    prepared.set(file.script, p);
  }
  return prepared;
}

/** The ExecuteContext of a verify run. */
function context(deps: PipelineDeps) {
  return {
    previous: null,
    signal: deps.signal,
    graceOver: deps.graceOver ?? deps.signal,
    notice: deps.reporter.notice,
    resolveUnknown: new Map(),
  };
}

/** The idempotency check of one database on a scratch PGlite. */
async function checkDatabase(
  files: Files,
  prepared: Map<string, PreparedFile>,
  deps: PipelineDeps,
): Promise<VerifyReport> {
  const all: TrackedFile[] = [...files.migrations, ...files.seeds];
  const { openScratch } = await import("../drivers/embedded/scratch.ts");
  const driver = await openScratch(files.target, {
    files: all,
    cacheDir: `${deps.cwd}/.db-migrate/.verify`,
  });
  try {
    await driver.connect(SCRATCH_CONNECT_MS);
    // The first pass records its files as a run does; the second writes no tracking row, so the
    // server's next transaction ID moves only when a file wrote something (the cheapest test).
    await driver.ensureTracking();
    const query = queryOf(driver);
    const ctx = context(deps);
    const result = await checkIdempotency(all, {
      async apply(file, pass) {
        if (deps.signal.aborted) throw deps.signal.reason;
        await driver.execute(prepared.get(file.script)!, {
          ...ctx,
          ...(pass === 2 ? { trial: "untracked" as const } : {}),
        });
      },
      snapshot: () => takeSnapshot(query),
      fingerprints: [
        () => takeWriteMark(query),
        (tables) => takeFingerprint(query, tables),
      ],
      statements: (text) => splitStatements(text, "postgres"),
    });
    return { check: "idempotency", on: SCRATCH, verdicts: result.verdicts };
  } finally {
    await driver.close();
  }
}

/**
 * The rehearsal of one database's pending files on its server: under the migration lock, in one
 * transaction that is always rolled back. Drift stops it as it stops a run (exit 3).
 */
async function rehearseDatabase(
  files: Files,
  result: DatabaseResult,
  deps: PipelineDeps,
): Promise<void> {
  const ins = await inspect(files, result, deps, "run");
  try {
    const driver = ins.driver!, plan = ins.plan!;
    const drift = drifted(ins);
    if (drift) throw await driftError([drift]);
    const query = queryOf(driver);
    const verdicts: Rehearsed[] = [];
    await withLock(driver, {
      database: files.target.name,
      timeoutMs: deps.options.lockTimeoutSeconds * 1000,
      signal: deps.signal,
      onWait: deps.reporter.notice,
    }, async () => {
      const ctx = { ...context(deps), trial: "rehearsal" as const };
      let stop: string | null = null;
      const skipped: string[] = [];
      await query("begin");
      try {
        for (const e of plan.pending) {
          const file = e.file!;
          if (stop !== null) {
            verdicts.push({ script: file.script, status: "not run", reason: stop });
            continue;
          }
          if (file.format === "sql" && !fileDirectives(file.text).transaction) {
            const why = ins.prepared.get(file.script)?.qualifiers[0] ?? "no transaction";
            verdicts.push({
              script: file.script,
              status: "not rehearsable",
              reason: `it runs outside a transaction (${why}), so what it does could not be ` +
                "rolled back; the files after it are rehearsed without it",
            });
            skipped.push(file.script);
            continue;
          }
          if (deps.signal.aborted) throw deps.signal.reason;
          const started = performance.now();
          try {
            await driver.execute(ins.prepared.get(file.script)!, ctx);
            verdicts.push({
              script: file.script,
              status: "rehearsed",
              ms: performance.now() - started,
            });
          } catch (err) {
            const failure = failureOf(err);
            if (failure === null) throw err;
            const hints = [(err as { hint?: string }).hint].filter((h) => h !== undefined);
            if (skipped.length > 0) {
              hints.push(`it may need ${skipped.join(", ")}, which could not be rehearsed`);
            }
            verdicts.push({
              script: file.script,
              status: "fails",
              failure,
              ...(hints.length > 0 ? { hint: hints.join("; ") } : {}),
            });
            // A run stops at its first failure: so does its rehearsal.
            stop = `the rehearsal stopped at ${file.script}, as a run would`;
          }
        }
      } finally {
        // A connection that broke took the transaction with it: the server rolled it back.
        await query("rollback").catch(() => {});
      }
    });
    result.verify = {
      check: "rehearsal",
      on: result.target ?? files.target.name,
      verdicts,
      applied: plan.skipped.filter((e) => e.file?.kind === "migration").length,
    };
  } finally {
    await close(ins);
  }
}

/** Verifies each PostgreSQL database: its files' idempotency, or a rehearsal of its pending ones. */
export async function verify(targets: DatabaseConfig[], deps: PipelineDeps): Promise<RunResult> {
  const against = deps.options.against ?? null;
  const rehearse = deps.options.rehearse === true || against !== null;
  const chosen = targetsOf(targets, against);
  const results = chosen.map(databaseResult);
  const result = await runResult("verify", deps.options.seed, results, async () => {
    // Every file of every database is read and checked before anything starts; a rehearsal, like
    // a run, checks the files it will apply (the pending ones) once it knows them.
    const files = chosen.map((t) => discover(t, deps.options));
    const prepared: Map<string, PreparedFile>[] = [];
    for (const f of files) {
      const check = f.target.kind === "postgres" && !rehearse;
      prepared.push(check ? await prepareAll(f, deps) : new Map());
    }
    for (const [i, f] of files.entries()) {
      const db = results[i]!;
      if (f.target.kind !== "postgres") {
        db.notice = "skipped: verify covers PostgreSQL only";
        deps.reporter.notice(`${db.name}: ${db.notice}`);
        continue;
      }
      if (rehearse) {
        await rehearseDatabase(f, db, deps);
      } else {
        deps.reporter.notice(`${db.name}: applying every file twice on ${SCRATCH}`);
        db.target = SCRATCH;
        db.verify = await checkDatabase(f, prepared[i]!, deps);
      }
    }
  });
  // Findings are exit 1, as failed files are; an error that ended the run keeps its own code.
  if (result.exitCode === 0 && results.some((d) => d.verify && hasFinding(d.verify))) {
    result.exitCode = 1;
  }
  return result;
}
