import assert from "node:assert/strict";
import {
  contentObjects,
  contentTables,
  parseCatalog,
  snapshotOf,
} from "../../src/verify/snapshot.ts";
import {
  catalogSql,
  contentFingerprintSql,
  contentSql,
  literal,
} from "../../src/verify/snapshot_sql.ts";

Deno.test("parseCatalog() keeps kinds and names and drops empty properties", () => {
  const json = JSON.stringify([
    { k: "table", n: "public.users", p: { owner: "postgres", comment: "" } },
    { k: "column", n: "public.users.id", p: { position: 1, type: "uuid", default: null } },
  ]);
  assert.deepEqual(parseCatalog(json), [
    { kind: "table", name: "public.users", props: { owner: "postgres" } },
    { kind: "column", name: "public.users.id", props: { position: "1", type: "uuid" } },
  ]);
});

Deno.test("parseCatalog() refuses a row of a kind it does not know", () => {
  assert.throws(
    () => parseCatalog(JSON.stringify([{ k: "gadget", n: "x", p: {} }])),
    /unexpected catalog snapshot row/,
  );
  assert.throws(() => parseCatalog("{}"), /not a JSON array/);
});

Deno.test("snapshotOf() keys objects by kind and name, sorted", () => {
  const s = snapshotOf([
    { kind: "table", name: "public.b", props: {} },
    { kind: "column", name: "public.b.x", props: {} },
    { kind: "table", name: "public.a", props: {} },
  ]);
  assert.deepEqual(Object.keys(s.objects), [
    "column public.b.x",
    "table public.a",
    "table public.b",
  ]);
});

Deno.test("contentTables() reads ordinary tables and partitions, not their partitioned parent", () => {
  const objects = parseCatalog(JSON.stringify([
    { k: "table", n: "app.events", p: { "partitioned by": "RANGE (at)" } },
    { k: "table", n: "app.events_2024", p: { "partition of": "app.events FOR VALUES ..." } },
    { k: "foreign table", n: "app.remote", p: {} },
    { k: "view", n: "app.v", p: {} },
    { k: "table", n: 'app."Odd"', p: {} },
  ]));
  assert.deepEqual(contentTables(objects), ["app.events_2024", 'app."Odd"']);
});

Deno.test("contentObjects() turns counts and hashes into rows objects", () => {
  assert.deepEqual(contentObjects([{ t: "public.users", n: "3", h: "42" }]), [
    { kind: "rows", name: "public.users", props: { rows: "3", hash: "42" } },
  ]);
});

Deno.test("catalogSql() leaves out the named tables, quoted as literals", () => {
  assert.match(catalogSql(["_schema_migrations"]), /relname = any\(array\[E'_schema_migrations'\]/);
  assert.match(catalogSql(["it's"]), /array\[E'it''s'\]/);
  assert.match(catalogSql([]), /any\(array\[\]::text\[\]\)/);
  assert.equal(literal("a\\b'c"), "E'a\\\\b''c'");
});

Deno.test("contentSql() reads each table on its own (ONLY) and returns nothing for no table", () => {
  assert.match(contentSql(["public.users"]), /from only public\.users r$/);
  assert.equal(contentSql(["a.b", "c.d"]).split("union all").length, 2);
  assert.match(contentSql([]), /limit 0/);
});

Deno.test("contentFingerprintSql() takes more than 100 tables (no 100-argument function)", () => {
  const tables = Array.from({ length: 250 }, (_, i) => `public.t_${i}`);
  const sql = contentFingerprintSql(tables);
  assert.doesNotMatch(sql, /concat_ws/);
  assert.equal(sql.split("union all").length, 250);
});
