import assert from "node:assert/strict";
import {
  conflictSql,
  copyCsvSql,
  existingSql,
  mergeSql,
  parseCatalog,
  refLookupSql,
  regclassName,
  stageInsertSql,
  stagingSql,
  upsertSql,
  valueKind,
} from "../../src/drivers/postgres/seed_sql.ts";
import type { ColumnInfo, TableInfo } from "../../src/seeds/types.ts";

const col = (name: string, sql: string, kind: ColumnInfo["type"]["kind"] = "text"): ColumnInfo => ({
  name,
  type: { sql, kind },
  notNull: false,
  hasDefault: false,
  generated: false,
});

const USERS: TableInfo = {
  requested: "users",
  schema: "public",
  name: "users",
  sql: '"public"."users"',
  columns: [col("id", "uuid", "uuid"), col("email", "citext"), col("name", "text")],
  primaryKey: ["id"],
  uniqueKeys: [["id"], ["email"]],
};

Deno.test("regclassName() quotes each part, so a name is never SQL", () => {
  assert.equal(regclassName("users"), '"users"');
  assert.equal(regclassName("audit.events"), '"audit"."events"');
  assert.equal(regclassName('x"; drop table users; --'), '"x""; drop table users; --"');
  assert.equal(regclassName("a.b.c"), null);
});

Deno.test("upsertSql() binds every value as a text parameter cast to the column type", () => {
  const sql = upsertSql(USERS, USERS.columns.slice(1), ["email"], 2);
  assert.equal(
    sql,
    `insert into "public"."users" as t ("email", "name")
values ($1::text::citext, $2::text::text),
  ($3::text::citext, $4::text::text)
on conflict ("email") do update set "name" = excluded."name"
where (t."name"::text) is distinct from (excluded."name"::text)
returning (xmax = 0) as inserted`,
  );
});

Deno.test("conflictSql() does nothing when every column is in the key, or without a key", () => {
  assert.equal(conflictSql(["a", "b"], ["a", "b"]), 'on conflict ("a", "b") do nothing');
  assert.equal(conflictSql(["a"], null), "on conflict do nothing");
  assert.match(
    conflictSql(["k", "a", "b"], ["k"]),
    /set "a" = excluded."a", "b" = excluded."b"\nwhere \(t."a"::text, t."b"::text\) is distinct from/,
  );
});

Deno.test("refLookupSql() counts the matches of every value of every group in one query", () => {
  const sql = refLookupSql([
    { table: USERS, column: USERS.columns[1]!, pk: USERS.columns[0]! },
    { table: USERS, column: USERS.columns[2]!, pk: USERS.columns[0]! },
  ]);
  assert.match(sql, /jsonb_array_elements_text\(\$1::text::jsonb\)/);
  assert.match(sql, /left join "public"."users" as x on x."email" = v.val::citext/);
  assert.match(sql, /\nunion all\nselect 1 as g/);
  assert.match(sql, /\$2::text::jsonb/);
});

Deno.test("existingSql() joins the given key tuples to the stored rows", () => {
  assert.equal(
    existingSql(USERS, [USERS.columns[1]!], ["name"]),
    `select v.ord::int as i, x."name"::text as c0
from jsonb_array_elements($1::text::jsonb) with ordinality as v(k, ord)
join "public"."users" as x on x."email" = (v.k->>0)::citext`,
  );
});

Deno.test("stagingSql(), copyCsvSql() and mergeSql() stage typed rows in file order", () => {
  const cols = USERS.columns.slice(1);
  assert.equal(
    stagingSql(cols),
    "create temp table dbm_seed_stage (_n bigint generated always as identity, c1 citext, c2 text) on commit drop",
  );
  assert.equal(
    copyCsvSql(cols),
    "copy pg_temp.dbm_seed_stage (c1, c2) from stdin with (format csv, header true)",
  );
  assert.equal(
    copyCsvSql(cols, USERS),
    'copy "public"."users" ("email", "name") from stdin with (format csv, header true)',
  );
  const merge = mergeSql(USERS, cols, null);
  assert.match(merge, /select s.c1, s.c2 from pg_temp.dbm_seed_stage as s\n {2}order by s._n/);
  assert.match(merge, /on conflict do nothing/);
  assert.match(mergeSql(USERS, cols, ["email"], true), /where s._n >= \$1 and s._n < \$2/);
});

Deno.test("valueKind() maps base types and categories onto value kinds", () => {
  assert.equal(valueKind("int8", "N"), "int8");
  assert.equal(valueKind("jsonb", "U"), "json");
  assert.equal(valueKind("_text", "A"), "array");
  assert.equal(valueKind("citext", "S"), "text");
  assert.equal(valueKind("timestamptz", "D"), "other");
});

Deno.test("parseCatalog() keys tables by the requested name and skips names that are not tables", () => {
  const tables = parseCatalog(["users", "nope"], [
    {
      ord: 1,
      schema: "public",
      name: "users",
      columns: JSON.stringify([
        {
          name: "id",
          sql: "uuid",
          base: "uuid",
          category: "U",
          elemSql: null,
          elemBase: null,
          elemCategory: null,
          notNull: true,
          hasDefault: true,
          generated: false,
        },
        {
          name: "tags",
          sql: "text[]",
          base: "_text",
          category: "A",
          elemSql: "text",
          elemBase: "text",
          elemCategory: "S",
          notNull: false,
          hasDefault: false,
          generated: false,
        },
      ]),
      keys: [{ primary: true, columns: ["id"] }, { primary: false, columns: ["tags"] }],
    },
    { ord: 2, schema: null, name: null, columns: null, keys: null },
  ]);
  assert.deepEqual([...tables.keys()], ["users"]);
  const users = tables.get("users")!;
  assert.equal(users.sql, '"public"."users"');
  assert.deepEqual(users.primaryKey, ["id"]);
  assert.deepEqual(users.uniqueKeys, [["id"], ["tags"]]);
  assert.deepEqual(users.columns[1]!.type, {
    sql: "text[]",
    kind: "array",
    element: { sql: "text", kind: "text" },
  });
});

Deno.test("stageInsertSql() stages rows as text parameters where COPY is unavailable", () => {
  assert.equal(
    stageInsertSql(USERS.columns.slice(1), 2),
    `insert into pg_temp.dbm_seed_stage (c1, c2) values ($1::text::citext, $2::text::text),
  ($3::text::citext, $4::text::text)`,
  );
});
