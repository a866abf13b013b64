// A file in one transaction with its tracking row: PostgreSQL receives BEGIN, the file, the tracking
// upsert and COMMIT as one query (a large file as several, of whole statements). A failure is
// turned into an ApplyError that points into the file: by the server's error position, or by
// replaying the file statement by statement in a transaction that is always rolled back.

import { ApplyError } from "../../core/errors.ts";
import type { TrackedFile } from "../../core/types.ts";
import { statementHead } from "../../sql/excerpt.ts";
import { lineColumn } from "../../sql/position.ts";
import { eachStatement, type Statement } from "../../sql/split.ts";
import { type TransactionPlan, transactionStatement } from "../../sql/transaction.ts";
import type { ApplyOutcome, Trial } from "../driver.ts";
import {
  connectionLost,
  fileErrorHint,
  fileErrorMessage,
  isConnectionLoss,
  type PgError,
} from "./errors.ts";
import { type PendingQuery, type PgSession, PIECE_SIZE } from "./session.ts";
import {
  contentFromPiecesSql,
  queryTextSql,
  recordSql,
  REHEARSAL_SAVEPOINT,
  stashContentSql,
} from "./sql.ts";
import { blankRanges, charIndex, pieceBounds, serverLength } from "./text.ts";

// A failed file is replayed to find the failing statement only if it failed within this time.
const REPLAY_LIMIT_MS = 30_000;

// How many replayed statements may be on the wire at once.
const REPLAY_WINDOW = 64;

/** The statement of text[from, to) that holds offset (pieces start at statement starts). */
function statementAt(text: string, from: number, to: number, offset: number): Statement | null {
  let found: Statement | null = null;
  eachStatement(text.slice(from, to), "postgres", (s) => {
    if (s.offset + from <= offset) found = { ...s, offset: s.offset + from };
  });
  return found;
}

/** How a file's transaction opens, ends and is undone: a run's own, or a rehearsal's savepoint. */
function bounds(control: TransactionPlan, trial: Trial | undefined) {
  if (trial === "rehearsal") {
    // Inside verify's open transaction: a file's own opening BEGIN only warns there.
    return {
      open: `savepoint ${REHEARSAL_SAVEPOINT};\n`,
      end: `release savepoint ${REHEARSAL_SAVEPOINT};`,
      undo: `rollback to savepoint ${REHEARSAL_SAVEPOINT}`,
    };
  }
  return { open: control.opener ? "" : "begin;\n", end: "commit;", undo: "rollback" };
}

/**
 * Runs the file and its tracking row in one transaction: one round trip for a file up to PIECE_SIZE,
 * else one per piece of whole statements, so a large file is never copied whole into one
 * message. The tracking row's copy of the text is cut out of the query by the server
 * (current_query()), so the text is sent once. A `verify` trial writes no tracking row.
 */
export async function runInTransaction(
  s: PgSession,
  file: TrackedFile,
  control: TransactionPlan,
  signal: AbortSignal,
  trial?: Trial,
  /** The tracking change that commits with the file, in place of its own row (a U-file's). */
  finish?: () => string,
): Promise<ApplyOutcome> {
  // The file's own BEGIN/COMMIT become spaces: it runs inside our transaction, whose COMMIT
  // also writes the tracking row. A BEGIN that opens the file opens our transaction instead.
  const text = blankRanges(file.text, control.folded);
  const { open: prefix, end, undo } = bounds(control, trial);
  const cuts = pieceBounds(text, PIECE_SIZE);
  const started = performance.now();
  let piece = 0;
  let current: PendingQuery | null = null;
  const onAbort = () => current?.cancel();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    for (; piece < cuts.length - 1; piece++) {
      // Between pieces no query is running to cancel: stop before the next one.
      if (signal.aborted) throw signal.reason;
      const from = cuts[piece]!, to = cuts[piece + 1]!;
      const head = piece === 0 ? prefix : "";
      const content = contentSql(s, file.text, control, from, to, head.length);
      const last = piece === cuts.length - 2;
      const record = trial === undefined
        ? `${
          finish?.() ?? recordSql(s.schema, file, {
            success: true,
            ms: "elapsed",
            content: contentFromPiecesSql(piece, content),
          })
        };\n`
        : "";
      const tail = last ? `${record}${end}` : stashContentSql(piece, content, true);
      // The text between the cuts is sliced, not copied; the query is built once per piece.
      current = s.sql.unsafe(`${head}${text.slice(from, to)}\n;\n${tail}`);
      await current;
    }
    return { ms: performance.now() - started };
  } catch (err) {
    // A broken connection has no transaction left to roll back: the server dropped it.
    if (isConnectionLoss(err) && !signal.aborted) throw connectionLost(s.database, file, err);
    await s.sql.unsafe(undo).catch(() => {});
    if (signal.aborted) throw signal.reason;
    const failed = { text, cuts, piece, head: piece === 0 ? prefix : "" };
    throw await explain(s, err, file, signal, control, failed, performance.now() - started, trial);
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}

/**
 * The SQL expression for the original text of file[from, to) inside the current query, which
 * holds it (blanked) after `headLength` ASCII characters.
 */
function contentSql(
  s: PgSession,
  original: string,
  control: TransactionPlan,
  from: number,
  to: number,
  headLength: number,
): string {
  const length = (a: number, b: number) => serverLength(original, a, b, s.bytes);
  const restore = control.folded.filter((f) => f.offset >= from && f.end <= to).map((f) => ({
    from: length(from, f.offset) + 1,
    length: length(f.offset, f.end),
    text: original.slice(f.offset, f.end),
  }));
  return queryTextSql(headLength + 1, length(from, to), restore);
}

/** Turns a server error into an ApplyError that points into the file. */
async function explain(
  s: PgSession,
  err: unknown,
  file: TrackedFile,
  signal: AbortSignal,
  control: TransactionPlan,
  failed: { text: string; cuts: number[]; piece: number; head: string },
  ms: number,
  trial: Trial | undefined,
): Promise<ApplyError> {
  const { text, cuts, piece, head } = failed;
  const from = cuts[piece]!, to = cuts[piece + 1]!;
  const base = { database: s.database, script: file.script };
  const pos = Number((err as PgError).position);
  const bodyChars = serverLength(text, from, to, s.bytes);
  if (pos > head.length && pos <= head.length + bodyChars + 1) {
    const offset = Math.min(charIndex(text, from, pos - head.length), to);
    const { line, column } = lineColumn(file.text, offset);
    const stmt = statementAt(text, from, to, offset);
    return new ApplyError({
      ...base,
      serverMessage: fileErrorMessage(s, err),
      line,
      column,
      ...(stmt ? { statement: statementHead(stmt) } : {}),
      ...hintFor(s, err, control),
    });
  }
  if (pos > head.length + bodyChars + 1) {
    return new ApplyError({
      ...base,
      serverMessage: `recording the file in _schema_migrations failed: ${fileErrorMessage(s, err)}`,
      hint: "did the file drop or alter _schema_migrations?",
    });
  }
  // No position (constraint violations, errors inside functions): replay the file statement by
  // statement in a transaction that is rolled back, to find the one that fails.
  return await locate(s, err, file, signal, control, text, to, ms, trial);
}

/** Our hint for an error of a file run in a transaction. */
function hintFor(s: PgSession, err: unknown, control: TransactionPlan): { hint?: string } {
  return fileErrorHint(s, err, control.folded.some((f) => f.kind === "commit"));
}

/**
 * Replays text[0, end) statement by statement in a transaction that is always rolled back, to
 * find the statement an error without a position came from. Never commits: the file's own
 * transaction statements were blanked or refused before the run, and any that is still found
 * stops the replay. Not done when the file ran long (it would run that long again) or calls
 * dblink (whose remote changes a rollback here cannot undo); then the error has no position.
 */
async function locate(
  s: PgSession,
  err: unknown,
  file: TrackedFile,
  signal: AbortSignal,
  control: TransactionPlan,
  text: string,
  end: number,
  ms: number,
  trial: Trial | undefined,
): Promise<ApplyError> {
  const base = {
    database: s.database,
    script: file.script,
    serverMessage: fileErrorMessage(s, err),
    ...hintFor(s, err, control),
  };
  const unlocated = (why: string) =>
    new ApplyError({
      ...base,
      hint: [base.hint, `the failing statement was not located: ${why}`].filter(Boolean).join(
        "; ",
      ),
    });
  if (ms > REPLAY_LIMIT_MS) {
    return unlocated(
      `the file ran ${(ms / 1000).toFixed(0)} s, and finding it means running it again`,
    );
  }
  if (/dblink/i.test(text)) {
    return unlocated("the file uses dblink, whose remote changes a replay would repeat");
  }
  const statements: Statement[] = [];
  eachStatement(text.slice(0, end), "postgres", (s) => statements.push(s));
  const opener = control.opener ? statements.shift() : undefined;
  const controls = (s: Statement) => {
    const kind = transactionStatement(s.text)?.kind;
    return kind !== undefined && kind !== "set-transaction";
  };
  if (statements.some(controls)) {
    return unlocated("the file controls its own transaction");
  }
  let found: { index: number; error: unknown } | null = null;
  const inflight: { query: PendingQuery; done: Promise<void> }[] = [];
  const onAbort = () => inflight.forEach((q) => q.query.cancel());
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    // A rehearsal's replay runs in a savepoint of its open transaction, after the files before it.
    await s.sql.unsafe(
      trial === "rehearsal" ? `savepoint ${REHEARSAL_SAVEPOINT}` : opener?.text ?? "begin",
    );
    // Pipelined: the statements go out without waiting for each answer, and they come back in
    // order, so the first rejection is the failing statement.
    for (let i = 0; i < statements.length && !found && !signal.aborted; i++) {
      const query = s.sql.unsafe(statements[i]!.text);
      const done = query.then(() => {}, (error) => {
        if (!found || i < found.index) found = { index: i, error };
      });
      inflight.push({ query, done });
      if (inflight.length >= REPLAY_WINDOW) await inflight.shift()!.done;
    }
    await Promise.all(inflight.map((q) => q.done));
  } catch {
    // the replay is best effort; the original error is reported below
  } finally {
    signal.removeEventListener("abort", onAbort);
    await s.sql.unsafe(bounds(control, trial).undo).catch(() => {});
  }
  if (signal.aborted) throw signal.reason;
  const hit = found as { index: number; error: unknown } | null;
  if (!hit || (hit.error as PgError).code !== (err as PgError).code) {
    return unlocated("replaying the file did not fail the same way");
  }
  const stmt = statements[hit.index]!;
  const pos = Number((hit.error as PgError).position);
  const at = pos > 0 ? lineColumn(file.text, charIndex(text, stmt.offset, pos)) : stmt;
  return new ApplyError({
    ...base,
    serverMessage: fileErrorMessage(s, hit.error),
    line: at.line,
    column: at.column,
    statement: statementHead(stmt),
  });
}
