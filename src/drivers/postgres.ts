// PostgreSQL through postgres.js on one reserved connection (max: 1): the session advisory lock,
// the tracking table and every file run on the same session, so the lock covers all of them.

import postgres from "postgres";
import { fileDirectives } from "../sql/directives.ts";
import {
  ApplyError,
  ConfigError,
  ConnectionLostError,
  firstStatements,
  interruption,
  signalName,
  stay,
} from "../core/errors.ts";
import {
  eachStatement,
  lineColumn,
  splitStatements,
  type Statement,
  statementHead,
  stripComments,
} from "../sql/split.ts";
import { type TransactionPlan, transactionStatement } from "../sql/transaction.ts";
import type { TrackedRow } from "../core/types.ts";
import { humanTime } from "../report/time.ts";
import type {
  ApplyOutcome,
  ApplyRequest,
  Driver,
  LockHolder,
  RepairItem,
  SeedRequest,
} from "./driver.ts";
import { EMBEDDED_EXTENSIONS } from "./embedded_extensions.ts";
import {
  CONNECT_SQL,
  contentFromPiecesSql,
  contentPieceName,
  createTrackingSql,
  LOCK_HOLDER_SQL,
  LOCK_KEY,
  queryTextSql,
  quoteLiteral,
  recordSql,
  repairDeleteSql,
  repairUpdateSql,
  selectContentsSql,
  selectTrackingSql,
  stashContentSql,
} from "./postgres_sql.ts";
import { blankRanges, charIndex, pieceBounds, serverLength } from "./postgres_text.ts";
import {
  isConnectionLoss,
  PERMANENT_CODES,
  type PgError,
  serverMessage,
} from "./postgres_errors.ts";
import { pgLogin } from "./postgres_url.ts";

type Sql = ReturnType<typeof postgres>;

// Files up to this many UTF-16 units go to the server as one query with their tracking row;
// larger ones in pieces of about this size. postgres.js copies a query about three times on its
// way to the socket; pieces this small keep those copies, and the query string, below V8's
// large-object size (128 KB), so they die young instead of piling up until a full collection:
// measured on a 60 MB file, 4 MB pieces peaked at 230-280 MB RSS, these at 150-180 MB.
const PIECE_SIZE = 60 * 1024;

// A failed file is replayed to find the failing statement only if it failed within this time.
const REPLAY_LIMIT_MS = 30_000;

// How many replayed statements may be on the wire at once.
const REPLAY_WINDOW = 64;

type PendingQuery = ReturnType<Sql["unsafe"]>;

const NO_CONTROL: TransactionPlan = { opener: null, folded: [] };

/** The statement of text[from, to) that holds offset (pieces start at statement starts). */
function statementAt(text: string, from: number, to: number, offset: number): Statement | null {
  let found: Statement | null = null;
  eachStatement(text.slice(from, to), "postgres", (s) => {
    if (s.offset + from <= offset) found = { ...s, offset: s.offset + from };
  });
  return found;
}

/** What to do when an extension is missing on the embedded PostgreSQL. */
function embeddedExtensionHint(urlVariable: string): string {
  return `the embedded PostgreSQL (PGlite) has only the extensions it ships: ${
    EMBEDDED_EXTENSIONS.join(", ")
  }; run this database on a PostgreSQL server that has the extension (set ${urlVariable})`;
}

function isMissingExtension(err: unknown): boolean {
  const e = err as PgError;
  return e?.code === "0A000" && /extension ".*" is not available/.test(e.message ?? "");
}

/** PostgreSQL driver over postgres.js. */
export class PostgresDriver implements Driver {
  readonly kind = "postgres" as const;
  readonly dialect = "postgres" as const;
  #sql: Sql | null = null;
  #schema = "public";
  #hasTable = false;
  /** The server counts characters as bytes (SQL_ASCII). */
  #bytes = false;
  /** The database runs on PGlite (--embedded), for hints. */
  readonly embedded: boolean;
  /** The variable that gives this database a URL, for hints. */
  readonly urlVariable: string;

  constructor(
    readonly database: string,
    readonly url: string,
    opts: { embedded?: boolean; urlVariable?: string } = {},
  ) {
    this.embedded = opts.embedded ?? false;
    this.urlVariable = opts.urlVariable ?? "its URL variable";
  }

  /** The server's message as a user reads it; PGlite's hint to install an extension does not apply. */
  #message(err: unknown): string {
    if (this.embedded && isMissingExtension(err)) {
      return serverMessage(Object.assign(Object.create(err as object), { hint: undefined }));
    }
    return serverMessage(err);
  }

  get #db(): Sql {
    if (!this.#sql) throw new Error(`database "${this.database}" is not connected`);
    return this.#sql;
  }

  async connect(timeoutMs: number): Promise<void> {
    await this.close();
    const login = pgLogin(this.url);
    const sql = postgres(login.url, {
      ...(login.user === undefined ? {} : { user: login.user }),
      ...(login.password === undefined ? {} : { pass: login.password }),
      max: 1,
      // The type query at connect costs a round trip; we read only text, numbers and booleans.
      fetch_types: false,
      onnotice: () => {},
      idle_timeout: 0,
      connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
      connection: { application_name: "db-migrate" },
    });
    this.#sql = sql;
    try {
      const results = await sql.unsafe(CONNECT_SQL);
      // Two statements in one simple query: postgres.js returns one result per statement.
      const row = (results.at(-1) as unknown as Record<string, unknown>[] | undefined)?.[0];
      this.#schema = String(row?.schema ?? "public");
      this.#hasTable = row?.has_table === true || row?.has_table === "t";
      this.#bytes = row?.bytes === true || row?.bytes === "t";
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    const sql = this.#sql;
    this.#sql = null;
    if (sql) await sql.end({ timeout: 5 }).catch(() => {});
  }

  isPermanent(err: unknown): boolean {
    return PERMANENT_CODES.has((err as PgError)?.code ?? "");
  }

  hasTrackingTable(): boolean {
    return this.#hasTable;
  }

  async ensureTrackingTable(): Promise<void> {
    if (this.#hasTable) return;
    await this.#db.unsafe(createTrackingSql(this.#schema));
    this.#hasTable = true;
  }

  async readTracking(detail = false): Promise<TrackedRow[]> {
    if (!this.#hasTable) return [];
    const rows = await this.#db.unsafe(selectTrackingSql(this.#schema, detail)).catch((err) => {
      if ((err as PgError).code !== "42703") throw err;
      throw new ConfigError(
        "CONFIG",
        `the table ${this.#schema}._schema_migrations in "${this.database}" was not created by ` +
          `db-migrate: ${(err as PgError).message}`,
        {
          database: this.database,
          hint: "rename that table, or point db-migrate at another schema",
        },
      );
    });
    return rows.map((r): TrackedRow => {
      const row: TrackedRow = {
        version: r.version === null ? null : Number(r.version),
        script: String(r.script),
        checksum: String(r.checksum),
        kind: r.kind === "seed" ? "seed" : "migration",
        success: r.success === true || r.success === "t",
        statementsDone: r.statements_done === null ? null : Number(r.statements_done),
      };
      if (!detail) return row;
      return {
        ...row,
        description: String(r.description),
        appliedAt: r.applied_epoch_ms === null ? null : new Date(Number(r.applied_epoch_ms)),
        executionMs: Number(r.execution_ms),
        appliedBy: String(r.applied_by),
        error: r.error === null ? null : String(r.error),
      };
    });
  }

  async readContents(scripts: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (!this.#hasTable || scripts.length === 0) return out;
    const rows = await this.#db.unsafe(selectContentsSql(this.#schema), [JSON.stringify(scripts)]);
    for (const r of rows) out.set(String(r.script), r.content === null ? null : String(r.content));
    return out;
  }

  async tryLock(): Promise<boolean> {
    const [row] = await this.#db.unsafe(`select pg_try_advisory_lock(${LOCK_KEY}) as locked`);
    return row?.locked === true || row?.locked === "t";
  }

  async lockHolder(): Promise<LockHolder | null> {
    const [r] = await this.#db.unsafe(LOCK_HOLDER_SQL);
    if (!r) return null;
    const since = r.backend_start ? humanTime(new Date(r.backend_start)) : "an unknown time";
    return {
      description: `pid ${r.pid}, application "${r.application_name || "?"}", user ${r.usename}, ` +
        `client ${r.client_addr ?? "local socket"}, connected since ${since}`,
    };
  }

  async unlock(): Promise<void> {
    if (this.#sql) await this.#sql.unsafe(`select pg_advisory_unlock(${LOCK_KEY})`);
  }

  apply(req: ApplyRequest): Promise<ApplyOutcome> {
    return req.transactional ? this.#applyInTransaction(req) : this.#applyStatements(req);
  }

  /**
   * The file and its tracking row in one transaction: one round trip for a file up to PIECE_SIZE,
   * else one per piece of whole statements, so a large file is never copied whole into one
   * message. The tracking row's copy of the text is cut out of the query by the server
   * (current_query()), so the text is sent once.
   */
  async #applyInTransaction(req: ApplyRequest): Promise<ApplyOutcome> {
    const { file, signal } = req;
    const control = req.control ?? fileDirectives(file.text).control;
    // The file's own BEGIN/COMMIT become spaces: it runs inside our transaction, whose COMMIT
    // also writes the tracking row. A BEGIN that opens the file opens our transaction instead.
    const text = blankRanges(file.text, control.folded);
    const prefix = control.opener ? "" : "begin;\n";
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
        const content = this.#contentSql(file.text, control, from, to, head.length);
        const last = piece === cuts.length - 2;
        const tail = last
          ? `${
            recordSql(this.#schema, file, {
              success: true,
              ms: "elapsed",
              content: contentFromPiecesSql(piece, content),
            })
          };\ncommit;`
          : stashContentSql(piece, content, true);
        // The text between the cuts is sliced, not copied; the query is built once per piece.
        current = this.#db.unsafe(`${head}${text.slice(from, to)}\n;\n${tail}`);
        await current;
      }
      return { ms: performance.now() - started };
    } catch (err) {
      // A broken connection has no transaction left to roll back: the server dropped it.
      if (isConnectionLoss(err) && !signal.aborted) throw this.#connectionLost(file, err);
      await this.#db.unsafe("rollback").catch(() => {});
      if (signal.aborted) throw signal.reason;
      const failed = { text, cuts, piece, head: piece === 0 ? prefix : "" };
      throw await this.#explain(err, req, control, failed, performance.now() - started);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /**
   * The SQL expression for the original text of file[from, to) inside the current query, which
   * holds it (blanked) after `headLength` ASCII characters.
   */
  #contentSql(
    original: string,
    control: TransactionPlan,
    from: number,
    to: number,
    headLength: number,
  ): string {
    const length = (a: number, b: number) => serverLength(original, a, b, this.#bytes);
    const restore = control.folded.filter((f) => f.offset >= from && f.end <= to).map((f) => ({
      from: length(from, f.offset) + 1,
      length: length(f.offset, f.end),
      text: original.slice(f.offset, f.end),
    }));
    return queryTextSql(headLength + 1, length(from, to), restore);
  }

  /** Turns a server error into an ApplyError that points into the file. */
  async #explain(
    err: unknown,
    req: ApplyRequest,
    control: TransactionPlan,
    failed: { text: string; cuts: number[]; piece: number; head: string },
    ms: number,
  ): Promise<ApplyError> {
    const { file } = req;
    const { text, cuts, piece, head } = failed;
    const from = cuts[piece]!, to = cuts[piece + 1]!;
    const base = { database: this.database, script: file.script };
    const pos = Number((err as PgError).position);
    const bodyChars = serverLength(text, from, to, this.#bytes);
    if (pos > head.length && pos <= head.length + bodyChars + 1) {
      const offset = Math.min(charIndex(text, from, pos - head.length), to);
      const { line, column } = lineColumn(file.text, offset);
      const stmt = statementAt(text, from, to, offset);
      return new ApplyError({
        ...base,
        serverMessage: this.#message(err),
        line,
        column,
        ...(stmt ? { statement: statementHead(stmt) } : {}),
        ...this.#hintFor(err, control),
      });
    }
    if (pos > head.length + bodyChars + 1) {
      return new ApplyError({
        ...base,
        serverMessage: `recording the file in _schema_migrations failed: ${this.#message(err)}`,
        hint: "did the file drop or alter _schema_migrations?",
      });
    }
    // No position (constraint violations, errors inside functions): replay the file statement by
    // statement in a transaction that is rolled back, to find the one that fails.
    return await this.#locate(err, req, control, text, to, ms);
  }

  /** Hints for server errors that have a known cause here. */
  #hintFor(err: unknown, control: TransactionPlan): { hint?: string } {
    const e = err as PgError;
    if (this.embedded && isMissingExtension(e)) {
      return { hint: embeddedExtensionHint(this.urlVariable) };
    }
    if (e.code === "55P04" && control.folded.some((f) => f.kind === "commit")) {
      return {
        hint: "the file's own COMMIT was joined into db-migrate's transaction for the file; mark " +
          'the file "-- db-migrate: no-transaction" to run it statement by statement as written',
      };
    }
    return {};
  }

  /**
   * Replays text[0, end) statement by statement in a transaction that is always rolled back, to
   * find the statement an error without a position came from. Never commits: the file's own
   * transaction statements were blanked or refused before the run, and any that is still found
   * stops the replay. Not done when the file ran long (it would run that long again) or calls
   * dblink (whose remote changes a rollback here cannot undo); then the error has no position.
   */
  async #locate(
    err: unknown,
    req: ApplyRequest,
    control: TransactionPlan,
    text: string,
    end: number,
    ms: number,
  ): Promise<ApplyError> {
    const { file, signal } = req;
    const base = {
      database: this.database,
      script: file.script,
      serverMessage: this.#message(err),
      ...this.#hintFor(err, control),
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
      await this.#db.unsafe(opener?.text ?? "begin");
      // Pipelined: the statements go out without waiting for each answer, and they come back in
      // order, so the first rejection is the failing statement.
      for (let i = 0; i < statements.length && !found && !signal.aborted; i++) {
        const query = this.#db.unsafe(statements[i]!.text);
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
      await this.#db.unsafe("rollback").catch(() => {});
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
      serverMessage: this.#message(hit.error),
      line: at.line,
      column: at.column,
      statement: statementHead(stmt),
    });
  }

  /**
   * Statement by statement outside a transaction, for CONCURRENTLY, VACUUM and the like. The
   * file's own BEGIN ... COMMIT run as written; a failure inside one rolls it back first. What ran
   * cannot be rolled back, so a stop request lets the running statement finish within the grace
   * period (a cancelled CREATE INDEX CONCURRENTLY leaves an INVALID index behind) and records the
   * file as failed where it stopped, as for an error; the next run applies it again from the top.
   */
  async #applyStatements(req: ApplyRequest): Promise<ApplyOutcome> {
    const { file, signal } = req;
    const graceOver = req.graceOver ?? signal;
    const statements = splitStatements(file.text, "postgres");
    const n = statements.length;
    const started = performance.now();
    // Records the file as failed after `done` statements; says so, or why it could not.
    const record = async (done: number, error: string): Promise<string> => {
      const outcome = {
        success: false,
        ms: performance.now() - started,
        error,
        statementsDone: done,
      };
      for (let attempt = 1;; attempt++) {
        try {
          await this.#record(file, outcome);
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
        if (inBlock) await this.#db.unsafe("rollback").catch(() => {});
        const done = inBlock ? blockStart : i;
        const recorded = done > 0
          ? await record(done, `stopped by ${sig} after statement ${done} of ${n}`)
          : "";
        const undone = inBlock
          ? `its own transaction from line ${statements[blockStart]!.line} was rolled back; `
          : "";
        throw interruption(signal.reason, {
          database: this.database,
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
      const query = this.#db.unsafe(stmt.text);
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
          if (inBlock) await this.#db.unsafe("rollback").catch(() => {});
          const done = inBlock ? blockStart : i;
          const recorded = await record(done, `stopped by ${sig}: ${cancelled}`);
          const concurrently = /\bCONCURRENTLY\b/i.test(stripComments(stmt.text, "postgres"));
          throw interruption(signal.reason, {
            database: this.database,
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
          throw this.#connectionLost(file, err, { done: i, n });
        }
        const pos = Number((err as PgError).position);
        const at = pos > 0 ? lineColumn(file.text, charIndex(file.text, stmt.offset, pos)) : stmt;
        // Statements of the file's own open transaction are undone with it.
        const inBlock = blockStart >= 0;
        if (inBlock) await this.#db.unsafe("rollback").catch(() => {});
        const done = inBlock ? blockStart : i;
        const opened = inBlock ? statements[blockStart]! : null;
        const failure = new ApplyError({
          database: this.database,
          script: file.script,
          serverMessage: this.#message(err),
          line: at.line,
          column: at.column,
          statement: statementHead(stmt),
          statementsDone: done,
          hint: [this.#hintFor(err, NO_CONTROL).hint].filter(Boolean).concat(
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
    await this.#record(file, { success: true, ms });
    return { ms };
  }

  /**
   * The connection broke while a file was applied: the server went away (or the network), which
   * is not the file's fault. `statements` is given for a file outside a transaction.
   */
  #connectionLost(
    file: { script: string },
    err: unknown,
    statements?: { done: number; n: number },
  ): ConnectionLostError {
    const state = statements
      ? "The file runs outside a transaction: " + (statements.done > 0
        ? `${firstStatements(statements.done)} of ${statements.n} had run, `
        : "") +
        `statement ${statements.done + 1} may or may not have, and nothing more could be ` +
        "recorded. Run again once the server is back: the file is applied again from its first " +
        "statement (it is idempotent by rule)"
      : "The file and its tracking row commit together, so either both happened or neither. " +
        "Run again once the server is back: the file is applied if it was not";
    return new ConnectionLostError({
      database: this.database,
      script: file.script,
      message: `lost the connection to "${this.database}" while applying "${file.script}": ` +
        serverMessage(err),
      hint:
        `the server went away (or the network between us); this is not the file's fault. ${state}`,
    });
  }

  /**
   * Writes the tracking row of a file run outside a transaction. A large file's text goes ahead in
   * pieces, each kept in a session setting, so no one message holds the whole text.
   */
  async #record(
    file: ApplyRequest["file"],
    outcome: { success: boolean; ms: number; error?: string; statementsDone?: number },
  ): Promise<void> {
    if (file.text.length <= PIECE_SIZE) {
      await this.#db.unsafe(recordSql(this.#schema, file, outcome));
      return;
    }
    let n = 0;
    for (let from = 0; from < file.text.length; n++) {
      let to = Math.min(from + PIECE_SIZE, file.text.length);
      // Never cut a surrogate pair in two.
      if (/[\ud800-\udbff]/.test(file.text[to - 1] ?? "")) to++;
      await this.#db.unsafe(stashContentSql(n, quoteLiteral(file.text.slice(from, to)), false));
      from = to;
    }
    const content = contentFromPiecesSql(n - 1, `current_setting('${contentPieceName(n - 1)}')`);
    try {
      await this.#db.unsafe(recordSql(this.#schema, file, { ...outcome, content }));
    } finally {
      const clear = Array.from({ length: n }, (_, k) => stashContentSql(k, "''", false));
      await this.#db.unsafe(clear.join(";\n")).catch(() => {});
    }
  }

  /** YAML and CSV seeds: postgres_seed.ts does the work on this connection (loaded on first use). */
  async applySeed(req: SeedRequest): Promise<ApplyOutcome> {
    const { applyDataSeed } = await import("./postgres_seed.ts");
    return await applyDataSeed(this.#db, { schema: this.#schema, database: this.database }, req);
  }

  async repair(items: RepairItem[]): Promise<void> {
    if (items.length === 0) return;
    const sqlText = items.map((i) =>
      i.file ? repairUpdateSql(this.#schema, i.file) : repairDeleteSql(this.#schema, i.version)
    ).join(";\n");
    await this.#db.unsafe(`begin;\n${sqlText};\ncommit;`).catch(async (err) => {
      await this.#db.unsafe("rollback").catch(() => {});
      throw err;
    });
  }
}
