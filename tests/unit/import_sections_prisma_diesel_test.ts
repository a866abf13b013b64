import assert from "node:assert/strict";
import { convertProject } from "../../src/import/convert.ts";
import { dieselRunInTransaction, dieselVersion, readDiesel } from "../../src/import/diesel.ts";
import { prismaProvider, readPrisma } from "../../src/import/prisma.ts";
import { parseSectionsFile, readSections } from "../../src/import/sections.ts";

// Single-file up/down sections.

const orders = `-- Orders and their lines.
-- UP MIGRATION
CREATE TABLE orders (id bigserial PRIMARY KEY);
CREATE TABLE order_lines (order_id bigint REFERENCES orders (id));

-- DOWN MIGRATION
DROP TABLE order_lines;
DROP TABLE orders;
`;

Deno.test("parseSectionsFile() cuts at -- UP MIGRATION and -- DOWN MIGRATION, in any case", () => {
  const r = parseSectionsFile({ path: "20240101120000_orders.sql", text: orders });
  assert.deepEqual(r.problems, []);
  assert.equal(
    r.up!.text,
    "-- Orders and their lines.\nCREATE TABLE orders (id bigserial PRIMARY KEY);\n" +
      "CREATE TABLE order_lines (order_id bigint REFERENCES orders (id));\n\n",
  );
  assert.equal(r.down!.text, "DROP TABLE order_lines;\nDROP TABLE orders;\n");
  assert.equal(r.down!.line, 7);
  // node-pg-migrate's spelling, and the down section written first.
  const swapped = parseSectionsFile({
    path: "1_x.sql",
    text: "-- Down Migration\nDROP TABLE t;\n-- Up Migration\nCREATE TABLE t (a int);\n",
  });
  assert.equal(swapped.up!.text, "CREATE TABLE t (a int);\n");
  assert.equal(swapped.down!.text, "DROP TABLE t;\n");
});

Deno.test("parseSectionsFile() takes a file without markers whole, and refuses ambiguous ones", () => {
  const plain = parseSectionsFile({ path: "1_x.sql", text: "CREATE TABLE t (a int);\n" });
  assert.equal(plain.up!.text, "CREATE TABLE t (a int);\n");
  assert.equal(plain.down, null);
  const cases: [string, RegExp, number][] = [
    ["CREATE TABLE t ();\n-- UP MIGRATION\nSELECT 1;\n", /before the first section marker/, 1],
    ["-- UP MIGRATION\nSELECT 1;\n-- UP MIGRATION\nSELECT 2;\n", /second "-- UP MIGRATION"/, 3],
    ["SELECT 1;\n-- DOWN MIGRATION\nSELECT 2;\n", /without "-- UP MIGRATION"/, 2],
  ];
  for (const [text, why, line] of cases) {
    const r = parseSectionsFile({ path: "1_x.sql", text });
    assert.equal(r.problems.length, 1, text);
    assert.match(r.problems[0]!.message, why);
    assert.equal(r.problems[0]!.line, line);
  }
});

Deno.test("readSections() refuses a .sql file without a version", () => {
  const r = readSections([
    { path: "20240101120000_orders.sql", text: orders },
    { path: "cleanup.sql", text: "DELETE FROM orders;\n" },
  ]);
  assert.equal(r.migrations.length, 1);
  assert.equal(r.migrations[0]!.key, "20240101120000");
  assert.deepEqual(r.problems.map((p) => p.file), ["cleanup.sql"]);
});

Deno.test("convertProject(sections) writes V and U files under the timestamp", () => {
  const plan = convertProject("sections", [{ path: "20240101120000_orders.sql", text: orders }]);
  assert.deepEqual(plan.problems, []);
  assert.equal(plan.migrations[0]!.migration.name, "V20240101120000__orders.sql");
  assert.equal(plan.migrations[0]!.undo!.name, "U20240101120000__orders.sql");
});

// Prisma.

const prismaInit = `-- CreateTable
CREATE TABLE "User" (
    "id" SERIAL NOT NULL,
    "email" TEXT NOT NULL,
    CONSTRAINT "User_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "User_email_key" ON "User"("email");
`;

Deno.test("readPrisma() reads one folder per migration, keyed by the folder name", () => {
  const r = readPrisma([
    { path: "migration_lock.toml", text: '# Please do not edit\nprovider = "postgresql"\n' },
    { path: "20240102000000_add_posts/migration.sql", text: 'CREATE TABLE "Post" ();\n' },
    { path: "20240101000000_init/migration.sql", text: prismaInit },
  ]);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.migrations.map((m) => [m.key, m.rawVersion, m.description, m.down.length]), [
    ["20240101000000_init", "20240101000000", "init", 0],
    ["20240102000000_add_posts", "20240102000000", "add_posts", 0],
  ]);
  const plan = convertProject("prisma", [
    { path: "20240101000000_init/migration.sql", text: prismaInit },
  ]);
  assert.equal(plan.migrations[0]!.migration.name, "V20240101000000__init.sql");
  assert.equal(
    plan.migrations[0]!.migration.text,
    "-- Imported by db-migrate from prisma: 20240101000000_init/migration.sql\n" + prismaInit,
  );
});

Deno.test("readPrisma() refuses another provider, a folder without a script and odd names", () => {
  assert.deepEqual(prismaProvider('provider = "mysql"\n'), { provider: "mysql", line: 1 });
  const r = readPrisma([
    { path: "migration_lock.toml", text: 'provider = "mysql"\n' },
    { path: "20240101000000_init/README.md", text: "notes\n" },
    { path: "init/migration.sql", text: "SELECT 1;\n" },
    { path: "20240102000000_a/migration.sql", text: "SELECT 1;\n" },
    { path: "20240102000000_b/migration.sql", text: "SELECT 1;\n" },
  ]);
  assert.deepEqual(r.problems.map((p) => p.file), [
    "migration_lock.toml",
    "20240101000000_init",
    "20240102000000_b/migration.sql",
    "init/migration.sql",
  ]);
});

// Diesel.

Deno.test("dieselVersion() drops the dashes of the part before the first underscore", () => {
  assert.equal(dieselVersion("2017-09-09-123456_create_users"), "20170909123456");
  assert.equal(dieselVersion("00000000000000_diesel_initial_setup"), "00000000000000");
  assert.equal(dieselVersion("20240101120000_x"), "20240101120000");
});

Deno.test("dieselRunInTransaction() reads metadata.toml as Diesel does", () => {
  assert.equal(dieselRunInTransaction(undefined).transaction, true);
  assert.equal(dieselRunInTransaction("run_in_transaction = false\n").transaction, false);
  assert.equal(dieselRunInTransaction("run_in_transaction = true # yes\n").transaction, true);
  // A file that omits the key reads as false: serde's default for the field.
  assert.equal(dieselRunInTransaction("# nothing\n").transaction, false);
  assert.deepEqual(dieselRunInTransaction("other = 1\n").unknown, [{ line: 1, text: "other = 1" }]);
});

Deno.test("readDiesel() and convertProject(diesel) map folders to V and U files", () => {
  const files = [
    {
      path: "00000000000000_diesel_initial_setup/up.sql",
      text:
        "CREATE OR REPLACE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $$\n" +
        "BEGIN\n  EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s\n" +
        "                    FOR EACH ROW EXECUTE PROCEDURE diesel_set_updated_at()', _tbl);\n" +
        "END;\n$$ LANGUAGE plpgsql;\n",
    },
    {
      path: "00000000000000_diesel_initial_setup/down.sql",
      text: "DROP FUNCTION IF EXISTS diesel_manage_updated_at(_tbl regclass);\n",
    },
    { path: "2017-09-09-123456_create_users/up.sql", text: "CREATE TABLE users (id SERIAL);\n" },
    { path: "2017-09-09-123456_create_users/down.sql", text: "DROP TABLE users;\n" },
    {
      path: "2017-09-10-000000_index/up.sql",
      text: "CREATE INDEX CONCURRENTLY i ON users (id);\n",
    },
    { path: "2017-09-10-000000_index/metadata.toml", text: "run_in_transaction = false\n" },
    { path: ".hidden/up.sql", text: "SELECT 1;\n" },
    { path: "diesel.toml", text: "[print_schema]\n" },
  ];
  const r = readDiesel(files);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.migrations.map((m) => m.key), [
    "00000000000000",
    "20170909123456",
    "20170910000000",
  ]);
  const plan = convertProject("diesel", files);
  assert.deepEqual(plan.problems, []);
  assert.deepEqual(
    plan.migrations.map((m) => [m.version, m.migration.name, m.undo?.name ?? null]),
    [
      [0, "V00000000000000__diesel_initial_setup.sql", "U00000000000000__diesel_initial_setup.sql"],
      [20170909123456, "V20170909123456__create_users.sql", "U20170909123456__create_users.sql"],
      [20170910000000, "V20170910000000__index.sql", null],
    ],
  );
  assert.match(plan.migrations[2]!.migration.text, /^-- db-migrate: no-transaction\n/);
});

Deno.test("readDiesel() refuses a folder without up.sql, an empty up.sql and a version of letters", () => {
  const r = readDiesel([
    { path: "2017-01-01-000000_a/down.sql", text: "SELECT 1;\n" },
    { path: "2017-01-02-000000_b/up.sql", text: "" },
    { path: "first_c/up.sql", text: "SELECT 1;\n" },
  ]);
  assert.deepEqual(r.problems.map((p) => p.file), [
    "2017-01-01-000000_a",
    "2017-01-02-000000_b/up.sql",
    "first_c/up.sql",
  ]);
});
