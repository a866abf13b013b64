// The PostgreSQL driver against the real server of PG_TEST_URL: the conformance suite, then what
// only a server has.
import assert from "node:assert/strict";
import { POSTGRES } from "./_dialects.ts";
import { conformance, onServer, openDriver, type TestDatabase } from "./conformance.ts";
import { pgQuery, withPgDatabase } from "../helpers.ts";

/** A fresh PostgreSQL database and project folder, as a run of database `app` sees them. */
function withDatabase<T>(fn: (db: TestDatabase) => Promise<T>): Promise<T> {
  return withPgDatabase((url) => onServer("postgres", url, (sql) => pgQuery(url, sql), fn));
}

conformance({ name: "PostgreSQL", ...POSTGRES, withDatabase });

Deno.test("PostgreSQL: a missing database is a permanent connection error, a closed port is not", async () => {
  await withDatabase(async (db) => {
    const missing = new URL(db.target.url!);
    missing.pathname = "/dbm_no_such_database";
    const err = await openDriver({ ...db, target: { ...db.target, url: String(missing) } })
      .then(() => null, (e) => e);
    assert.equal(err?.code, "3D000");
    const d = await openDriver(db);
    try {
      assert.equal(d.isPermanent(err), true);
      assert.equal(
        d.isPermanent(Object.assign(new Error("refused"), { code: "ECONNREFUSED" })),
        false,
      );
    } finally {
      await d.close();
    }
  });
});

Deno.test("PostgreSQL: queryRows() reads every value as text, and a query that writes fails without writing", async () => {
  await withDatabase(async (db) => {
    await pgQuery(db.target.url!, "CREATE TABLE tenants (id int, name text)");
    await pgQuery(db.target.url!, "INSERT INTO tenants VALUES (1, 'acme'), (2, NULL)");
    const d = await openDriver(db);
    try {
      assert.deepEqual(await d.queryRows!("SELECT id, name FROM tenants ORDER BY id"), {
        columns: ["id", "name"],
        rows: [{ id: "1", name: "acme" }, { id: "2", name: null }],
      });
      const err = await d.queryRows!(
        "WITH gone AS (DELETE FROM tenants RETURNING id) SELECT id FROM gone",
      ).then(() => null, (e) => e);
      assert.equal(err?.code, "25006"); // read_only_sql_transaction
    } finally {
      await d.close();
    }
    const [n] = await pgQuery(db.target.url!, "SELECT count(*)::int AS n FROM tenants");
    assert.equal(n?.n, 2);
  });
});
