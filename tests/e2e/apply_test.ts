// Applying migrations end to end: first and second runs, --dry-run, --status, several databases,
// where URLs come from, and --json. Each test runs src/main.ts as a process on fresh databases.
import assert from "node:assert/strict";
import { lastLine, pgQuery, runCli, withPgDatabase } from "../helpers.ts";
import {
  hasTrackingTable,
  lineWith,
  sha256,
  tableExists,
  trackingRows,
  withProject,
} from "./_util.ts";

const V1 = "CREATE TABLE IF NOT EXISTS widgets (id int PRIMARY KEY, name text NOT NULL);\n";
const V2 = "ALTER TABLE widgets ADD COLUMN IF NOT EXISTS size int;\n" +
  "INSERT INTO widgets (id, name) VALUES (1, 'first') ON CONFLICT DO NOTHING;\n";
const V5 = "CREATE TABLE IF NOT EXISTS gadgets (id int PRIMARY KEY);\n";

/** Two migrations with a version gap after them, for most tests here. */
const BASIC = {
  "migrations/postgres/V1__widgets.sql": V1,
  "migrations/postgres/V2__widget_size.sql": V2,
  "migrations/postgres/V5__gadgets.sql": V5,
};

Deno.test("a first run applies every migration in version order, records each one and exits 0", async () => {
  await withPgDatabase(async (url) => {
    await withProject(BASIC, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(lastLine(r.stdout), /^3 applied, 0 skipped, 0 failed/);
      // One progress line per file, in version order.
      const order = ["V1__widgets.sql", "V2__widget_size.sql", "V5__gadgets.sql"].map((f) =>
        r.stdout.indexOf(f)
      );
      assert.ok(order.every((i) => i >= 0), r.stdout);
      assert.deepEqual([...order].sort((a, b) => a - b), order);
      for (const f of ["V1__widgets.sql", "V2__widget_size.sql", "V5__gadgets.sql"]) {
        assert.match(lineWith(r.stdout, f), /applied/);
      }

      assert.ok(await tableExists(url, "widgets"));
      assert.ok(await tableExists(url, "gadgets"));
      const rows = await trackingRows(url);
      assert.deepEqual(rows, [
        {
          version: 1,
          script: "V1__widgets.sql",
          checksum: await sha256(V1),
          kind: "migration",
          success: true,
        },
        {
          version: 2,
          script: "V2__widget_size.sql",
          checksum: await sha256(V2),
          kind: "migration",
          success: true,
        },
        {
          version: 5,
          script: "V5__gadgets.sql",
          checksum: await sha256(V5),
          kind: "migration",
          success: true,
        },
      ]);
      const [cols] = await pgQuery(
        url,
        `SELECT count(*)::int AS n FROM information_schema.columns
          WHERE table_name = '_schema_migrations'
            AND column_name IN ('version', 'description', 'script', 'checksum', 'kind',
                                'applied_at', 'execution_ms', 'success')`,
      );
      assert.equal(cols?.n, 8, "the tracking table has every column the contract lists");
    });
  });
});

Deno.test("a second run right after the first reports 0 applied", async () => {
  await withPgDatabase(async (url) => {
    await withProject(BASIC, async (dir) => {
      const first = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(first.code, 0, first.stderr);
      const before = await pgQuery(url, "SELECT script, applied_at FROM _schema_migrations");

      const second = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(second.code, 0, second.stderr);
      assert.match(lastLine(second.stdout), /^0 applied, 3 skipped, 0 failed/);
      const after = await pgQuery(url, "SELECT script, applied_at FROM _schema_migrations");
      assert.deepEqual(after, before, "a run with nothing to do writes no tracking rows");
      const [widgets] = await pgQuery(url, "SELECT count(*)::int AS n FROM widgets");
      assert.equal(widgets?.n, 1);
    });
  });
});

Deno.test("a file with a BOM and CRLF line endings is tracked under the checksum of its LF text", async () => {
  const lf =
    "CREATE TABLE IF NOT EXISTS crlf_t (id int);\nCREATE TABLE IF NOT EXISTS crlf_u (id int);\n";
  const crlf = "\uFEFF" + lf.replaceAll("\n", "\r\n");
  await withPgDatabase(async (url) => {
    await withProject({ "migrations/postgres/V1__crlf.sql": crlf }, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      const [row] = await trackingRows(url);
      assert.equal(row?.checksum, await sha256(lf));
      assert.ok(await tableExists(url, "crlf_u"));
    });
  });
});

Deno.test("a dry run lists each pending file with its checksum and statement count and leaves the database empty", async () => {
  await withPgDatabase(async (url) => {
    await withProject(BASIC, async (dir) => {
      const r = await runCli(["--dry-run"], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      const expected: [string, string, number][] = [
        ["V1__widgets.sql", V1, 1],
        ["V2__widget_size.sql", V2, 2],
        ["V5__gadgets.sql", V5, 1],
      ];
      // The same run as one JSON document: the full checksums are there.
      const json = await runCli(["--dry-run", "--json"], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(json.code, 0, json.stderr);
      const steps = JSON.parse(json.stdout).databases[0].steps;
      for (const [file, text, statements] of expected) {
        const line = lineWith(r.stdout, file);
        assert.ok(line, `${file} is listed:\n${r.stdout}`);
        const sum = await sha256(text);
        // People get the first 12 hex digits, in a column of its own; programs get all 64.
        assert.match(line, new RegExp(`\\s${sum.slice(0, 12)}\\s`), `short checksum: ${line}`);
        assert.ok(!line.includes(sum.slice(0, 13)), `no long checksum on the line: ${line}`);
        assert.match(line, new RegExp(`\\b${statements} statements?\\b`));
        const step = steps.find((s: { script: string }) => s.script === file);
        assert.equal(step?.checksum, sum, `--json has the 64-digit checksum of ${file}`);
        assert.equal(step?.status, "pending");
      }
      // Aligned: the status and checksum columns start at one place on every line.
      const lines = expected.map(([file]) => lineWith(r.stdout, file));
      assert.equal(new Set(lines.map((l) => l.indexOf(" pending "))).size, 1, lines.join("\n"));
      assert.match(lastLine(r.stdout), /^0 applied, 0 skipped, 0 failed, 3 pending; dry run/);

      assert.equal(await hasTrackingTable(url), false, "--dry-run creates no tracking table");
      assert.equal(await tableExists(url, "widgets"), false);
      const tables = await pgQuery(
        url,
        "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
      );
      assert.deepEqual(tables, []);
    });
  });
});

Deno.test("status on fresh databases prints a table per database with every file pending and creates nothing", async () => {
  await withPgDatabase(async (url) => {
    await withPgDatabase(async (aimlUrl) => {
      const files = {
        ...BASIC,
        "migrations/aiml-postgres/V1__agents.sql": "CREATE TABLE IF NOT EXISTS agents (id int);\n",
      };
      await withProject(files, async (dir) => {
        const env = { POSTGRES_URL: url, AIML_POSTGRES_URL: aimlUrl };
        const r = await runCli(["--status"], { cwd: dir, env });
        assert.equal(r.code, 0, r.stderr);
        for (const f of ["V1__widgets.sql", "V2__widget_size.sql", "V5__gadgets.sql"]) {
          assert.match(lineWith(r.stdout, f), /\bpending\b/, r.stdout);
        }
        assert.match(lineWith(r.stdout, "V1__agents.sql"), /\bpending\b/, r.stdout);
        // One table per database, each headed by the database's name.
        assert.match(r.stdout, /^postgres\b/m);
        assert.match(r.stdout, /^aiml-postgres\b/m);
        assert.ok(
          r.stdout.indexOf("V5__gadgets.sql") < r.stdout.search(/^aiml-postgres\b/m) ||
            r.stdout.indexOf("V1__agents.sql") < r.stdout.search(/^postgres\b/m),
          "the files of one database are listed together",
        );
        assert.equal(await hasTrackingTable(url), false, "--status creates no tracking table");
        assert.equal(await hasTrackingTable(aimlUrl), false);
        assert.equal(await tableExists(url, "widgets"), false);
      });
    });
  });
});

Deno.test("status shows applied, pending, checksum mismatch, missing file and failed, exits 0 and changes nothing", async () => {
  await withPgDatabase(async (url) => {
    const files: Record<string, string> = {
      "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS one (id int);\n",
      "migrations/postgres/V2__two.sql": "CREATE TABLE IF NOT EXISTS two (id int);\n",
      "migrations/postgres/V3__three.sql": "CREATE TABLE IF NOT EXISTS three (id int);\n",
      // Runs outside a transaction, so its failure is recorded as `failed`.
      "migrations/postgres/V4__four.sql": "-- db-migrate: no-transaction\n" +
        "CREATE TABLE IF NOT EXISTS four (id int);\n" +
        "SELECT 1 / 0;\n",
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const first = await runCli([], { cwd: dir, env });
      assert.equal(first.code, 1, `V4 fails: ${first.stderr}`);

      // V1 applied and unchanged, V2 edited, V3 deleted, V4 failed, V6 new.
      await Deno.writeTextFile(
        `${dir}/migrations/postgres/V2__two.sql`,
        "CREATE TABLE IF NOT EXISTS two (id bigint);\n",
      );
      await Deno.remove(`${dir}/migrations/postgres/V3__three.sql`);
      await Deno.writeTextFile(
        `${dir}/migrations/postgres/V6__six.sql`,
        "CREATE TABLE IF NOT EXISTS six (id int);\n",
      );
      const before = await pgQuery(url, "SELECT * FROM _schema_migrations ORDER BY script");

      const r = await runCli(["--status"], { cwd: dir, env });
      assert.equal(r.code, 0, `status exits 0 when it can read the state: ${r.stderr}`);
      assert.match(lineWith(r.stdout, "V1__one.sql"), /\bapplied\b/, r.stdout);
      // When it was applied and how long it took.
      assert.match(lineWith(r.stdout, "V1__one.sql"), /\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}/);
      assert.match(lineWith(r.stdout, "V1__one.sql"), /\d+(\.\d+)? ?ms\b/);
      assert.match(lineWith(r.stdout, "V2__two.sql"), /checksum mismatch/, r.stdout);
      assert.match(lineWith(r.stdout, "V3__three.sql"), /missing file/, r.stdout);
      assert.match(lineWith(r.stdout, "V4__four.sql"), /\bfailed\b/, r.stdout);
      assert.match(lineWith(r.stdout, "V6__six.sql"), /\bpending\b/, r.stdout);
      // A table per database: the database's name heads it.
      assert.match(r.stdout, /^postgres\b/m);

      const after = await pgQuery(url, "SELECT * FROM _schema_migrations ORDER BY script");
      assert.deepEqual(after, before, "--status writes nothing");
      assert.equal(await tableExists(url, "six"), false);
    });
  });
});

Deno.test("several databases in one run are each applied through their own URL with one summary", async () => {
  await withPgDatabase(async (mainUrl) => {
    await withPgDatabase(async (aimlUrl) => {
      const files = {
        "migrations/postgres/V1__main.sql": "CREATE TABLE IF NOT EXISTS main_t (id int);\n",
        "migrations/postgres/V2__main2.sql": "CREATE TABLE IF NOT EXISTS main_u (id int);\n",
        "migrations/aiml-postgres/V1__aiml.sql": "CREATE TABLE IF NOT EXISTS aiml_t (id int);\n",
      };
      await withProject(files, async (dir) => {
        const env = { POSTGRES_URL: mainUrl, AIML_POSTGRES_URL: aimlUrl };
        const r = await runCli([], { cwd: dir, env });
        assert.equal(r.code, 0, r.stderr);
        const summaries = r.stdout.split("\n").filter((l) => /^\d+ applied, /.test(l));
        assert.equal(summaries.length, 1, `one summary:\n${r.stdout}`);
        assert.match(lastLine(r.stdout), /^3 applied, 0 skipped, 0 failed/);
        assert.match(lineWith(r.stdout, "V1__aiml.sql"), /^aiml-postgres\b/);

        assert.ok(await tableExists(mainUrl, "main_u"));
        assert.equal(await tableExists(mainUrl, "aiml_t"), false);
        assert.ok(await tableExists(aimlUrl, "aiml_t"));
        assert.equal(await tableExists(aimlUrl, "main_t"), false);
        assert.deepEqual((await trackingRows(aimlUrl)).map((x) => x.script), ["V1__aiml.sql"]);
        assert.equal((await trackingRows(mainUrl)).length, 2);
      });
    });
  });
});

Deno.test("--database=aiml-postgres limits the run to that database", async () => {
  await withPgDatabase(async (mainUrl) => {
    await withPgDatabase(async (aimlUrl) => {
      const files = {
        "migrations/postgres/V1__main.sql": "CREATE TABLE IF NOT EXISTS main_t (id int);\n",
        "migrations/aiml-postgres/V1__aiml.sql": "CREATE TABLE IF NOT EXISTS aiml_t (id int);\n",
      };
      await withProject(files, async (dir) => {
        const env = { POSTGRES_URL: mainUrl, AIML_POSTGRES_URL: aimlUrl };
        const r = await runCli(["--database=aiml-postgres"], { cwd: dir, env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(lastLine(r.stdout), /^1 applied, 0 skipped, 0 failed/);
        assert.equal(lineWith(r.stdout, "V1__main.sql"), "");
        assert.ok(await tableExists(aimlUrl, "aiml_t"));
        assert.equal(await hasTrackingTable(mainUrl), false, "postgres is not touched");
        assert.equal(await tableExists(mainUrl, "main_t"), false);
      });
    });
  });
});

Deno.test("POSTGRES_URL_FILE is read, with its trailing newline trimmed", async () => {
  await withPgDatabase(async (url) => {
    await withProject(BASIC, async (dir) => {
      const secret = `${dir}/postgres-url`;
      await Deno.writeTextFile(secret, url + "\n");
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL_FILE: secret } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(lastLine(r.stdout), /^3 applied, 0 skipped, 0 failed/);
      assert.equal((await trackingRows(url)).length, 3);
    });
  });
});

Deno.test("DATABASE_URL serves the postgres database when POSTGRES_URL is unset", async () => {
  await withPgDatabase(async (url) => {
    await withProject(BASIC, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { DATABASE_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      assert.match(lastLine(r.stdout), /^3 applied, 0 skipped, 0 failed/);
      assert.ok(await tableExists(url, "gadgets"));
    });
  });
});

Deno.test("--json prints exactly one JSON document on stdout with the summary counts", async () => {
  await withPgDatabase(async (url) => {
    await withProject(BASIC, async (dir) => {
      const env = { POSTGRES_URL: url };
      const r = await runCli(["--json"], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.summary.applied, 3);
      assert.equal(doc.summary.skipped, 0);
      assert.equal(doc.summary.failed, 0);
      assert.equal((await trackingRows(url)).length, 3);

      const again = await runCli(["--json"], { cwd: dir, env });
      assert.equal(again.code, 0, again.stderr);
      const doc2 = JSON.parse(again.stdout);
      assert.deepEqual(
        [doc2.summary.applied, doc2.summary.skipped, doc2.summary.failed],
        [0, 3, 0],
      );

      const status = await runCli(["--status", "--json"], { cwd: dir, env });
      assert.equal(status.code, 0, status.stderr);
      const doc3 = JSON.parse(status.stdout);
      assert.match(JSON.stringify(doc3), /V5__gadgets\.sql/, "--status --json lists the files");
    });
  });
});

Deno.test("--json on a failed migration still prints one JSON document and exits 1", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      ...BASIC,
      "migrations/postgres/V6__broken.sql": "CREATE TABLE broken (id int;\n",
    };
    await withProject(files, async (dir) => {
      const r = await runCli(["--json"], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 1, r.stderr);
      const doc = JSON.parse(r.stdout);
      assert.equal(doc.summary.applied, 3);
      assert.equal(doc.summary.failed, 1);
      assert.match(JSON.stringify(doc), /V6__broken\.sql/);
      assert.equal(await tableExists(url, "broken"), false);
      assert.equal((await trackingRows(url)).length, 3);
    });
  });
});
