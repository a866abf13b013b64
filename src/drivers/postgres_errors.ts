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

/** The server's message with its SQLSTATE, detail, hint and context, as a user reads it. */
export function serverMessage(err: unknown): string {
  const e = err as PgError;
  const parts = [e.message ?? String(err)];
  if (e.code && /^[0-9A-Z]{5}$/.test(e.code)) parts[0] += ` (SQLSTATE ${e.code})`;
  if (e.detail) parts.push(`detail: ${e.detail}`);
  if (e.hint) parts.push(`hint: ${e.hint}`);
  if (e.where) parts.push(`context: ${e.where}`);
  return parts.join("\n  ");
}
