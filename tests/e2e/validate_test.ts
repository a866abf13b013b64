// `db-migrate validate`: every offline problem of every file listed at once (file, line, column),
// with no server; --online adds drift and pending, changing nothing. `db-migrate list`: the files.
import assert from "node:assert/strict";
import { ROOT, runCli, withPgDatabase } from "../helpers.ts";
import { hasTrackingTable, withProject } from "./_util.ts";

const BAD = {
  "migrations/app/V001__a.sql": "CREATE TABLE IF NOT EXISTS a (id int);\n",
  "migrations/app/V001__b.sql": "CREATE TABLE IF NOT EXISTS b (id int);\n",
  "migrations/app/3_bad.sql": "SELECT 1;\n",
  "migrations/app/U009__gone.sql": "SELECT 1;\n",
  "migrations/app/V002__str.sql": "SELECT 1;\nSELECT 'never closed;\n",
  "migrations/app/V003__dir.sql": "-- db-migrate: no-transactionz\nSELECT 1;\n",
  "migrations/app/V004__tx.sql": "BEGIN;\nVACUUM;\nCOMMIT;\n",
  "migrations/app/V005__ok.sql": "SELECT 1;\n",
  "migrations/app/U005__ok.sql": "SELECT 'open;\n",
  "seeds/app/reference/010_u.yaml": "users:\n  - {a: !nope 1}\n",
  "seeds/app/full/020_bad.yaml": "orgs: [\n",
  "migrations/events-clickhouse/V1__ok.sql": "SELECT 1;\n",
  "migrations/events-clickhouse/V2__empty.sql": "-- only comments\n",
};

Deno.test("validate lists every problem of every file with file, line and column, and exits 2", async () => {
  await withProject(BAD, async (dir) => {
    const out = await runCli(["validate"], { cwd: dir });
    assert.equal(out.code, 2, out.stderr);
    const m = "./migrations/app", s = "./seeds/app";
    const expected = [
      // The URLs first: a run with the same flags would need them.
      /^app: MISSING_URL: database "app" has no URL: set APP_URL/,
      /^events-clickhouse: MISSING_URL: /,
      new RegExp(`^${m}/3_bad\\.sql: BAD_FILE_NAME: `),
      new RegExp(`^${m}/V001__b\\.sql: DUPLICATE_VERSION: "V001__a\\.sql" and "V001__b\\.sql"`),
      new RegExp(`^${m}/U009__gone\\.sql: ORPHAN_UNDO: `),
      new RegExp(`^${m}/V002__str\\.sql:2:8: BAD_SQL_TEXT: `),
      new RegExp(`^${m}/V003__dir\\.sql:1: BAD_DIRECTIVE: .*"no-transactionz"`),
      new RegExp(`^${m}/V004__tx\\.sql:2:1: TRANSACTION_CONTROL: .*VACUUM`),
      new RegExp(`^${m}/U005__ok\\.sql:1:8: BAD_SQL_TEXT: `),
      new RegExp(`^${s}/reference/010_u\\.yaml:2:9: INVALID_SEED: .*"!nope"`),
      new RegExp(`^${s}/full/020_bad\\.yaml:2:1: INVALID_SEED: .*invalid YAML`),
      /^\.\/migrations\/events-clickhouse\/V2__empty\.sql: EMPTY_FILE: /,
    ];
    const lines = out.stdout.split("\n").filter((l) => l !== "" && !l.startsWith("  hint:"));
    assert.equal(lines.length, expected.length + 1, out.stdout);
    for (const [i, re] of expected.entries()) assert.match(lines[i]!, re, `line ${i + 1}`);
    assert.match(lines.at(-1)!, /^validate: 12 problems in 9 files of 2 databases$/);
    assert.match(out.stderr, /^error: validate found 12 problems/);

    const json = await runCli(["validate", "--json"], { cwd: dir });
    assert.equal(json.code, 2);
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.mode, "validate");
    assert.equal(doc.error.code, "VALIDATION_FAILED");
    assert.equal(doc.problems.length, 12);
    assert.deepEqual(
      doc.problems.find((p: { code: string }) => p.code === "TRANSACTION_CONTROL"),
      {
        ...doc.problems.find((p: { code: string }) => p.code === "TRANSACTION_CONTROL"),
        database: "app",
        file: `${m}/V004__tx.sql`,
        line: 2,
        column: 1,
      },
    );
    // --embedded forgives the missing URLs, as it does for a run; the files stay wrong.
    const embedded = await runCli(["validate", "--embedded", "--json"], { cwd: dir });
    assert.equal(JSON.parse(embedded.stdout).problems.length, 10);
  });
});

Deno.test("validate passes the project's examples offline, and a broken URL is a problem", async () => {
  const out = await runCli(["validate", "--embedded"], { cwd: ROOT });
  assert.equal(out.code, 0, out.stdout + out.stderr);
  assert.match(out.stdout, /^validate: \d+ files of 3 databases valid$/m);
  const bad = await runCli(["validate"], {
    cwd: ROOT,
    env: {
      POSTGRES_URL: "mysql://u:secret@localhost/x",
      AIML_POSTGRES_URL_FILE: "/nonexistent/secret",
      CLICKHOUSE_URL: "http://127.0.0.1:8123/analytics",
    },
  });
  assert.equal(bad.code, 2);
  assert.match(bad.stdout, /^aiml-postgres: MISSING_URL: cannot read AIML_POSTGRES_URL_FILE/m);
  assert.match(bad.stdout, /^postgres: BAD_URL: .*unknown scheme/m);
  assert.doesNotMatch(bad.stdout + bad.stderr, /secret@/);
  assert.match(bad.stdout, /^validate: 2 problems in \d+ files of 3 databases$/m);
});

Deno.test("validate --online reports pending files and drift (exit 3) and creates nothing", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/app/V1__a.sql": "CREATE TABLE IF NOT EXISTS a (id int);\n",
      "migrations/app/V2__b.sql": "CREATE TABLE IF NOT EXISTS b (id int);\n",
    };
    await withProject(files, async (dir) => {
      const env = { APP_URL: url };
      const fresh = await runCli(["validate", "--online"], { cwd: dir, env });
      assert.equal(fresh.code, 0, fresh.stderr);
      assert.match(fresh.stdout, /^app: 0 applied, 2 pending \(V1__a\.sql, V2__b\.sql\)$/m);
      assert.match(fresh.stdout, /^validate: 2 files of 1 database valid; no drift$/m);
      assert.equal(await hasTrackingTable(url), false, "validate --online created nothing");

      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      Deno.writeTextFileSync(`${dir}/migrations/app/V1__a.sql`, "CREATE TABLE a (id bigint);\n");
      const drift = await runCli(["validate", "--online", "--json"], { cwd: dir, env });
      assert.equal(drift.code, 3, drift.stderr);
      const doc = JSON.parse(drift.stdout);
      assert.equal(doc.error.code, "CHECKSUM_MISMATCH");
      assert.deepEqual(doc.error.items.map((i: { script: string }) => i.script), ["V1__a.sql"]);
      // Offline, the changed file is a valid file.
      assert.equal((await runCli(["validate"], { cwd: dir, env })).code, 0);
    });
  });
});

Deno.test("list shows each database's files with version, checksum and undo file, offline", async () => {
  const files = {
    "migrations/app/V001__a.sql": "SELECT 1;\n",
    "migrations/app/U001__a.sql": "SELECT 2;\n",
    "migrations/app/V002__b.sql": "SELECT 3;\n",
    "seeds/app/reference/010_x.sql": "SELECT 4;\n",
    "seeds/app/sample/010_y.sql": "SELECT 5;\n",
  };
  await withProject(files, async (dir) => {
    const out = await runCli(["list"], { cwd: dir });
    assert.equal(out.code, 0, out.stderr);
    const lines = out.stdout.trim().split("\n").map((l) => l.replace(/[0-9a-f]{12}/, "<sum>"));
    assert.deepEqual(lines, [
      "app (postgres, ./migrations/app)",
      "  version  file                 checksum      undo",
      "  1        V001__a.sql          <sum>  U001__a.sql",
      "  2        V002__b.sql          <sum>  -",
      "  seed     reference/010_x.sql  <sum>",
      "",
      "2 migrations (1 with an undo file), 1 seeds (reference) in 1 database",
    ]);
    const json = await runCli(["list", "--json", "--seed=sample"], { cwd: dir });
    const doc = JSON.parse(json.stdout);
    assert.equal(doc.list[0].name, "app");
    assert.deepEqual(
      doc.list[0].files.map((f: { script: string; undo: string | null }) => [f.script, f.undo]),
      [
        ["V001__a.sql", "U001__a.sql"],
        ["V002__b.sql", null],
        ["reference/010_x.sql", null],
        ["sample/010_y.sql", null],
      ],
    );
    assert.match(doc.list[0].files[0].checksum, /^[0-9a-f]{64}$/);
  });
});
