// ClickHouse over its HTTP interface through @clickhouse/client-web (fetch). ClickHouse has no
// transactions and takes one statement per request, so a file runs statement by statement and the
// tracking row records progress after each one: a failed or interrupted file resumes after its
// last good statement. Before each statement the row names the query_id it is sent with, so a run
// that died or stopped while the statement ran leaves enough for the next run to ask the server
// what became of it (clickhouse_sql.ts, judgeStatement) instead of running it twice. There is no
// advisory lock either, so runs take turns through lease rows (clickhouse_lock.ts).
//
// The database named in the URL is created by the first real run (in tryLock, which only real runs
// call), so --dry-run and --status change nothing on the server.

import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client-web";
import { checksum } from "../core/checksum.ts";
import {
  ApplyError,
  ConfigError,
  ConnectionLostError,
  firstStatements,
  interruption,
  OutcomeUnknownError,
  signalName,
  stay,
  UnreachableError,
} from "../core/errors.ts";
import { sleep } from "../core/lock.ts";
import { redactUrl } from "../core/redact.ts";
import {
  lineColumn,
  SplitError,
  splitStatements,
  type Statement,
  statementHead,
  stripComments,
} from "../sql/split.ts";
import type { TrackedFile, TrackedRow } from "../core/types.ts";
import type {
  ApplyOutcome,
  ApplyRequest,
  Driver,
  LockHolder,
  RepairItem,
  SeedRequest,
} from "./driver.ts";
import {
  checkCsvTarget,
  CSV_INSERT_SETTINGS,
  csvBody,
  csvErrorMessage,
  csvErrorPosition,
  csvTable,
  SeedCheck,
} from "./clickhouse_seed.ts";
import {
  addQueryIdColumnSql,
  byteToIndex,
  type ClickHouseTarget,
  createDatabaseSql,
  createTrackingSql,
  csvInsertSql,
  existsSql,
  FLUSH_LOGS_SQL,
  insertTrackingSql,
  intentQueryId,
  isSessionStatement,
  judgeStatement,
  killQuerySql,
  maxUpdatedSql,
  optimizeSql,
  parseClickHouseUrl,
  parseServerError,
  PERMANENT_CODES,
  type QueryLogRow,
  queryLogSql,
  runningSql,
  selectContentsSql,
  selectProgressSql,
  selectTrackingSql,
  SERVER_STARTED_SQL,
  type StatementFate,
  statementQueryId,
  syntaxErrorPosition,
  tableColumnsSql,
  tableEnginesSql,
  type TrackingRecord,
} from "./clickhouse_sql.ts";
import { LeaseLock } from "./clickhouse_lock.ts";

/** Tracking and lock queries are small: a server that does not answer them in time is stuck. */
const QUERY_TIMEOUT_MS = 30_000;
/** Statements of a file may run for hours (INSERT ... SELECT); the server's own limits apply. */
const STATEMENT_TIMEOUT_MS = 2_147_483_647;
/** How often to look whether a statement left running by an earlier run has ended. */
const RUNNING_POLL_MS = 1000;
/** How often to say that the run still waits for it. */
const RUNNING_SAY_MS = 30_000;
/** ClickHouse's error code for an unknown table (system.query_log on a server that keeps no log). */
const UNKNOWN_TABLE = 60;
/** ClickHouse's error code for a session still taken by the request before (SESSION_IS_LOCKED). */
const SESSION_LOCKED = 373;

/** A failed request, with ClickHouse's error code when the server answered. */
export class ClickHouseRequestError extends Error {
  /** ClickHouse's error code, or null for a network failure or a timeout. */
  readonly code: number | null;
  constructor(message: string, code: number | null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ClickHouseRequestError";
    this.code = code;
  }
}

/** The client's error (server text, fetch failure or abort) as one error with a code. */
function requestError(err: unknown, what: { timedOut: boolean; timeoutMs: number }) {
  if (err instanceof ClickHouseRequestError) return err;
  if (what.timedOut) {
    return new ClickHouseRequestError(
      `no answer within ${Math.round(what.timeoutMs / 1000)} s`,
      null,
      err,
    );
  }
  const e = err as { message?: unknown; code?: unknown; cause?: unknown };
  const text = typeof e?.message === "string" ? e.message : String(err);
  const parsed = parseServerError(text);
  if (parsed.code !== null) return new ClickHouseRequestError(parsed.message, parsed.code, err);
  const code = Number(e?.code);
  if (Number.isInteger(code) && code > 0) return new ClickHouseRequestError(text, code, err);
  // fetch failures say "fetch failed" or the like; the reason is in the cause.
  const cause = (e?.cause as { message?: unknown } | undefined)?.message;
  const message = typeof cause === "string" && !text.includes(cause) ? `${text}: ${cause}` : text;
  // The request URL only repeats the host with a random query_id.
  return new ClickHouseRequestError(
    message.replace(/error sending request for url \([^)]*\): /, ""),
    null,
    err,
  );
}

/** The stored progress of one file (selectProgressSql). */
interface ProgressRow {
  success: number;
  statements_done: number;
  statements_total: number;
  statement_hashes: string[];
  deleted: number;
  query_id: string;
  applied_epoch: number;
}

interface TrackingRowData {
  version: string | number | null;
  description: string;
  script: string;
  checksum: string;
  kind: string;
  applied_epoch: number;
  execution_ms: string | number;
  success: number;
  applied_by: string;
  error: string | null;
  statements_done: number;
  statements_total: number;
  statement_hashes?: string[];
  deleted: number;
  updated: string | number;
}

/** ClickHouse driver over @clickhouse/client-web. */
export class ClickHouseDriver implements Driver {
  readonly kind = "clickhouse" as const;
  readonly dialect = "clickhouse" as const;
  readonly #target: ClickHouseTarget;
  /** Without a database: tracking, lock and system queries name their database themselves. */
  #admin: ClickHouseClient | null = null;
  /** With the URL's database as the default one, for the statements of the files. */
  #files: ClickHouseClient | null = null;
  #hasDb = false;
  #hasTable = false;
  /** Whether the tracking table has its query_id column (tables made before it lack it). */
  #hasQueryId = false;
  /** The next row version of the tracking table (read once under the lock). */
  #nextUpdated: bigint | null = null;

  /** The lease lock of this run. */
  readonly #lock: LeaseLock;

  constructor(readonly database: string, readonly url: string) {
    try {
      this.#target = parseClickHouseUrl(url);
    } catch (err) {
      throw new ConfigError(
        "BAD_URL",
        `the URL of "${database}" (${redactUrl(url)}) is not a ClickHouse URL: ${
          (err as Error).message
        }`,
        {
          database,
          hint:
            "write it as http://user:password@host:8123/database (https:// or clickhouse:// work too)",
        },
      );
    }
    this.#lock = new LeaseLock({
      database: this.#target.database,
      user: this.#target.username,
      exec: (sql) => this.#exec(sql),
      rows: <T>(sql: string) => this.#rows<T>(sql),
      ensureDatabase: () => this.#ensureDatabase(),
      connected: () => this.#admin !== null,
    });
  }

  get #client(): ClickHouseClient {
    if (!this.#admin) throw new Error(`database "${this.database}" is not connected`);
    return this.#admin;
  }

  #makeClient(database: string): ClickHouseClient {
    return createClient({
      url: this.#target.endpoint,
      username: this.#target.username,
      password: this.#target.password,
      database,
      application: "db-migrate",
      request_timeout: STATEMENT_TIMEOUT_MS,
      log: { level: ClickHouseLogLevel.OFF },
    });
  }

  /** Runs a statement that returns no rows we read. */
  async #exec(
    sql: string,
    opts: {
      client?: ClickHouseClient;
      timeoutMs?: number;
      signal?: AbortSignal;
      queryId?: string;
      sessionId?: string;
      /** Whether the server logs it in system.query_log, where a later run can look it up. */
      log?: boolean;
    } = {},
  ): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
    const timeout = timeoutMs < STATEMENT_TIMEOUT_MS ? AbortSignal.timeout(timeoutMs) : null;
    const signals = [timeout, opts.signal].filter((s): s is AbortSignal => s != null);
    try {
      await (opts.client ?? this.#client).command({
        query: sql,
        // A SELECT in a file must fail with an error status, not halfway through a 200 answer.
        clickhouse_settings: { wait_end_of_query: 1, ...(opts.log ? { log_queries: 1 } : {}) },
        ...(signals.length > 0 ? { abort_signal: AbortSignal.any(signals) } : {}),
        ...(opts.queryId ? { query_id: opts.queryId } : {}),
        ...(opts.sessionId ? { session_id: opts.sessionId } : {}),
      });
    } catch (err) {
      throw requestError(err, { timedOut: timeout?.aborted === true, timeoutMs });
    }
  }

  /** Runs a query and returns its rows. */
  async #rows<T>(sql: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<T[]> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const result = await this.#client.query({
        query: sql,
        format: "JSONEachRow",
        abort_signal: timeout,
      });
      return await result.json<T>();
    } catch (err) {
      throw requestError(err, { timedOut: timeout.aborted, timeoutMs });
    }
  }

  async connect(timeoutMs: number): Promise<void> {
    await this.close();
    this.#admin = this.#makeClient("default");
    try {
      // A real query, not just an HTTP answer: a server still starting answers /ping already.
      const [one] = await this.#rows<{ ok: number }>("SELECT 1 AS ok", timeoutMs);
      if (Number(one?.ok) !== 1) {
        throw new ClickHouseRequestError("SELECT 1 did not return 1", null);
      }
      const [row] = await this.#rows<
        { has_db: string | number; has_table: string | number; has_query_id: string | number }
      >(existsSql(this.#target.database), timeoutMs);
      this.#hasDb = Number(row?.has_db) > 0;
      this.#hasTable = this.#hasDb && Number(row?.has_table) > 0;
      this.#hasQueryId = this.#hasTable && Number(row?.has_query_id) > 0;
    } catch (err) {
      await this.close();
      throw err;
    }
    this.#files = this.#makeClient(this.#target.database);
  }

  async close(): Promise<void> {
    await this.#lock.close();
    const clients = [this.#admin, this.#files];
    this.#admin = null;
    this.#files = null;
    for (const c of clients) await c?.close().catch(() => {});
  }

  isPermanent(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === "number" && PERMANENT_CODES.has(code)) return true;
    const message = String((err as Error)?.message ?? "");
    return /unknown user|wrong password|authentication failed|password is incorrect/i.test(message);
  }

  hasTrackingTable(): boolean {
    return this.#hasTable;
  }

  async #ensureDatabase(): Promise<void> {
    if (this.#hasDb) return;
    await this.#exec(createDatabaseSql(this.#target.database));
    this.#hasDb = true;
  }

  async ensureTrackingTable(): Promise<void> {
    if (!this.#hasTable) {
      await this.#ensureDatabase();
      await this.#exec(createTrackingSql(this.#target.database));
      this.#hasTable = true;
      this.#hasQueryId = true;
    }
    if (!this.#hasQueryId) {
      // A table from before query_id: add it (under the lock, so no other run does the same).
      await this.#exec(addQueryIdColumnSql(this.#target.database));
      this.#hasQueryId = true;
    }
  }

  async #readRows(withHashes: boolean): Promise<TrackingRowData[]> {
    if (!this.#hasTable) return [];
    const rows = await this.#rows<TrackingRowData>(
      selectTrackingSql(this.#target.database, withHashes),
    ).catch((err) => {
      // 47: missing columns, as in a _schema_migrations that another tool created.
      if ((err as ClickHouseRequestError).code !== 47) throw err;
      throw new ConfigError(
        "CONFIG",
        `the table ${this.#target.database}._schema_migrations in "${this.database}" was not ` +
          `created by db-migrate: ${(err as Error).message}`,
        {
          database: this.database,
          hint: "rename that table, or point db-migrate at another ClickHouse database",
        },
      );
    });
    return rows.filter((r) => Number(r.deleted) === 0);
  }

  async readTracking(): Promise<TrackedRow[]> {
    const rows = await this.#readRows(false);
    return rows.map((r) => ({
      version: r.version === null ? null : Number(r.version),
      description: String(r.description),
      script: String(r.script),
      checksum: String(r.checksum),
      kind: r.kind === "seed" ? "seed" : "migration",
      appliedAt: new Date(Number(r.applied_epoch) * 1000),
      executionMs: Number(r.execution_ms),
      success: Number(r.success) === 1,
      appliedBy: String(r.applied_by),
      error: r.error === null ? null : String(r.error),
      statementsDone: Number(r.statements_done),
    }));
  }

  async readContents(scripts: string[]): Promise<Map<string, string | null>> {
    const out = new Map<string, string | null>();
    if (!this.#hasTable || scripts.length === 0) return out;
    const rows = await this.#rows<{ script: string; content: string; deleted: number }>(
      selectContentsSql(this.#target.database, scripts),
    );
    for (const r of rows) {
      if (Number(r.deleted) === 0) out.set(String(r.script), r.content === "" ? null : r.content);
    }
    return out;
  }

  // --- the lease lock (clickhouse_lock.ts) ------------------------------------------------------

  tryLock(): Promise<boolean> {
    return this.#lock.tryLock();
  }

  lockHolder(): Promise<LockHolder | null> {
    return this.#lock.lockHolder();
  }

  unlock(): Promise<void> {
    return this.#lock.unlock();
  }

  // --- applying ----------------------------------------------------------------------------------

  async #nextVersion(): Promise<bigint> {
    if (this.#nextUpdated === null) {
      const [row] = await this.#rows<{ updated: string | number }>(
        maxUpdatedSql(this.#target.database),
      );
      this.#nextUpdated = BigInt(row?.updated ?? 0) + 1n;
    }
    return this.#nextUpdated++;
  }

  async #record(rows: Omit<TrackingRecord, "updated">[]): Promise<void> {
    const full: TrackingRecord[] = [];
    for (const r of rows) full.push({ ...r, updated: await this.#nextVersion() });
    await this.#exec(insertTrackingSql(this.#target.database, full));
  }

  #lockCheck(file: TrackedFile): void {
    const lost = this.#lock.lost();
    if (lost !== null) {
      throw new UnreachableError(
        "LOCK_TIMEOUT",
        this.database,
        `lost the migration lock of "${this.database}" while applying "${file.script}": ${lost}`,
        "run again once the other run has finished; the file resumes where it stopped",
      );
    }
  }

  /** Builds the file's tracking rows: its progress after `done` statements, or its failure. */
  #rowBuilder(file: TrackedFile, total: number, hashes: string[], started: number) {
    return (done: number, error: string | null, content = ""): Omit<TrackingRecord, "updated"> => ({
      version: file.version,
      description: file.description,
      script: file.script,
      checksum: file.checksum,
      kind: file.kind,
      appliedAt: "now",
      appliedBy: this.#target.username,
      statementsTotal: total,
      deleted: false,
      executionMs: performance.now() - started,
      success: error === null,
      content,
      error,
      statementsDone: done,
      statementHashes: hashes.slice(0, done),
      queryId: "",
    });
  }

  async apply(req: ApplyRequest): Promise<ApplyOutcome> {
    const { file, previous, signal } = req;
    const graceOver = req.graceOver ?? signal;
    const statements = this.#split(file);
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
      const resume = await this.#resumePoint(file, hashes, req);
      start = resume.start;
      if (resume.note) notes.push(resume.note);
      resolved = resume.resolved;
    }

    const seeds = file.kind === "seed"
      ? new SeedCheck(
        this.database,
        this.#target.database,
        file,
        statements,
        (tables) => this.#rows(tableEnginesSql(tables)),
      )
      : null;
    await seeds?.checkAll(start);

    const row = this.#rowBuilder(file, n, hashes, started);
    const fail = async (done: number, error: string) => {
      // Best effort: the error thrown next matters more than its record.
      await this.#record([row(done, error, file.text)]).catch(() => {});
    };

    // A migration renamed since an earlier attempt keeps its version: forget the old name's row.
    if (previous && file.kind === "migration" && previous.script !== file.script) {
      const stale = (await this.#readRows(true)).filter((r) =>
        r.kind === "migration" && r.version !== null && Number(r.version) === file.version &&
        r.script !== file.script
      );
      if (stale.length > 0) await this.#record(stale.map((r) => this.#tombstone(r)));
    }

    // SET and USE last only for their HTTP session: a file with any runs in a session of its own
    // (only then, as a load balancer without sticky sessions would break it), and a resumed file
    // replays those its earlier run had passed.
    const session = statements.map((s) => isSessionStatement(stripComments(s.text, "clickhouse")));
    const sessionId = session.some(Boolean) ? crypto.randomUUID() : undefined;
    const run = async (stmt: Statement, queryId: string, abort: AbortSignal) => {
      for (let attempt = 1;; attempt++) {
        try {
          return await this.#exec(stmt.text, {
            client: this.#files!,
            timeoutMs: STATEMENT_TIMEOUT_MS,
            signal: abort,
            queryId,
            log: true,
            ...(sessionId ? { sessionId } : {}),
          });
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
        if (signal.aborted) throw this.#stoppedBefore(file, start, n, signal.reason);
        throw this.#lostBefore(file, start, n, err) ??
          this.#statementError(file, statements[i]!, i, err);
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
        throw this.#stoppedBefore(file, i, n, signal.reason);
      }
      this.#lockCheck(file);
      const bad = await seeds?.checkBefore(i);
      if (bad) {
        await fail(i, bad.message);
        throw bad;
      }
      // Intent first: the row names the statement about to be sent and its query_id, so a run
      // that dies from here on leaves what the next run needs to ask the server what became of it.
      const updated = await this.#nextVersion();
      const queryId = statementQueryId({
        database: this.#target.database,
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
        await this.#exec(
          insertTrackingSql(this.#target.database, [
            sent(
              `unfinished: ${what} was sent to the server (query_id ${queryId}) and its end ` +
                "was not recorded",
              updated,
            ),
          ]),
          { queryId: intentQueryId(queryId), log: true },
        );
      } catch (err) {
        throw this.#lostBefore(file, i, n, err) ?? err;
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
          await this.#exec(insertTrackingSql(this.#target.database, [
            sent(
              `stopped by ${sig}: ${what} was left running on the server (query_id ${queryId})`,
              await this.#nextVersion(),
            ),
          ])).catch(() => {});
          throw interruption(signal.reason ?? graceOver.reason, {
            database: this.database,
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
        if (e.code === null) throw this.#lostDuring(file, i, n, queryId, e);
        const failure = this.#statementError(file, stmt, i, err);
        await fail(i, `statement ${i + 1} of ${n} failed: ${failure.serverMessage}`);
        throw failure;
      }
    }

    // Collapse the rows a re-applied seed replaced now, not at some later background merge.
    for (const t of seeds?.replacingTables() ?? []) {
      try {
        await this.#exec(optimizeSql(t.database, t.table), { timeoutMs: STATEMENT_TIMEOUT_MS });
      } catch (err) {
        notes.push(
          `OPTIMIZE TABLE ${t.table} FINAL failed (${(err as Error).message}); ` +
            "replaced rows collapse at the next merge (reads with FINAL see them collapsed now)",
        );
      }
    }

    const ms = performance.now() - started;
    await this.#record([{ ...row(n, null, file.text), executionMs: ms }]);
    const out: ApplyOutcome = notes.length > 0 ? { ms, note: notes.join("; ") } : { ms };
    if (resolved) out.resolved = resolved;
    return out;
  }

  /** The stop, found between statements: statements before `index` are applied and recorded. */
  #stoppedBefore(file: TrackedFile, index: number, n: number, reason: unknown): unknown {
    return interruption(reason, {
      database: this.database,
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
  #lostBefore(
    file: TrackedFile,
    index: number,
    n: number,
    err: unknown,
  ): ConnectionLostError | null {
    const e = requestError(err, { timedOut: false, timeoutMs: 0 });
    if (e.code !== null) return null;
    return new ConnectionLostError({
      database: this.database,
      script: file.script,
      message: `lost the connection to "${this.database}" before statement ${index + 1} of ${n} ` +
        `of "${file.script}" was sent: ${e.message}`,
      hint: "the server went away; this is not the statement's fault. " +
        (index === 0
          ? "Nothing of the file ran. "
          : `Statements 1-${index} are applied and recorded. `) +
        "Run again once the server is back: the file resumes where it stopped",
    });
  }

  /** A lost connection while statement `index` ran: its fate is for the next run to find out. */
  #lostDuring(
    file: TrackedFile,
    index: number,
    n: number,
    queryId: string,
    e: ClickHouseRequestError,
  ): ConnectionLostError {
    return new ConnectionLostError({
      database: this.database,
      script: file.script,
      message: `lost the connection to "${this.database}" during statement ${index + 1} of ${n} ` +
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

  /** YAML seeds need an upsert, which ClickHouse lacks: refused before anything is applied. */
  checkSeedFormat(file: TrackedFile): void {
    if (file.format === "csv" || file.format === "sql") return;
    throw new ConfigError(
      "INVALID_SEED",
      `seed "${file.path}" of "${this.database}": ${file.format.toUpperCase()} seeds are not ` +
        "supported on ClickHouse, which has no upsert to apply their rows with",
      {
        database: this.database,
        position: { file: file.path },
        hint: "write the rows as a .sql seed (INSERT into a ReplacingMergeTree table) or a .csv " +
          "seed (NNN_<table>.csv with a header row)",
      },
    );
  }

  /**
   * Loads a CSV seed: checks the table and the header against system.tables and system.columns
   * (the seed rule: a ReplacingMergeTree), streams the file as `INSERT ... FORMAT CSVWithNames`,
   * merges with OPTIMIZE TABLE ... FINAL so a re-applied file's rows replace the earlier ones at
   * once, and records the file. No transaction: a failed load may leave some rows in the table, and
   * applying the fixed file replaces them.
   */
  async applySeed(req: SeedRequest): Promise<ApplyOutcome> {
    const { file, seed, signal } = req;
    this.checkSeedFormat(file);
    if (seed.format !== "csv") throw new Error(`"${file.script}" is not a CSV seed`);
    const started = performance.now();
    const table = csvTable(seed, this.#target.database);
    const [engine] = await this.#rows<{ engine: string }>(tableEnginesSql([table]));
    const columns = engine
      ? (await this.#rows<
        { name: string; type: string; default_kind: string; is_in_sorting_key: number }
      >(tableColumnsSql(table))).map((c) => ({
        name: String(c.name),
        type: String(c.type),
        defaultKind: String(c.default_kind),
        inSortingKey: Number(c.is_in_sorting_key) === 1,
      }))
      : [];
    const where = { database: this.database, script: file.script };
    const header = checkCsvTarget(seed, where, {
      table,
      engine: engine ? String(engine.engine) : null,
      columns,
    });
    const body = csvBody(seed, header, where);
    const n = seed.records.length;
    const rows = `${n} ${n === 1 ? "row" : "rows"}`;

    const row = this.#rowBuilder(file, 1, [], started);
    const fail = async (error: string) => {
      await this.#record([row(0, error, file.text)]).catch(() => {});
    };

    if (signal.aborted) {
      throw interruption(signal.reason, {
        database: this.database,
        script: file.script,
        outcome: "not started",
        note: "it was stopped before loading; nothing of it ran",
      });
    }
    this.#lockCheck(file);
    await this.#record([row(0, `unfinished: loading ${rows} was running`)]);
    const queryId = crypto.randomUUID();
    try {
      if (n > 0) {
        await this.#insertBody(csvInsertSql(table, header.map((c) => c.name)), body, {
          signal,
          queryId,
          settings: CSV_INSERT_SETTINGS,
        });
      }
    } catch (err) {
      // A CSV seed loads into a ReplacingMergeTree, so loading it again replaces whatever rows a
      // stopped load left: stopping at once is safe here, unlike for the statements of a file.
      if (signal.aborted) {
        await this.#exec(killQuerySql(queryId), { timeoutMs: 5000 }).catch(() => {});
        const stopped = "stopped while loading; the server was asked to stop, so some rows may " +
          "be in the table, and the next run loads the whole file again, which replaces them";
        await fail(stopped);
        throw interruption(signal.reason, {
          database: this.database,
          script: file.script,
          outcome: "recorded",
          note: stopped,
        });
      }
      const e = requestError(err, { timedOut: false, timeoutMs: 0 });
      if (e.code === null) {
        throw new ConnectionLostError({
          database: this.database,
          script: file.script,
          message: `lost the connection to "${this.database}" while loading "${file.script}": ` +
            e.message,
          hint: "the server went away; this is not the file's fault. Some rows may be in the " +
            "table; run again once the server is back: the file is loaded again, and its rows " +
            "replace them",
        });
      }
      const text = csvErrorMessage(e.message);
      const serverMessage = e.code === null ? text : `${text} (code ${e.code})`;
      const pos = csvErrorPosition(seed, header, e.message);
      await fail(`loading failed: ${serverMessage}`);
      throw new ApplyError({
        database: this.database,
        script: file.script,
        serverMessage,
        ...(pos ? { line: pos.line, column: pos.column } : {}),
        statement: `INSERT INTO ${table.database}.${table.table} FORMAT CSVWithNames (${rows})`,
        statementsDone: 0,
        hint: "fix the line and run again; ClickHouse has no transactions, so rows before it " +
          "may be in the table already, and the fixed file replaces them",
      });
    }

    const notes = [`${rows} (CSV into ${table.database}.${table.table})`];
    try {
      await this.#exec(optimizeSql(table.database, table.table), {
        timeoutMs: STATEMENT_TIMEOUT_MS,
      });
    } catch (err) {
      notes.push(
        `OPTIMIZE TABLE ${table.table} FINAL failed (${(err as Error).message}); ` +
          "replaced rows collapse at the next merge (reads with FINAL see them collapsed now)",
      );
    }
    const ms = performance.now() - started;
    await this.#record([{ ...row(1, null, file.text), executionMs: ms }]);
    return { ms, note: notes.join("; ") };
  }

  /**
   * Sends `query` with a body of data (an INSERT ... FORMAT), by fetch: the client trims the text
   * it sends and strips trailing semicolons, which would cut a CSV's last field, and the web client
   * takes no raw body beside a query. The query goes in the URL, the data as the body.
   */
  async #insertBody(
    query: string,
    body: string[],
    opts: { signal: AbortSignal; queryId: string; settings: Readonly<Record<string, string>> },
  ): Promise<void> {
    const url = new URL("/", this.#target.endpoint);
    url.searchParams.set("query", query);
    url.searchParams.set("query_id", opts.queryId);
    for (const [k, v] of Object.entries(opts.settings)) url.searchParams.set(k, v);
    const credentials = new TextEncoder().encode(
      `${this.#target.username}:${this.#target.password}`,
    );
    let response: Response;
    try {
      response = await fetch(url, {
        method: "POST",
        headers: {
          Authorization: `Basic ${btoa(String.fromCharCode(...credentials))}`,
          "Content-Type": "text/csv; charset=utf-8",
        },
        body: new Blob(body),
        signal: opts.signal,
      });
    } catch (err) {
      throw requestError(err, { timedOut: false, timeoutMs: 0 });
    }
    const text = await response.text();
    if (response.ok && !response.headers.has("x-clickhouse-exception-code")) return;
    const parsed = parseServerError(text);
    throw new ClickHouseRequestError(
      parsed.message || `HTTP ${response.status}`,
      parsed.code ?? (Number(response.headers.get("x-clickhouse-exception-code")) || null),
    );
  }

  #split(file: TrackedFile): Statement[] {
    try {
      return splitStatements(file.text, "clickhouse");
    } catch (err) {
      if (!(err instanceof SplitError)) throw err;
      throw new ConfigError(
        "BAD_SQL_TEXT",
        `cannot split "${file.script}" of "${this.database}" into statements: ${err.message}`,
        {
          database: this.database,
          position: { file: file.path, line: err.line, column: err.column },
        },
      );
    }
  }

  /**
   * Where a file that failed or stopped earlier goes on. A statement the earlier run left in flight
   * (the row names its query_id) is waited for while the server still runs it, then judged from
   * the server's query log: finished counts as applied, never started runs again, and anything
   * else stops the run (OUTCOME_UNKNOWN) unless --resolve-unknown decided it. Then the stored
   * hashes of the statements counted as applied are compared with the file's.
   */
  async #resumePoint(
    file: TrackedFile,
    hashes: string[],
    req: ApplyRequest,
  ): Promise<{ start: number; note?: string; resolved?: string }> {
    const [p] = await this.#rows<ProgressRow>(
      selectProgressSql(this.#target.database, file.script),
    );
    if (!p || Number(p.deleted) !== 0 || Number(p.success) !== 0) return { start: 0 };
    const n = hashes.length;
    const stored = p.statement_hashes ?? [];
    let done = Number(p.statements_done);
    const notes: string[] = [];
    let resolved: string | undefined;
    const queryId = String(p.query_id ?? "");
    if (queryId !== "") {
      const k = done; // the statement in flight, 0-based
      await this.#waitWhileRunning(file, k, n, queryId, req);
      let fate = await this.#fate(queryId, Number(p.applied_epoch));
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
        const decision = req.resolveUnknown?.get(queryId);
        if (!decision) throw this.#unknownOutcome(file, k, n, queryId, fate.why);
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
  async #waitWhileRunning(
    file: TrackedFile,
    index: number,
    n: number,
    queryId: string,
    req: ApplyRequest,
  ): Promise<void> {
    let lastSaid = -Infinity;
    for (;;) {
      const [proc] = await this.#rows<{ elapsed: number; written_rows: string | number }>(
        runningSql(queryId),
      );
      if (!proc) return;
      if (req.signal.aborted) {
        throw interruption(req.signal.reason, {
          database: this.database,
          script: file.script,
          outcome: "not started",
          note: `stopped while waiting for statement ${index + 1} of ${n}, which an earlier run ` +
            `left running on the server (query_id ${queryId}); this run changed nothing`,
          hint: "run again: the next run waits for that statement and goes on after it",
        });
      }
      this.#lockCheck(file);
      if (performance.now() - lastSaid >= RUNNING_SAY_MS) {
        lastSaid = performance.now();
        req.notice?.(
          `${this.database}: "${file.script}": statement ${index + 1} of ${n}, sent by an ` +
            `earlier run, still runs on the server (query_id ${queryId}, ${
              Number(proc.elapsed)
            } s so far, ${Number(proc.written_rows)} rows written); waiting for it to end`,
        );
      }
      await sleep(RUNNING_POLL_MS, req.signal);
    }
  }

  /** Asks the server's query log what became of a statement that no longer runs. */
  async #fate(queryId: string, sentAt: number): Promise<StatementFate> {
    let flushError: string | null = null;
    await this.#exec(FLUSH_LOGS_SQL).catch((err) => {
      flushError = (err as Error).message;
    });
    let log: QueryLogRow[] | null;
    let server: { started: number } | undefined;
    try {
      try {
        log = await this.#rows<QueryLogRow>(
          queryLogSql([queryId, intentQueryId(queryId)], sentAt),
        );
      } catch (err) {
        if ((err as ClickHouseRequestError).code !== UNKNOWN_TABLE) throw err;
        log = null;
      }
      [server] = await this.#rows<{ started: number }>(SERVER_STARTED_SQL);
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
  #unknownOutcome(
    file: TrackedFile,
    index: number,
    n: number,
    queryId: string,
    why: string,
  ): OutcomeUnknownError {
    return new OutcomeUnknownError({
      database: this.database,
      script: file.script,
      statement: index + 1,
      queryId,
      message: `cannot tell whether statement ${index + 1} of ${n} of "${file.script}" took ` +
        `effect in "${this.database}" (sent by an earlier run with query_id ${queryId}): ${why}; ` +
        "nothing was run",
      hint: `check what it did: on the server, SELECT type, written_rows, exception FROM ` +
        `system.query_log WHERE query_id = '${queryId}', and the tables it writes to. Then run ` +
        `again with --resolve-unknown=${queryId}=applied to count it as applied and go on after ` +
        `it, or undo what it did and run again with --resolve-unknown=${queryId}=rerun to run it ` +
        "again",
    });
  }

  /** A failed statement as an ApplyError that points at it (at the exact spot for syntax errors). */
  #statementError(file: TrackedFile, stmt: Statement, index: number, err: unknown): ApplyError {
    const e = requestError(err, { timedOut: false, timeoutMs: 0 });
    const message = e.code === null ? e.message : `${e.message} (code ${e.code})`;
    const pos = syntaxErrorPosition(e.message);
    const at = pos !== null
      ? lineColumn(file.text, stmt.offset + byteToIndex(stmt.text, pos))
      : stmt;
    return new ApplyError({
      database: this.database,
      script: file.script,
      serverMessage: message,
      line: at.line,
      column: at.column,
      statement: statementHead(stmt),
      statementsDone: index,
      hint: index === 0
        ? "fix the statement and run again"
        : `ClickHouse has no transactions: ${firstStatements(index)} of this file ` +
          `${stay(index)} applied and recorded; fix statement ${index + 1} and run again to ` +
          "resume there",
    });
  }

  #tombstone(r: TrackingRowData): Omit<TrackingRecord, "updated"> {
    return { ...this.#copy(r), deleted: true };
  }

  #copy(r: TrackingRowData): Omit<TrackingRecord, "updated"> {
    return {
      version: r.version === null ? null : Number(r.version),
      description: r.description,
      script: r.script,
      checksum: r.checksum,
      kind: r.kind === "seed" ? "seed" : "migration",
      appliedAt: Number(r.applied_epoch),
      executionMs: Number(r.execution_ms),
      success: Number(r.success) === 1,
      appliedBy: r.applied_by,
      content: "",
      error: r.error,
      statementsDone: Number(r.statements_done),
      statementsTotal: Number(r.statements_total),
      statementHashes: r.statement_hashes ?? [],
      queryId: "",
      deleted: false,
    };
  }

  async repair(items: RepairItem[]): Promise<void> {
    if (items.length === 0) return;
    const rows = await this.#readRows(true);
    const out: Omit<TrackingRecord, "updated">[] = [];
    for (const item of items) {
      const old = rows.filter((r) =>
        r.kind === "migration" && r.version !== null && Number(r.version) === item.version
      );
      if (!item.file) {
        out.push(...old.map((r) => this.#tombstone(r)));
        continue;
      }
      const f = item.file;
      const kept = old.find((r) => r.script === f.script) ?? old[0];
      const statements = splitStatements(f.text, "clickhouse");
      const hashes = statements.map((s) => checksum(s.text));
      out.push({
        ...(kept ? this.#copy(kept) : {
          version: f.version,
          kind: "migration" as const,
          appliedAt: "now" as const,
          executionMs: 0,
          success: true,
          appliedBy: this.#target.username,
          error: null,
          deleted: false,
        }),
        description: f.description,
        script: f.script,
        checksum: f.checksum,
        content: f.text,
        statementsDone: statements.length,
        statementsTotal: statements.length,
        statementHashes: hashes,
        queryId: "",
      });
      out.push(...old.filter((r) => r.script !== f.script).map((r) => this.#tombstone(r)));
    }
    if (out.length > 0) await this.#record(out);
  }
}
