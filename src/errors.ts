// One small hierarchy: every error a user can see carries a stable code and the contract's exit code.

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
  | "BAD_DIRECTIVE"
  | "BAD_SQL_TEXT"
  | "TRANSACTION_CONTROL"
  | "FILE_TOO_LARGE"
  | "STATEMENT_TOO_LARGE"
  | "MISSING_URL"
  | "BAD_URL"
  | "UNKNOWN_DATABASE"
  | "INVALID_SEED"
  | "CHECKSUM_MISMATCH"
  | "DB_UNREACHABLE"
  | "LOCK_TIMEOUT"
  | "APPLY_FAILED"
  | "INTERRUPTED";

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
    code: "DB_UNREACHABLE" | "LOCK_TIMEOUT",
    database: string,
    message: string,
    hint?: string,
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

/** The run was stopped by SIGTERM or SIGINT. */
export class InterruptedError extends MigrateError {
  constructor(signal: "SIGTERM" | "SIGINT") {
    super(
      "INTERRUPTED",
      signal === "SIGTERM" ? EXIT.sigterm : EXIT.sigint,
      `stopped by ${signal}: the current file was rolled back (on ClickHouse, recorded where it stopped) and the lock released`,
      { hint: "run again to apply the rest" },
    );
  }
}
