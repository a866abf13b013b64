// --embedded: a PostgreSQL database with no URL runs on PGlite, kept in .db-migrate/<database>/.
import assert from "node:assert/strict";
import { PGlite } from "@electric-sql/pglite";
import { loadExtensions } from "../../src/drivers/embedded/extensions.ts";
import { lastLine, runCli } from "../helpers.ts";
import { withProject } from "./_util.ts";

const FILES = {
  "migrations/postgres/V1__notes.sql":
    "CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body text NOT NULL);\n",
  "seeds/postgres/reference/010_notes.sql":
    "INSERT INTO notes VALUES (1, 'hello') ON CONFLICT (id) DO NOTHING;\n",
};

Deno.test({
  name:
    "--embedded with no URL applies to PGlite under .db-migrate/postgres, and a second run reports 0 applied",
  // PGlite (WebAssembly) in this process keeps timers and files of its own.
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    await withProject(FILES, async (dir) => {
      const opts = { cwd: dir, signal: AbortSignal.timeout(90_000) };
      const first = await runCli(["--embedded"], opts);
      assert.equal(first.code, 0, first.stderr);
      assert.match(lastLine(first.stdout), /^2 applied, 0 skipped, 0 failed/);
      const dataDir = `${dir}/.db-migrate/postgres`;
      assert.ok((await Deno.stat(dataDir)).isDirectory, "data in .db-migrate/postgres");
      const entries = [];
      for await (const e of Deno.readDir(dataDir)) entries.push(e.name);
      assert.ok(entries.length > 0, "the data directory holds the database");

      const second = await runCli(["--embedded"], opts);
      assert.equal(second.code, 0, second.stderr);
      assert.match(lastLine(second.stdout), /^0 applied, 2 skipped, 0 failed/);

      // The data itself, read with PGlite after the CLI has exited.
      const db = await PGlite.create(dataDir);
      try {
        const tracked = await db.query<{ script: string; kind: string; success: boolean }>(
          "SELECT script, kind, success FROM _schema_migrations ORDER BY kind, script",
        );
        assert.deepEqual(tracked.rows, [
          { script: "V1__notes.sql", kind: "migration", success: true },
          { script: "reference/010_notes.sql", kind: "seed", success: true },
        ]);
        const notes = await db.query<{ body: string }>("SELECT body FROM notes");
        assert.deepEqual(notes.rows, [{ body: "hello" }]);
      } finally {
        await db.close();
      }
    });
  },
});

Deno.test("without --embedded a database with no URL is a configuration error and nothing is created", async () => {
  await withProject(FILES, async (dir) => {
    const r = await runCli([], { cwd: dir });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\bPOSTGRES_URL\b/);
    await assert.rejects(Deno.stat(`${dir}/.db-migrate`), Deno.errors.NotFound);
  });
});

Deno.test({
  name:
    "--embedded creates the extensions PGlite ships (pg_trgm, btree_gin, ltree) and names them when one is missing",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const files = {
      "migrations/postgres/V1__search.sql": 'CREATE EXTENSION IF NOT EXISTS "pg_trgm";\n' +
        "CREATE EXTENSION IF NOT EXISTS btree_gin;\nCREATE EXTENSION IF NOT EXISTS ltree;\n" +
        "CREATE TABLE IF NOT EXISTS docs (title text, n int, path ltree);\n" +
        "CREATE INDEX IF NOT EXISTS docs_title ON docs USING gin (title gin_trgm_ops);\n" +
        "CREATE INDEX IF NOT EXISTS docs_n ON docs USING gin (n);\n",
      "seeds/postgres/reference/010_docs.sql":
        "INSERT INTO docs SELECT 'hello', 1, 'a.b' WHERE NOT EXISTS (SELECT 1 FROM docs);\n",
    };
    await withProject(files, async (dir) => {
      const opts = { cwd: dir, signal: AbortSignal.timeout(120_000) };
      const first = await runCli(["--embedded"], opts);
      assert.equal(first.code, 0, first.stderr);
      assert.match(lastLine(first.stdout), /^2 applied, 0 skipped, 0 failed/);

      // A later file uses pg_trgm without naming it; the database has it, so it is loaded.
      await Deno.writeTextFile(
        `${dir}/migrations/postgres/V2__use.sql`,
        "CREATE TABLE IF NOT EXISTS near AS SELECT title FROM docs WHERE similarity(title, 'hallo') > 0.2;\n",
      );
      const second = await runCli(["--embedded"], opts);
      assert.equal(second.code, 0, second.stderr);
      assert.match(lastLine(second.stdout), /^1 applied, 2 skipped, 0 failed/);

      await Deno.writeTextFile(
        `${dir}/migrations/postgres/V3__gis.sql`,
        "CREATE EXTENSION IF NOT EXISTS postgis;\n",
      );
      const third = await runCli(["--embedded"], opts);
      assert.equal(third.code, 1, third.stderr);
      assert.match(third.stderr, /extension "postgis" is not available/);
      assert.match(third.stderr, /hint: the embedded PostgreSQL \(PGlite\) has only .*pg_trgm/);

      const db = await PGlite.create(`${dir}/.db-migrate/postgres`, {
        extensions: await loadExtensions(["pg_trgm", "btree_gin", "ltree"]),
      });
      try {
        const near = await db.query<{ title: string }>("SELECT title FROM near");
        assert.deepEqual(near.rows, [{ title: "hello" }]);
      } finally {
        await db.close();
      }
    });
  },
});
