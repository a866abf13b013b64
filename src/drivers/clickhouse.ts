// ClickHouse over its HTTP interface through @clickhouse/client-web (fetch). ClickHouse has no
// transactions and takes one statement per request, so a file runs statement by statement and the
// tracking row records progress after each one: a failed or interrupted file resumes after its
// last good statement. There is no advisory lock either, so runs take turns through lease rows
// (clickhouse_lock.ts).
//
// The database named in the URL is created by the first real run (in tryLock, which only real runs
// call), so --dry-run and --status change nothing on the server.

import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client-web";
import { checksum } from "../checksum.ts";
import { ApplyError, ConfigError, UnreachableError } from "../errors.ts";
import { redactUrl } from "../redact.ts";
import {
  lineColumn,
  SplitError,
  splitStatements,
  type Statement,
  statementHead,
  stripComments,
} from "../split.ts";
import type { TrackedFile, TrackedRow } from "../types.ts";
import type {
  ApplyOutcome,
  ApplyRequest,
  Driver,
  LockHolder,
  RepairItem,
  SeedRequest,
} from "./driver.ts";
import { SeedCheck } from "./clickhouse_seed.ts";
import {
  checkCsvFields,
  checkCsvTarget,
  CSV_INSERT_SETTINGS,
  csvBody,
  csvErrorMessage,
  csvErrorPosition,
  csvTable,
  needsFieldCheck,
} from "./clickhouse_seed_csv.ts";
import {
  byteToIndex,
  type ClickHouseTarget,
  createDatabaseSql,
  createTrackingSql,
  csvInsertSql,
  existsSql,
  insertTrackingSql,
  isSessionStatement,
  killQuerySql,
  maxUpdatedSql,
  optimizeSql,
  parseClickHouseUrl,
  parseServerError,
  PERMANENT_CODES,
  selectContentsSql,
  selectProgressSql,
  selectTrackingSql,
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
    } = {},
  ): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
    const timeout = timeoutMs < STATEMENT_TIMEOUT_MS ? AbortSignal.timeout(timeoutMs) : null;
    const signals = [timeout, opts.signal].filter((s): s is AbortSignal => s != null);
    try {
      await (opts.client ?? this.#client).command({
        query: sql,
        // A SELECT in a file must fail with an error status, not halfway through a 200 answer.
        clickhouse_settings: { wait_end_of_query: 1 },
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
      const [row] = await this.#rows<{ has_db: string | number; has_table: string | number }>(
        existsSql(this.#target.database),
        timeoutMs,
      );
      this.#hasDb = Number(row?.has_db) > 0;
      this.#hasTable = this.#hasDb && Number(row?.has_table) > 0;
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
    if (this.#hasTable) return;
    await this.#ensureDatabase();
    await this.#exec(createTrackingSql(this.#target.database));
    this.#hasTable = true;
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
    });
  }

  async apply(req: ApplyRequest): Promise<ApplyOutcome> {
    const { file, previous, signal } = req;
    const statements = this.#split(file);
    const n = statements.length;
    const hashes = statements.map((s) => checksum(s.text));
    const started = performance.now();
    const notes: string[] = [];

    // Where to start: after the statements an earlier failed attempt got through, if they are the
    // same statements now; otherwise from the top, as files are idempotent by rule.
    let start = 0;
    if (previous && !previous.success && (previous.statementsDone ?? 0) > 0) {
      const resume = await this.#resumePoint(previous.script, hashes);
      start = resume.start;
      notes.push(resume.note);
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
    const run = (stmt: Statement, queryId: string) =>
      this.#exec(stmt.text, {
        client: this.#files!,
        timeoutMs: STATEMENT_TIMEOUT_MS,
        signal,
        queryId,
        ...(sessionId ? { sessionId } : {}),
      });
    for (let i = 0; i < start; i++) {
      if (!session[i]) continue;
      try {
        await run(statements[i]!, crypto.randomUUID());
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        throw this.#statementError(file, statements[i]!, i, err);
      }
    }

    // Intent first: a run that dies from here on leaves a row that says how far it got.
    const running = (i: number) => `unfinished: statement ${i + 1} of ${n} was running`;
    if (start < n) await this.#record([row(start, running(start))]);
    for (let i = start; i < n; i++) {
      const stmt = statements[i]!;
      if (signal.aborted) {
        await fail(i, `interrupted before statement ${i + 1} of ${n}`);
        throw signal.reason;
      }
      this.#lockCheck(file);
      const bad = await seeds?.checkBefore(i);
      if (bad) {
        await fail(i, bad.message);
        throw bad;
      }
      const queryId = crypto.randomUUID();
      try {
        await run(stmt, queryId);
      } catch (err) {
        if (signal.aborted) {
          await this.#exec(killQuerySql(queryId), { timeoutMs: 5000 }).catch(() => {});
          await fail(
            i,
            `interrupted during statement ${i + 1} of ${n}; the server was asked to stop it, ` +
              "so it may be partly applied",
          );
          throw signal.reason;
        }
        const failure = this.#statementError(file, stmt, i, err);
        await fail(i, `statement ${i + 1} of ${n} failed: ${failure.serverMessage}`);
        throw failure;
      }
      if (i + 1 < n) await this.#record([row(i + 1, running(i + 1))]);
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
    return notes.length > 0 ? { ms, note: notes.join("; ") } : { ms };
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
    if (needsFieldCheck(header)) await checkCsvFields(seed, header, where);
    const n = seed.records;
    const rows = `${n} ${n === 1 ? "row" : "rows"}`;

    const row = this.#rowBuilder(file, 1, [], started);
    const fail = async (error: string) => {
      await this.#record([row(0, error, file.text)]).catch(() => {});
    };

    if (signal.aborted) throw signal.reason;
    this.#lockCheck(file);
    await this.#record([row(0, `unfinished: loading ${rows} was running`)]);
    const queryId = crypto.randomUUID();
    try {
      if (n > 0) {
        const body = csvBody(seed, header);
        await this.#insertBody(csvInsertSql(table, header.map((c) => c.name)), body, {
          signal,
          queryId,
          settings: CSV_INSERT_SETTINGS,
        });
      }
    } catch (err) {
      if (signal.aborted) {
        await this.#exec(killQuerySql(queryId), { timeoutMs: 5000 }).catch(() => {});
        await fail(
          "interrupted while loading; the server was asked to stop, so some rows " +
            "may be in the table",
        );
        throw signal.reason;
      }
      const e = requestError(err, { timedOut: false, timeoutMs: 0 });
      const text = csvErrorMessage(e.message);
      const serverMessage = e.code === null ? text : `${text} (code ${e.code})`;
      const pos = await csvErrorPosition(seed, header, e.message);
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
    body: ReadableStream<Uint8Array>,
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
        body,
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

  /** Compares the stored hashes of a failed attempt with the file's statements now. */
  async #resumePoint(script: string, hashes: string[]): Promise<{ start: number; note: string }> {
    const [p] = await this.#rows<
      { success: number; statements_done: number; statement_hashes: string[]; deleted: number }
    >(selectProgressSql(this.#target.database, script));
    const done = p && Number(p.deleted) === 0 && Number(p.success) === 0
      ? Number(p.statements_done)
      : 0;
    const stored = p?.statement_hashes ?? [];
    let same = 0;
    while (same < done && same < hashes.length && stored[same] === hashes[same]) same++;
    if (done > 0 && same === done) {
      return {
        start: done,
        note: `resumed at statement ${done + 1} of ${hashes.length} (${
          done === 1 ? "statement 1 was" : `statements 1-${done} were`
        } applied by an earlier run)`,
      };
    }
    const what = same < hashes.length
      ? `statement ${same + 1} differs from the one an earlier run applied`
      : "the file has fewer statements than an earlier run applied";
    return {
      start: 0,
      note: `${what} before it stopped after statement ${done}: started the file again`,
    };
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
        : `ClickHouse has no transactions: statements 1-${index} of this file stay applied and ` +
          `are recorded; fix statement ${index + 1} and run again to resume there`,
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
      });
      out.push(...old.filter((r) => r.script !== f.script).map((r) => this.#tombstone(r)));
    }
    if (out.length > 0) await this.#record(out);
  }
}
