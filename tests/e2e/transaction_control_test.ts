// Files that hold their own transaction control (BEGIN, COMMIT, SET TRANSACTION ...), run as a
// user runs the CLI against a real PostgreSQL, twice: no file is ever applied twice or left
// applied without its tracking row, and what cannot be made safe is refused before any change.
import assert from "node:assert/strict";
import { type CliResult, lastLine, pgQuery, runCli, withPgDatabase } from "../helpers.ts";
import {
  hasTrackingTable,
  sha256,
  summaryCounts,
  tableExists,
  trackingRows,
  withProject,
} from "./_util.ts";

/** Runs the CLI twice in a project with the given migrations of database "postgres". */
async function twice(
  url: string,
  files: Record<string, string>,
  check: (runs: [CliResult, CliResult], dir: string) => Promise<void>,
): Promise<void> {
  const project: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) project[`migrations/postgres/${name}`] = text;
  await withProject(project, async (dir) => {
    const env = { POSTGRES_URL: url };
    const first = await runCli(["--seed=none"], { cwd: dir, env });
    const second = await runCli(["--seed=none"], { cwd: dir, env });
    await check([first, second], dir);
  });
}

async function count(url: string, table: string): Promise<number> {
  const [row] = await pgQuery(url, `SELECT count(*)::int AS n FROM ${table}`);
  return Number(row?.n);
}

Deno.test("a file's own BEGIN ... COMMIT joins its transaction: one row after two runs, tracked once", async () => {
  await withPgDatabase(async (url) => {
    const text =
      "CREATE TABLE IF NOT EXISTS t (id int);\nBEGIN;\nINSERT INTO t VALUES (1);\nCOMMIT;\n";
    await twice(url, { "V1__own_tx.sql": text }, async ([first, second]) => {
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stderr, /warning: .*V1__own_tx\.sql.*BEGIN at line 2, COMMIT at line 4/);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(summaryCounts(lastLine(second.stdout)), {
        applied: 0,
        skipped: 1,
        failed: 0,
      });
      assert.equal(await count(url, "t"), 1, "the INSERT ran once");
      const rows = await trackingRows(url);
      assert.deepEqual(rows.map((r) => [r.script, r.success, r.checksum]), [
        ["V1__own_tx.sql", true, await sha256(text)],
      ]);
      // The stored text is the file as written, BEGIN and COMMIT included.
      const [row] = await pgQuery(url, "SELECT content FROM _schema_migrations");
      assert.equal(row?.content, text);
    });
  });
});

Deno.test("BEGIN; CREATE TABLE ...; COMMIT; applies on a fresh database and is skipped after", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "V1__create.sql": "BEGIN;\nCREATE TABLE t (id int);\nCOMMIT;\n",
      "V2__after.sql": "INSERT INTO t VALUES (2);\n",
    };
    await twice(url, files, async ([first, second]) => {
      assert.equal(first.code, 0, first.stderr);
      assert.equal(second.code, 0, second.stderr);
      assert.doesNotMatch(first.stdout + first.stderr, /already exists/);
      assert.equal(await count(url, "t"), 1);
      assert.deepEqual((await trackingRows(url)).map((r) => [r.script, r.success]), [
        ["V1__create.sql", true],
        ["V2__after.sql", true],
      ]);
    });
  });
});

Deno.test("SET TRANSACTION ISOLATION LEVEL and SET LOCAL at the top of a file take effect", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "V1__iso.sql": "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ;\n" +
        "SET LOCAL lock_timeout = '7s';\n" +
        "CREATE TABLE iso AS SELECT current_setting('transaction_isolation') AS level,\n" +
        "  current_setting('lock_timeout') AS lock_timeout;\n",
      "V2__serializable.sql": "BEGIN ISOLATION LEVEL SERIALIZABLE;\n" +
        "INSERT INTO iso SELECT current_setting('transaction_isolation'), 'x';\nCOMMIT;\n",
    };
    await twice(url, files, async ([first, second]) => {
      assert.equal(first.code, 0, first.stderr);
      assert.equal(second.code, 0, second.stderr);
      const rows = await pgQuery(url, "SELECT level, lock_timeout FROM iso ORDER BY level");
      assert.deepEqual(rows.map((r) => [r.level, r.lock_timeout]), [
        ["repeatable read", "7s"],
        ["serializable", "x"],
      ]);
      assert.deepEqual((await trackingRows(url)).map((r) => r.success), [true, true]);
    });
  });
});

Deno.test("a unique violation inside the file's own BEGIN ... COMMIT commits nothing, twice, and is located", async () => {
  await withPgDatabase(async (url) => {
    const text = "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY);\n" +
      "BEGIN;\n" +
      "INSERT INTO t VALUES (1);\n" +
      "INSERT INTO t\n  VALUES (1);\n" +
      "COMMIT;\n";
    await twice(url, { "V1__dup.sql": text }, async (runs) => {
      for (const r of runs) {
        assert.equal(r.code, 1, r.stderr);
        // No position from the server: the replay finds the statement, and shows it whole.
        assert.match(r.stderr, /V1__dup\.sql:4:1" to "postgres": duplicate key value/);
        assert.match(r.stderr, /statement: INSERT INTO t\n\s+VALUES \(1\)/);
      }
      assert.equal(await tableExists(url, "t"), false, "nothing of the file was committed");
      assert.deepEqual(await trackingRows(url), []);
    });
  });
});

Deno.test("a file that uses dblink is not replayed: its error is reported without a position", async () => {
  await withPgDatabase(async (url) => {
    // The replay would repeat what dblink did on another server, which no rollback here undoes.
    const text = "-- copies rows with dblink in the real file\n" +
      "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY);\nINSERT INTO t VALUES (1), (1);\n";
    await twice(url, { "V1__remote.sql": text }, async (runs) => {
      for (const r of runs) {
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /cannot apply "V1__remote\.sql" to "postgres": duplicate key value/);
        assert.match(r.stderr, /not located: the file uses dblink/);
      }
      assert.equal(await tableExists(url, "t"), false);
    });
  });
});

Deno.test("a refused ROLLBACK exits 2 naming file, line and column, before any change", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "V1__fine.sql": "CREATE TABLE fine (id int);\n",
      "V2__rolls_back.sql": "BEGIN;\nCREATE TABLE t (id int);\n  ROLLBACK;\n",
    };
    await twice(url, files, async (runs) => {
      for (const r of runs) {
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /V2__rolls_back\.sql.*ROLLBACK at line 3, column 3/);
        assert.match(lastLine(r.stdout), /exit 2 TRANSACTION_CONTROL/);
      }
      assert.equal(await hasTrackingTable(url), false, "no _schema_migrations table");
      assert.equal(await tableExists(url, "fine"), false, "not even the file before it ran");
    });
  });
});

Deno.test("a no-transaction file runs its own BEGIN ... COMMIT as written; a failure inside rolls it back and is recorded", async () => {
  await withPgDatabase(async (url) => {
    const broken = "-- db-migrate: no-transaction\n" +
      "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY);\n" +
      "BEGIN;\n" +
      "INSERT INTO t VALUES (1);\n" +
      "INSERT INTO t VALUES (1);\n" +
      "COMMIT;\n" +
      "CREATE INDEX CONCURRENTLY IF NOT EXISTS t_id ON t (id);\n";
    await twice(url, { "V1__nt.sql": broken }, async (runs) => {
      for (const r of runs) {
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, /V1__nt\.sql:5:1" to "postgres": duplicate key value/);
        assert.match(r.stderr, /own transaction from line 3 was rolled back/);
      }
      assert.equal(await count(url, "t"), 0, "the file's transaction was rolled back");
      const [row] = await pgQuery(
        url,
        "SELECT success, statements_done FROM _schema_migrations WHERE script = 'V1__nt.sql'",
      );
      assert.deepEqual([row?.success, row?.statements_done], [false, 1]);
    });
    const fixed = broken.replace(
      "INSERT INTO t VALUES (1);\nCOMMIT",
      "INSERT INTO t VALUES (2);\nCOMMIT",
    );
    await twice(url, { "V1__nt.sql": fixed }, async ([first, second]) => {
      assert.equal(first.code, 0, first.stderr);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(await count(url, "t"), 2);
      assert.deepEqual((await trackingRows(url)).map((r) => [r.script, r.success]), [
        ["V1__nt.sql", true],
      ]);
    });
  });
});

// A file over the size of one query goes in pieces; the stored text and error positions must still
// be exact, also with characters outside the BMP and a joined BEGIN/COMMIT in a later piece.
function largeFile(rows: number, tail: string): string {
  const parts = ["CREATE TABLE IF NOT EXISTS big (id int PRIMARY KEY, note text);\n"];
  for (let i = 0; i < rows; i++) {
    parts.push(`INSERT INTO big VALUES (${i}, 'é ${"x".repeat(480)} 😀 ${i}');\n`);
  }
  parts.push(tail);
  return parts.join("");
}

Deno.test("a file larger than one query applies in pieces with its exact text stored", async () => {
  await withPgDatabase(async (url) => {
    const text = largeFile(10_000, "BEGIN;\nINSERT INTO big VALUES (-1, 'joined');\nCOMMIT;\n");
    assert.ok(text.length > 4.5 * 1024 * 1024, "more than one piece");
    await twice(url, { "V1__large.sql": text }, async ([first, second]) => {
      assert.equal(first.code, 0, first.stderr);
      assert.equal(second.code, 0, second.stderr);
      assert.equal(await count(url, "big"), 10_001);
      const [row] = await pgQuery(
        url,
        "SELECT encode(sha256(convert_to(content, 'UTF8')), 'hex') AS sum, checksum FROM _schema_migrations",
      );
      assert.equal(row?.sum, await sha256(text));
      assert.equal(row?.checksum, row?.sum);
    });
  });
});

Deno.test("an error in a later piece of a large file names its line and column, and nothing stays", async () => {
  await withPgDatabase(async (url) => {
    const text = largeFile(10_000, "INSERT INTO big VALUES (1, 'é 😀', no_such_column);\n");
    const lastLine = text.split("\n").length - 1;
    await twice(url, { "V1__large.sql": text }, async (runs) => {
      for (const r of runs) {
        assert.equal(r.code, 1, r.stderr);
        // `no_such_column` starts at column 35 (code points: the emoji is one).
        assert.match(r.stderr, new RegExp(`V1__large\\.sql:${lastLine}:35"`));
        assert.match(r.stderr, /column "no_such_column" does not exist/);
      }
      assert.equal(await tableExists(url, "big"), false);
    });
  });
});
