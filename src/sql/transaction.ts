// Migration files written for psql, Prisma or by hand often hold their own BEGIN ... COMMIT. Sent
// as they are inside db-migrate's transaction for the file, the file's COMMIT would commit early,
// without the tracking row, so the file could be applied twice. This module finds the statements
// that start or end a transaction at the top level of a file (never inside strings, comments,
// dollar-quoted bodies or BEGIN ATOMIC blocks: it reads the tokenizer's statements) and decides,
// before any database is touched, what each means:
// - in a file that runs in a transaction, the file's own BEGIN and COMMIT join db-migrate's
//   transaction (a BEGIN that opens the file keeps its isolation level); what cannot join it, such
//   as a ROLLBACK, is refused;
// - in a no-transaction file, they run as written, statement by statement, and must pair up.

import { type Statement, stripComments } from "./split.ts";

/** What a top-level statement does to the transaction. */
export type TransactionStatementKind =
  | "begin"
  | "commit"
  | "rollback"
  | "set-transaction"
  | "session-characteristics"
  | "two-phase";

/** A statement that starts, ends or configures a transaction. */
export interface TransactionStatement {
  kind: TransactionStatementKind;
  /** The statement as a user names it: `BEGIN`, `COMMIT AND CHAIN`, `PREPARE TRANSACTION`. */
  label: string;
  /** Transaction modes given (`ISOLATION LEVEL SERIALIZABLE`), lower case, or "". */
  modes: string;
  /** COMMIT/ROLLBACK AND CHAIN: a new transaction starts at once. */
  chain: boolean;
}

const FIRST_WORDS = new Set([
  "begin",
  "start",
  "commit",
  "end",
  "rollback",
  "abort",
  "set",
  "prepare",
]);
const WORK = String.raw`(?:\s+(?:work|transaction)\b)?`;
const CHAIN = String.raw`(?:\s+and\s+(no\s+)?chain\b)?`;

/** What a statement does to the transaction (`BEGIN`, `COMMIT`, `SET TRANSACTION` ...), or null. */
export function transactionStatement(statement: string): TransactionStatement | null {
  const firstWord = /^[a-z]+/i.exec(statement.trimStart())?.[0]?.toLowerCase();
  if (firstWord === undefined || !FIRST_WORDS.has(firstWord)) return null;
  // Words only: comments become spaces, runs of blanks one space.
  const text = stripComments(statement, "postgres").trim().replace(/\s+/g, " ").toLowerCase();
  let m: RegExpExecArray | null;
  const at = (kind: TransactionStatementKind, label: string, modes = "", chain = false) => ({
    kind,
    label,
    modes,
    chain,
  });
  if ((m = new RegExp(String.raw`^begin${WORK}(?: (.*))?$`).exec(text))) {
    return at("begin", "BEGIN", m[1] ?? "");
  }
  if ((m = /^start transaction(?: (.*))?$/.exec(text))) {
    return at("begin", "START TRANSACTION", m[1] ?? "");
  }
  if (/^(?:commit|rollback) prepared\b/.test(text) || /^prepare transaction\b/.test(text)) {
    const label = text.split(" ").slice(0, 2).join(" ").toUpperCase();
    return at("two-phase", label);
  }
  if (new RegExp(String.raw`^rollback${WORK}\s+to\b`).test(text)) return null; // a savepoint
  if ((m = new RegExp(String.raw`^(commit|end)${WORK}${CHAIN}$`).exec(text))) {
    const chain = /chain$/.test(text) && m[2] === undefined;
    return at("commit", m[1]!.toUpperCase() + (chain ? " AND CHAIN" : ""), "", chain);
  }
  if ((m = new RegExp(String.raw`^(rollback|abort)${WORK}${CHAIN}$`).exec(text))) {
    const chain = /chain$/.test(text) && m[2] === undefined;
    return at("rollback", m[1]!.toUpperCase() + (chain ? " AND CHAIN" : ""), "", chain);
  }
  if ((m = /^set transaction (.*)$/.exec(text))) {
    // SET TRANSACTION SNAPSHOT is a mode too: it must also come first.
    return at("set-transaction", "SET TRANSACTION", m[1] ?? "");
  }
  if (/^set session characteristics\b/.test(text)) {
    return at("session-characteristics", "SET SESSION CHARACTERISTICS");
  }
  return null;
}

/** A file's own transaction statement that db-migrate handles, with where it is. */
export interface FileTransactionStatement extends TransactionStatement {
  offset: number;
  /** Offset just past the statement's text (its `;` is not part of it). */
  end: number;
  line: number;
  column: number;
}

/** How a file's own transaction statements are run. */
export interface TransactionPlan {
  /** The file's BEGIN as its first statement: it opens db-migrate's transaction (keeping its modes). */
  opener: FileTransactionStatement | null;
  /** The file's other BEGIN and COMMIT statements, run as no-ops (blanked) inside the transaction. */
  folded: FileTransactionStatement[];
}

/** A file whose own transaction control cannot run safely (exit 2, before any database is touched). */
export class TransactionControlError extends Error {
  line: number;
  column: number;

  constructor(message: string, at: { line: number; column: number }) {
    super(message);
    this.name = "TransactionControlError";
    this.line = at.line;
    this.column = at.column;
  }
}

const NO_TRANSACTION =
  `mark the file "-- db-migrate: no-transaction" to run its statements one by one as written`;
const ADD_VALUE = /^alter\s+type\b[\s\S]*\badd\s+value\b/i;
// Modes the server takes only before the transaction's first query.
const FIRST_ONLY = /\b(?:isolation|deferrable|snapshot)\b/;

/**
 * Collects what the transaction-control rules need while the statements stream by (a large file is
 * never held as an array), then checks them with finish().
 */
export class TransactionControlReader {
  #index = 0;
  #statements: { index: number; stmt: Statement; tx: TransactionStatement }[] = [];
  #refusing: { index: number; stmt: Statement; what: string }[] = [];
  #addValues: { index: number; stmt: Statement }[] = [];
  /** Index of the first statement that is not transaction control, or -1. */
  #firstOther = -1;

  /** Reads one statement (in file order); `refuses` is what makes it refuse a transaction block. */
  add(stmt: Statement, refuses: string | null): void {
    const index = this.#index++;
    const tx = transactionStatement(stmt.text);
    if (tx) this.#statements.push({ index, stmt, tx });
    else if (this.#firstOther < 0) this.#firstOther = index;
    if (refuses !== null) this.#refusing.push({ index, stmt, what: refuses });
    // Comments are stripped (a scan) only for a statement that may be ALTER TYPE ... ADD VALUE.
    if (
      !tx && /^alter\b/i.test(stmt.text) && /\bvalue\b/i.test(stmt.text) &&
      ADD_VALUE.test(stripComments(stmt.text, "postgres"))
    ) {
      this.#addValues.push({ index, stmt });
    }
  }

  /** Checks the rules for a file run in a transaction or not; throws TransactionControlError. */
  finish(transactional: boolean): TransactionPlan {
    const plan: TransactionPlan = { opener: null, folded: [] };
    for (const { stmt, tx } of this.#statements) {
      if (tx.kind === "two-phase") {
        throw refusal(
          stmt,
          tx,
          "is two-phase commit, which has no place in a migration: a prepared transaction " +
            "outlives the run and holds its locks; remove it",
        );
      }
      if (tx.kind === "session-characteristics") {
        throw refusal(
          stmt,
          tx,
          "would set the isolation of every later transaction of db-migrate's session, so of the " +
            "files after this one; to run this file at another isolation level, begin it with " +
            "SET TRANSACTION ISOLATION LEVEL ...",
        );
      }
    }
    return transactional ? this.#inTransaction(plan) : this.#asWritten(plan);
  }

  #inTransaction(plan: TransactionPlan): TransactionPlan {
    let depth = 0;
    let opened: Statement | null = null;
    let lastCommit = -1; // index of the last folded COMMIT
    let started = false; // a statement that is not transaction control has run
    for (let i = 0; i < this.#statements.length; i++) {
      const { index, stmt, tx } = this.#statements[i]!;
      started = this.#firstOther >= 0 && this.#firstOther < index;
      const at = located(stmt, tx);
      switch (tx.kind) {
        case "begin":
          if (depth > 0) throw nested(stmt, tx, opened!);
          if (/\bread only\b/.test(tx.modes)) throw readOnly(stmt, tx);
          if (index === 0) {
            plan.opener = at;
          } else {
            if (tx.modes !== "") {
              throw refusal(
                stmt,
                tx,
                "sets transaction modes, but db-migrate runs the whole file as one transaction, " +
                  "whose modes come from the file's first statement; move them there, or " +
                  NO_TRANSACTION,
              );
            }
            plan.folded.push(at);
          }
          depth = 1;
          opened = stmt;
          break;
        case "commit":
          plan.folded.push(at);
          lastCommit = index;
          depth = tx.chain ? 1 : 0;
          break;
        case "rollback":
          throw refusal(
            stmt,
            tx,
            "would roll back the file's own work, but db-migrate runs the file in one " +
              "transaction that commits it together with its tracking row; remove it, or " +
              NO_TRANSACTION,
          );
        case "set-transaction": {
          if (/\bread only\b/.test(tx.modes)) throw readOnly(stmt, tx);
          if (started && FIRST_ONLY.test(tx.modes)) {
            throw refusal(
              stmt,
              tx,
              "must come before the transaction's first query, and db-migrate runs the whole " +
                `file as one transaction; move it to the top of the file, or ${NO_TRANSACTION}`,
            );
          }
          break;
        }
      }
    }
    // A new enum value cannot be used before the transaction that added it commits: a file that
    // commits after ALTER TYPE ... ADD VALUE and goes on most likely uses it.
    for (const { index, stmt } of this.#addValues) {
      const commit = this.#statements.find((s) => s.index > index && s.tx.kind === "commit");
      if (commit && this.#index > commit.index + 1 && commit.index <= lastCommit) {
        throw refusal(
          commit.stmt,
          commit.tx,
          `commits the enum value added at line ${stmt.line} so that the statements after it ` +
            "can use it, which they cannot inside db-migrate's one transaction for the file; " +
            NO_TRANSACTION,
        );
      }
    }
    return plan;
  }

  #asWritten(plan: TransactionPlan): TransactionPlan {
    let opened: Statement | null = null;
    let openedIndex = -1;
    for (const { index, stmt, tx } of this.#statements) {
      if (tx.kind === "begin") {
        if (opened) throw nested(stmt, tx, opened);
        opened = stmt;
        openedIndex = index;
      } else if ((tx.kind === "commit" || tx.kind === "rollback") && !tx.chain) {
        if (opened) this.#checkBlock(openedIndex, index, opened);
        opened = null;
      }
    }
    if (opened) {
      this.#checkBlock(openedIndex, Infinity, opened);
      throw new TransactionControlError(
        `BEGIN at line ${opened.line}, column ${opened.column} is never committed: the file runs ` +
          "outside a transaction, statement by statement, so its own transaction must end in the " +
          "file; add a COMMIT",
        opened,
      );
    }
    return plan;
  }

  // A statement that refuses a transaction block cannot sit inside the file's own BEGIN ... COMMIT.
  #checkBlock(from: number, to: number, opened: Statement): void {
    const inside = this.#refusing.find((r) => r.index > from && r.index < to);
    if (!inside) return;
    throw new TransactionControlError(
      `${inside.what} at line ${inside.stmt.line}, column ${inside.stmt.column} cannot run inside ` +
        `the transaction the file opens at line ${opened.line}: PostgreSQL runs it only outside a ` +
        "transaction block; move it after the COMMIT",
      inside.stmt,
    );
  }
}

function located(stmt: Statement, tx: TransactionStatement): FileTransactionStatement {
  return {
    ...tx,
    offset: stmt.offset,
    end: stmt.offset + stmt.text.length,
    line: stmt.line,
    column: stmt.column,
  };
}

function refusal(stmt: Statement, tx: TransactionStatement, rest: string): TransactionControlError {
  return new TransactionControlError(
    `${tx.label} at line ${stmt.line}, column ${stmt.column} ${rest}`,
    stmt,
  );
}

function nested(
  stmt: Statement,
  tx: TransactionStatement,
  opened: Statement,
): TransactionControlError {
  return new TransactionControlError(
    `${tx.label} at line ${stmt.line}, column ${stmt.column} comes inside the transaction the file ` +
      `opened at line ${opened.line}: PostgreSQL has no nested transactions; add the missing ` +
      "COMMIT, or use SAVEPOINT",
    stmt,
  );
}

function readOnly(stmt: Statement, tx: TransactionStatement): TransactionControlError {
  return refusal(
    stmt,
    tx,
    "makes the transaction read-only, so the file's tracking row could not be written; remove " +
      "READ ONLY",
  );
}
