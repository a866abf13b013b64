import assert from "node:assert/strict";
import type { Change } from "../../src/verify/diff.ts";
import { changeHint, failureHint, normalizeStatement } from "../../src/verify/hints.ts";

// [statement as a file holds it, SQLSTATE of its second run, the advice]
const CASES: [string, string, string][] = [
  ["CREATE TABLE projects (id int)", "42P07", "use CREATE TABLE IF NOT EXISTS"],
  ["create unlogged table cache (k text)", "42P07", "use CREATE TABLE IF NOT EXISTS"],
  [
    "CREATE UNIQUE INDEX users_email_idx ON users (email)",
    "42P07",
    "use CREATE INDEX IF NOT EXISTS (with a name: an unnamed index is created again)",
  ],
  [
    "CREATE INDEX CONCURRENTLY events_at ON events (at)",
    "42P07",
    "use CREATE INDEX IF NOT EXISTS (with a name: an unnamed index is created again)",
  ],
  ["CREATE SEQUENCE ticket_seq", "42P07", "use CREATE SEQUENCE IF NOT EXISTS"],
  ["CREATE SCHEMA audit", "42P06", "use CREATE SCHEMA IF NOT EXISTS"],
  ["CREATE EXTENSION citext", "42710", "use CREATE EXTENSION IF NOT EXISTS"],
  ["CREATE VIEW v AS SELECT 1", "42P07", "use CREATE OR REPLACE VIEW"],
  [
    "CREATE MATERIALIZED VIEW mv AS SELECT 1",
    "42P07",
    "use CREATE MATERIALIZED VIEW IF NOT EXISTS",
  ],
  [
    "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql",
    "42723",
    "use CREATE OR REPLACE FUNCTION",
  ],
  ["CREATE PROCEDURE p() LANGUAGE sql AS ''", "42723", "use CREATE OR REPLACE PROCEDURE"],
  [
    "CREATE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION f()",
    "42710",
    "use CREATE OR REPLACE TRIGGER (PostgreSQL 14+), or DROP TRIGGER IF EXISTS before it",
  ],
  [
    "CREATE POLICY p ON docs USING (true)",
    "42710",
    "CREATE POLICY has no IF NOT EXISTS: DROP POLICY IF EXISTS before it",
  ],
  [
    "CREATE TYPE mood AS ENUM ('sad', 'ok')",
    "42710",
    "CREATE TYPE and CREATE DOMAIN have no IF NOT EXISTS: create it in a DO block that checks " +
    "the catalog first (pg_type), or catch duplicate_object",
  ],
  [
    "ALTER TABLE projects ADD COLUMN archived boolean",
    "42701",
    "use ALTER TABLE ... ADD COLUMN IF NOT EXISTS",
  ],
  [
    "ALTER TABLE projects ADD archived boolean",
    "42701",
    "use ALTER TABLE ... ADD COLUMN IF NOT EXISTS",
  ],
  [
    "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email)",
    "42P07",
    "ADD CONSTRAINT has no IF NOT EXISTS: DROP CONSTRAINT IF EXISTS before it, or add it in a " +
    "DO block that checks the catalog first (pg_constraint)",
  ],
  [
    "ALTER TABLE orgs ADD CONSTRAINT orgs_owner_fk FOREIGN KEY (owner) REFERENCES users (id)",
    "42710",
    "ADD CONSTRAINT has no IF NOT EXISTS: DROP CONSTRAINT IF EXISTS before it, or add it in a " +
    "DO block that checks the catalog first (pg_constraint)",
  ],
  ["ALTER TABLE users DROP COLUMN legacy", "42703", "use ALTER TABLE ... DROP COLUMN IF EXISTS"],
  [
    "ALTER TABLE users DROP CONSTRAINT users_old_check",
    "42704",
    "use ALTER TABLE ... DROP CONSTRAINT IF EXISTS",
  ],
  [
    "ALTER TABLE users RENAME COLUMN mail TO email",
    "42703",
    "a rename runs once: use ALTER TABLE IF EXISTS for a table, and rename a column or " +
    "constraint in a DO block that checks the catalog first",
  ],
  ["ALTER TYPE mood ADD VALUE 'happy'", "42710", "use ALTER TYPE ... ADD VALUE IF NOT EXISTS"],
  ["DROP TABLE legacy", "42P01", "use DROP ... IF EXISTS"],
  ["DROP FUNCTION f()", "42883", "use DROP ... IF EXISTS"],
  [
    "INSERT INTO roles (key, name) VALUES ('owner', 'Owner')",
    "23505",
    "add ON CONFLICT (key) DO NOTHING, or DO UPDATE to keep the row current",
  ],
  [
    "CREATE OR REPLACE VIEW v AS SELECT 1 AS a",
    "42P16",
    "a later file changed this view's columns, and running this one again would take them back: " +
    "DROP VIEW IF EXISTS before it, or keep only the view's latest form",
  ],
];

Deno.test("failureHint() names the idempotent form of each common statement", () => {
  for (const [statement, code, hint] of CASES) {
    assert.equal(failureHint(statement, code), hint, statement);
  }
});

Deno.test("failureHint() reads past comments, case and line breaks", () => {
  assert.equal(
    failureHint("-- the projects\n/* v2 */ create\n  table\tprojects (\n id int)", "42P07"),
    "use CREATE TABLE IF NOT EXISTS",
  );
});

Deno.test("failureHint() gives the general advice for forms it does not know", () => {
  const general = "make the statement idempotent: IF NOT EXISTS, CREATE OR REPLACE, ON " +
    "CONFLICT, or a DO block that checks the catalog first";
  assert.equal(failureHint(undefined, "42P07"), general);
  assert.equal(failureHint("SELECT do_something()", "P0001"), general);
  // The right form already: its failure has another cause.
  assert.equal(failureHint("CREATE TABLE IF NOT EXISTS t (id int)", "42804"), general);
  assert.equal(failureHint("DROP TABLE IF EXISTS t", "2BP01"), general);
});

Deno.test("normalizeStatement() keeps words apart and strings intact enough to match", () => {
  assert.equal(
    normalizeStatement("  create   TABLE\n\tx -- note\n(a int)"),
    "CREATE TABLE X (A INT)",
  );
});

const rows = (before: string, after: string): Change => ({
  type: "changed",
  before: { kind: "rows", name: "public.settings", props: { rows: before, hash: "1" } },
  after: { kind: "rows", name: "public.settings", props: { rows: after, hash: "2" } },
  props: ["hash", "rows"],
});

Deno.test("changeHint() explains rows inserted or rewritten again, and unnamed copies", () => {
  assert.match(
    changeHint([rows("1", "2")], false),
    /inserts its rows again.*ON CONFLICT DO NOTHING/,
  );
  assert.match(changeHint([rows("2", "2")], false), /writes rows again with other values/);
  assert.match(changeHint([rows("3", "2")], false), /deletes rows/);
  const copy: Change = {
    type: "added",
    object: { kind: "index", name: "public.t_a_idx1", props: { table: "public.t" } },
    copyOf: "public.t_a_idx",
  };
  assert.match(changeHint([copy], false), /^the index has no name of its own/);
});

Deno.test("changeHint() says when a later file changes the object again", () => {
  const fn: Change = {
    type: "changed",
    before: { kind: "function", name: "public.f()", props: { definition: "2" } },
    after: { kind: "function", name: "public.f()", props: { definition: "1" } },
    props: ["definition"],
  };
  assert.match(changeHint([fn], true), /^a later file changes this again/);
});
