// ClickHouse over its HTTP interface. ClickHouse has no transactions and takes one statement per
// request, so a file runs statement by statement with its progress recorded after each one
// (runner.ts, resume.ts); it has no advisory lock either, so runs take turns through lease rows
// (lock.ts). The database named in the URL is created by the first real run (in tryLock and
// ensureTracking, which only real runs call), so --dry-run and --status change nothing.

import { ConfigError } from "../../core/errors.ts";
import { redactUrl } from "../../core/redact.ts";
import type { TrackedRow } from "../../core/types.ts";
import type {
  ApplyOutcome,
  Driver,
  ExecuteContext,
  ForgetEntry,
  LockHolder,
  PreparedFile,
  RecordEntry,
} from "../driver.ts";
import { ClickHouseHttp, ClickHouseRequestError, QUERY_TIMEOUT_MS } from "./http.ts";
import { PERMANENT_CODES } from "./http_errors.ts";
import { LOCK_TABLE } from "./lease_sql.ts";
import { LeaseLock } from "./lock.ts";
import type { ChBody } from "./prepare.ts";
import type { ChSession } from "./session.ts";
import { dropTableSql, tablesSql } from "./sql.ts";
import { Tracking } from "./tracking.ts";
import { type ClickHouseTarget, parseClickHouseUrl } from "./url.ts";

/** The target of a URL, or BAD_URL (exit 2) without its password. */
function targetOf(database: string, url: string): ClickHouseTarget {
  try {
    return parseClickHouseUrl(url);
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
}

/** ClickHouse driver over @clickhouse/client-web. */
export class ClickHouseDriver implements Driver {
  readonly #session: ChSession;

  constructor(readonly database: string, readonly url: string) {
    const target = targetOf(database, url);
    const http = new ClickHouseHttp(target, database);
    const tracking = new Tracking(http, target.database, database, target.username);
    const lock = new LeaseLock({
      database: target.database,
      user: target.username,
      exec: (sql) => http.exec(sql),
      rows: <T>(sql: string) => http.rows<T>(sql),
      ensureDatabase: () => tracking.ensureDatabase(),
      connected: () => http.connected,
    });
    this.#session = { name: database, target, http, tracking, lock };
  }

  async connect(timeoutMs: number): Promise<void> {
    await this.close();
    const { http, tracking } = this.#session;
    http.open();
    try {
      // A real query, not just an HTTP answer: a server still starting answers /ping already.
      const [one] = await http.rows<{ ok: number }>("SELECT 1 AS ok", timeoutMs);
      if (Number(one?.ok) !== 1) {
        throw new ClickHouseRequestError("SELECT 1 did not return 1", null);
      }
      await tracking.probe(timeoutMs);
    } catch (err) {
      await this.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.#session.lock.close();
    await this.#session.http.close();
  }

  isPermanent(err: unknown): boolean {
    const code = (err as { code?: unknown })?.code;
    if (typeof code === "number" && PERMANENT_CODES.has(code)) return true;
    const message = String((err as Error)?.message ?? "");
    return /unknown user|wrong password|authentication failed|password is incorrect/i.test(message);
  }

  ensureTracking(): Promise<void> {
    return this.#session.tracking.ensure();
  }

  readTracking(_detail: boolean): Promise<TrackedRow[] | null> {
    // One query reads every column: the detail costs nothing more here.
    return this.#session.tracking.read();
  }

  readContents(scripts: string[]): Promise<Map<string, string | null>> {
    return this.#session.tracking.contents(scripts);
  }

  tryLock(): Promise<boolean> {
    return this.#session.lock.tryLock();
  }

  lockHolder(): Promise<LockHolder | null> {
    return this.#session.lock.lockHolder();
  }

  unlock(): Promise<void> {
    return this.#session.lock.unlock();
  }

  async execute(file: PreparedFile, ctx: ExecuteContext): Promise<ApplyOutcome> {
    const body = file.body as ChBody;
    if ("seed" in body) {
      const { applySeed } = await import("./seed_csv.ts");
      return await applySeed(this.#session, {
        file: file.file,
        seed: body.seed,
        signal: ctx.signal,
      });
    }
    // Loaded when a file runs: a run with nothing to apply never needs it.
    return await (await import("./runner.ts")).runFile(this.#session, file.file, ctx);
  }

  record(entries: RecordEntry[]): Promise<void> {
    return this.#session.tracking.record(entries);
  }

  forget(entries: ForgetEntry[]): Promise<void> {
    return this.#session.tracking.forget(entries);
  }

  /**
   * Drops every table of the URL's database, the tracking table too; not the lease table, so a run
   * that resets under the lock keeps holding it.
   */
  async dropAll(): Promise<void> {
    const { http, target, tracking } = this.#session;
    const tables = await http.rows<{ name: string }>(tablesSql(target.database));
    for (const t of tables) {
      if (t.name === LOCK_TABLE) continue;
      await http.exec(dropTableSql(target.database, String(t.name)));
    }
    await tracking.probe(QUERY_TIMEOUT_MS);
  }
}
