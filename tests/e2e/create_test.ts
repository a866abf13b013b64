// `db-migrate create`: a new migration in the folder's numbering, written with no URL and no server,
// which the next run refuses until it holds a statement, then applies.
import assert from "node:assert/strict";
import { lastLine, runCli, withPgDatabase } from "../helpers.ts";
import { trackingRows, withProject } from "./_util.ts";

const FILES = {
  "migrations/app/V001__init.sql": "CREATE TABLE IF NOT EXISTS a (id int);\n",
  "migrations/app/V002__more.sql": "CREATE TABLE IF NOT EXISTS b (id int);\n",
  "migrations/clickhouse-events/V20240101120000__events.sql": "SELECT 1;\n",
};

/** The file names of a folder, sorted. */
function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("create writes the next version in the folder's padding, and its undo file, without any URL", async () => {
  await withProject(FILES, async (dir) => {
    const out = await runCli(["create", "--database=app", "add_orders", "--undo"], { cwd: dir });
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual(out.stdout.trim().split("\n"), [
      "./migrations/app/V003__add_orders.sql",
      "./migrations/app/U003__add_orders.sql",
      "created 2 files",
    ]);
    assert.deepEqual(names(`${dir}/migrations/app`), [
      "U003__add_orders.sql",
      "V001__init.sql",
      "V002__more.sql",
      "V003__add_orders.sql",
    ]);
    const text = Deno.readTextFileSync(`${dir}/migrations/app/V003__add_orders.sql`);
    assert.match(text, /idempotent/);
    assert.doesNotMatch(text, /no-transaction/);
    const undo = Deno.readTextFileSync(`${dir}/migrations/app/U003__add_orders.sql`);
    assert.match(undo, /undoes V003__add_orders\.sql/);
    // Offline: even a URL that would stop a run does not stop it.
    const badUrl = await runCli(["create", "--database=app", "next"], {
      cwd: dir,
      env: { APP_URL: "mysql://u:secret@db/x" },
    });
    assert.equal(badUrl.code, 0, badUrl.stderr);
    assert.match(badUrl.stdout, /^\.\/migrations\/app\/V004__next\.sql$/m);

    // A timestamped folder gets a timestamp; --json says what was written.
    const ts = await runCli(["create", "--database=clickhouse-events", "rollup", "--json"], {
      cwd: dir,
    });
    assert.equal(ts.code, 0, ts.stderr);
    const doc = JSON.parse(ts.stdout);
    assert.equal(doc.mode, "create");
    assert.equal(doc.created.database, "clickhouse-events");
    assert.match(String(doc.created.version), /^20\d{12}$/);
    assert.deepEqual(doc.created.files, [
      `./migrations/clickhouse-events/V${doc.created.version}__rollup.sql`,
    ]);
  });
});

Deno.test("a created migration is refused until it holds a statement, then applied as written", async () => {
  await withPgDatabase(async (url) => {
    await withProject(
      { "migrations/app/V1__init.sql": "CREATE TABLE a (id int);\n" },
      async (dir) => {
        const env = { APP_URL: url };
        const made = await runCli(
          ["create", "add_index", "--no-transaction"],
          { cwd: dir, env },
        );
        assert.equal(made.code, 0, made.stderr);
        const path = `${dir}/migrations/app/V2__add_index.sql`;
        assert.match(Deno.readTextFileSync(path), /^-- db-migrate: no-transaction\n/);
        const empty = await runCli([], { cwd: dir, env });
        assert.equal(empty.code, 2, empty.stdout);
        assert.match(empty.stderr, /EMPTY_FILE|holds nothing to apply/);
        assert.equal((await trackingRows(url).catch(() => [])).length, 0, "nothing applied");

        Deno.writeTextFileSync(
          path,
          Deno.readTextFileSync(path) + "CREATE INDEX IF NOT EXISTS a_id ON a (id);\n",
        );
        const run = await runCli(["--dry-run"], { cwd: dir, env });
        assert.match(run.stdout, /V2__add_index\.sql .*no transaction: directive at line 1/);
        const apply = await runCli([], { cwd: dir, env });
        assert.equal(apply.code, 0, apply.stderr);
        assert.match(lastLine(apply.stdout), /^2 applied, 0 skipped, 0 failed/);
      },
    );
  });
});

Deno.test("create refuses a bad name, a missing --database among several and a second name (exit 2, nothing written)", async () => {
  await withProject(FILES, async (dir) => {
    const before = names(`${dir}/migrations/app`);
    for (
      const [args, message] of [
        [
          ["create", "--database=app", "add orders!"],
          /cannot be a migration's name.*\n.*add_orders/,
        ],
        [["create", "--database=app", "x.sql"], /cannot be a migration's name/],
        [
          ["create", "add_orders"],
          /needs --database=NAME: there are 2 databases \(app, clickhouse-events\)/,
        ],
        [["create", "--database=app", "add", "orders"], /takes one name.*join the words/],
        [["create", "--database=app"], /create needs a name/],
        [["create", "--database=nope", "x"], /--database=nope names no database/],
        [
          ["create", "--database=clickhouse-events", "x", "--no-transaction"],
          /--no-transaction is for PostgreSQL/,
        ],
      ] as const
    ) {
      const out = await runCli([...args], { cwd: dir });
      assert.equal(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
      assert.match(out.stderr, message, args.join(" "));
    }
    assert.deepEqual(names(`${dir}/migrations/app`), before);
    const json = await runCli(["create", "--database=app", "a b", "--json"], { cwd: dir });
    assert.equal(JSON.parse(json.stdout).error.code, "INVALID_NAME");
  });
});
