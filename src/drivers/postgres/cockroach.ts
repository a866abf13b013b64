// CockroachDB speaks PostgreSQL's protocol, but its pg_try_advisory_lock(bigint) is a stub that
// always returns true and pg_advisory_unlock(bigint) another (cockroachdb/cockroach#13546): two
// db-migrate runs would both "hold" the lock and apply the same files at once. And a schema change
// in a transaction can fail after COMMIT has made the transaction's other writes durable (error
// XXA00), so a migration could be recorded as applied though its DDL failed. db-migrate refuses
// such a database before it changes anything. Found by the server's version() string.

import { ConfigError } from "../../core/errors.ts";

/** Whether a server's version() is CockroachDB's (`CockroachDB CCL v24.1.0 (x86_64-…)`). */
export function isCockroach(version: string): boolean {
  return /^CockroachDB\b/.test(version.trim());
}

/** The refusal (exit 2) for a database whose server is CockroachDB, or null for PostgreSQL. */
export function cockroachRefusal(database: string, version: string): ConfigError | null {
  if (!isCockroach(version)) return null;
  const release = version.trim().match(/^CockroachDB \S+ (v[\d.]+[^\s]*)/)?.[1];
  return new ConfigError(
    "CONFIG",
    `database "${database}" is on CockroachDB${release ? ` ${release}` : ""}, which db-migrate ` +
      "cannot migrate safely: its pg_try_advisory_lock always returns true, so two runs would " +
      "apply the same migration at once, and a schema change that fails after COMMIT leaves the " +
      "tracking row committed; nothing was changed",
    {
      database,
      hint: "migrate CockroachDB with a tool that has a driver for it and locks with a table: " +
        "golang-migrate (cockroachdb://) or Flyway",
    },
  );
}
