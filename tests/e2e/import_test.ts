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

Deno.test("a new upstream file after an import is the only file written and then the only one applied", async () => {
  for (const tool of ["flyway", "dbmate"] as const) {
    await withPgDatabase(async (url) => {
      await withUpstream(tool, 3, async (dir) => {
        await applyAsTool(url, tool, 2);
        const env = { APP_URL: url };
        assert.equal((await runCli(importArgs(tool, "--yes"), { cwd: dir, env })).code, 0);
        assert.equal((await runCli([], { cwd: dir, env })).code, 0);
        const first = new Map<string, string>();
        for (const f of await listDir(`${dir}/migrations/app`)) {
          first.set(f, await Deno.readTextFile(`${dir}/migrations/app/${f}`));
        }
        // The fourth migration arrives upstream (Flyway: version 2, after 1.2).
        for (const [path, text] of Object.entries(toolProject(tool, 4).files)) {
          await Deno.mkdir(`${dir}/upstream/${path}`.replace(/\/[^/]+$/, ""), { recursive: true });
          await Deno.writeTextFile(`${dir}/upstream/${path}`, text);
        }
        const imp = await runCli(importArgs(tool), { cwd: dir, env });
        assert.equal(imp.code, 0, imp.stdout + imp.stderr);
        assert.match(lastLine(imp.stdout), /^0 applied, 3 skipped, 0 failed, 1 pending;/);
        const after = await listDir(`${dir}/migrations/app`);
        const added = after.filter((f) => !first.has(f));
        assert.equal(added.filter((f) => f.startsWith("V")).length, 1, added.join(" "));
        // Every earlier file keeps its name and text.
        for (const [name, text] of first) {
          assert.equal(await Deno.readTextFile(`${dir}/migrations/app/${name}`), text, name);
        }
        const run = await runCli([], { cwd: dir, env });
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.deepEqual(summaryCounts(lastLine(run.stdout)), {
          applied: 1,
          skipped: 3,
          failed: 0,
        });
        assert.match(run.stdout, /balances\.sql\s+applied/);
      });
    });
  }
});

Deno.test("a dirty golang-migrate row or a failed Flyway row stops the import with exit 3 naming it", async () => {
  for (const tool of ["golang-migrate", "flyway", "prisma"] as const) {
    await withPgDatabase(async (url) => {
      await withUpstream(tool, 3, async (dir) => {
        await applyAsTool(url, tool, 2, "failed");
        const before = await toolRows(url, tool);
        const r = await runCli(importArgs(tool, "--yes"), { cwd: dir, env: { APP_URL: url } });
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.match(r.stderr, /IMPORT_HISTORY|cannot adopt/);
        const named = { "golang-migrate": "2: dirty", flyway: "1.1: failed", prisma: "_entries:" }[
          tool
        ];
        assert.ok(r.stderr.includes(named), `${tool}: ${r.stderr}`);
        assert.match(lastLine(r.stdout), /exit 3 IMPORT_HISTORY/);
        // Nothing written, nothing recorded, the tool's table untouched.
        assert.deepEqual(await listDir(`${dir}/migrations/app`), []);
        const [t] = await pgQuery(url, "SELECT to_regclass('_schema_migrations') IS NULL AS none");
        assert.equal(t?.none, true);
        assert.deepEqual(await toolRows(url, tool), before);
      });
    });
  }
});

Deno.test("a construct with no equivalent is exit 2 naming the file and line, and nothing is written", async () => {
  const project = await makeProject({
    "migrations/.keep": "",
    "upstream/V1__init.sql": "CREATE TABLE t (id int);\n",
    "upstream/R__views.sql": "CREATE OR REPLACE VIEW v AS SELECT 1;\n",
    "upstream/V2__name.sql": "-- a placeholder\nCREATE TABLE ${prefix}_x (id int);\n",
  });
  try {
    const r = await runCli(["import", "--from=flyway", "upstream", "--database=app", "--json"], {
      cwd: project.dir,
    });
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.error.code, "IMPORT_UNSUPPORTED");
    // Its own mode, as every other command's document has (not migrate's "apply").
    assert.equal(doc.mode, "import");
    // A whole-file construct names the file; one at a line names the line too.
    assert.match(doc.error.message, /upstream\/R__views\.sql: a repeatable migration/);
    assert.match(doc.error.message, /upstream\/V2__name\.sql:2: .*placeholder/);
    assert.equal(doc.error.file, "upstream/R__views.sql");
    assert.deepEqual(await listDir(`${project.dir}/migrations/app`), []);
  } finally {
    await project.cleanup();
  }
});

Deno.test("--dry-run shows the mapping and what would be recorded, and changes nothing", async () => {
  await withPgDatabase(async (url) => {
    await withUpstream("goose", 3, async (dir) => {
      await applyAsTool(url, "goose", 2);
      const r = await runCli(importArgs("goose", "--dry-run"), {
        cwd: dir,
        env: { APP_URL: url },
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /V00001__accounts\.sql\s+baselined\s+would be recorded/);
      assert.match(r.stdout, /V00003__entries_account\.sql\s+pending\s+would write from/);
      assert.match(lastLine(r.stdout), /1 pending, 2 baselined; dry run: nothing changed/);
      assert.deepEqual(await listDir(`${dir}/migrations/app`), []);
      const [t] = await pgQuery(url, "SELECT to_regclass('_schema_migrations') IS NULL AS none");
      assert.equal(t?.none, true);
    });
  });
});

Deno.test("recording history asks first: off a terminal without --yes nothing is written or recorded", async () => {
  await withPgDatabase(async (url) => {
    await withUpstream("dbmate", 3, async (dir) => {
      await applyAsTool(url, "dbmate", 2);
      const r = await runCli(importArgs("dbmate"), { cwd: dir, env: { APP_URL: url } });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(lastLine(r.stdout), /CONFIRMATION_REQUIRED/);
      assert.deepEqual(await listDir(`${dir}/migrations/app`), []);
    });
  });
});

Deno.test("with a URL but no history table the import stops (exit 3); --no-history writes the files only", async () => {
  await withPgDatabase(async (url) => {
    await withUpstream("diesel", 3, async (dir) => {
      const env = { APP_URL: url };
      const r = await runCli(importArgs("diesel", "--yes"), { cwd: dir, env });
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stderr, /no table __diesel_schema_migrations/);
      assert.deepEqual(await listDir(`${dir}/migrations/app`), []);

      const files = await runCli(importArgs("diesel", "--no-history"), { cwd: dir, env });
      assert.equal(files.code, 0, files.stdout + files.stderr);
      assert.match(lastLine(files.stdout), /^0 applied, 0 skipped, 0 failed, 3 pending/);
      assert.equal((await listDir(`${dir}/migrations/app`)).length, 6);
      const [t] = await pgQuery(url, "SELECT to_regclass('_schema_migrations') IS NULL AS none");
      assert.equal(t?.none, true);
    });
  });
});
