// A ClickHouse file, statement by statement. ClickHouse has no transactions and takes one statement
// per request, so the tracking row records progress after every statement (a failed or stopped
// file resumes after its last good one, resume.ts), and before each statement the row names the
// query_id it is sent with, so a run that dies while the statement runs leaves enough for the next
// run to ask the server what became of it instead of running it twice.

import { sleep } from "../../core/backoff.ts";
import { checksum } from "../../core/checksum.ts";
import {
  ApplyError,
  ConnectionLostError,
  firstStatements,
  interruption,
  signalName,
  stay,
  UnreachableError,
} from "../../core/errors.ts";
import type { TrackedFile } from "../../core/types.ts";
import { statementHead } from "../../sql/excerpt.ts";
import { lineColumn } from "../../sql/position.ts";
import { splitStatements, type Statement, stripComments } from "../../sql/split.ts";
import { SeedCheck } from "./seed_rule.ts";
import type { ApplyOutcome, ExecuteContext } from "../driver.ts";
import { hasOnCluster, KEEPER_LOST_CODES, substituteCluster } from "./cluster.ts";
import { intentQueryId, statementQueryId } from "./fate.ts";
import { type ClickHouseRequestError, requestError, STATEMENT_TIMEOUT_MS } from "./http.ts";
import { byteToIndex, syntaxErrorPosition } from "./http_errors.ts";
import { ClusterError, sendOnCluster } from "./on_cluster.ts";
import { resumePoint } from "./resume.ts";
import { optimizeSql, tableEnginesSql } from "./seed_sql.ts";
import { checkLease, type ChSession, rowBuilder } from "./session.ts";
import { insertTrackingSql, isSessionStatement, type TrackingRecord } from "./sql.ts";

/** ClickHouse's error code for a session still taken by the request before (SESSION_IS_LOCKED). */
const SESSION_LOCKED = 373;

/**
 * Runs a file statement by statement, recording its progress after each one and, before each, the
 * query_id it is sent with; resumes a file an earlier run left failed or stopped.
 */
export async function runFile(
  s: ChSession,
  file: TrackedFile,
  ctx: ExecuteContext,
): Promise<ApplyOutcome> {
  const { previous, signal, graceOver } = ctx;
  // A U-file records its progress on the row of the migration it undoes, as `undoing`, so that an
  // undo that stops part-way resumes as a file does; its end marks that row undone.
  const track = ctx.undoes ?? file;
  const statements = splitStatements(file.text, "clickhouse");
  const n = statements.length;
  const hashes = statements.map((s) => checksum(s.text));
  const started = performance.now();
  const notes: string[] = [];

  // Where to start: after the statements an earlier failed attempt got through, if they are the
  // same statements now; otherwise from the top, as files are idempotent by rule. A statement
  // the earlier attempt left in flight is judged first (and waited for while it still runs).
  let start = 0;
  let resolved: string | undefined;
  if (previous && !previous.success) {
    const resume = await resumePoint(s, file, hashes, ctx, track.script);
    start = resume.start;
    if (resume.note) notes.push(resume.note);
    resolved = resume.resolved;
  }

  const seeds = file.kind === "seed"
    ? new SeedCheck(
      s.name,
      s.target.database,
      file,
      statements,
      (tables) => s.http.rows(tableEnginesSql(tables)),
    )
    : null;
  await seeds?.checkAll(start);

  const build = rowBuilder(s, track, n, hashes, started);
  const row: typeof build = ctx.undoes
    ? (done, error, content) => ({ ...build(done, error, content), provenance: "undoing" })
    : build;
  const fail = async (done: number, error: string) => {
    // Best effort: the error thrown next matters more than its record.
    await s.tracking.write([row(done, error, ctx.undoes ? "" : file.text)]).catch(() => {});
  };

  // A migration renamed since an earlier attempt keeps its version: forget the old name's row.
  if (previous && !ctx.undoes && file.kind === "migration" && previous.script !== file.script) {
    await s.tracking.forgetRenamed(file);
  }

  // SET and USE last only for their HTTP session: a file with any runs in a session of its own
  // (only then, as a load balancer without sticky sessions would break it), and a resumed file
  // replays those its earlier run had passed.
  const session = statements.map((s) => isSessionStatement(stripComments(s.text, "clickhouse")));
  const sessionId = session.some(Boolean) ? crypto.randomUUID() : undefined;
  // On a cluster, `{cluster}` in an ON CLUSTER clause names the configured cluster, and an ON
  // CLUSTER statement succeeds only when every host confirms it. The hashes resume compares stay
  // those of the file's text, so renaming the cluster does not look like a changed file.
  const cluster = s.cluster;
  const run = async (stmt: Statement, queryId: string, abort: AbortSignal) => {
    const opts = {
      files: true,
      timeoutMs: STATEMENT_TIMEOUT_MS,
      signal: abort,
      queryId,
      log: true,
      ...(sessionId ? { sessionId } : {}),
    };
    const text = cluster ? substituteCluster(stmt.text, cluster.name) : stmt.text;
    const onCluster = cluster !== null && hasOnCluster(stripComments(text, "clickhouse"));
    for (let attempt = 1;; attempt++) {
      try {
        if (onCluster) return await sendOnCluster(s.http, text, cluster, opts);
        return await s.http.exec(text, opts);
      } catch (err) {
        // The server releases a session just after it answers, so a statement sent right after
        // the one before may find it still taken; refused before it started, it can be resent.
        const code = (err as ClickHouseRequestError).code;
        if (code !== SESSION_LOCKED || attempt >= 20 || abort.aborted) throw err;
        await sleep(25 * attempt, abort);
      }
    }
  };
  for (let i = 0; i < start; i++) {
    if (!session[i]) continue;
    try {
      await run(statements[i]!, crypto.randomUUID(), signal);
    } catch (err) {
      // Replaying SET and USE changes nothing on the server: the file still stands at `start`.
      if (signal.aborted) throw stoppedBefore(s, file, start, n, signal.reason);
      throw lostBefore(s, file, start, n, err) ??
        statementError(s, file, statements[i]!, i, err);
    }
  }

  for (let i = start; i < n; i++) {
    const stmt = statements[i]!;
    if (signal.aborted) {
      // Between statements: the row says how far the file got, and nothing is in flight.
      if (i > 0) {
        await fail(
          i,
          `stopped by ${signalName(signal.reason)} before statement ${i + 1} of ${n}`,
        );
      }
      throw stoppedBefore(s, file, i, n, signal.reason);
    }
    checkLease(s, file);
    const bad = await seeds?.checkBefore(i);
    if (bad) {
      await fail(i, bad.message);
      throw bad;
    }
    // Intent first: the row names the statement about to be sent and its query_id, so a run
    // that dies from here on leaves what the next run needs to ask the server what became of it.
    const updated = await s.tracking.nextVersion();
    const queryId = statementQueryId({
      database: s.target.database,
      script: file.script,
      checksum: file.checksum,
      index: i,
      updated,
    });
    const what = `statement ${i + 1} of ${n}`;
    const sent = (error: string, version: bigint): TrackingRecord => ({
      ...row(i, error),
      statementHashes: hashes.slice(0, i + 1),
      queryId,
      updated: version,
    });
    try {
      await s.http.exec(
        insertTrackingSql(s.target.database, [
          sent(
            `unfinished: ${what} was sent to the server (query_id ${queryId}) and its end ` +
              "was not recorded",
            updated,
          ),
        ]),
        { queryId: intentQueryId(queryId), log: true },
      );
    } catch (err) {
      throw lostBefore(s, file, i, n, err) ?? err;
    }
    try {
      await run(stmt, queryId, graceOver);
    } catch (err) {
      const e = requestError(err, { timedOut: false, timeoutMs: 0 });
      if (e.code === null && graceOver.aborted) {
        // The grace period is over: leave the statement to the server rather than kill it, as
        // a killed statement may be partly applied while a finished one is whole. The row keeps
        // its query_id, so the next run waits for it or finds how it ended.
        const sig = signalName(signal.reason);
        await s.http.exec(insertTrackingSql(s.target.database, [
          sent(
            `stopped by ${sig}: ${what} was left running on the server (query_id ${queryId})`,
            await s.tracking.nextVersion(),
          ),
        ])).catch(() => {});
        throw interruption(signal.reason ?? graceOver.reason, {
          database: s.name,
          script: file.script,
          outcome: "left running",
          note: `${what} was still running when the grace period ended and was left ` +
            `running on the server (query_id ${queryId})` +
            (i > 0 ? `; ${firstStatements(i)} ${stay(i)} applied and recorded` : ""),
          hint: "run again: the next run waits for that statement to end and goes on after it " +
            "if it finished; to stop it instead, run KILL QUERY WHERE query_id = " +
            `'${queryId}' on the server (the next run then stops for you to check what it did)`,
        });
      }
      if (e.code === null) throw lostDuring(s, file, i, n, queryId, e);
      // No failure row: the intent row keeps the query_id, so the next run asks the query log
      // whether the statement was refused before it started (it runs it) or failed part-way.
      if (cluster && KEEPER_LOST_CODES.has(e.code)) throw keeperLost(s, file, i, n, queryId, e);
      const failure = statementError(s, file, stmt, i, err);
      await fail(i, `statement ${i + 1} of ${n} failed: ${failure.serverMessage}`);
      throw failure;
    }
  }

  // Collapse the rows a re-applied seed replaced now, not at some later background merge.
  for (const t of seeds?.replacingTables() ?? []) {
    try {
      await s.http.exec(optimizeSql(t.database, t.table), { timeoutMs: STATEMENT_TIMEOUT_MS });
    } catch (err) {
      notes.push(
        `OPTIMIZE TABLE ${t.table} FINAL failed (${(err as Error).message}); ` +
          "replaced rows collapse at the next merge (reads with FINAL see them collapsed now)",
      );
    }
  }

  const ms = performance.now() - started;
  await s.tracking.write([
    ctx.undoes
      ? {
        // Undone: not applied, so that a release from before undo applies it again as this one
        // does; no progress, so that applying it again starts from its first statement.
        ...build(0, null, ctx.undoes.text),
        success: false,
        provenance: "undone",
        executionMs: ms,
      }
      : { ...row(n, null, file.text), executionMs: ms },
  ]);
  const out: ApplyOutcome = notes.length > 0 ? { ms, note: notes.join("; ") } : { ms };
  if (resolved) out.resolved = resolved;
  return out;
}

/** The stop, found between statements: statements before `index` are applied and recorded. */
function stoppedBefore(
  s: ChSession,
  file: TrackedFile,
  index: number,
  n: number,
  reason: unknown,
): unknown {
  return interruption(reason, {
    database: s.name,
    script: file.script,
    outcome: index === 0 ? "not started" : "recorded",
    note: index === 0
      ? "it was stopped before its first statement; nothing of it ran"
      : `stopped after statement ${index} of ${n}: ClickHouse has no transactions, so ` +
        `${firstStatements(index)} ${stay(index)} applied and recorded, and the next run ` +
        `resumes at statement ${index + 1}`,
    hint: index === 0
      ? "run again to apply it and the rest"
      : `run again: the file resumes at statement ${index + 1}`,
  });
}

/** A lost connection before statement `index` was sent, or null for another error. */
function lostBefore(
  s: ChSession,
  file: TrackedFile,
  index: number,
  n: number,
  err: unknown,
): ConnectionLostError | null {
  const e = requestError(err, { timedOut: false, timeoutMs: 0 });
  if (e.code !== null) return null;
  return new ConnectionLostError({
    database: s.name,
    script: file.script,
    message: `lost the connection to "${s.name}" before statement ${index + 1} of ${n} ` +
      `of "${file.script}" was sent: ${e.message}`,
    hint: "the server went away; this is not the statement's fault. " +
      (index === 0
        ? "Nothing of the file ran. "
        : `Statements 1-${index} are applied and recorded. `) +
      "Run again once the server is back: the file resumes where it stopped",
  });
}

/** A lost connection while statement `index` ran: its fate is for the next run to find out. */
function lostDuring(
  s: ChSession,
  file: TrackedFile,
  index: number,
  n: number,
  queryId: string,
  e: ClickHouseRequestError,
): ConnectionLostError {
  return new ConnectionLostError({
    database: s.name,
    script: file.script,
    message: `lost the connection to "${s.name}" during statement ${index + 1} of ${n} ` +
      `of "${file.script}": ${e.message}`,
    hint: "the server went away (or the network between us); this is not the statement's " +
      `fault. The tracking row records ${
        index === 0 ? "no statement as applied" : `${firstStatements(index)} as applied`
      } and statement ${index + 1} as sent with query_id ${queryId}. Run again once the server ` +
      "is back: the next run asks it whether that statement finished (then it goes on after " +
      "it), still runs (it waits) or never started (it runs it), and stops for you to check " +
      "when the server cannot tell (as after a restart during the statement)",
  });
}

/**
 * The replica lost ZooKeeper while statement `index` ran (CLUSTER_UNAVAILABLE, exit 4): nothing
 * of it is recorded as applied, and its fate is for the next run to find out.
 */
function keeperLost(
  s: ChSession,
  file: TrackedFile,
  index: number,
  n: number,
  queryId: string,
  e: ClickHouseRequestError,
): UnreachableError {
  return new UnreachableError(
    "CLUSTER_UNAVAILABLE",
    s.name,
    `"${s.name}" lost ZooKeeper during statement ${index + 1} of ${n} of "${file.script}": ` +
      `${e.message} (code ${e.code})`,
    "this is not the statement's fault: bring ZooKeeper (or ClickHouse Keeper) back, then run " +
      `again through this replica. The tracking row records ${
        index === 0 ? "no statement as applied" : `${firstStatements(index)} as applied`
      } and statement ${index + 1} as sent with query_id ${queryId}: the next run asks this ` +
      "replica's query log how it ended, runs it if it was refused before it started, and " +
      "otherwise stops for you to check what it wrote (an INSERT may have committed some of its " +
      `blocks) and say --resolve-unknown=${queryId}=applied or =rerun. The lock could not be ` +
      "released without ZooKeeper: the next run waits until its lease runs out",
  );
}

/** A failed statement as an ApplyError that points at it (at the exact spot for syntax errors). */
function statementError(
  s: ChSession,
  file: TrackedFile,
  stmt: Statement,
  index: number,
  err: unknown,
): ApplyError {
  const e = requestError(err, { timedOut: false, timeoutMs: 0 });
  const message = e.code === null ? e.message : `${e.message} (code ${e.code})`;
  const pos = syntaxErrorPosition(e.message);
  const at = pos !== null ? lineColumn(file.text, stmt.offset + byteToIndex(stmt.text, pos)) : stmt;
  return new ApplyError({
    database: s.name,
    script: file.script,
    serverMessage: message,
    line: at.line,
    column: at.column,
    statement: statementHead(stmt),
    statementsDone: index,
    hint: e instanceof ClusterError
      ? `${e.hint}. ` +
        (index === 0
          ? "Nothing of the file is recorded as applied"
          : `${firstStatements(index)} of this file ${stay(index)} applied and recorded; the ` +
            `next run resumes at statement ${index + 1}`)
      : index === 0
      ? "fix the statement and run again"
      : `ClickHouse has no transactions: ${firstStatements(index)} of this file ` +
        `${stay(index)} applied and recorded; fix statement ${index + 1} and run again to ` +
        "resume there",
  });
}
