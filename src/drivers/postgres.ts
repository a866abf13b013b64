// PostgreSQL through postgres.js on one reserved connection (max: 1): the session advisory lock,
// the tracking table and every file run on the same session, so the lock covers all of them.

import "./postgres_socket.ts"; // TCP_NODELAY, before postgres.js opens a socket
import postgres from "postgres";
import { ApplyError, ConfigError } from "../errors.ts";
import { lineColumn, splitStatements, type Statement, statementHead } from "../split.ts";
import type { TrackedRow } from "../types.ts";
import type {
  ApplyOutcome,
  ApplyRequest,
  Driver,
  LockHolder,
  RepairItem,
  SeedRequest,
} from "./driver.ts";
import {
  CONNECT_SQL,
  createTrackingSql,
  LOCK_HOLDER_SQL,
  LOCK_KEY,
  recordSql,
  repairDeleteSql,
  repairUpdateSql,
  selectContentsSql,
  selectTrackingSql,
  TIMER_START_SQL,
} from "./postgres_sql.ts";
import { PERMANENT_CODES, type PgError, serverMessage } from "./postgres_errors.ts";

type Sql = ReturnType<typeof postgres>;

/** Converts PostgreSQL's 1-based character position into a JS string index. */
function charIndex(text: string, position: number): number {
  let idx = 0;
  for (let cp = 1; cp < position && idx < text.length; cp++) {
    idx += text.codePointAt(idx)! > 0xffff ? 2 : 1;
  }
  return idx;
}

/** PostgreSQL driver over postgres.js. */
export class PostgresDriver implements Driver {
  readonly kind = "postgres" as const;
  readonly dialect = "postgres" as const;
  #sql: Sql | null = null;
  #schema = "public";
  #hasTable = false;

  constructor(readonly database: string, readonly url: string) {}

  get #db(): Sql {
    if (!this.#sql) throw new Error(`database "${this.database}" is not connected`);
    return this.#sql;
  }

  async connect(timeoutMs: number): Promise<void> {
    await this.close();
    const sql = postgres(this.url, {
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
    const since = r.backend_start ? String(r.backend_start) : "unknown";
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

  /** The file and its tracking row in one transaction and, on success, one round trip. */
  async #applyInTransaction(req: ApplyRequest): Promise<ApplyOutcome> {
    const { file, signal } = req;
    const prefix = `begin;\n${TIMER_START_SQL};\n`;
    const text = `${prefix}${file.text}\n;\n${
      recordSql(this.#schema, file, { success: true, ms: "timer" })
    };\ncommit;`;
    const started = performance.now();
    const query = this.#db.unsafe(text);
    const onAbort = () => query.cancel();
    signal.addEventListener("abort", onAbort, { once: true });
    try {
      await query;
      return { ms: performance.now() - started };
    } catch (err) {
      await this.#db.unsafe("rollback").catch(() => {});
      if (signal.aborted) throw signal.reason;
      throw await this.#explain(err, req, [...prefix].length);
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }

  /** Turns a server error into an ApplyError that points into the file. */
  async #explain(err: unknown, req: ApplyRequest, prefixChars: number): Promise<ApplyError> {
    const { file } = req;
    const pos = Number((err as PgError).position);
    const fileChars = [...file.text].length;
    const statements = splitStatements(file.text, "postgres");
    if (pos > prefixChars && pos <= prefixChars + fileChars + 1) {
      const offset = charIndex(file.text, pos - prefixChars);
      const { line, column } = lineColumn(file.text, offset);
      const stmt = statements.findLast((s) => s.offset <= offset) ?? statements[0];
      return new ApplyError({
        database: this.database,
        script: file.script,
        serverMessage: serverMessage(err),
        line,
        column,
        ...(stmt ? { statement: statementHead(stmt) } : {}),
      });
    }
    if (pos > prefixChars + fileChars + 1) {
      return new ApplyError({
        database: this.database,
        script: file.script,
        serverMessage: `recording the file in _schema_migrations failed: ${serverMessage(err)}`,
        hint: "did the file drop or alter _schema_migrations?",
      });
    }
    // No position (constraint violations, errors inside functions): replay the file statement by
    // statement in a transaction that is rolled back, to find the one that fails.
    return await this.#locate(err, req, statements);
  }

  async #locate(err: unknown, req: ApplyRequest, statements: Statement[]): Promise<ApplyError> {
    const base = { database: this.database, script: req.file.script };
    let found: ApplyError | null = null;
    try {
      await this.#db.unsafe("begin");
      for (const stmt of statements) {
        try {
          await this.#db.unsafe(stmt.text);
        } catch (e) {
          const pos = Number((e as PgError).position);
          const at = pos > 0
            ? lineColumn(req.file.text, stmt.offset + charIndex(stmt.text, pos))
            : stmt;
          found = new ApplyError({
            ...base,
            serverMessage: serverMessage(e),
            line: at.line,
            column: at.column,
            statement: statementHead(stmt),
          });
          break;
        }
      }
    } catch {
      // the replay is best effort; the original error is reported below
    } finally {
      await this.#db.unsafe("rollback").catch(() => {});
    }
    return found ?? new ApplyError({ ...base, serverMessage: serverMessage(err) });
  }

  /** Statement by statement outside a transaction, for CONCURRENTLY, VACUUM and the like. */
  async #applyStatements(req: ApplyRequest): Promise<ApplyOutcome> {
    const { file, signal } = req;
    const statements = splitStatements(file.text, "postgres");
    const started = performance.now();
    for (let i = 0; i < statements.length; i++) {
      if (signal.aborted) throw signal.reason;
      const stmt = statements[i]!;
      const query = this.#db.unsafe(stmt.text);
      const onAbort = () => query.cancel();
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        await query;
      } catch (err) {
        if (signal.aborted) throw signal.reason;
        const pos = Number((err as PgError).position);
        const at = pos > 0 ? lineColumn(file.text, stmt.offset + charIndex(stmt.text, pos)) : stmt;
        const failure = new ApplyError({
          database: this.database,
          script: file.script,
          serverMessage: serverMessage(err),
          line: at.line,
          column: at.column,
          statement: statementHead(stmt),
          statementsDone: i,
          hint: "this file runs outside a transaction: statements before it stay applied; " +
            "fix the file and run again (files are idempotent by rule)",
        });
        await this.#db.unsafe(recordSql(this.#schema, file, {
          success: false,
          ms: performance.now() - started,
          error: failure.serverMessage,
          statementsDone: i,
        })).catch(() => {});
        throw failure;
      } finally {
        signal.removeEventListener("abort", onAbort);
      }
    }
    const ms = performance.now() - started;
    await this.#db.unsafe(recordSql(this.#schema, file, { success: true, ms }));
    return { ms };
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
