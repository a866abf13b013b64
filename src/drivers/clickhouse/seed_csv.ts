// CSV seeds on ClickHouse, as one unit (the CSV path of the driver): the table and the header are
// checked against the server (the seed rule, seed_rule.ts), the file is sent as one
// `INSERT ... FORMAT CSVWithNames` body, OPTIMIZE ... FINAL collapses replaced rows, and the file is
// recorded. Sent by fetch rather than the client, which trims the text it sends.

import { ApplyError, ConnectionLostError, interruption } from "../../core/errors.ts";
import {
  checkCsvFields,
  checkCsvTarget,
  CSV_INSERT_SETTINGS,
  csvBody,
  csvErrorMessage,
  csvErrorPosition,
  csvTable,
  needsFieldCheck,
} from "./seed_csv_format.ts";
import type { ApplyOutcome } from "../driver.ts";
import type { SeedRequest } from "../../seeds/request.ts";
import { ClickHouseRequestError, requestError, STATEMENT_TIMEOUT_MS } from "./http.ts";
import { parseServerError } from "./http_errors.ts";
import {
  csvInsertSql,
  killQuerySql,
  optimizeSql,
  tableColumnsSql,
  tableEnginesSql,
} from "./seed_sql.ts";
import { checkLease, type ChSession, rowBuilder } from "./session.ts";

/**
 * Loads a CSV seed: checks the table and the header against system.tables and system.columns
 * (the seed rule: a ReplacingMergeTree), streams the file as `INSERT ... FORMAT CSVWithNames`,
 * merges with OPTIMIZE TABLE ... FINAL so a re-applied file's rows replace the earlier ones at
 * once, and records the file. No transaction: a failed load may leave some rows in the table, and
 * applying the fixed file replaces them.
 */
export async function applySeed(s: ChSession, req: SeedRequest): Promise<ApplyOutcome> {
  const { file, seed, signal } = req;
  if (seed.format !== "csv") throw new Error(`"${file.script}" is not a CSV seed`);
  const started = performance.now();
  const table = csvTable(seed, s.target.database);
  const [engine] = await s.http.rows<{ engine: string }>(tableEnginesSql([table]));
  const columns = engine
    ? (await s.http.rows<
      { name: string; type: string; default_kind: string; is_in_sorting_key: number }
    >(tableColumnsSql(table))).map((c) => ({
      name: String(c.name),
      type: String(c.type),
      defaultKind: String(c.default_kind),
      inSortingKey: Number(c.is_in_sorting_key) === 1,
    }))
    : [];
  const where = { database: s.name, script: file.script };
  const header = checkCsvTarget(seed, where, {
    table,
    engine: engine ? String(engine.engine) : null,
    columns,
  });
  if (needsFieldCheck(header)) await checkCsvFields(seed, header, where);
  const n = seed.records;
  const rows = `${n} ${n === 1 ? "row" : "rows"}`;

  const row = rowBuilder(s, file, 1, [], started);
  const fail = async (error: string) => {
    await s.tracking.write([row(0, error, file.text)]).catch(() => {});
  };

  if (signal.aborted) {
    throw interruption(signal.reason, {
      database: s.name,
      script: file.script,
      outcome: "not started",
      note: "it was stopped before loading; nothing of it ran",
    });
  }
  checkLease(s, file);
  await s.tracking.write([row(0, `unfinished: loading ${rows} was running`)]);
  const queryId = crypto.randomUUID();
  try {
    if (n > 0) {
      const body = csvBody(seed, header);
      await insertBody(s, csvInsertSql(table, header.map((c) => c.name)), body, {
        signal,
        queryId,
        settings: CSV_INSERT_SETTINGS,
      });
    }
  } catch (err) {
    // A CSV seed loads into a ReplacingMergeTree, so loading it again replaces whatever rows a
    // stopped load left: stopping at once is safe here, unlike for the statements of a file.
    if (signal.aborted) {
      await s.http.exec(killQuerySql(queryId), { timeoutMs: 5000 }).catch(() => {});
      const stopped = "stopped while loading; the server was asked to stop, so some rows may " +
        "be in the table, and the next run loads the whole file again, which replaces them";
      await fail(stopped);
      throw interruption(signal.reason, {
        database: s.name,
        script: file.script,
        outcome: "recorded",
        note: stopped,
      });
    }
    const e = requestError(err, { timedOut: false, timeoutMs: 0 });
    if (e.code === null) {
      throw new ConnectionLostError({
        database: s.name,
        script: file.script,
        message: `lost the connection to "${s.name}" while loading "${file.script}": ` +
          e.message,
        hint: "the server went away; this is not the file's fault. Some rows may be in the " +
          "table; run again once the server is back: the file is loaded again, and its rows " +
          "replace them",
      });
    }
    const text = csvErrorMessage(e.message);
    const serverMessage = e.code === null ? text : `${text} (code ${e.code})`;
    const pos = await csvErrorPosition(seed, header, e.message);
    await fail(`loading failed: ${serverMessage}`);
    throw new ApplyError({
      database: s.name,
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
    await s.http.exec(optimizeSql(table.database, table.table), {
      timeoutMs: STATEMENT_TIMEOUT_MS,
    });
  } catch (err) {
    notes.push(
      `OPTIMIZE TABLE ${table.table} FINAL failed (${(err as Error).message}); ` +
        "replaced rows collapse at the next merge (reads with FINAL see them collapsed now)",
    );
  }
  const ms = performance.now() - started;
  await s.tracking.write([{ ...row(1, null, file.text), executionMs: ms }]);
  return { ms, note: notes.join("; ") };
}

/**
 * Sends `query` with a body of data (an INSERT ... FORMAT), by fetch: the client trims the text
 * it sends and strips trailing semicolons, which would cut a CSV's last field, and the web client
 * takes no raw body beside a query. The query goes in the URL, the data as the body.
 */
async function insertBody(
  s: ChSession,
  query: string,
  body: ReadableStream<Uint8Array>,
  opts: { signal: AbortSignal; queryId: string; settings: Readonly<Record<string, string>> },
): Promise<void> {
  const url = new URL("/", s.target.endpoint);
  url.searchParams.set("query", query);
  url.searchParams.set("query_id", opts.queryId);
  for (const [k, v] of Object.entries(opts.settings)) url.searchParams.set(k, v);
  const credentials = new TextEncoder().encode(
    `${s.target.username}:${s.target.password}`,
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
