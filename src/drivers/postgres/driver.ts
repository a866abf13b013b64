// PostgreSQL through postgres.js on one reserved connection (max: 1): the session advisory lock,
// the tracking table and every file run on the same session, so the lock covers all of them.

import "./socket.ts"; // TCP_NODELAY, before postgres.js opens a socket
import postgres from "postgres";
import { ConfigError, InterruptedError, MigrateError } from "../../core/errors.ts";
import { redactUrl } from "../../core/redact.ts";
import { humanTime } from "../../core/time.ts";
import type { Provenance, TrackedRow } from "../../core/types.ts";
import type {
  ApplyOutcome,
  Driver,
  ExecuteContext,
  ForgetEntry,
  LockHolder,
  PreparedFile,
  QueryRows,
  RecordEntry,
  ServerInfo,
} from "../driver.ts";
import { tlsFailure, tlsUnreachable } from "../tls_errors.ts";
import { cockroachRefusal } from "./cockroach.ts";
import { isServerError, PERMANENT_CODES, type PgError } from "./errors.ts";
import type { PgBody } from "./prepare.ts";
import type { PgSession, Sql } from "./session.ts";
import {
  addProvenanceSql,
  CONNECT_SQL,
  createTrackingSql,
  DROP_ALL_SQL,
  EXISTING_TABLES_SQL,
  forgetSql,
  LOCK_HOLDER_SQL,
  lockArgs,
  markUndoneSql,
  quoteIdent,
  quoteLiteral,
  quoteTableName,
  recordAppliedSql,
  schemaLockHolderSql,
  selectContentsSql,
  selectTrackingSql,
  tenantProvenanceSql,
  truncateSql,
} from "./sql.ts";
import type { PgTls } from "./tls.ts";
import { pgLogin } from "./url.ts";

/** How a PostgreSQL driver is opened beside its URL. */
export interface PostgresOptions {
  /** The variable that gives this database a URL, for hints. */
  urlVariable: string;
  /** Schema-per-tenant: the schema of the tracking table, first in the search path. */
  schema?: string | undefined;
  /** On the embedded PostgreSQL: the extensions it ships (for hints), and how to stop it. */
  embedded?: { extensions: readonly string[]; stop(): Promise<void> };
  /**
   * The URL's TLS settings, read by pgTls() (the URL without libpq's TLS keywords, and
   * postgres.js's `ssl`); none: no TLS (the embedded PostgreSQL, over a local socket).
   */
  tls?: PgTls;
}

/** PostgreSQL driver over postgres.js. */
export class PostgresDriver implements Driver {
  #sql: Sql | null = null;
  #schema = "public";
  #hasTable = false;
  /** Whether the tracking table has its provenance column (tables from before it lack it). */
  #hasProvenance = false;
  /** The server counts characters as bytes (SQL_ASCII). */
  #bytes = false;

  constructor(
    readonly database: string,
    readonly url: string,
    readonly opts: PostgresOptions,
  ) {}

  get #session(): PgSession {
    if (!this.#sql) throw new Error(`database "${this.database}" is not connected`);
    return {
      sql: this.#sql,
      schema: this.#schema,
      bytes: this.#bytes,
      database: this.database,
      embedded: this.opts.embedded?.extensions ?? null,
      urlVariable: this.opts.urlVariable,
    };
  }

  get #db(): Sql {
    return this.#session.sql;
  }

  async connect(timeoutMs: number): Promise<void> {
    await this.#disconnect();
    const tls = this.opts.tls;
    const login = pgLogin(tls?.url ?? this.url);
    const sql = postgres(login.url, {
      ...(login.user === undefined ? {} : { user: login.user }),
      ...(login.password === undefined ? {} : { pass: login.password }),
      max: 1,
      // The type query at connect costs a round trip; we read only text, numbers and booleans.
      fetch_types: false,
      onnotice: () => {},
      idle_timeout: 0,
      connect_timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
      connection: {
        application_name: "db-migrate",
        // The tenant's schema first, so its migrations' unqualified names land there.
        ...(this.opts.schema === undefined
          ? {}
          : { search_path: `${quoteIdent(this.opts.schema)}, public` }),
      },
      // Always given, false too: otherwise postgres.js reads `sslmode` from the URL and PGSSL
      // (not libpq's PGSSLMODE) from the environment itself.
      ssl: tls?.ssl ?? false,
    });
    this.#sql = sql;
    try {
      const results = await sql.unsafe(CONNECT_SQL);
      // Two statements in one simple query: postgres.js returns one result per statement.
      const row = (results.at(-1) as unknown as Record<string, unknown>[] | undefined)?.[0];
      this.#schema = String(row?.schema ?? "public");
      this.#hasTable = row?.has_table === true || row?.has_table === "t";
      this.#hasProvenance = row?.has_provenance === true || row?.has_provenance === "t";
      this.#bytes = row?.bytes === true || row?.bytes === "t";
      // Before any lock or change: CockroachDB's advisory locks are stubs (cockroach.ts).
      const refusal = cockroachRefusal(this.database, String(row?.server_version ?? ""));
      if (refusal) throw refusal;
      if (this.opts.schema !== undefined) {
        // Until the schema exists, current_schema() is another one: the tracking table is the
        // tenant schema's, whether it exists yet or not.
        this.#schema = this.opts.schema;
        const [t] = await sql.unsafe(
          `select to_regclass(format('%I._schema_migrations', ${
            quoteLiteral(this.opts.schema)
          }::text)) is not null as has_table, ${
            tenantProvenanceSql(this.opts.schema)
          } as has_provenance`,
        );
        this.#hasTable = t?.has_table === true || t?.has_table === "t";
        this.#hasProvenance = t?.has_provenance === true || t?.has_provenance === "t";
      }
    } catch (err) {
      const refusal = err instanceof MigrateError ? null : await this.#cockroachAfter(err, sql);
      await this.#disconnect();
      throw refusal ?? this.#tlsError(err);
    }
  }

  /**
   * CockroachDB before v25.1 has no DO, so CONNECT_SQL fails there with a syntax error before it
   * reads version(): when the server answered with an error, ask it what it is (one more round
   * trip, on this failure path only), so CockroachDB gets its refusal rather than that error.
   */
  async #cockroachAfter(err: unknown, sql: Sql): Promise<MigrateError | null> {
    if (!isServerError(err)) return null;
    try {
      const [row] = await sql.unsafe("select version() as server_version");
      return cockroachRefusal(this.database, String(row?.server_version ?? ""));
    } catch {
      return null;
    }
  }

  /**
   * A TLS failure explained (cause, settings and fix): a certificate problem stops at once
   * (exit 4), as waiting cannot fix it; a server not speaking TLS yet is retried with the reason.
   */
  #tlsError(err: unknown): unknown {
    const tls = this.opts.tls;
    if (!tls || err instanceof MigrateError) return err;
    const failure = tlsFailure(err, tls.setup);
    if (failure === null) return err;
    if (failure.permanent) return tlsUnreachable(this.database, redactUrl(this.url), failure);
    return new Error(`${failure.message}; ${failure.hint}`, { cause: err });
  }

  async #disconnect(): Promise<void> {
    const sql = this.#sql;
    this.#sql = null;
    if (sql) await sql.end({ timeout: 5 }).catch(() => {});
  }

  async close(): Promise<void> {
    await this.#disconnect();
    await this.opts.embedded?.stop();
  }

  isPermanent(err: unknown): boolean {
    return PERMANENT_CODES.has((err as PgError)?.code ?? "");
  }

  async ensureTracking(): Promise<void> {
    if (!this.#hasTable) {
      if (this.opts.schema !== undefined) {
        await this.#db.unsafe(`create schema if not exists ${quoteIdent(this.opts.schema)}`);
      }
      await this.#db.unsafe(createTrackingSql(this.#schema));
      this.#hasTable = true;
      this.#hasProvenance = true;
    }
    if (!this.#hasProvenance) {
      // A table from an earlier release: add the column (callers hold the lock).
      await this.#db.unsafe(addProvenanceSql(this.#schema));
      this.#hasProvenance = true;
    }
  }

  async readTracking(detail: boolean): Promise<TrackedRow[] | null> {
    if (!this.#hasTable) return null;
    const sql = selectTrackingSql(this.#schema, detail, this.#hasProvenance);
    const rows = await this.#db.unsafe(sql).catch((err) => {
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
        provenance: String(r.provenance ?? "applied") as Provenance,
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
    const [row] = await this.#db.unsafe(
      `select pg_try_advisory_lock(${lockArgs(this.opts.schema)}) as locked`,
    );
    return row?.locked === true || row?.locked === "t";
  }

  async lockHolder(): Promise<LockHolder | null> {
    const schema = this.opts.schema;
    const [r] = await this.#db.unsafe(
      schema === undefined ? LOCK_HOLDER_SQL : schemaLockHolderSql(schema),
    );
    if (!r) return null;
    const since = r.backend_start ? humanTime(new Date(r.backend_start)) : "an unknown time";
    return {
      description: `pid ${r.pid}, application "${r.application_name || "?"}", user ${r.usename}, ` +
        `client ${r.client_addr ?? "local socket"}, connected since ${since}`,
    };
  }

  async unlock(): Promise<void> {
    if (this.#sql) {
      await this.#sql.unsafe(`select pg_advisory_unlock(${lockArgs(this.opts.schema)})`);
    }
  }

  /**
   * Runs a prepared file. A stop request that reaches a file in a transaction rolls it back, which
   * the interruption says; a file outside one says itself what the stop left.
   */
  async execute(file: PreparedFile, ctx: ExecuteContext): Promise<ApplyOutcome> {
    const body = file.body as PgBody;
    try {
      if ("seed" in body) {
        // YAML and CSV seeds: seed.ts does the work on this connection (loaded on first use).
        const { applyDataSeed } = await import("./seed.ts");
        return await applyDataSeed(this.#db, { schema: this.#schema, database: this.database }, {
          file: file.file,
          seed: body.seed,
          signal: ctx.signal,
          ...(ctx.trial ? { trial: ctx.trial } : {}),
        });
      }
      if (ctx.undoes) return await this.#undo(file, body, ctx);
      // Loaded when a file runs: a run with nothing to apply never needs them.
      return body.transactional
        ? await (await import("./transaction.ts")).runInTransaction(
          this.#session,
          file.file,
          body.control,
          ctx.signal,
          ctx.trial,
        )
        : await (await import("./statements.ts")).runStatements(
          this.#session,
          file.file,
          ctx.signal,
          ctx.graceOver,
          ctx.trial,
        );
    } catch (err) {
      throw this.#rolledBack(err, file.file.script, ctx.signal) ?? err;
    }
  }

  /**
   * Runs a U-file: in a transaction, with the change of its migration's row at the end of it; a
   * U-file outside a transaction records a stop or failure on the migration's row (as `undoing`,
   * failed) and marks it undone at the end.
   */
  async #undo(file: PreparedFile, body: PgBody, ctx: ExecuteContext): Promise<ApplyOutcome> {
    const version = ctx.undoes!.version!;
    if ("seed" in body) throw new Error("a U-file is SQL");
    if (body.transactional) {
      return await (await import("./transaction.ts")).runInTransaction(
        this.#session,
        file.file,
        body.control,
        ctx.signal,
        undefined,
        () => markUndoneSql(this.#schema, version, "elapsed"),
      );
    }
    const out = await (await import("./statements.ts")).runStatements(
      this.#session,
      file.file,
      ctx.signal,
      ctx.graceOver,
      undefined,
      { track: ctx.undoes!, provenance: "undoing", skipRecord: true },
    );
    await this.#db.unsafe(markUndoneSql(this.#schema, version, out.ms));
    return out;
  }

  /** The stop request that rolled a file back, said as such; null for any other error. */
  #rolledBack(err: unknown, script: string, signal: AbortSignal): InterruptedError | null {
    if (err instanceof InterruptedError && err.detail) return null;
    const bare = err instanceof InterruptedError ? err : null;
    const reason = signal.reason;
    const request = bare ??
      (signal.aborted && !(err instanceof MigrateError) && reason instanceof InterruptedError
        ? reason
        : null);
    return request?.at({
      database: this.database,
      script,
      outcome: "rolled back",
      note: "its transaction was rolled back, so nothing of it stays",
      hint: "run again to apply it and the rest",
    }) ?? null;
  }

  async record(entries: RecordEntry[]): Promise<void> {
    if (entries.length === 0) return;
    await this.ensureTracking();
    await this.#inOneTransaction(
      entries.map((e) => recordAppliedSql(this.#schema, e.file, e.how)),
    );
  }

  async selectReadOnly(sql: string): Promise<Record<string, unknown>[]> {
    const rows = await this.#db.begin("read only", (tx) => tx.unsafe(sql));
    return [...rows] as Record<string, unknown>[];
  }

  async forget(entries: ForgetEntry[]): Promise<void> {
    if (!this.#hasTable) return;
    await this.#inOneTransaction(entries.map((e) => forgetSql(this.#schema, e)));
  }

  async #inOneTransaction(statements: string[]): Promise<void> {
    if (statements.length === 0) return;
    await this.#db.unsafe(`begin;\n${statements.join(";\n")};\ncommit;`).catch(async (err) => {
      await this.#db.unsafe("rollback").catch(() => {});
      throw err;
    });
  }

  async emptyTables(tables: string[]): Promise<void> {
    if (tables.length === 0) return;
    const names = JSON.stringify(tables.map(quoteTableName));
    const rows = await this.#db.unsafe(EXISTING_TABLES_SQL, [names]);
    const existing = rows.map((r) => String(r.reg));
    if (existing.length > 0) await this.#db.unsafe(truncateSql(existing));
  }

  async query(sql: string): Promise<Record<string, unknown>[]> {
    const rows = await this.#db.unsafe(sql);
    return rows.map((r) => ({ ...r }));
  }

  async server(): Promise<ServerInfo> {
    const [r] = await this.#db.unsafe(
      "select current_setting('server_version') as version, current_user as usr",
    );
    return { version: `PostgreSQL ${r?.version ?? "?"}`, user: String(r?.usr ?? "?") };
  }

  async dropAll(): Promise<void> {
    await this.#db.unsafe(DROP_ALL_SQL);
    this.#hasTable = false;
  }

  async queryRows(text: string): Promise<QueryRows> {
    // Read-only, as the tenant list's query only reads: one that writes fails instead of writing.
    const result = await this.#db.begin("read only", (tx) => tx.unsafe(text));
    const columns = (result.columns ?? []).map((c) => c.name);
    const rows = result.map((r) => {
      const out: Record<string, string | null> = {};
      for (const c of columns) out[c] = r[c] === null || r[c] === undefined ? null : String(r[c]);
      return out;
    });
    return { columns, rows };
  }
}
