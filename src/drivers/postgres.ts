// PostgreSQL through postgres.js on one reserved connection (max: 1): the session advisory lock,
// the tracking table and every file run on the same session, so the lock covers all of them.

import postgres from "postgres";
import {
  ApplyError,
  ConfigError,
  ConnectionLostError,
  firstStatements,
  interruption,
  signalName,
  stay,
} from "../errors.ts";
import {
  lineColumn,
  splitStatements,
  type Statement,
  statementHead,
  stripComments,
} from "../split.ts";
import type { TrackedRow } from "../types.ts";
import { humanTime } from "../report/time.ts";
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
import {
  isConnectionLoss,
  PERMANENT_CODES,
  type PgError,
  serverMessage,
} from "./postgres_errors.ts";
import { pgLogin } from "./postgres_url.ts";

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
      // A broken connection has no transaction left to roll back: the server dropped it.
      if (isConnectionLoss(err) && !signal.aborted) throw this.#connectionLost(file, err);
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

  /**
   * Statement by statement outside a transaction, for CONCURRENTLY, VACUUM and the like. What ran
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
      const sql = recordSql(this.#schema, file, {
        success: false,
        ms: performance.now() - started,
        error,
        statementsDone: done,
      });
      for (let attempt = 1;; attempt++) {
        try {
          await this.#db.unsafe(sql);
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
    for (let i = 0; i < n; i++) {
      const stmt = statements[i]!;
      if (signal.aborted) {
        const sig = signalName(signal.reason);
        const recorded = i > 0
          ? await record(i, `stopped by ${sig} after statement ${i} of ${n}`)
          : "";
        throw interruption(signal.reason, {
          database: this.database,
          script: file.script,
          outcome: i === 0 ? "not started" : "recorded",
          note: i === 0
            ? "it was stopped before its first statement; nothing of it ran"
            : `stopped after statement ${i} of ${n}: the file runs outside a transaction, so ` +
              `${firstStatements(i)} ${stay(i)} applied; ${recorded}, and the next run applies ` +
              "it again from the top",
          hint: i === 0 ? "run again to apply it and the rest" : again,
        });
      }
      const query = this.#db.unsafe(stmt.text);
      const onAbort = () => query.cancel();
      graceOver.addEventListener("abort", onAbort, { once: true });
      try {
        await query;
      } catch (err) {
        if (graceOver.aborted && (err as PgError).code === "57014") {
          const sig = signalName(signal.reason);
          const cancelled = `statement ${i + 1} of ${n} was cancelled when the grace period ended`;
          const recorded = await record(i, `stopped by ${sig}: ${cancelled}`);
          const concurrently = /\bCONCURRENTLY\b/i.test(stripComments(stmt.text, "postgres"));
          throw interruption(signal.reason, {
            database: this.database,
            script: file.script,
            outcome: "recorded",
            note: `${cancelled}; ` +
              (i > 0 ? `${firstStatements(i)} ${stay(i)} applied, and ` : "") + recorded +
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
        await record(i, failure.serverMessage); // best effort: the failure matters more
        throw failure;
      } finally {
        graceOver.removeEventListener("abort", onAbort);
      }
    }
    const ms = performance.now() - started;
    await this.#db.unsafe(recordSql(this.#schema, file, { success: true, ms }));
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
