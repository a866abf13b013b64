// Requests to ClickHouse's HTTP interface through @clickhouse/client-web (fetch): one connection
// object per database with two clients (one without a database for tracking, lock and system
// queries, one with the URL's database for the statements of the files), a raw body sender for
// CSV seeds, and every failure as one error with ClickHouse's code.

import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client-web";
import { parseServerError } from "./http_errors.ts";
import type { ClickHouseTarget } from "./url.ts";

/** Tracking and lock queries are small: a server that does not answer them in time is stuck. */
export const QUERY_TIMEOUT_MS = 30_000;
/** Statements of a file may run for hours (INSERT ... SELECT); the server's own limits apply. */
export const STATEMENT_TIMEOUT_MS = 2_147_483_647;

/** A failed request, with ClickHouse's error code when the server answered. */
export class ClickHouseRequestError extends Error {
  /** ClickHouse's error code, or null for a network failure or a timeout. */
  readonly code: number | null;
  /** Whether db-migrate stopped waiting for the answer (its own timeout), not the server. */
  timedOut = false;
  constructor(message: string, code: number | null, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "ClickHouseRequestError";
    this.code = code;
  }
}

/** The client's error (server text, fetch failure or abort) as one error with a code. */
export function requestError(err: unknown, what: { timedOut: boolean; timeoutMs: number }) {
  if (err instanceof ClickHouseRequestError) return err;
  if (what.timedOut) {
    const e = new ClickHouseRequestError(
      `no answer within ${Math.round(what.timeoutMs / 1000)} s`,
      null,
      err,
    );
    e.timedOut = true;
    return e;
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

/** How one statement is sent. */
export interface ExecOptions {
  /** Send it with the URL's database as the default one (the statements of a file). */
  files?: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  queryId?: string;
  sessionId?: string;
  /** Whether the server logs it in system.query_log, where a later run can look it up. */
  log?: boolean;
  /** More settings for this request (an ON CLUSTER statement's output format and timeout). */
  settings?: Record<string, string>;
}

/** The HTTP clients of one ClickHouse database. */
export class ClickHouseHttp {
  /** Without a database: tracking, lock and system queries name their database themselves. */
  #admin: ClickHouseClient | null = null;
  /** With the URL's database as the default one, for the statements of the files. */
  #files: ClickHouseClient | null = null;

  /**
   * `fetch`: what every request goes through, the CSV upload's too (send()): the global
   * fetch, or one that trusts the database's CA file (tls.ts).
   */
  constructor(
    readonly target: ClickHouseTarget,
    readonly name: string,
    readonly fetch: typeof globalThis.fetch = globalThis.fetch,
  ) {}

  /** Makes the clients (no request is sent). */
  open(): void {
    this.#admin = this.#client("default");
    this.#files = this.#client(this.target.database);
  }

  /** Whether open() was called and close() was not. */
  get connected(): boolean {
    return this.#admin !== null;
  }

  #client(database: string): ClickHouseClient {
    return createClient({
      url: this.target.endpoint,
      username: this.target.username,
      password: this.target.password,
      database,
      application: "db-migrate",
      request_timeout: STATEMENT_TIMEOUT_MS,
      log: { level: ClickHouseLogLevel.OFF },
      fetch: this.fetch,
    });
  }

  #use(files: boolean): ClickHouseClient {
    const client = files ? this.#files : this.#admin;
    if (!client) throw new Error(`database "${this.name}" is not connected`);
    return client;
  }

  /** Runs a statement that returns no rows we read. */
  async exec(sql: string, opts: ExecOptions = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
    const timeout = timeoutMs < STATEMENT_TIMEOUT_MS ? AbortSignal.timeout(timeoutMs) : null;
    const signals = [timeout, opts.signal].filter((s): s is AbortSignal => s != null);
    try {
      await this.#use(opts.files ?? false).command({
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

  /**
   * Runs a statement and returns the body of its answer as text: the per-host table of an ON
   * CLUSTER statement, which exec() would throw away.
   */
  async text(sql: string, opts: ExecOptions = {}): Promise<string> {
    const timeoutMs = opts.timeoutMs ?? QUERY_TIMEOUT_MS;
    const timeout = timeoutMs < STATEMENT_TIMEOUT_MS ? AbortSignal.timeout(timeoutMs) : null;
    const signals = [timeout, opts.signal].filter((s): s is AbortSignal => s != null);
    try {
      const result = await this.#use(opts.files ?? false).exec({
        query: sql,
        clickhouse_settings: {
          wait_end_of_query: 1,
          ...(opts.log ? { log_queries: 1 } : {}),
          ...opts.settings,
        },
        ...(signals.length > 0 ? { abort_signal: AbortSignal.any(signals) } : {}),
        ...(opts.queryId ? { query_id: opts.queryId } : {}),
        ...(opts.sessionId ? { session_id: opts.sessionId } : {}),
      });
      return await new Response(result.stream).text();
    } catch (err) {
      throw requestError(err, { timedOut: timeout?.aborted === true, timeoutMs });
    }
  }

  /** Runs a query and returns its rows. */
  async rows<T>(sql: string, timeoutMs = QUERY_TIMEOUT_MS): Promise<T[]> {
    const timeout = AbortSignal.timeout(timeoutMs);
    try {
      const result = await this.#use(false).query({
        query: sql,
        format: "JSONEachRow",
        abort_signal: timeout,
      });
      return await result.json<T>();
    } catch (err) {
      throw requestError(err, { timedOut: timeout.aborted, timeoutMs });
    }
  }

  /**
   * Sends `query` (an INSERT ... FORMAT) with a body of data, by fetch: the client trims the text
   * it sends and strips trailing semicolons, which would cut a CSV's last field, and the web client
   * takes no raw body beside a query. The query goes in the URL, the data as the body.
   */
  async send(
    query: string,
    body: ReadableStream<Uint8Array>,
    opts: { signal: AbortSignal; queryId: string; settings: Readonly<Record<string, string>> },
  ): Promise<void> {
    const url = new URL("/", this.target.endpoint);
    url.searchParams.set("query", query);
    url.searchParams.set("query_id", opts.queryId);
    for (const [k, v] of Object.entries(opts.settings)) url.searchParams.set(k, v);
    const credentials = new TextEncoder().encode(`${this.target.username}:${this.target.password}`);
    let response: Response;
    try {
      response = await this.fetch(url, {
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

  /** Closes both clients; safe to call twice. */
  async close(): Promise<void> {
    const clients = [this.#admin, this.#files];
    this.#admin = null;
    this.#files = null;
    for (const c of clients) await c?.close().catch(() => {});
  }
}
