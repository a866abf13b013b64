// What PostgreSQL's errors carry and how a user reads them, shared by the migration and seed paths.

import { ConnectionLostError, firstStatements } from "../../core/errors.ts";

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

/** The extensions the embedded PostgreSQL ships, in the hint for one it lacks. */
function embeddedExtensionHint(urlVariable: string, shipped: readonly string[]): string {
  return `the embedded PostgreSQL (PGlite) has only the extensions it ships: ${
    shipped.join(", ")
  }; run this database on a PostgreSQL server that has the extension (set ${urlVariable})`;
}

/** Whether the server lacks an extension a file creates. */
export function isMissingExtension(err: unknown): boolean {
  const e = err as PgError;
  return e?.code === "0A000" && /extension ".*" is not available/.test(e.message ?? "");
}

/** Where the error came from, for the words around it. */
export interface ErrorSource {
  /** The embedded PostgreSQL's extensions, or null on a server. */
  embedded: readonly string[] | null;
  /** The variable that would give the database a URL (a real server instead of PGlite). */
  urlVariable: string;
}

/** The server's message as a user reads it; PGlite's hint to install an extension does not apply. */
export function fileErrorMessage(source: ErrorSource, err: unknown): string {
  if (source.embedded && isMissingExtension(err)) {
    return serverMessage(Object.assign(Object.create(err as object), { hint: undefined }));
  }
  return serverMessage(err);
}

/** Our hint for a server error whose cause here we know, if any. */
export function fileErrorHint(
  source: ErrorSource,
  err: unknown,
  joinedCommit: boolean,
): { hint?: string } {
  const e = err as PgError;
  if (source.embedded && isMissingExtension(e)) {
    return { hint: embeddedExtensionHint(source.urlVariable, source.embedded) };
  }
  if (e.code === "55P04" && joinedCommit) {
    return {
      hint: "the file's own COMMIT was joined into db-migrate's transaction for the file; mark " +
        'the file "-- db-migrate: no-transaction" to run it statement by statement as written',
    };
  }
  return {};
}

/**
 * The connection broke while a file was applied: the server went away (or the network), which
 * is not the file's fault. `statements` is given for a file outside a transaction.
 */
export function connectionLost(
  database: string,
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
    database,
    script: file.script,
    message: `lost the connection to "${database}" while applying "${file.script}": ` +
      serverMessage(err),
    hint:
      `the server went away (or the network between us); this is not the file's fault. ${state}`,
  });
}
