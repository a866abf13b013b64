// The per-test database helpers against the real servers: each test database exists inside fn and
// is gone afterwards, whatever fn did.
import assert from "node:assert/strict";
import postgres from "postgres";
import {
  chQuery,
  clickhouseUrl,
  pgAdminUrl,
  pgQuery,
  withClickHouseDatabase,
  withPgDatabase,
} from "./helpers.ts";

async function pgDatabaseExists(name: string): Promise<boolean> {
  const rows = await pgQuery(pgAdminUrl(), "SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  return rows.length === 1;
}

Deno.test("withPgDatabase creates a usable database and drops it afterwards", async () => {
  let seen = "";
  const result = await withPgDatabase(async (url, name) => {
    seen = name;
    assert.match(name, /^dbm_t_[0-9a-f]{12}$/);
    assert.ok(await pgDatabaseExists(name));
    const [row] = await pgQuery(url, "SELECT current_database() AS db");
    assert.equal(row?.db, name);
    await pgQuery(url, "CREATE TABLE t (id int PRIMARY KEY)");
    await pgQuery(url, "INSERT INTO t VALUES ($1), ($2)", [1, 2]);
    const [count] = await pgQuery(url, "SELECT count(*)::int AS n FROM t");
    return count?.n;
  });
  assert.equal(result, 2);
  assert.equal(await pgDatabaseExists(seen), false);
});

Deno.test("withPgDatabase drops the database when fn throws with a connection still open", async () => {
  let seen = "";
  // The connection outlives fn, as a leaky CLI's would: DROP ... WITH (FORCE) must still succeed.
  let leaked: postgres.Sql | undefined;
  try {
    await assert.rejects(
      withPgDatabase(async (url, name) => {
        seen = name;
        leaked = postgres(url, { max: 1, onnotice: () => {} });
        await leaked`SELECT 1`;
        throw new Error("boom");
      }),
      /boom/,
    );
    assert.notEqual(seen, "");
    assert.equal(await pgDatabaseExists(seen), false);
  } finally {
    await leaked?.end({ timeout: 1 }).catch(() => {});
  }
});

Deno.test("withClickHouseDatabase creates a usable database and drops it afterwards", async () => {
  const exists = async (name: string) =>
    (await chQuery(clickhouseUrl(), `SELECT count() FROM system.databases WHERE name = '${name}'`))
      .trim() === "1";
  let seen = "";
  await withClickHouseDatabase(async (url, name) => {
    seen = name;
    assert.match(name, /^dbm_t_[0-9a-f]{12}$/);
    assert.equal(new URL(url).pathname, "/" + name);
    assert.ok(await exists(name));
    assert.equal((await chQuery(url, "SELECT currentDatabase()")).trim(), name);
    await chQuery(url, "CREATE TABLE t (id UInt64) ENGINE = MergeTree ORDER BY id");
    await chQuery(url, "INSERT INTO t VALUES (1), (2)");
    assert.equal((await chQuery(url, "SELECT count() FROM t")).trim(), "2");
    await assert.rejects(chQuery(url, "SELECT * FROM no_such_table"), /no_such_table/);
  });
  assert.equal(await exists(seen), false);
});
