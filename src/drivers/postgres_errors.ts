// What PostgreSQL's errors carry and how a user reads them, shared by the migration and seed paths.

/** The fields of a postgres.js server error that messages use. */
export interface PgError extends Error {
  code?: string;
  position?: string;
  detail?: string;
  hint?: string;
  where?: string;
  severity?: string;
  column_name?: string;
  constraint_name?: string;
}

/** SQLSTATEs that waiting cannot heal: a wrong password, an unknown role or database. */
export const PERMANENT_CODES = new Set(["28P01", "28000", "3D000"]);

/**
 * Whether the error came from the server (postgres.js's PostgresError, which has a severity), as
 * opposed to the socket or the client (`write EPIPE`, `CONNECTION_CLOSED`), whose `code` is no
 * SQLSTATE even when it has five letters.
 */
export function isServerError(err: unknown): boolean {
  const e = err as PgError | null;
  return e?.name === "PostgresError" || typeof e?.severity === "string";
}

/**
 * Whether the connection broke rather than the statement failing: a socket error (`EPIPE`,
 * `ECONNRESET`), postgres.js's `CONNECTION_CLOSED`/`_ENDED`/`_DESTROYED`, or the server ending
 * the session (class 08, or 57P01-57P03: terminated, crash shutdown, cannot connect now).
 */
export function isConnectionLoss(err: unknown): boolean {
  const code = (err as PgError | null)?.code;
  if (typeof code !== "string") return false;
  if (isServerError(err)) return /^08/.test(code) || /^57P0[123]$/.test(code);
  return /^CONNECTION_(CLOSED|ENDED|DESTROYED)$/.test(code) || /^E[A-Z]+$/.test(code);
}

/** The server's message with its SQLSTATE, detail, hint and context, as a user reads it. */
export function serverMessage(err: unknown): string {
  const e = err as PgError;
  const parts = [e.message ?? String(err)];
  if (e.code && isServerError(e) && /^[0-9A-Z]{5}$/.test(e.code)) {
    parts[0] += ` (SQLSTATE ${e.code})`;
  }
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  if (e.where) parts.push(`context: ${e.where}`);
  return parts.join("\n  ");
}
