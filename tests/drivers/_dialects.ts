// How the conformance suite's SQL reads on each kind of database. Not a test file itself.
import type { Subject } from "./conformance.ts";

/** The SQL a subject gives the suite. */
type Dialect = Pick<Subject, "kind" | "transactional" | "createTable" | "upsert" | "tableExists">;

/** PostgreSQL, and the embedded PostgreSQL: a file commits with its tracking row. */
export const POSTGRES: Dialect = {
  kind: "postgres",
  transactional: true,
  createTable: (name) => `CREATE TABLE IF NOT EXISTS ${name} (id int PRIMARY KEY, label text)`,
  upsert: (name, id, label) =>
    `INSERT INTO ${name} (id, label) VALUES (${id}, '${label}') ` +
    "ON CONFLICT (id) DO UPDATE SET label = excluded.label",
  tableExists: (name) => `SELECT to_regclass('${name}') IS NOT NULL AS present`,
};

/** ClickHouse: no transactions; a seed's table replaces rows by key. */
export const CLICKHOUSE: Dialect = {
  kind: "clickhouse",
  transactional: false,
  createTable: (name) =>
    `CREATE TABLE IF NOT EXISTS ${name} (id UInt32, label String) ` +
    "ENGINE = ReplacingMergeTree ORDER BY id",
  upsert: (name, id, label) => `INSERT INTO ${name} (id, label) VALUES (${id}, '${label}')`,
  tableExists: (name) =>
    "SELECT count() AS present FROM system.tables " +
    `WHERE database = currentDatabase() AND name = '${name}'`,
};
