// What running a file needs of the PostgreSQL driver's one connection, shared by the two ways a file
// runs (transaction.ts, statements.ts) and the seeds.

import type postgres from "postgres";
import type { ErrorSource } from "./errors.ts";

/** The driver's one reserved connection. */
export type Sql = ReturnType<typeof postgres>;

/** A query sent and not yet answered (it can be cancelled). */
export type PendingQuery = ReturnType<Sql["unsafe"]>;

/** One connected database, as the code that runs files sees it. */
export interface PgSession extends ErrorSource {
  readonly sql: Sql;
  /** The schema of the tracking table: the connection's current schema. */
  readonly schema: string;
  /** The server counts characters as bytes (SQL_ASCII). */
  readonly bytes: boolean;
  /** The database's name, for messages. */
  readonly database: string;
}

/**
 * Files up to this many UTF-16 units go to the server as one query with their tracking row; larger
 * ones in pieces of about this size. postgres.js copies a query about three times on its way to the
 * socket; pieces this small keep those copies, and the query string, below V8's large-object size
 * (128 KB), so they die young instead of piling up until a full collection: measured on a 60 MB
 * file, 4 MB pieces peaked at 230-280 MB RSS, these at 150-180 MB.
 */
export const PIECE_SIZE = 60 * 1024;
