// One small hierarchy: every error a user can see carries a stable code and the contract's exit code,
// and toErrorData() turns any of them into the data `--json` and `--log-format=json` carry.

import { scrub } from "./redact.ts";

/** Exit codes pinned by the contract. */
export const EXIT = {
  ok: 0,
  failed: 1,
  config: 2,
  drift: 3,
  unreachable: 4,
  sigint: 130,
  sigterm: 143,
} as const;

/** Stable error codes listed in the README. */
export type ErrorCode =
  | "USAGE"
  | "CONFIG"
  | "BAD_FILE_NAME"
  | "DUPLICATE_VERSION"
  | "UNREADABLE_FILE"
  | "INVALID_UTF8"
  | "EMPTY_FILE"
  | "META_COMMAND"
  | "NO_DATABASE"
  | "BAD_DIRECTIVE"
  | "BAD_SQL_TEXT"
  | "TRANSACTION_CONTROL"
  | "FILE_TOO_LARGE"
  | "STATEMENT_TOO_LARGE"
  | "MISSING_URL"
  | "BAD_URL"
  | "UNKNOWN_DATABASE"
  | "INVALID_SEED"
  | "ORPHAN_UNDO"
  | "NO_UNDO_FILE"
  | "UNDO_BLOCKED"
  | "UNKNOWN_VERSION"
  | "TRACKING_CHANGED"
  | "IMPORT_UNSUPPORTED"
  | "IMPORT_HISTORY"
  | "CONFIRMATION_REQUIRED"
  | "NOT_LOCAL"
  | "INVALID_NAME"
  | "VALIDATION_FAILED"
  | "MIGRATIONS_PENDING"
  | "NOT_CONFIRMED"
  | "CHECKSUM_MISMATCH"
  | "DB_UNREACHABLE"
  | "CLUSTER_UNAVAILABLE"
  | "LOCK_TIMEOUT"
  | "APPLY_FAILED"
  | "CONNECTION_LOST"
  | "OUTCOME_UNKNOWN"
  | "INTERRUPTED"
  | "TENANT_TIMEOUT"
  | "INTERNAL";

/** Where in a file a problem is, for messages. */
export interface FilePosition {
  file: string;
  line?: number;
  column?: number;
}

/** Base of every error db-migrate reports on purpose. */
export class MigrateError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  readonly database?: string;
  readonly hint?: string;

  constructor(
    code: ErrorCode,
    exitCode: number,
    message: string,
    opts: { database?: string; hint?: string; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
    if (opts.database !== undefined) this.database = opts.database;
    if (opts.hint !== undefined) this.hint = opts.hint;
  }
}

/** A bad flag or argument (exit 2). */
export class UsageError extends MigrateError {
  constructor(message: string) {
    super("USAGE", EXIT.config, message, { hint: "run with --help for the usage" });
  }
}

/** A problem with files, URLs or config found before any database is touched (exit 2). */
export class ConfigError extends MigrateError {
  readonly position?: FilePosition;
  constructor(
    code: ErrorCode,
    message: string,
    opts: { database?: string; hint?: string; position?: FilePosition; cause?: unknown } = {},
  ) {
    super(code, EXIT.config, message, opts);
    if (opts.position) this.position = opts.position;
  }
}

/** One drifted file: what the database recorded against what is on disk. */
export interface DriftItem {
  script: string;
  state: "checksum mismatch" | "missing file";
  appliedChecksum: string;
  fileChecksum?: string;
  diff?: string;
}

/** Applied migrations whose files changed or vanished (exit 3). */
export class DriftError extends MigrateError {
  readonly items: DriftItem[];
  constructor(database: string, items: DriftItem[], message: string) {
    super("CHECKSUM_MISMATCH", EXIT.drift, message, {
      database,
      hint: "restore the files, or run with --repair to record the current checksums",
    });
    this.items = items;
  }
}

/** The database could not be reached in time, or its lock could not be taken (exit 4). */
export class UnreachableError extends MigrateError {
  constructor(
    code: "DB_UNREACHABLE" | "CLUSTER_UNAVAILABLE" | "LOCK_TIMEOUT",
    database: string,
    message: string,
    hint?: string,
    /** Waiting cannot heal it (a wrong password, no such database): not worth a retry. */
    readonly permanent = false,
  ) {
    super(code, EXIT.unreachable, message, hint === undefined ? { database } : { database, hint });
  }
}

/** A statement failed in the database (exit 1). */
export class ApplyError extends MigrateError {
  readonly script: string;
  readonly line?: number;
  readonly column?: number;
  readonly statement?: string;
  readonly serverMessage: string;
  /** How many statements of the file had succeeded (non-transactional files). */
  readonly statementsDone?: number;

  constructor(opts: {
    database: string;
    script: string;
    serverMessage: string;
    line?: number;
    column?: number;
    statement?: string;
    statementsDone?: number;
    hint?: string;
  }) {
    const where = opts.line === undefined
      ? ""
      : `:${opts.line}${opts.column === undefined ? "" : `:${opts.column}`}`;
    // A statement of several lines keeps its shape, indented under the first.
    const stmt = opts.statement === undefined
      ? ""
      : `\n  statement: ${opts.statement.replaceAll("\n", "\n    ")}`;
    super(
      "APPLY_FAILED",
      EXIT.failed,
      `cannot apply "${opts.script}${where}" to "${opts.database}": ${opts.serverMessage}${stmt}`,
      opts.hint === undefined ? { database: opts.database } : {
        database: opts.database,
        hint: opts.hint,
      },
    );
    this.script = opts.script;
    this.serverMessage = opts.serverMessage;
    if (opts.line !== undefined) this.line = opts.line;
    if (opts.column !== undefined) this.column = opts.column;
    if (opts.statement !== undefined) this.statement = opts.statement;
    if (opts.statementsDone !== undefined) this.statementsDone = opts.statementsDone;
  }
}

/**
 * The connection to a database broke while a file was being applied (exit 4): the server went away,
 * which is not the statement's fault. The message says what the database keeps and how a run
 * continues.
 */
export class ConnectionLostError extends MigrateError {
  readonly script: string;
  constructor(opts: { database: string; script: string; message: string; hint: string }) {
    super("CONNECTION_LOST", EXIT.unreachable, opts.message, {
      database: opts.database,
      hint: opts.hint,
    });
    this.script = opts.script;
  }
}

/**
 * A statement that ran outside a transaction may have taken effect in full, in part or not at all,
 * and the database cannot tell which (exit 1): the run stops before running anything of that file,
 * until an operator decides (`--resolve-unknown=QUERY_ID=applied|rerun`).
 */
export class OutcomeUnknownError extends MigrateError {
  readonly script: string;
  /** The statement, 1-based. */
  readonly statement: number;
  /** The query_id the statement was sent with: what the operator checks and names in the flag. */
  readonly queryId: string;
  constructor(opts: {
    database: string;
    script: string;
    statement: number;
    queryId: string;
    message: string;
    hint: string;
  }) {
    super("OUTCOME_UNKNOWN", EXIT.failed, opts.message, {
      database: opts.database,
      hint: opts.hint,
    });
    this.script = opts.script;
    this.statement = opts.statement;
    this.queryId = opts.queryId;
  }
}

/**
 * What a stop did to the file being applied: `rolled back` (a PostgreSQL transaction), `not started`
 * (nothing of it ran), `recorded` (the statements that ran stay, and the tracking row says how far
 * it got) or `left running` (a statement still runs on the server; the next run waits for it).
 */
export type InterruptOutcome = "rolled back" | "not started" | "recorded" | "left running";

/** Where a stop found a run: the file and what happened to it. */
export interface InterruptDetail {
  database: string;
  script: string;
  outcome: InterruptOutcome;
  /** What happened, for the file's progress line: `statement 3 of 4 was left running ...`. */
  note: string;
  hint?: string;
}

/** The run was stopped by SIGTERM or SIGINT; `at` tells what happened to the file in progress. */
export class InterruptedError extends MigrateError {
  readonly signal: "SIGTERM" | "SIGINT";
  readonly detail?: InterruptDetail;

  constructor(signal: "SIGTERM" | "SIGINT", detail?: InterruptDetail) {
    super(
      "INTERRUPTED",
      signal === "SIGTERM" ? EXIT.sigterm : EXIT.sigint,
      detail
        ? `stopped by ${signal} while applying "${detail.script}" to "${detail.database}": ` +
          detail.note
        : `stopped by ${signal} between files: no file was half-applied; the files not run are ` +
          "left for the next run",
      {
        ...(detail ? { database: detail.database } : {}),
        hint: detail?.hint ?? "run again to apply the rest",
      },
    );
    this.signal = signal;
    if (detail) this.detail = detail;
  }

  /** The same stop, with what it did to the file in progress. */
  at(detail: InterruptDetail): InterruptedError {
    return new InterruptedError(this.signal, detail);
  }
}

/**
 * The error a driver throws when a stop request reached it at a file: `reason` (the signal's
 * InterruptedError) with the detail, or `reason` unchanged when it is something else (a test's).
 */
export function interruption(reason: unknown, detail: InterruptDetail): unknown {
  return reason instanceof InterruptedError ? reason.at(detail) : reason;
}

/** An error as data: what `--json` and `--log-format=json` carry under `error`. */
export interface ErrorData {
  code: ErrorCode;
  exitCode: number;
  message: string;
  database?: string;
  /** The file's path as the message names it (the script for a file that failed in a database). */
  file?: string;
  line?: number;
  column?: number;
  /** The failing statement, for a statement the database refused. */
  statement?: string;
  hint?: string;
  /** Each drifted file, for CHECKSUM_MISMATCH. */
  items?: DriftItem[];
}

/** Where in which file an error is, for programs that read the JSON. */
function positionOf(err: MigrateError): FilePosition | undefined {
  if (err instanceof ApplyError) return { file: err.script, line: err.line, column: err.column };
  if (err instanceof ConfigError) return err.position;
  if (err instanceof ConnectionLostError || err instanceof OutcomeUnknownError) {
    return { file: err.script };
  }
  if (err instanceof InterruptedError && err.detail) return { file: err.detail.script };
  return undefined;
}

/**
 * Any error as data: a MigrateError's fields, or INTERNAL (exit 1) for anything else, described by
 * `internal` (its message by default; the stack where no database was involved yet).
 */
export function toErrorData(
  err: unknown,
  internal: (err: unknown) => string = describeError,
): ErrorData {
  if (!(err instanceof MigrateError)) {
    return { code: "INTERNAL", exitCode: EXIT.failed, message: internal(err) };
  }
  const p = positionOf(err);
  const data: ErrorData = { code: err.code, exitCode: err.exitCode, message: scrub(err.message) };
  if (err.database) data.database = err.database;
  if (p) {
    data.file = p.file;
    if (p.line !== undefined) data.line = p.line;
    if (p.column !== undefined) data.column = p.column;
  }
  if (err instanceof ApplyError && err.statement !== undefined) data.statement = err.statement;
  if (err.hint) data.hint = err.hint;
  if (err instanceof DriftError) data.items = err.items;
  return data;
}

/** An error's message as a user reads it: with its own code when the message lacks it; scrubbed. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return scrub(
      err.message + (typeof code === "string" && !err.message.includes(code) ? ` (${code})` : ""),
    );
  }
  return scrub(String(err));
}

/** `statement 1` or `statements 1-k`, for messages about the first k statements of a file. */
export function firstStatements(k: number): string {
  return k === 1 ? "statement 1" : `statements 1-${k}`;
}

/** The verb after firstStatements(k): `stays` or `stay`. */
export function stay(k: number): string {
  return k === 1 ? "stays" : "stay";
}

/** `SIGTERM` or `SIGINT`, from a stop request's reason, for messages (`the stop` when unknown). */
export function signalName(reason: unknown): string {
  return reason instanceof InterruptedError ? reason.signal : "the stop";
}
