// CSV seeds on ClickHouse, as one unit (the CSV path of the driver): the table and the header are
// checked against the server (the seed rule, seed_rule.ts), the file is sent as one
// `INSERT ... FORMAT CSVWithNames` body, OPTIMIZE ... FINAL collapses replaced rows, and the file is
// recorded.

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
import { requestError, STATEMENT_TIMEOUT_MS } from "./http.ts";
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
      await s.http.send(csvInsertSql(table, header.map((c) => c.name)), body, {
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
