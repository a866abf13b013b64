// Where a ClickHouse file that failed or stopped earlier goes on. A statement the earlier run left
// in flight is waited for while the server still runs it, then judged from the server's query log
// (fate.ts): finished counts as applied, never started runs again, and anything else stops the run
// for an operator (OUTCOME_UNKNOWN) unless --resolve-unknown decided it. Then the stored hashes of
// the statements counted as applied are compared with the file's.

import { sleep } from "../../core/backoff.ts";
import { interruption, OutcomeUnknownError } from "../../core/errors.ts";
import type { TrackedFile } from "../../core/types.ts";
import type { ExecuteContext } from "../driver.ts";
import {
  FLUSH_LOGS_SQL,
  intentQueryId,
  judgeStatement,
  type QueryLogRow,
  queryLogSql,
  runningSql,
  SERVER_STARTED_SQL,
  type StatementFate,
} from "./fate.ts";
import type { ClickHouseRequestError } from "./http.ts";
import { checkLease, type ChSession } from "./session.ts";

/** How often to look whether a statement left running by an earlier run has ended. */
const RUNNING_POLL_MS = 1000;
/** How often to say that the run still waits for it. */
const RUNNING_SAY_MS = 30_000;
/** ClickHouse's error code for an unknown table (system.query_log on a server that keeps no log). */
const UNKNOWN_TABLE = 60;

/**
 * Where a file that failed or stopped earlier goes on. A statement the earlier run left in flight
 * (the row names its query_id) is waited for while the server still runs it, then judged from
 * the server's query log: finished counts as applied, never started runs again, and anything
 * else stops the run (OUTCOME_UNKNOWN) unless --resolve-unknown decided it. Then the stored
 * hashes of the statements counted as applied are compared with the file's.
 */
export async function resumePoint(
  s: ChSession,
  file: TrackedFile,
  hashes: string[],
  ctx: ExecuteContext,
  /** The script whose row holds the progress: a U-file's is its migration's. */
  trackScript = file.script,
): Promise<{ start: number; note?: string; resolved?: string }> {
  const p = await s.tracking.progress(trackScript);
  if (!p || Number(p.deleted) !== 0 || Number(p.success) !== 0) return { start: 0 };
  const n = hashes.length;
  const stored = p.statement_hashes ?? [];
  let done = Number(p.statements_done);
  const notes: string[] = [];
  let resolved: string | undefined;
  const queryId = String(p.query_id ?? "");
  if (queryId !== "") {
    const k = done; // the statement in flight, 0-based
    await waitWhileRunning(s, file, k, n, queryId, ctx);
    let fate = await fateOf(s, queryId, Number(p.applied_epoch));
    if (fate.fate === "finished" && stored[k] !== hashes[k]) {
      fate = {
        fate: "unknown",
        why: `it finished, but statement ${k + 1} of the file has changed since, so what ran ` +
          "is not what the file now says",
      };
    }
    if (fate.fate === "finished") {
      done = k + 1;
      notes.push(
        `statement ${k + 1} of ${n}, left in flight by an earlier run, had finished on the ` +
          `server (query_id ${queryId})`,
      );
    } else if (fate.fate === "not started") {
      notes.push(`statement ${k + 1} of ${n} of an earlier run had not run: ${fate.why}`);
    } else {
      const decision = ctx.resolveUnknown.get(queryId);
      if (!decision) {
        // The query log and the process list are per server: on a cluster the earlier run may
        // have sent the statement through another replica, which alone can tell.
        const why = s.cluster
          ? `${fate.why} (on a cluster each replica keeps its own query log: if the earlier ` +
            "run went through another replica, run through that one, which can tell)"
          : fate.why;
        throw unknownOutcome(s, file, k, n, queryId, why);
      }
      resolved = queryId;
      if (decision === "applied") done = k + 1;
      notes.push(
        `statement ${k + 1} of ${n} (query_id ${queryId}) ${
          decision === "applied" ? "counted as applied" : "run again"
        } as --resolve-unknown says`,
      );
    }
  }
  const out = (start: number, note?: string) => {
    const all = [...notes, ...(note ? [note] : [])];
    return {
      start,
      ...(all.length > 0 ? { note: all.join("; ") } : {}),
      ...(resolved ? { resolved } : {}),
    };
  };
  if (done === 0) return out(0);
  let same = 0;
  while (same < done && same < n && stored[same] === hashes[same]) same++;
  if (same === done) {
    return out(
      done,
      done === n
        ? "all its statements had run"
        : `resumed at statement ${done + 1} of ${n} (${
          done === 1 ? "statement 1 was" : `statements 1-${done} were`
        } applied by an earlier run)`,
    );
  }
  const what = same < n
    ? `statement ${same + 1} differs from the one an earlier run applied`
    : "the file has fewer statements than an earlier run applied";
  return out(0, `${what} before it stopped after statement ${done}: started the file again`);
}

/** Waits while the server still runs the statement an earlier run sent, saying so. */
async function waitWhileRunning(
  s: ChSession,
  file: TrackedFile,
  index: number,
  n: number,
  queryId: string,
  ctx: ExecuteContext,
): Promise<void> {
  let lastSaid = -Infinity;
  for (;;) {
    const [proc] = await s.http.rows<{ elapsed: number; written_rows: string | number }>(
      runningSql(queryId),
    );
    if (!proc) return;
    if (ctx.signal.aborted) {
      throw interruption(ctx.signal.reason, {
        database: s.name,
        script: file.script,
        outcome: "not started",
        note: `stopped while waiting for statement ${index + 1} of ${n}, which an earlier run ` +
          `left running on the server (query_id ${queryId}); this run changed nothing`,
        hint: "run again: the next run waits for that statement and goes on after it",
      });
    }
    checkLease(s, file);
    if (performance.now() - lastSaid >= RUNNING_SAY_MS) {
      lastSaid = performance.now();
      ctx.notice(
        `${s.name}: "${file.script}": statement ${index + 1} of ${n}, sent by an ` +
          `earlier run, still runs on the server (query_id ${queryId}, ${
            Number(proc.elapsed)
          } s so far, ${Number(proc.written_rows)} rows written); waiting for it to end`,
      );
    }
    await sleep(RUNNING_POLL_MS, ctx.signal);
  }
}

/** Asks the server's query log what became of a statement that no longer runs. */
async function fateOf(s: ChSession, queryId: string, sentAt: number): Promise<StatementFate> {
  let flushError: string | null = null;
  await s.http.exec(FLUSH_LOGS_SQL).catch((err) => {
    flushError = (err as Error).message;
  });
  let log: QueryLogRow[] | null;
  let server: { started: number } | undefined;
  try {
    try {
      log = await s.http.rows<QueryLogRow>(
        queryLogSql([queryId, intentQueryId(queryId)], sentAt),
      );
    } catch (err) {
      if ((err as ClickHouseRequestError).code !== UNKNOWN_TABLE) throw err;
      log = null;
    }
    [server] = await s.http.rows<{ started: number }>(SERVER_STARTED_SQL);
  } catch (err) {
    // The server answered but would not say (no grant on system.query_log, say): ask the operator.
    if ((err as ClickHouseRequestError).code == null) throw err;
    return {
      fate: "unknown",
      why: `the server would not show its query log (${(err as Error).message})`,
    };
  }
  const fate = judgeStatement({
    queryId,
    log,
    serverStarted: Number(server?.started ?? 0),
    sentAt,
  });
  // Absence from a log that could not be flushed proves nothing: its last seconds are missing.
  if (fate.fate === "not started" && fate.by === "absent" && flushError !== null) {
    return {
      fate: "unknown",
      why: `the server refused SYSTEM FLUSH LOGS (${flushError}), so its query log may lack ` +
        "the last seconds",
    };
  }
  return fate;
}

/** The stop for an operator: a statement that may be partly applied, and what to check. */
function unknownOutcome(
  s: ChSession,
  file: TrackedFile,
  index: number,
  n: number,
  queryId: string,
  why: string,
): OutcomeUnknownError {
  return new OutcomeUnknownError({
    database: s.name,
    script: file.script,
    statement: index + 1,
    queryId,
    message: `cannot tell whether statement ${index + 1} of ${n} of "${file.script}" took ` +
      `effect in "${s.name}" (sent by an earlier run with query_id ${queryId}): ${why}; ` +
      "nothing was run",
    hint: `check what it did: on the server, SELECT type, written_rows, exception FROM ` +
      `system.query_log WHERE query_id = '${queryId}', and the tables it writes to. Then run ` +
      `again with --resolve-unknown=${queryId}=applied to count it as applied and go on after ` +
      `it, or undo what it did and run again with --resolve-unknown=${queryId}=rerun to run it ` +
      "again",
  });
}
