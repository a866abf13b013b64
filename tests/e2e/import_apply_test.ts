// The files an import writes run with today's db-migrate as they are: each tool's sample project,
// converted, applies on real PostgreSQL, and the checksum each row records is the one adoptions()
// gives, so a baseline written from the other tool's history is never seen as drift.
// (U files are left out here: import_test.ts writes them through the command.)

import assert from "node:assert/strict";
import { convertProject } from "../../src/import/convert.ts";
import { adoptions } from "../../src/import/history.ts";
import type { ImportTool, SourceFile } from "../../src/import/types.ts";
import { pgQuery, runCli, withPgDatabase } from "../helpers.ts";
import { lastLine } from "../helpers.ts";
import { withProject } from "./_util.ts";

const SAMPLES: Record<ImportTool, SourceFile[]> = {
  "golang-migrate": [
    {
      path: "000001_users.up.sql",
      text: "BEGIN;\nCREATE TABLE users (id bigserial PRIMARY KEY, email text);\nCOMMIT;\n",
    },
    { path: "000001_users.down.sql", text: "DROP TABLE users;\n" },
    {
      path: "000002_users_email.up.sql",
      text: "CREATE INDEX CONCURRENTLY users_email ON users (email);\n",
    },
    { path: "000003_noop.up.sql", text: "-- kept for history\n" },
  ],
  dbmate: [
    {
      path: "20240101000000_enum.sql",
      text: "-- migrate:up\nCREATE TYPE mood AS ENUM ('sad');\n-- migrate:down\nDROP TYPE mood;\n",
    },
    {
      path: "20240102000000_enum_value.sql",
      text:
        "-- migrate:up transaction:false\nALTER TYPE mood ADD VALUE 'happy';\n-- migrate:down\n",
    },
    {
      path: "20240103000000_two.sql",
      text: "-- migrate:up\nCREATE TABLE a (id int);\n-- migrate:down\nDROP TABLE a;\n" +
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY a_id ON a (id);\n-- migrate:down\n",
    },
  ],
  flyway: [
    { path: "V1__init.sql", text: "CREATE TABLE items (id int PRIMARY KEY, name text);\n" },
    {
      path: "sql/V1.1__name_index.sql",
      text: "CREATE INDEX CONCURRENTLY items_name ON items (name);\n",
    },
    { path: "sql/V1.1__name_index.sql.conf", text: "executeInTransaction=false\n" },
    {
      path: "V1.1.1__seed.sql",
      text: "INSERT INTO items VALUES (1, 'a') ON CONFLICT DO NOTHING;\n",
    },
  ],
  goose: [{
    path: "00001_touch.sql",
    text: `-- +goose Up
CREATE TABLE posts (id bigserial PRIMARY KEY, updated_at timestamptz);
-- +goose StatementBegin
CREATE FUNCTION touch() RETURNS trigger AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$ LANGUAGE plpgsql
-- +goose StatementEnd
CREATE TRIGGER posts_touch BEFORE UPDATE ON posts FOR EACH ROW EXECUTE FUNCTION touch();
-- +goose Down
DROP TABLE posts;
DROP FUNCTION touch();
`,
  }, {
    path: "00002_index.sql",
    text:
      "-- +goose NO TRANSACTION\n-- +goose Up\nCREATE INDEX CONCURRENTLY posts_u ON posts (updated_at);\n",
  }],
  sections: [{
    path: "20240101120000_orders.sql",
    text:
      "-- UP MIGRATION\nCREATE TABLE orders (id bigserial PRIMARY KEY);\n-- DOWN MIGRATION\nDROP TABLE orders;\n",
  }],
  prisma: [
    { path: "migration_lock.toml", text: 'provider = "postgresql"\n' },
    {
      path: "20240101000000_init/migration.sql",
      text:
        '-- CreateTable\nCREATE TABLE "User" (\n    "id" SERIAL NOT NULL,\n    "email" TEXT NOT NULL,\n' +
        '    CONSTRAINT "User_pkey" PRIMARY KEY ("id")\n);\n\n-- CreateIndex\n' +
        'CREATE UNIQUE INDEX "User_email_key" ON "User"("email");\n',
    },
  ],
  diesel: [
    {
      path: "00000000000000_diesel_initial_setup/up.sql",
      text: "CREATE OR REPLACE FUNCTION diesel_set_updated_at() RETURNS trigger AS $$\nBEGIN\n" +
        "    IF (NEW IS DISTINCT FROM OLD AND NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at) THEN\n" +
        "        NEW.updated_at := current_timestamp;\n    END IF;\n    RETURN NEW;\nEND;\n" +
        "$$ LANGUAGE plpgsql;\n",
    },
    {
      path: "2024-01-01-000000_create_users/up.sql",
      text: "CREATE TABLE users (id SERIAL PRIMARY KEY);\n",
    },
    { path: "2024-01-01-000000_create_users/down.sql", text: "DROP TABLE users;\n" },
  ],
};

for (const [tool, source] of Object.entries(SAMPLES) as [ImportTool, SourceFile[]][]) {
  Deno.test(`${tool}: the converted files apply with db-migrate and record adoptions()' checksums`, async () => {
    const plan = convertProject(tool, source);
    assert.deepEqual(plan.problems, []);
    const files: Record<string, string> = {};
    for (const m of plan.migrations) {
      files[`migrations/postgres/${m.migration.name}`] = m.migration.text;
    }
    await withPgDatabase(async (url) => {
      await withProject(files, async (dir) => {
        const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
        assert.equal(r.code, 0, r.stdout + r.stderr);
        assert.match(
          lastLine(r.stdout),
          new RegExp(`^${plan.migrations.length} applied, 0 skipped, 0 failed`),
        );
        const rows = await pgQuery(
          url,
          "SELECT version::text AS version, script, checksum FROM _schema_migrations " +
            "WHERE kind = 'migration' ORDER BY version",
        );
        const all = { applied: plan.migrations.map((m) => m.key), problems: [] };
        assert.deepEqual(
          rows.map((row) => [Number(row.version), row.script, row.checksum]),
          adoptions(plan, all).map((a) => [a.version, a.script, a.checksum]),
        );
      });
    });
  });
}
