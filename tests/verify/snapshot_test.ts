// The schema snapshot on real databases: PostgreSQL 15 (PG_TEST_URL) and PGlite 0.5.16
// (PostgreSQL 18) in process. Two databases built by the same files must read the same; what a
// snapshot reads must not depend on the session's settings; the tracking table is left out.
import assert from "node:assert/strict";
import { makeProject, ROOT, withPgDatabase } from "../helpers.ts";
import { describeChanges, diffSnapshots } from "../../src/verify/diff.ts";
import {
  contentTables,
  type Query,
  type Snapshot,
  takeFingerprint,
  takeSnapshot,
  takeWriteMark,
} from "../../src/verify/snapshot.ts";
import { RICH } from "./_fixtures.ts";
import { applyAndSnapshot, projectFiles, serverQuery, startPglite } from "./_harness.ts";

/** Applies files to a fresh PostgreSQL 15 database and returns its snapshot. */
function onServer(files: ReturnType<typeof projectFiles>, database: string): Promise<Snapshot> {
  return withPgDatabase(async (url) => {
    const client = serverQuery(url);
    try {
      return await applyAndSnapshot({ url, ...client }, files, database, false);
    } finally {
      await client.close();
    }
  });
}

/** The example migrations of both PostgreSQL databases, and RICH (schema app) after them. */
async function withExamplesAndRich<T>(fn: (files: ReturnType<typeof projectFiles>) => Promise<T>) {
  const rich = await makeProject(RICH);
  try {
    return await fn([
      ...projectFiles(ROOT, "postgres"),
      ...projectFiles(rich.dir, "app"),
    ]);
  } finally {
    await rich.cleanup();
  }
}

Deno.test("the example migrations give equal snapshots on two PostgreSQL 15 databases", async () => {
  for (const database of ["postgres", "aiml-postgres"]) {
    const files = projectFiles(ROOT, database);
    const [a, b] = [await onServer(files, database), await onServer(files, database)];
    assert.deepEqual(describeChanges(diffSnapshots(a, b)), [], database);
    assert.deepEqual(a, b);
    // What the files create is there, and the tracking table is not.
    const keys = Object.keys(a.objects);
    assert.ok(keys.length > 100, `${database}: ${keys.length} objects`);
    assert.ok(!keys.some((k) => k.includes("_schema_migrations")), keys.join("\n"));
  }
  const pg = await onServer(projectFiles(ROOT, "postgres"), "postgres");
  assert.deepEqual(pg.objects["column public.users.email"]?.props, {
    position: "2",
    type: "public.citext",
    "not null": "yes",
  });
  assert.equal(
    pg.objects["index public.projects_live_organization_idx"]?.props.definition,
    "CREATE INDEX projects_live_organization_idx ON public.projects USING btree " +
      "(organization_id, name) WHERE (archived_at IS NULL)",
  );
  assert.equal(pg.objects["extension citext"]?.props.schema, "public");
  assert.equal(pg.objects["rows public.users"]?.props.rows, "0");
});

Deno.test("PostgreSQL 15 and PGlite (PostgreSQL 18) read the same snapshot, but for what their versions render differently", async () => {
  await withExamplesAndRich(async (files) => {
    const server = await onServer(files, "postgres");
    const lite = await startPglite(files.map((f) => f.text));
    let embedded: Snapshot;
    try {
      embedded = await applyAndSnapshot(lite, files, "postgres", true);
    } finally {
      await lite.close();
    }
    // Extension versions differ by build; PostgreSQL 16 stopped qualifying a view's columns
    // with their table when unambiguous; PostgreSQL 17 added the MAINTAIN privilege (m).
    assert.deepEqual(describeChanges(diffSnapshots(server, embedded)), [
      'extension "citext" version changed: 1.6 → 1.8',
      'extension "pgcrypto" version changed: 1.3 → 1.4',
      'materialized view "app.mood_counts" definition changed: at line 1: SELECT people.mood, ' +
      "→ SELECT mood,",
      'view "app.happy" definition changed: at line 1: SELECT people.id, → SELECT id,',
      'view "app.happy" privileges changed: =r/postgres, postgres=arwdDxt/postgres → ' +
      "=r/postgres, postgres=arwdDxtm/postgres",
    ]);
    const props = (key: string) => embedded.objects[key]?.props;
    assert.equal(props("enum app.mood")?.labels, "'sad', 'ok'");
    assert.equal(props("domain app.email")?.["not null"], "yes");
    assert.equal(props("type app.pair")?.attributes, "a integer, b text");
    assert.equal(props("range app.floatrange")?.subtype, "double precision");
    assert.equal(props("column app.people.id")?.identity, "always");
    assert.equal(
      props("column app.people.full_name")?.generated,
      "stored: ((first || ' '::text) || last)",
    );
    assert.equal(props("column app.people.first")?.collation, 'pg_catalog."C"');
    assert.equal(
      props("constraint app.people.people_during_excl")?.definition,
      "EXCLUDE USING gist (during WITH &&)",
    );
    assert.equal(props("table app.people")?.["row level security"], "enabled");
    assert.equal(props("policy app.people.people_self")?.using, "(mood <> 'sad'::app.mood)");
    assert.equal(props("table app.events")?.["partitioned by"], "RANGE (at)");
    assert.equal(
      props("table app.events_2024")?.["partition of"],
      "app.events FOR VALUES FROM ('2024-01-01 00:00:00+00') TO ('2025-01-01 00:00:00+00')",
    );
    assert.equal(props("table app.child")?.inherits, "app.base");
    assert.equal(props("table app.cache")?.unlogged, "yes");
    assert.equal(props("table app.cache")?.options, "fillfactor=70");
    assert.equal(
      props("sequence app.ticket_seq")?.sequence,
      "bigint start 100 increment 5 min 1 max 9223372036854775807 cache 1",
    );
    assert.equal(props("sequence app.people_id_seq")?.["owned by"], "app.people.id");
    assert.equal(
      props("aggregate app.total(integer)")?.definition,
      "returns integer sfunc app.add stype integer initcond 0",
    );
    assert.equal(
      props("function app.add(a integer, b integer)")?.privileges,
      "postgres=X/postgres",
    );
    assert.equal(props("materialized view app.mood_counts")?.populated, "no");
    assert.match(props("rule app.cache.cache_no_delete")?.definition ?? "", /DO INSTEAD NOTHING/);
    assert.match(
      props("statistics app.people_names")?.definition ?? "",
      /\(dependencies\) ON first, last/,
    );
    assert.equal(props("schema app")?.comment, "the application");
    assert.equal(props("rows app.cache")?.rows, "2");
    // The range type's constructors are the type's, not functions of their own.
    assert.ok(!Object.keys(embedded.objects).some((k) => k.startsWith("function app.floatrange")));
    // The same rows hash the same on both.
    assert.equal(props("rows app.cache")?.hash, server.objects["rows app.cache"]?.props.hash);
  });
});

Deno.test("a snapshot reads the same whatever search_path, time zone or styles the session has", async () => {
  await withPgDatabase(async (url) => {
    const { query, close } = serverQuery(url);
    try {
      await query("create schema s");
      await query("create table s.t (id int primary key, at timestamptz, d interval, b bytea)");
      await query("insert into s.t values (1, '2024-05-01 12:00+00', '1 day 2 hours', '\\x01')");
      await query("create view s.v as select id from s.t");
      const before = await takeSnapshot(query);
      await query("set search_path = s");
      await query("set timezone = 'Asia/Tokyo'");
      await query("set datestyle = 'SQL, DMY'");
      await query("set intervalstyle = 'iso_8601'");
      await query("set bytea_output = 'escape'");
      const after = await takeSnapshot(query);
      assert.deepEqual(diffSnapshots(before, after), []);
      assert.equal(after.objects["view s.v"]?.props.definition, " SELECT t.id\n   FROM s.t;");
      // The settings were the snapshot's own: the session keeps the ones it had.
      const [row] = await query("select current_setting('timezone') as tz");
      assert.equal(row?.tz, "Asia/Tokyo");
    } finally {
      await close();
    }
  });
});

/**
 * What the fingerprints promise: they stay while nothing is written, and move on any write. The
 * write mark only where no other session writes (the server's transaction IDs are shared by every
 * database on it, and other tests write there).
 */
async function checkFingerprints(query: Query, withMark: boolean) {
  await query("create table t (id int primary key, name text)");
  await query("insert into t values (1, 'a')");
  const tables = contentTables(Object.values((await takeSnapshot(query)).objects));
  assert.deepEqual(tables, ["public.t"]);
  const marks = async () => [
    withMark ? await takeWriteMark(query) : "",
    await takeFingerprint(query, tables),
  ];
  const start = await marks();
  await query("create table if not exists t (id int primary key, name text)");
  await query("insert into t values (1, 'a') on conflict do nothing");
  await query("update t set name = 'b' where false");
  await takeSnapshot(query);
  assert.deepEqual(await marks(), start, "nothing was written");
  // An identical rewrite moves both, though the snapshot stays the same.
  const snap = await takeSnapshot(query);
  await query("update t set name = 'a'");
  const rewritten = await marks();
  if (withMark) assert.notEqual(rewritten[0], start[0]);
  assert.notEqual(rewritten[1], start[1]);
  assert.deepEqual(diffSnapshots(snap, await takeSnapshot(query)), []);
  // A deleted row moves the table's fingerprint, a comment the catalog's.
  await query("delete from t");
  const deleted = await marks();
  assert.notEqual(deleted[1], rewritten[1]);
  await query("comment on table t is 'x'");
  assert.notEqual((await marks())[1], deleted[1]);
  // A table that is gone: the fingerprint cannot tell, and says so.
  await query("drop table t");
  assert.equal(await takeFingerprint(query, tables), null);
}

Deno.test("fingerprints move when the database is written and stay when it is only read", async (t) => {
  await t.step("on PostgreSQL 15 (row versions)", async () => {
    await withPgDatabase(async (url) => {
      const { query, close } = serverQuery(url);
      try {
        await checkFingerprints(query, false);
      } finally {
        await close();
      }
    });
  });
  await t.step("on PGlite (row versions and the write mark)", async () => {
    const lite = await startPglite();
    try {
      await checkFingerprints(lite.query, true);
    } finally {
      await lite.close();
    }
  });
});
