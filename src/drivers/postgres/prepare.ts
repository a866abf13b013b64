// A PostgreSQL file before anything runs: the tokenizer's checks, the no-transaction directive, the
// file's own transaction control, the size of its largest statement, or a YAML or CSV seed parsed.
// Offline and pure but for reading a CSV's sidecar: a bad file stops the run before any change.

import { ConfigError } from "../../core/errors.ts";
import type { TrackedFile } from "../../core/types.ts";
import type { DataSeed } from "../../seeds/types.ts";
import { checkSqlFile } from "../../sql/checks.ts";
import { type Directives, DirectivesReader } from "../../sql/directives.ts";
import {
  type FileTransactionStatement,
  TransactionControlError,
  type TransactionPlan,
} from "../../sql/transaction.ts";
import { readDataSeed } from "../../seeds/data_seed.ts";
import type { PrepareContext, PreparedFile } from "../driver.ts";

/** How a PostgreSQL file runs: a SQL file in a transaction or statement by statement, or a seed. */
export type PgBody =
  | { transactional: boolean; control: TransactionPlan }
  | { seed: DataSeed };

/** The warning for a file whose own BEGIN/COMMIT run inside db-migrate's transaction for it. */
function joinedNotice(db: string, path: string, joined: FileTransactionStatement[]): string {
  const where = joined.map((t) => `${t.label} at line ${t.line}`).join(", ");
  return `"${path}" of "${db}" holds its own transaction control (${where}): db-migrate runs the ` +
    "file in one transaction that commits with its tracking row, so these statements only join " +
    'it (a COMMIT commits nothing early); mark the file "-- db-migrate: no-transaction" to ' +
    "run them as written";
}

/** The file's directives; a bad one or unsafe transaction control is a ConfigError (exit 2). */
function directivesOf(f: TrackedFile, db: string, reader: DirectivesReader): Directives {
  try {
    return reader.finish(f.text);
  } catch (err) {
    if (err instanceof TransactionControlError) {
      throw new ConfigError(
        "TRANSACTION_CONTROL",
        `cannot run "${f.path}" of database "${db}": ${err.message}`,
        { database: db, position: { file: f.path, line: err.line, column: err.column } },
      );
    }
    const line = (err as { line?: number }).line;
    throw new ConfigError(
      "BAD_DIRECTIVE",
      `cannot read "${f.path}"${line ? ` at line ${line}` : ""} of database "${db}": ${
        (err as Error).message
      }`,
      { database: db, position: { file: f.path, ...(line ? { line } : {}) } },
    );
  }
}

/** Refuses a statement too large to send as one message (PostgreSQL takes a statement whole). */
function checkLargest(f: TrackedFile, d: Directives, ctx: PrepareContext): void {
  const largest = d.largest;
  if (!largest || largest.length <= ctx.maxStatementMb * 1024 * 1024) return;
  const db = ctx.database;
  throw new ConfigError(
    "STATEMENT_TOO_LARGE",
    `the statement at line ${largest.line}, column ${largest.column} of "${f.path}" ` +
      `(database "${db}") is ${(largest.length / 1024 / 1024).toFixed(1)} MB, ` +
      `over the limit of ${ctx.maxStatementMb} MB for one statement ` +
      "(--max-statement-size): PostgreSQL receives a statement as one message, which " +
      "takes about 3 times its size in memory here",
    {
      database: db,
      position: { file: f.path, line: largest.line, column: largest.column },
      hint: "split it (an INSERT into several of a few thousand rows each), or raise " +
        "the limit with --max-statement-size=MB (env DB_MIGRATE_MAX_STATEMENT_SIZE) " +
        "and the job's memory",
    },
  );
}

/** Checks and prepares one PostgreSQL migration or seed; throws a ConfigError (exit 2). */
export async function preparePostgres(
  file: TrackedFile,
  ctx: PrepareContext,
): Promise<PreparedFile> {
  if (file.format !== "sql") {
    const { seed, summary } = await readDataSeed(file, ctx.database, ctx.maxYamlMb);
    const body: PgBody = { seed };
    return { file, summary, qualifiers: [], notices: [], body };
  }
  // One pass over the statements checks the file and reads its directives.
  const reader = new DirectivesReader();
  const n = checkSqlFile(file, "postgres", ctx.database, (s) => reader.add(s));
  const d = directivesOf(file, ctx.database, reader);
  checkLargest(file, d, ctx);
  const joined = [...(d.control.opener ? [d.control.opener] : []), ...d.control.folded];
  const body: PgBody = { transactional: d.transaction, control: d.control };
  return {
    file,
    summary: `${n} ${n === 1 ? "statement" : "statements"}`,
    // Why a file runs outside a transaction: its directive, or the statement that needs it.
    qualifiers: d.reason === undefined ? [] : [`no transaction: ${d.reason}`],
    notices: joined.length > 0 ? [`warning: ${joinedNotice(ctx.database, file.path, joined)}`] : [],
    body,
  };
}
