// Each tool's history on real PostgreSQL: its table made as the tool makes it, two of three
// migrations applied and recorded as the tool records them; the import's SQL finds the table,
// reads it, and adopts exactly those two, with the converted files' checksums. The command on top
// of these functions is tested as a process in import_test.ts.

import assert from "node:assert/strict";
import postgres from "postgres";
import { checksum } from "../../src/core/checksum.ts";
import { convertProject } from "../../src/import/convert.ts";
import {
  adoptions,
  checkHistoryTable,
  historyColumnsSql,
  historySql,
  readHistory,
} from "../../src/import/history.ts";
import { TOOLS } from "../../src/import/tools.ts";
import { IMPORT_TOOLS, type ImportTool, type SourceFile } from "../../src/import/types.ts";
import { withPgDatabase } from "../helpers.ts";
import { createTable, record } from "./_import_tools.ts";

const T = ["accounts", "entries", "balances"];
const up = (i: number) => `CREATE TABLE ${T[i]} (id bigint PRIMARY KEY);\n`;
const down = (i: number) => `DROP TABLE ${T[i]};\n`;

/** A three-migration project in each tool's layout. */
function sourceOf(tool: ImportTool): SourceFile[] {
  const stamps = ["20240101090000", "20240102090000", "20240103090000"];
  const files: SourceFile[] = [];
  for (let i = 0; i < 3; i++) {
    const s = stamps[i]!;
    switch (tool) {
      case "golang-migrate":
        files.push({ path: `00000${i + 1}_${T[i]}.up.sql`, text: up(i) });
        files.push({ path: `00000${i + 1}_${T[i]}.down.sql`, text: down(i) });
        break;
      case "dbmate":
        files.push({
          path: `${s}_${T[i]}.sql`,
          text: `-- migrate:up\n${up(i)}\n-- migrate:down\n${down(i)}`,
        });
        break;
      case "flyway":
        files.push({ path: `V1.${i}__${T[i]}.sql`, text: up(i) });
        files.push({ path: `U1.${i}__${T[i]}.sql`, text: down(i) });
        break;
      case "goose":
        files.push({
          path: `0000${i + 1}_${T[i]}.sql`,
          text: `-- +goose Up\n${up(i)}-- +goose Down\n${down(i)}`,
        });
        break;
      case "sections":
        files.push({
          path: `${s}_${T[i]}.sql`,
          text: `-- UP MIGRATION\n${up(i)}-- DOWN MIGRATION\n${down(i)}`,
        });
        break;
      case "prisma":
        files.push({ path: `${s}_${T[i]}/migration.sql`, text: up(i) });
        break;
      case "diesel":
        files.push({
          path: `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}-${s.slice(8)}_${T[i]}/up.sql`,
          text: up(i),
        });
        files.push({
          path: `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}-${s.slice(8)}_${T[i]}/down.sql`,
          text: down(i),
        });
        break;
    }
  }
  return files;
}

async function withClient<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** What the import reads: the table's columns, then its rows. */
async function readTool(sql: postgres.Sql, tool: ImportTool) {
  const columns = (await sql.unsafe(historyColumnsSql(tool))).map((r) => String(r.name));
  const table = checkHistoryTable(tool, columns);
  // A table that is not the tool's is not read: its columns may not be there.
  const rows = table.missing || table.problems.length > 0
    ? []
    : [...await sql.unsafe(historySql(tool))];
  return { table, rows };
}

for (const tool of IMPORT_TOOLS) {
  Deno.test(`${tool}: the table made as ${tool} makes it is read back as the versions it applied`, async () => {
    const plan = convertProject(tool, sourceOf(tool));
    assert.deepEqual(plan.problems, []);
    const migrations = TOOLS[tool].read(sourceOf(tool)).migrations;
    await withPgDatabase(async (url) => {
      await withClient(url, async (sql) => {
        // Before the tool ever ran: no table, nothing to adopt.
        assert.deepEqual((await readTool(sql, tool)).table, { missing: true, problems: [] });

        for (const statement of createTable(tool)) await sql.unsafe(statement);
        for (let i = 0; i < 2; i++) {
          const m = migrations[i]!;
          await sql.unsafe(up(i));
          for (const [q, params] of record(tool, { ...m, script: m.source, rank: i + 1 })) {
            await sql.unsafe(q, params as never[]);
          }
        }
        const before = await sql.unsafe(historySql(tool));

        const { table, rows } = await readTool(sql, tool);
        assert.deepEqual(table, { missing: false, problems: [] });
        const history = readHistory(tool, rows, migrations);
        assert.deepEqual(history, {
          applied: migrations.slice(0, 2).map((m) => m.key),
          problems: [],
        });
        const adopted = adoptions(plan, history);
        assert.deepEqual(
          adopted.map((a) => [a.script, a.checksum]),
          plan.migrations.slice(0, 2).map((m) => [m.migration.name, checksum(m.migration.text)]),
        );
        // Reading changes nothing in the other tool's table.
        assert.deepEqual([...await sql.unsafe(historySql(tool))], [...before]);
      });
    });
  });
}

Deno.test("a dirty golang-migrate row, a failed Flyway row and an unfinished Prisma row are problems", async () => {
  for (const tool of ["golang-migrate", "flyway", "prisma"] as const) {
    const migrations = TOOLS[tool].read(sourceOf(tool)).migrations;
    await withPgDatabase(async (url) => {
      await withClient(url, async (sql) => {
        for (const statement of createTable(tool)) await sql.unsafe(statement);
        const m = migrations[0]!;
        for (const [q, params] of record(tool, { ...m, script: m.source, rank: 1 }, "failed")) {
          await sql.unsafe(q, params as never[]);
        }
        const { rows } = await readTool(sql, tool);
        const history = readHistory(tool, rows, migrations);
        assert.deepEqual(history.applied, [], tool);
        assert.equal(history.problems.length, 1, tool);
        // Named as the tool's table holds it.
        const expected = { "golang-migrate": "1", flyway: m.rawVersion, prisma: m.key }[tool];
        assert.equal(history.problems[0]!.version, expected, tool);
      });
    });
  }
});

Deno.test("golang-migrate's schema_migrations is not taken for dbmate's, nor the other way", async () => {
  await withPgDatabase(async (url) => {
    await withClient(url, async (sql) => {
      for (const statement of createTable("golang-migrate")) await sql.unsafe(statement);
      assert.match((await readTool(sql, "dbmate")).table.problems[0]!.why, /golang-migrate/);
      assert.match((await readTool(sql, "sections")).table.problems[0]!.why, /golang-migrate/);
      await sql.unsafe("DROP TABLE schema_migrations");
      for (const statement of createTable("dbmate")) await sql.unsafe(statement);
      assert.match(
        (await readTool(sql, "golang-migrate")).table.problems[0]!.why,
        /no column dirty/,
      );
    });
  });
});

Deno.test("the history table is found through the search_path, as the tool finds it", async () => {
  await withPgDatabase(async (url) => {
    await withClient(url, async (sql) => {
      await sql.unsafe("CREATE SCHEMA app");
      await sql.unsafe(
        "CREATE TABLE app.__diesel_schema_migrations (version VARCHAR(50) PRIMARY KEY NOT NULL, " +
          "run_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)",
      );
      await sql.unsafe(
        "INSERT INTO app.__diesel_schema_migrations (version) VALUES ('20240101090000')",
      );
      assert.equal((await readTool(sql, "diesel")).table.missing, true);
      await sql.unsafe("SET search_path TO app, public");
      const { table, rows } = await readTool(sql, "diesel");
      assert.equal(table.missing, false);
      assert.deepEqual(rows.map((r) => r.version), ["20240101090000"]);
      // Or named outright.
      await sql.unsafe("SET search_path TO public");
      const cols = await sql.unsafe(historyColumnsSql("diesel", "app.__diesel_schema_migrations"));
      assert.ok(cols.length > 0);
    });
  });
});
