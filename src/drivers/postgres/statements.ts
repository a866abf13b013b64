// A file outside a transaction, statement by statement (CONCURRENTLY, VACUUM and the like): what
// ran stays, so a failure or a stop records the file as failed where it stopped, and the next run
// applies it again from its first statement (files are idempotent by rule).

import { ApplyError, firstStatements, interruption, signalName, stay } from "../../core/errors.ts";
import type { Provenance, TrackedFile } from "../../core/types.ts";
import { statementHead } from "../../sql/excerpt.ts";
import { lineColumn } from "../../sql/position.ts";
import { splitStatements, stripComments } from "../../sql/split.ts";
import { transactionStatement } from "../../sql/transaction.ts";
import type { ApplyOutcome, Trial } from "../driver.ts";
import {
  connectionLost,
  fileErrorHint,
  fileErrorMessage,
  isConnectionLoss,
  type PgError,
  serverMessage,
} from "./errors.ts";
import { type PgSession, PIECE_SIZE } from "./session.ts";
import {
  contentFromPiecesSql,
  contentPieceName,
  quoteLiteral,
  recordSql,
  stashContentSql,
} from "./sql.ts";
import { charIndex } from "./text.ts";

/**
 * Statement by statement outside a transaction, for CONCURRENTLY, VACUUM and the like. The
 * file's own BEGIN ... COMMIT run as written; a failure inside one rolls it back first. What ran
 * cannot be rolled back, so a stop request lets the running statement finish within the grace
 * period (a cancelled CREATE INDEX CONCURRENTLY leaves an INVALID index behind) and records the
 * file as failed where it stopped, as for an error; the next run applies it again from the top.
 */
export async function runStatements(
  s: PgSession,
  file: TrackedFile,
  signal: AbortSignal,
  graceOver: AbortSignal,
  trial?: Trial,
  /**
   * A U-file records a failure on the row of the migration it undoes (`track`), with that
   * provenance, and leaves the row of its success to the caller.
   */
  undo?: { track: TrackedFile; provenance: Provenance; skipRecord: true },
): Promise<ApplyOutcome> {
  // What ran outside a transaction cannot be rolled back, so it cannot be rehearsed.
  if (trial === "rehearsal") throw new Error(`"${file.script}" runs outside a transaction`);
  const statements = splitStatements(file.text, "postgres");
  const n = statements.length;
  const started = performance.now();
  // Records the file as failed after `done` statements; says so, or why it could not.
  const record = async (done: number, error: string): Promise<string> => {
    if (trial !== undefined) return "it is not recorded (verify)";
    const outcome = {
      success: false,
      ms: performance.now() - started,
      error,
      statementsDone: done,
      ...(undo ? { provenance: undo.provenance } : {}),
    };
    for (let attempt = 1;; attempt++) {
      try {
        await recordFile(s, undo?.track ?? file, outcome);
        return `it is recorded as failed at statement ${done + 1}`;
      } catch (err) {
        // A cancel request meant for the statement before may land on this one: once more.
        if ((err as PgError).code === "57014" && attempt < 2) continue;
        return `recording it as failed at statement ${done + 1} failed (${serverMessage(err)})`;
      }
    }
  };
  const again = "run again: the file is applied again from its first statement (it is " +
    "idempotent by rule)";
  let blockStart = -1; // index of the file's open BEGIN, or -1
  for (let i = 0; i < n; i++) {
    const stmt = statements[i]!;
    if (signal.aborted) {
      const sig = signalName(signal.reason);
      // A stop inside the file's own open transaction undoes it first: a row recorded inside
      // it would be lost with it when the connection closes.
      const inBlock = blockStart >= 0;
      if (inBlock) await s.sql.unsafe("rollback").catch(() => {});
      const done = inBlock ? blockStart : i;
      const recorded = done > 0
        ? await record(done, `stopped by ${sig} after statement ${done} of ${n}`)
        : "";
      const undone = inBlock
        ? `its own transaction from line ${statements[blockStart]!.line} was rolled back; `
        : "";
      throw interruption(signal.reason, {
        database: s.database,
        script: file.script,
        outcome: done === 0 ? (inBlock ? "rolled back" : "not started") : "recorded",
        note: i === 0
          ? "it was stopped before its first statement; nothing of it ran"
          : done === 0
          ? `stopped after statement ${i} of ${n}: ${undone}nothing of it stays applied`
          : `stopped after statement ${i} of ${n}: the file runs outside a transaction, so ${undone}` +
            `${firstStatements(done)} ${stay(done)} applied; ${recorded}, and the next run ` +
            "applies it again from the top",
        hint: done === 0 ? "run again to apply it and the rest" : again,
      });
    }
    const query = s.sql.unsafe(stmt.text);
    const onAbort = () => query.cancel();
    graceOver.addEventListener("abort", onAbort, { once: true });
    try {
      await query;
      const tx = transactionStatement(stmt.text);
      if (tx?.kind === "begin") blockStart = i;
      else if (tx?.kind === "commit" || tx?.kind === "rollback") blockStart = tx.chain ? i : -1;
    } catch (err) {
      if (graceOver.aborted && (err as PgError).code === "57014") {
        const sig = signalName(signal.reason);
        const cancelled = `statement ${i + 1} of ${n} was cancelled when the grace period ended`;
        // The file's own open transaction goes with the cancelled statement.
        const inBlock = blockStart >= 0;
        if (inBlock) await s.sql.unsafe("rollback").catch(() => {});
        const done = inBlock ? blockStart : i;
        const recorded = await record(done, `stopped by ${sig}: ${cancelled}`);
        const concurrently = /\bCONCURRENTLY\b/i.test(stripComments(stmt.text, "postgres"));
        throw interruption(signal.reason, {
          database: s.database,
          script: file.script,
          outcome: "recorded",
          note: `${cancelled}; ` +
            (inBlock
              ? `its own transaction from line ${statements[blockStart]!.line} was rolled back; `
              : "") +
            (done > 0 ? `${firstStatements(done)} ${stay(done)} applied, and ` : "") + recorded +
            (concurrently
              ? "; a cancelled CREATE INDEX CONCURRENTLY leaves an INVALID index, which IF " +
                "NOT EXISTS would then skip: drop it before running again"
              : ""),
          hint: again,
        });
      }
      if (isConnectionLoss(err)) {
        throw connectionLost(s.database, file, err, { done: i, n });
      }
      const pos = Number((err as PgError).position);
      const at = pos > 0 ? lineColumn(file.text, charIndex(file.text, stmt.offset, pos)) : stmt;
      // Statements of the file's own open transaction are undone with it.
      const inBlock = blockStart >= 0;
      if (inBlock) await s.sql.unsafe("rollback").catch(() => {});
      const done = inBlock ? blockStart : i;
      const opened = inBlock ? statements[blockStart]! : null;
      const failure = new ApplyError({
        database: s.database,
        script: file.script,
        serverMessage: fileErrorMessage(s, err),
        line: at.line,
        column: at.column,
        statement: statementHead(stmt),
        statementsDone: done,
        hint: [fileErrorHint(s, err, false).hint].filter(Boolean).concat(
          opened
            ? `this file runs outside db-migrate's transaction: its own transaction from line ` +
              `${opened.line} was rolled back, and ${done} ${
                done === 1 ? "statement before it stays" : "statements before it stay"
              } applied; fix the file and run again (files are idempotent by rule)`
            : "this file runs outside a transaction: statements before it stay applied; " +
              "fix the file and run again (files are idempotent by rule)",
        ).join("; "),
      });
      await record(done, failure.serverMessage); // best effort: the failure matters more
      throw failure;
    } finally {
      graceOver.removeEventListener("abort", onAbort);
    }
  }
  const ms = performance.now() - started;
  if (trial === undefined && !undo) await recordFile(s, file, { success: true, ms });
  return { ms };
}

/**
 * Writes the tracking row of a file run outside a transaction. A large file's text goes ahead in
 * pieces, each kept in a session setting, so no one message holds the whole text.
 */
async function recordFile(
  s: PgSession,
  file: TrackedFile,
  outcome: {
    success: boolean;
    ms: number;
    error?: string;
    statementsDone?: number;
    provenance?: Provenance;
  },
): Promise<void> {
  if (file.text.length <= PIECE_SIZE) {
    await s.sql.unsafe(recordSql(s.schema, file, outcome));
    return;
  }
  let n = 0;
  for (let from = 0; from < file.text.length; n++) {
    let to = Math.min(from + PIECE_SIZE, file.text.length);
    // Never cut a surrogate pair in two.
    if (/[\ud800-\udbff]/.test(file.text[to - 1] ?? "")) to++;
    await s.sql.unsafe(stashContentSql(n, quoteLiteral(file.text.slice(from, to)), false));
    from = to;
  }
  const content = contentFromPiecesSql(n - 1, `current_setting('${contentPieceName(n - 1)}')`);
  try {
    await s.sql.unsafe(recordSql(s.schema, file, { ...outcome, content }));
  } finally {
    const clear = Array.from({ length: n }, (_, k) => stashContentSql(k, "''", false));
    await s.sql.unsafe(clear.join(";\n")).catch(() => {});
  }
}
