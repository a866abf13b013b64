// Seed faults from issue 11, end to end (the CLI as a process, real servers): a CSV with CR LF line
// ends keeps the bytes of its quoted fields, on PostgreSQL and on ClickHouse; a YAML alias bomb is
// refused with exit 2 at its line and column instead of exhausting memory.
import assert from "node:assert/strict";
import { chQuery, pgQuery, runCli, withClickHouseDatabase, withPgDatabase } from "../helpers.ts";
import { lineWith, withProject } from "./_util.ts";

const NOTES = `CREATE TABLE IF NOT EXISTS notes (
  id integer PRIMARY KEY,
  body text,
  tag text
);
`;

/** The notes CSV with every line ended by `eol`; record 2's body holds a CR LF, record 3's an LF. */
function notesCsv(eol: string): string {
  return ["id,body,tag", "1,plain,a", '2,"x\r\ny",b', '3,"one\ntwo",c', '4,"",'].join(eol) + eol;
}

async function bodies(url: string): Promise<Record<number, unknown>> {
  const rows = await pgQuery(url, "SELECT id, body, tag FROM notes ORDER BY id");
  return Object.fromEntries(rows.map((r) => [Number(r.id), [r.body, r.tag]]));
}

const EXPECTED = {
  1: ["plain", "a"],
  2: ["x\r\ny", "b"],
  3: ["one\ntwo", "c"],
  4: ["", null],
};

for (const [name, eol] of [["CR LF", "\r\n"], ["LF", "\n"]] as const) {
  Deno.test(`a CSV seed with ${name} line ends stores quoted CR LF and LF as written (PostgreSQL)`, async () => {
    await withPgDatabase(async (url) => {
      const files = {
        "migrations/postgres/V1__notes.sql": NOTES,
        "seeds/postgres/full/010_notes.csv": notesCsv(eol),
      };
      await withProject(files, async (dir) => {
        const r = await runCli(["--seed=full"], { cwd: dir, env: { POSTGRES_URL: url } });
        assert.equal(r.code, 0, r.stderr);
        assert.match(lineWith(r.stdout, "010_notes.csv"), /4 rows: 4 inserted/);
        assert.deepEqual(await bodies(url), EXPECTED);
      });
    });
  });
}

Deno.test("a CSV seed with mixed line ends and blank lines loads into a table that has rows (merge)", async () => {
  await withPgDatabase(async (url) => {
    const text = "id,body,tag\r\n1,plain,a\n\r\n" + '2,"x\r\ny",b\r\n\n3,"one\ntwo",c\n4,"",\r\n';
    const files = {
      "migrations/postgres/V1__notes.sql": NOTES + "INSERT INTO notes VALUES (9, 'kept', 'z');\n",
      "seeds/postgres/full/010_notes.csv": text,
    };
    await withProject(files, async (dir) => {
      const r = await runCli(["--seed=full"], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await bodies(url), { ...EXPECTED, 9: ["kept", "z"] });
    });
  });
});

Deno.test("a CSV seed with CR LF line ends stores a quoted CR LF as written (ClickHouse)", async () => {
  await withClickHouseDatabase(async (url) => {
    const files = {
      "migrations/clickhouse/V1__notes.sql":
        "CREATE TABLE IF NOT EXISTS notes (id UInt32, body String, tag Nullable(String))\n" +
        "ENGINE = ReplacingMergeTree ORDER BY id;\n",
      "seeds/clickhouse/full/010_notes.csv": notesCsv("\r\n"),
    };
    await withProject(files, async (dir) => {
      const r = await runCli(["--seed=full"], { cwd: dir, env: { CLICKHOUSE_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      const out = await chQuery(
        url,
        "SELECT id, body, tag FROM notes FINAL ORDER BY id FORMAT JSONEachRow",
      );
      const rows = out.trim().split("\n").map((l) => JSON.parse(l));
      assert.deepEqual(rows, [
        { id: 1, body: "plain", tag: "a" },
        { id: 2, body: "x\r\ny", tag: "b" },
        { id: 3, body: "one\ntwo", tag: "c" },
        { id: 4, body: "", tag: null },
      ]);
    });
  });
});

/** A YAML seed whose aliases nest `levels` deep, ten references each: 10^levels values. */
function aliasBomb(levels: number): string {
  const lines = ["docs:", "  - id: 1", "    body:", "      l0: &l0 [x, x, x, x, x, x, x, x, x, x]"];
  for (let i = 1; i <= levels; i++) {
    lines.push(`      l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(", ")}]`);
  }
  return lines.join("\n") + "\n";
}

for (const levels of [7, 10]) {
  Deno.test(`a YAML alias bomb (${levels} levels of 10 references) is exit 2 at its line and column; nothing is written`, async () => {
    await withPgDatabase(async (url) => {
      const files = {
        "migrations/postgres/V1__docs.sql":
          "CREATE TABLE IF NOT EXISTS docs (id integer PRIMARY KEY, body jsonb);\n",
        "seeds/postgres/full/010_docs.yaml": aliasBomb(levels),
      };
      await withProject(files, async (dir) => {
        const r = await runCli(["--seed=full"], { cwd: dir, env: { POSTGRES_URL: url } });
        assert.equal(r.code, 2, `exit ${r.code}\n${r.stderr}`);
        assert.match(
          r.stderr,
          /seed "[^"]*010_docs\.yaml:\d+:\d+" of "postgres": aliases here and before stand for more than 100,000 values/,
        );
        // The file is parsed before anything is applied: not even the migration ran.
        const [row] = await pgQuery(url, "SELECT to_regclass('docs') IS NULL AS absent");
        assert.equal(row?.absent, true);
      });
    });
  });
}

Deno.test("a YAML seed may reuse an anchor in many rows", async () => {
  await withPgDatabase(async (url) => {
    const rows = Array.from({ length: 2000 }, (_, i) => `  - { id: ${i + 2}, body: *defaults }`);
    const files = {
      "migrations/postgres/V1__docs.sql":
        "CREATE TABLE IF NOT EXISTS docs (id integer PRIMARY KEY, body jsonb);\n",
      "seeds/postgres/full/010_docs.yaml":
        `docs:\n  - { id: 1, body: &defaults { plan: free, seats: [1, 2, 3] } }\n${
          rows.join("\n")
        }\n`,
    };
    await withProject(files, async (dir) => {
      const r = await runCli(["--seed=full"], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 0, r.stderr);
      const [row] = await pgQuery(
        url,
        `SELECT count(*)::int AS n FROM docs WHERE body = '{"plan": "free", "seats": [1, 2, 3]}'`,
      );
      assert.equal(row?.n, 2001);
    });
  });
});

Deno.test("--max-yaml-size bounds a YAML seed that is not plain rows; the flag wins over the env", async () => {
  await withPgDatabase(async (url) => {
    const rows = Array.from({ length: 500 }, (_, i) => `  - { id: ${i + 2}, body: *defaults }`);
    const files = {
      "migrations/postgres/V1__docs.sql":
        "CREATE TABLE IF NOT EXISTS docs (id integer PRIMARY KEY, body jsonb);\n",
      "seeds/postgres/full/010_docs.yaml": `docs:\n  - { id: 1, body: &defaults { plan: free } }\n${
        rows.join("\n")
      }\n`,
    };
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url, DB_MIGRATE_YAML_DOCUMENT_MB: "0.001" };
      const small = await runCli(["--seed=full"], { cwd: dir, env });
      assert.equal(small.code, 2, small.stderr);
      assert.match(small.stderr, /010_docs\.yaml:2:\d+.*over 0\.001 MB/);
      assert.match(small.stderr, /--max-yaml-size/);
      // Seeds are parsed before anything runs: not even the migration was applied.
      const [none] = await pgQuery(url, "SELECT to_regclass('docs') IS NULL AS absent");
      assert.equal(none?.absent, true);
      const big = await runCli(["--seed=full", "--max-yaml-size=1"], { cwd: dir, env });
      assert.equal(big.code, 0, big.stderr);
      const [all] = await pgQuery(url, "SELECT count(*)::int AS n FROM docs");
      assert.equal(all?.n, 501);
    });
  });
});
