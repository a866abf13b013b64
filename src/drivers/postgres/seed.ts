// YAML and CSV seeds on PostgreSQL: `applyDataSeed` loads a file on the driver's one connection,
// the whole file and its tracking row in one transaction. SeedRun holds what the format's loaders
// (seed_yaml.ts, seed_csv.ts) share: queries that an interrupt cancels,
// savepoints, finding the one row of many that the database refuses.

import type postgres from "postgres";
import { ApplyError, MigrateError } from "../../core/errors.ts";
import { BcryptPool } from "../../seeds/bcrypt.ts";
import type { Pos, TableInfo } from "../../seeds/types.ts";
import type { ApplyOutcome } from "../driver.ts";
import type { SeedRequest } from "../../seeds/request.ts";
import {
  CATALOG_SQL,
  DROP_STAGE_SQL,
  IS_PGLITE_SQL,
  isEmptySql,
  lockForLoadSql,
  parseCatalog,
  regclassName,
} from "./seed_sql.ts";
import { quoteIdent, recordSql, REHEARSAL_SAVEPOINT, TIMER_START_SQL } from "./sql.ts";
import { type PgError, serverMessage } from "./errors.ts";

type Sql = ReturnType<typeof postgres>;

// ---------------------------------------------------------------------------------------------
// Running it

/** The column an error names: not-null and generated-column errors, or `Key (col)=` details. */
export function errorColumn(err: unknown): string | null {
  const e = err as PgError;
  if (e.column_name) return e.column_name;
  const m = /^Key \(([^,)]+)\)=/.exec(e.detail ?? "");
  return m ? m[1]!.replace(/^"|"$/g, "") : null;
}

/** The quoted value an input-syntax error quotes (`invalid input syntax for type uuid: "x"`). */
export function errorValue(err: unknown): string | null {
  const m = /: "(.*)"$/s.exec((err as PgError).message ?? "");
  return m ? m[1]! : null;
}

/** The `line N` (and `column C`) of a COPY error's CONTEXT, or null. */
export function copyErrorLine(err: unknown): { line: number; column: string | undefined } | null {
  const m = /^COPY [^,]+, line (\d+)(?:, column ([^:]+))?/.exec((err as PgError).where ?? "");
  return m ? { line: Number(m[1]), column: m[2] } : null;
}

/** The error without its CONTEXT, which names the staging table and repeats the row. */
export function withoutContext(err: unknown): unknown {
  const e = err as PgError;
  if (!e || typeof e !== "object" || !e.where) return err;
  return Object.assign(new Error(e.message), {
    code: e.code,
    detail: e.detail,
    hint: e.hint,
    column_name: e.column_name,
  });
}

/** Where a seed applies, as the driver knows it. */
export interface SeedTarget {
  schema: string;
  database: string;
}

/** Counts of what a file wrote, for the progress line. */
export interface Counts {
  rows: number;
  inserted: number;
  updated: number;
}

export function note(c: Counts, tables: number): string {
  const unchanged = c.rows - c.inserted - c.updated;
  return `${c.rows} ${c.rows === 1 ? "row" : "rows"}${
    tables > 1 ? ` in ${tables} tables` : ""
  }: ${c.inserted} inserted, ${c.updated} updated, ${unchanged} unchanged`;
}

/** Loads one YAML or CSV seed and records it, all in one transaction on the driver's connection. */
export async function applyDataSeed(
  sql: Sql,
  target: SeedTarget,
  req: SeedRequest,
): Promise<ApplyOutcome> {
  const run = new SeedRun(sql, target, req);
  const started = performance.now();
  // A rehearsal runs inside verify's open transaction: a savepoint of its own, rolled back by verify.
  const rehearsal = req.trial === "rehearsal";
  await sql.unsafe(
    `${rehearsal ? `savepoint ${REHEARSAL_SAVEPOINT}` : "begin"};\n${TIMER_START_SQL}`,
  );
  try {
    const text = req.seed.format === "yaml"
      ? await (await import("./seed_yaml.ts")).loadYaml(run, req.seed)
      : await (await import("./seed_csv.ts")).loadCsv(run, req.seed);
    run.check();
    // A data seed's text is not kept in the tracking row: it may be large, and only migrations'
    // texts are shown (in drift diffs).
    const file = { ...req.file, text: "" };
    const record = req.trial === undefined
      ? `${recordSql(target.schema, file, { success: true, ms: "timer" })};\n`
      : "";
    // The staging table of a CSV goes with a transaction's end: in a rehearsal, with the file.
    const end = rehearsal
      ? `release savepoint ${REHEARSAL_SAVEPOINT};\n${DROP_STAGE_SQL}`
      : "commit";
    await sql.unsafe(`${record}${end}`);
    return { ms: performance.now() - started, note: text };
  } catch (err) {
    await sql.unsafe(rehearsal ? `rollback to savepoint ${REHEARSAL_SAVEPOINT}` : "rollback")
      .catch(() => {});
    if (req.signal.aborted) throw req.signal.reason;
    if (err instanceof MigrateError) throw err;
    throw run.applyError(err);
  } finally {
    run.close();
  }
}

/** One file's apply: holds the connection, the request and the counts. */
export class SeedRun {
  counts: Counts = { rows: 0, inserted: 0, updated: 0 };

  constructor(readonly sql: Sql, readonly target: SeedTarget, readonly req: SeedRequest) {}

  get where() {
    return { path: this.req.file.path, database: this.target.database };
  }

  #bcrypt: BcryptPool | null = null;

  /** The file's bcrypt workers, started on first use and shared by its batches. */
  bcrypt(): BcryptPool {
    return this.#bcrypt ??= new BcryptPool();
  }

  /** Ends what the file started (its bcrypt workers). */
  close(): void {
    this.#bcrypt?.close();
  }

  /** Stops between round trips when the run is interrupted. */
  check(): void {
    if (this.req.signal.aborted) throw this.req.signal.reason;
  }

  /** Runs a query that an interrupt cancels. */
  async q(text: string, params: (string | null)[] = []): Promise<Record<string, unknown>[]> {
    this.check();
    const query = this.sql.unsafe(text, params);
    const onAbort = () => query.cancel();
    this.req.signal.addEventListener("abort", onAbort, { once: true });
    try {
      return [...await query] as Record<string, unknown>[];
    } finally {
      this.req.signal.removeEventListener("abort", onAbort);
    }
  }

  applyError(err: unknown, pos?: Pos | null, context?: string): ApplyError {
    return new ApplyError({
      database: this.target.database,
      script: this.req.file.script,
      serverMessage: serverMessage(err) + (context ? `\n  at ${context}` : ""),
      ...(pos ? { line: pos.line, column: pos.column } : {}),
    });
  }

  #pglite: Promise<boolean> | null = null;

  /** Whether the server is PGlite, whose socket server cannot take COPY FROM STDIN (asked once). */
  pglite(): Promise<boolean> {
    this.#pglite ??= this.q(IS_PGLITE_SQL).then(([r]) => r?.pglite === true);
    return this.#pglite;
  }

  /**
   * Whether a table is empty, then locked against other writers until the transaction ends: its
   * rows can then be copied straight into it, with no merge.
   */
  async emptyAndLocked(info: TableInfo): Promise<boolean> {
    const [before] = await this.q(isEmptySql(info));
    if (before?.empty !== true) return false;
    await this.q(lockForLoadSql(info));
    const [after] = await this.q(isEmptySql(info));
    return after?.empty === true;
  }

  async catalog(names: string[]): Promise<Map<string, TableInfo>> {
    const quoted = names.map((n) => regclassName(n) ?? quoteIdent(n));
    return parseCatalog(names, await this.q(CATALOG_SQL, [JSON.stringify(quoted)]));
  }

  /**
   * Runs `fn` in a savepoint: null when it worked, else its error (and the savepoint undone). The
   * savepoint and its release travel with the neighbouring queries, so they cost no round trip.
   */
  async attempt(fn: () => Promise<void>): Promise<unknown | null> {
    const savepoint = this.q("savepoint dbm_seed_try");
    savepoint.catch(() => {});
    try {
      await fn();
      await savepoint;
    } catch (err) {
      await savepoint.catch(() => {});
      if (this.req.signal.aborted) throw err;
      await this.q("rollback to savepoint dbm_seed_try");
      return err;
    }
    this.q("release savepoint dbm_seed_try").catch(() => {});
    return null;
  }

  /**
   * Finds the first of n items whose write fails, after writing all of them failed and was undone:
   * halves that work are kept, a half that fails is split again. Null when no single item fails
   * (two rows of one statement colliding, say).
   */
  async bisect(
    n: number,
    write: (lo: number, hi: number) => Promise<void>,
  ): Promise<{ index: number; error: unknown } | null> {
    let lo = 0, hi = n;
    while (hi - lo > 1) {
      const mid = lo + Math.ceil((hi - lo) / 2);
      if (await this.attempt(() => write(lo, mid))) hi = mid;
      else lo = mid;
    }
    const error = await this.attempt(() => write(lo, hi));
    return error ? { index: lo, error } : null;
  }
}
