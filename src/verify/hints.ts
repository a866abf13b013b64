// How to make a statement idempotent, for `verify`: the common forms that fail or change something
// when a file runs a second time, each with its fix. Pure: the statement's text and SQLSTATE in,
// one line of advice out.

import { type Change, objectOf } from "./diff.ts";

/** A statement's head for matching: comments gone, upper case, one space between words. */
export function normalizeStatement(text: string): string {
  return text
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/--[^\n]*/g, " ")
    .replace(/\s+/g, " ")
    .trim()
    .toUpperCase();
}

interface Form {
  /** Matched against the normalized statement. */
  statement: RegExp;
  /** SQLSTATEs this advice is for; any when absent. */
  codes?: readonly string[];
  hint: string;
}

const GUARD = "a DO block that checks the catalog first";

// First match wins: specific forms before the general ones. The ALTER TABLE forms are told apart
// by the SQLSTATE, since one ALTER TABLE may hold several actions.
const FORMS: readonly Form[] = [
  {
    statement:
      /^CREATE (?:(?:GLOBAL |LOCAL )?(?:TEMP|TEMPORARY) |UNLOGGED )?TABLE (?!IF NOT EXISTS)/,
    hint: "use CREATE TABLE IF NOT EXISTS",
  },
  {
    statement: /^CREATE (?:UNIQUE )?INDEX (?:CONCURRENTLY )?(?!IF NOT EXISTS)/,
    hint: "use CREATE INDEX IF NOT EXISTS (with a name: an unnamed index is created again)",
  },
  {
    statement: /^CREATE (?:(?:TEMP|TEMPORARY|UNLOGGED) )?SEQUENCE (?!IF NOT EXISTS)/,
    hint: "use CREATE SEQUENCE IF NOT EXISTS",
  },
  { statement: /^CREATE SCHEMA (?!IF NOT EXISTS)/, hint: "use CREATE SCHEMA IF NOT EXISTS" },
  { statement: /^CREATE EXTENSION (?!IF NOT EXISTS)/, hint: "use CREATE EXTENSION IF NOT EXISTS" },
  {
    statement: /^CREATE MATERIALIZED VIEW (?!IF NOT EXISTS)/,
    hint: "use CREATE MATERIALIZED VIEW IF NOT EXISTS",
  },
  {
    statement: /^CREATE OR REPLACE (?:(?:TEMP|TEMPORARY|RECURSIVE) )*VIEW /,
    codes: ["42P16"],
    hint: "a later file changed this view's columns, and running this one again would take them " +
      "back: DROP VIEW IF EXISTS before it, or keep only the view's latest form",
  },
  {
    statement: /^CREATE (?:(?:TEMP|TEMPORARY|RECURSIVE) )*VIEW /,
    hint: "use CREATE OR REPLACE VIEW",
  },
  {
    statement: /^CREATE OR REPLACE (?:FUNCTION|PROCEDURE) /,
    codes: ["42P13"],
    hint: "a later file changed this function's result or parameters, and running this one " +
      "again would take them back: DROP FUNCTION IF EXISTS before it",
  },
  { statement: /^CREATE FUNCTION /, hint: "use CREATE OR REPLACE FUNCTION" },
  { statement: /^CREATE PROCEDURE /, hint: "use CREATE OR REPLACE PROCEDURE" },
  { statement: /^CREATE AGGREGATE /, hint: "use CREATE OR REPLACE AGGREGATE (PostgreSQL 12+)" },
  {
    statement: /^CREATE (?:CONSTRAINT )?TRIGGER /,
    hint: "use CREATE OR REPLACE TRIGGER (PostgreSQL 14+), or DROP TRIGGER IF EXISTS before it",
  },
  { statement: /^CREATE RULE /, hint: "use CREATE OR REPLACE RULE" },
  {
    statement: /^CREATE POLICY /,
    hint: "CREATE POLICY has no IF NOT EXISTS: DROP POLICY IF EXISTS before it",
  },
  {
    statement: /^CREATE (?:TYPE|DOMAIN) /,
    hint: `CREATE TYPE and CREATE DOMAIN have no IF NOT EXISTS: create it in ${GUARD} (pg_type), ` +
      "or catch duplicate_object",
  },
  {
    statement: /^CREATE (?:ROLE|USER|GROUP) /,
    hint: `roles have no IF NOT EXISTS: create it in ${GUARD} (pg_roles)`,
  },
  {
    statement: /^CREATE (?:STATISTICS|SERVER|FOREIGN TABLE|FOREIGN DATA WRAPPER) (?!IF NOT EXISTS)/,
    hint: "use IF NOT EXISTS",
  },
  {
    statement: /^CREATE /,
    codes: ["42710", "42P07", "42723", "42P06"],
    hint: `create it in ${GUARD}, or DROP ... IF EXISTS before it`,
  },
  {
    statement: /^ALTER TYPE .* ADD VALUE (?!IF NOT EXISTS)/,
    hint: "use ALTER TYPE ... ADD VALUE IF NOT EXISTS",
  },
  {
    statement: /^ALTER (?:TABLE|FOREIGN TABLE) /,
    codes: ["42701"],
    hint: "use ALTER TABLE ... ADD COLUMN IF NOT EXISTS",
  },
  {
    statement: /^ALTER (?:TABLE|FOREIGN TABLE) .*\bADD (?:CONSTRAINT|PRIMARY KEY|UNIQUE|EXCLUDE)/,
    codes: ["42710", "42P07", "42P16"],
    hint: "ADD CONSTRAINT has no IF NOT EXISTS: DROP CONSTRAINT IF EXISTS before it, or add it " +
      `in ${GUARD} (pg_constraint)`,
  },
  {
    statement: /^ALTER (?:TABLE|FOREIGN TABLE) .*\bRENAME\b/,
    codes: ["42703", "42P01", "42704", "42701", "42P07", "42710"],
    hint: "a rename runs once: use ALTER TABLE IF EXISTS for a table, and rename a column or " +
      `constraint in ${GUARD}`,
  },
  {
    statement: /^ALTER (?:TABLE|FOREIGN TABLE) .*\bDROP (?:COLUMN )?(?!IF EXISTS|CONSTRAINT)/,
    codes: ["42703"],
    hint: "use ALTER TABLE ... DROP COLUMN IF EXISTS",
  },
  {
    statement: /^ALTER (?:TABLE|FOREIGN TABLE) .*\bDROP CONSTRAINT (?!IF EXISTS)/,
    codes: ["42704"],
    hint: "use ALTER TABLE ... DROP CONSTRAINT IF EXISTS",
  },
  {
    statement: /^ALTER (?:TABLE|FOREIGN TABLE) (?!IF EXISTS)/,
    codes: ["42P01"],
    hint: "use ALTER TABLE IF EXISTS",
  },
  {
    statement: /^DROP (?!.*\bIF EXISTS\b)/,
    codes: ["42P01", "42704", "42883", "3F000", "42703", "42P02"],
    hint: "use DROP ... IF EXISTS",
  },
  {
    statement: /^(?:WITH .* )?INSERT INTO /,
    codes: ["23505"],
    hint: "add ON CONFLICT (key) DO NOTHING, or DO UPDATE to keep the row current",
  },
  {
    statement: /^COPY /,
    codes: ["23505"],
    hint: "COPY cannot skip rows that exist: load a CSV seed with a key instead, or copy into a " +
      "staging table and INSERT ... ON CONFLICT",
  },
];

const GENERAL = "make the statement idempotent: IF NOT EXISTS, CREATE OR REPLACE, ON CONFLICT, " +
  `or ${GUARD}`;

/** How to make a statement that failed on its second run idempotent. */
export function failureHint(statement: string | undefined, sqlstate: string | undefined): string {
  if (statement === undefined) return GENERAL;
  const s = normalizeStatement(statement);
  for (const form of FORMS) {
    if (form.codes && (sqlstate === undefined || !form.codes.includes(sqlstate))) continue;
    if (form.statement.test(s)) return form.hint;
  }
  return GENERAL;
}

/** How to keep a file's second run from changing what these changes show. */
export function changeHint(changes: readonly Change[], restoredLater: boolean): string {
  const first = changes[0];
  if (first === undefined) return GENERAL;
  const o = objectOf(first);
  if (first.type === "added" && first.copyOf !== undefined) {
    return `the ${o.kind} has no name of its own, so each run adds another: name it, and add it ` +
      `with IF NOT EXISTS or in ${GUARD}`;
  }
  if (o.kind === "rows" && first.type === "changed") {
    const [b, a] = [Number(first.before.props.rows), Number(first.after.props.rows)];
    if (a > b) {
      return "the file inserts its rows again: give the table a unique key and use INSERT ... " +
        "ON CONFLICT DO NOTHING, or insert WHERE NOT EXISTS";
    }
    if (a < b) return "the file deletes rows that later files or seeds wrote";
    return "the file writes rows again with other values: write only what differs (ON CONFLICT " +
      "... DO UPDATE ... WHERE ... IS DISTINCT FROM ...), and no now() or random() into rows " +
      "that exist";
  }
  if (restoredLater) {
    return "a later file changes this again, so running this file after it takes the database " +
      "back to an older state: keep each object's latest form in one place, or guard the statement";
  }
  if (first.type === "removed") {
    return "the file drops something that it or a later file created: drop only what must go " +
      `(DROP ... IF EXISTS in ${GUARD})`;
  }
  return GENERAL;
}
