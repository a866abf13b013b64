// Projects for the verify tests, as makeProject() takes them.

/**
 * Most kinds of object a migration creates, each written idempotently: types of every kind, an
 * identity and a generated column, partitions, inheritance, RLS and a policy, a rule, statistics,
 * grants, comments, a view, a materialized view, an aggregate and a procedure.
 */
export const RICH: Record<string, string> = {
  "migrations/app/V001__types.sql": `CREATE SCHEMA IF NOT EXISTS app;
COMMENT ON SCHEMA app IS 'the application';
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'mood' AND typnamespace = 'app'::regnamespace) THEN
    CREATE TYPE app.mood AS ENUM ('sad', 'ok');
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'email' AND typnamespace = 'app'::regnamespace) THEN
    CREATE DOMAIN app.email AS text CHECK (VALUE ~ '@') NOT NULL;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'pair' AND typnamespace = 'app'::regnamespace) THEN
    CREATE TYPE app.pair AS (a int, b text);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'floatrange' AND typnamespace = 'app'::regnamespace) THEN
    CREATE TYPE app.floatrange AS RANGE (subtype = float8);
  END IF;
END $$;
CREATE SEQUENCE IF NOT EXISTS app.ticket_seq START 100 INCREMENT 5;
`,
  "migrations/app/V002__tables.sql": `CREATE TABLE IF NOT EXISTS app.people (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  email app.email UNIQUE,
  mood app.mood NOT NULL DEFAULT 'ok',
  first text COLLATE "C",
  last text,
  full_name text GENERATED ALWAYS AS (first || ' ' || last) STORED,
  born date,
  during tstzrange,
  ticket int DEFAULT nextval('app.ticket_seq'),
  EXCLUDE USING gist (during WITH &&)
);
COMMENT ON COLUMN app.people.mood IS 'how they feel';
ALTER TABLE app.people ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS people_self ON app.people;
CREATE POLICY people_self ON app.people FOR SELECT USING (mood <> 'sad');
CREATE TABLE IF NOT EXISTS app.events (id bigserial, at timestamptz NOT NULL, payload jsonb) PARTITION BY RANGE (at);
CREATE TABLE IF NOT EXISTS app.events_2024 PARTITION OF app.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE TABLE IF NOT EXISTS app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE INDEX IF NOT EXISTS events_at_idx ON app.events (at);
CREATE UNLOGGED TABLE IF NOT EXISTS app.cache (k text PRIMARY KEY, v text) WITH (fillfactor = 70);
CREATE TABLE IF NOT EXISTS app.base (id int);
CREATE TABLE IF NOT EXISTS app.child (extra int) INHERITS (app.base);
CREATE STATISTICS IF NOT EXISTS app.people_names (dependencies) ON first, last FROM app.people;
`,
  "migrations/app/V003__code.sql":
    `CREATE OR REPLACE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RETURN NEW;
END $$;
CREATE OR REPLACE PROCEDURE app.noop(n int) LANGUAGE sql AS $$ SELECT 1 $$;
CREATE OR REPLACE FUNCTION app.add(a int, b int) RETURNS int LANGUAGE sql IMMUTABLE AS 'select a + b';
CREATE OR REPLACE AGGREGATE app.total(int) (sfunc = app.add, stype = int, initcond = '0');
DROP TRIGGER IF EXISTS people_touch ON app.people;
CREATE TRIGGER people_touch BEFORE UPDATE ON app.people FOR EACH ROW EXECUTE FUNCTION app.touch();
CREATE OR REPLACE VIEW app.happy AS SELECT id, first FROM app.people WHERE mood = 'ok' WITH CASCADED CHECK OPTION;
CREATE MATERIALIZED VIEW IF NOT EXISTS app.mood_counts AS SELECT mood, count(*) AS n FROM app.people GROUP BY mood WITH NO DATA;
CREATE OR REPLACE RULE cache_no_delete AS ON DELETE TO app.cache DO INSTEAD NOTHING;
GRANT SELECT ON app.happy TO PUBLIC;
GRANT USAGE ON SCHEMA app TO PUBLIC;
REVOKE EXECUTE ON FUNCTION app.add(int, int) FROM PUBLIC;
INSERT INTO app.cache (k, v) VALUES ('a', '1'), ('b', '2') ON CONFLICT (k) DO NOTHING;
`,
};
/**
 * Files that break the rule in the common ways, each with what a second run does: a plain CREATE
 * TABLE (fails, 42P07 at 2:1), an INSERT into a table without a key (rows double, line 3), ADD
 * COLUMN without IF NOT EXISTS (fails, 42701 at 3:1), an unnamed index (a copy each run), a
 * function a later file replaces (the later file puts it back), an UPDATE that writes the same
 * values (no change), an upsert of clock_timestamp() (the row changes each run), and a SQL seed
 * that inserts without ON CONFLICT (fails, 23505 at 2:1).
 */
export const BAD: Record<string, string> = {
  "migrations/app/V001__projects.sql": `-- projects
CREATE TABLE projects (
  id serial PRIMARY KEY,
  name text NOT NULL
);
`,
  "migrations/app/V002__settings.sql": `CREATE TABLE IF NOT EXISTS settings (key text, value text);

INSERT INTO settings (key, value) VALUES ('theme', 'dark');
`,
  "migrations/app/V003__archived.sql": `-- archive flag

ALTER TABLE projects ADD COLUMN archived boolean NOT NULL DEFAULT false;
`,
  "migrations/app/V004__index.sql": `CREATE INDEX ON projects (name);
`,
  "migrations/app/V005__answer.sql":
    `CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS 'select 1';
`,
  "migrations/app/V006__answer_again.sql":
    `CREATE OR REPLACE FUNCTION answer() RETURNS int LANGUAGE sql AS 'select 2';
`,
  "migrations/app/V007__roles.sql":
    `CREATE TABLE IF NOT EXISTS roles (key text PRIMARY KEY, name text NOT NULL);
`,
  "migrations/app/V008__touch.sql": `UPDATE projects SET name = name || '';
`,
  "migrations/app/V009__heartbeat.sql":
    `CREATE TABLE IF NOT EXISTS heartbeat (id int PRIMARY KEY, at timestamptz NOT NULL);
INSERT INTO heartbeat VALUES (1, clock_timestamp())
  ON CONFLICT (id) DO UPDATE SET at = excluded.at;
`,
  "seeds/app/reference/010_roles.sql": `-- system roles
INSERT INTO roles (key, name) VALUES ('owner', 'Owner');
`,
  "seeds/app/reference/020_projects.yaml": `projects:
  key: [id]
  rows:
    - { id: 1, name: demo }
`,
};

/** BAD with an extension that neither PostgreSQL 15 here nor PGlite has, and a file needing it. */
export const BAD_WITH_VECTOR: Record<string, string> = {
  ...BAD,
  "migrations/app/V010__vector.sql": `CREATE EXTENSION IF NOT EXISTS vector;
`,
  "migrations/app/V011__items.sql":
    `CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY, embedding vector(3));
`,
};
