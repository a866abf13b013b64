// `db-migrate import` as a process on real PostgreSQL, for each tool: its project laid out in its
// own file layout, its history table made and filled as the tool does after applying two of three
// migrations (with their schema); the import writes the converted files and adopts those two, the
// next `db-migrate` run applies exactly the third, and the schema equals a fresh apply of the
// converted files.

import assert from "node:assert/strict";
import { HISTORY_TABLES } from "../../src/import/history.ts";
import { IMPORT_TOOLS, type ImportTool } from "../../src/import/types.ts";
import { lastLine, makeProject, pgQuery, runCli, withPgDatabase } from "../helpers.ts";
import { createTable, record, SCHEMA_SQL, toolProject } from "./_import_tools.ts";
import { summaryCounts } from "./_util.ts";

/** The schema as lines, for comparing two databases. */
async function schemaOf(url: string): Promise<string[]> {
  return (await pgQuery(url, SCHEMA_SQL)).map((r) => String(r.line));
}

/** Our tracking rows (versions as text: timestamps do not fit an int). */
async function trackingRows(url: string): Promise<unknown[]> {
  return await pgQuery(
    url,
    "SELECT version::text, script, checksum, kind, success, content FROM _schema_migrations " +
      "ORDER BY version",
  );
}

/** The tool's table as it reads, to show the import left it alone. */
async function toolRows(url: string, tool: ImportTool): Promise<unknown[]> {
  return await pgQuery(url, `SELECT * FROM ${HISTORY_TABLES[tool]} ORDER BY 1`);
}

/** Makes the tool's table and applies the first `count` migrations as the tool would. */
async function applyAsTool(
  url: string,
  tool: ImportTool,
  count: number,
  outcome: "applied" | "failed" = "applied",
): Promise<void> {
  for (const statement of createTable(tool)) await pgQuery(url, statement);
  const { applied } = toolProject(tool, count);
  for (const [i, m] of applied.entries()) {
    const failed = outcome === "failed" && i === count - 1;
    if (!failed) await pgQuery(url, m.up);
    for (const [q, params] of record(tool, { ...m, rank: i + 1 }, failed ? "failed" : "applied")) {
      await pgQuery(url, q, params);
    }
  }
}

/** A project dir with the tool's files under `upstream/` and an empty `migrations/`. */
async function withUpstream<T>(
  tool: ImportTool,
  count: number,
  fn: (dir: string) => Promise<T>,
): Promise<T> {
  const files: Record<string, string> = { "migrations/.keep": "" };
  for (const [path, text] of Object.entries(toolProject(tool, count).files)) {
    files[`upstream/${path}`] = text;
  }
  const project = await makeProject(files);
  try {
    return await fn(project.dir);
  } finally {
    await project.cleanup();
  }
}

const importArgs = (tool: ImportTool, ...extra: string[]) => [
  "import",
  `--from=${tool}`,
  "upstream",
  "--database=app",
  ...extra,
];

async function listDir(path: string): Promise<string[]> {
  const out: string[] = [];
  try {
    for await (const e of Deno.readDir(path)) out.push(e.name);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return out.sort();
}

for (const tool of IMPORT_TOOLS) {
  Deno.test(`${tool}: import adopts the two applied migrations and the next run applies only the third`, async () => {
    await withPgDatabase(async (url) => {
      await withUpstream(tool, 3, async (dir) => {
        await applyAsTool(url, tool, 2);
        const before = await toolRows(url, tool);
        const env = { APP_URL: url };

        const imp = await runCli(importArgs(tool, "--yes"), { cwd: dir, env });
        assert.equal(imp.code, 0, imp.stdout + imp.stderr);
        assert.match(
          lastLine(imp.stdout),
          /^0 applied, 0 skipped, 0 failed, 1 pending, 2 baselined/,
        );
        const written = await listDir(`${dir}/migrations/app`);
        assert.equal(written.filter((f) => f.startsWith("V")).length, 3, written.join(" "));
        // Down SQL became U files (Prisma has none).
        assert.equal(written.filter((f) => f.startsWith("U")).length, tool === "prisma" ? 0 : 3);
        // The other tool's table is only read.
        assert.deepEqual(await toolRows(url, tool), before);

        const run = await runCli([], { cwd: dir, env });
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.deepEqual(summaryCounts(lastLine(run.stdout)), {
          applied: 1,
          skipped: 2,
          failed: 0,
        });
        const third = written.filter((f) => f.startsWith("V"))[2]!;
        assert.match(run.stdout, new RegExp(`${third.replace(".", "\\.")}\\s+applied`));

        // The same files applied from scratch give the same schema and the same tracking rows.
        await withPgDatabase(async (fresh) => {
          const r = await runCli([], { cwd: dir, env: { APP_URL: fresh } });
          assert.equal(r.code, 0, r.stdout + r.stderr);
          assert.match(lastLine(r.stdout), /^3 applied, 0 skipped, 0 failed/);
          const schema = await schemaOf(url);
          assert.ok(schema.some((l) => l.includes("entries_account")), schema.join("\n"));
          assert.deepEqual(schema, await schemaOf(fresh));
          assert.deepEqual(await trackingRows(url), await trackingRows(fresh));
        });

        // Importing again changes nothing and records nothing twice.
        const again = await runCli(importArgs(tool, "--yes"), { cwd: dir, env });
        assert.equal(again.code, 0, again.stdout + again.stderr);
        assert.match(lastLine(again.stdout), /^0 applied, 3 skipped, 0 failed;/);
        assert.deepEqual(await listDir(`${dir}/migrations/app`), written);
        assert.equal((await trackingRows(url)).length, 3);
      });
    });
  });
}
