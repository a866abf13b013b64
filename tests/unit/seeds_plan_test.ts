import assert from "node:assert/strict";
import { ConfigError } from "../../src/core/errors.ts";
import {
  conflictKey,
  KeyCheck,
  planYamlSeed,
  refersToItself,
  RowPlanner,
  tablesNeeded,
} from "../../src/drivers/postgres/seed_plan.ts";
import type { ColumnInfo, TableInfo, ValueKind } from "../../src/seeds/types.ts";
import { parseYamlSeed } from "../../src/seeds/yaml.ts";

function col(name: string, sql = "text", kind: ValueKind = "text"): ColumnInfo {
  return { name, type: { sql, kind }, notNull: false, hasDefault: false, generated: false };
}

function table(name: string, columns: ColumnInfo[], pk: string[] | null, unique: string[][] = []) {
  const info: TableInfo = {
    requested: name,
    schema: "public",
    name,
    sql: `"public"."${name}"`,
    columns,
    primaryKey: pk,
    uniqueKeys: pk ? [pk, ...unique] : unique,
  };
  return [name, info] as const;
}

const CATALOG = new Map<string, TableInfo>([
  table("organizations", [col("id", "uuid", "uuid"), col("slug"), col("name")], ["id"], [["slug"]]),
  table(
    "users",
    [col("id", "uuid", "uuid"), col("email", "citext"), col("password_hash")],
    ["id"],
    [[
      "email",
    ]],
  ),
  table(
    "memberships",
    [
      col("id", "uuid", "uuid"),
      col("user_id", "uuid", "uuid"),
      col("organization_id", "uuid", "uuid"),
      col("role"),
      col("rank", "integer", "int4"),
    ],
    ["id"],
    [["organization_id", "user_id"]],
  ),
  table("nokey", [col("a")], null),
]);

const ctx = { path: "seeds/db/sample/010_x.yaml", database: "db" };
const plan = async (text: string) =>
  planYamlSeed(await parseYamlSeed({ ...ctx, text }), CATALOG, ctx);

async function planError(text: string): Promise<ConfigError> {
  try {
    await plan(text);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  throw new Error("expected an error");
}

Deno.test("planYamlSeed() uses the declared key, else the primary key, else a unique key every row gives", async () => {
  const [orgs, members, users] = await plan(`organizations:
  key: [slug]
  rows: [{ slug: acme, name: Acme }]
memberships:
  - { user_id: !ref users.email=a@b.c, organization_id: !ref organizations.slug=acme, role: owner }
users:
  - { id: 0b6a6f8e-8f5b-4c55-9a55-6d2f0f1b6a11, email: a@b.c }
`);
  assert.deepEqual(orgs!.key, ["slug"]);
  assert.deepEqual(members!.key, ["organization_id", "user_id"]);
  assert.deepEqual(users!.key, ["id"]);
  assert.deepEqual(members!.rows[0]!.columns.map((c) => c.name), [
    "user_id",
    "organization_id",
    "role",
  ]);
  assert.deepEqual(members!.rows[0]!.cells.map((c) => c.kind), ["ref", "ref", "value"]);
});

Deno.test("planYamlSeed() puts columns in table order, whatever order the row lists them in", async () => {
  const [t] = await plan("organizations:\n  - { name: Acme, slug: acme }\n");
  assert.deepEqual(t!.rows[0]!.columns.map((c) => c.name), ["slug", "name"]);
  assert.deepEqual(t!.rows[0]!.cells.map((c) => c.kind === "value" && c.text), ["acme", "Acme"]);
});

Deno.test("planYamlSeed() rejects an unknown table or column at its line and column", async () => {
  const t = await planError("users; drop table users:\n  - { a: 1 }\n");
  assert.match(t.message, /010_x\.yaml:1:1" of "db": unknown table "users; drop table users"/);
  const c = await planError('users:\n  - { email: a@b.c, "name\\"; drop": x }\n');
  assert.match(c.message, /:2:21".*unknown column "name"; drop" in table "users"/);
  assert.match(c.hint ?? "", /id, email, password_hash/);
});

Deno.test("planYamlSeed() rejects a type mismatch, naming the value's position", async () => {
  const err = await planError("memberships:\n  key: [id]\n  rows:\n    - { id: nope }\n");
  assert.match(err.message, /:4:13".*column "id" of "memberships": "nope" is not a UUID/);
  const rank = await planError(
    "memberships:\n  key: [id]\n  rows:\n    - { id: null, rank: [1] }\n",
  );
  assert.match(
    rank.message,
    /:4:25".*column "rank" of "memberships": a list does not fit type integer/,
  );
  const key = await planError("memberships:\n  key: [role]\n  rows:\n    - { role: x }\n");
  assert.match(
    key.message,
    /:2:8".*key \(role\) of "memberships" is not a primary key, unique constraint/,
  );
});

Deno.test("planYamlSeed() checks !ref tables and columns and !bcrypt columns", async () => {
  assert.match(
    (await planError(
      "memberships:\n  - { user_id: !ref people.email=x, organization_id: !ref organizations.slug=a }\n",
    )).message,
    /:2:\d+".*!ref people.email=x: unknown table "people"/,
  );
  assert.match(
    (await planError(
      "memberships:\n  - { user_id: !ref users.mail=x, organization_id: !ref organizations.slug=a }\n",
    )).message,
    /unknown column "mail" in table "users"/,
  );
  assert.match(
    (await planError("memberships:\n  - { id: !bcrypt pw }\n")).message,
    /!bcrypt needs a text column; "id" of "memberships" is uuid/,
  );
});

Deno.test("planYamlSeed() requires a key: declared, or the primary key or a unique key in every row", async () => {
  const none = await planError("nokey:\n  - { a: 1 }\n");
  assert.match(
    none.message,
    /:1:1".*table "nokey" has no key the rows all give: it has no primary key/,
  );
  const lacks = await planError("organizations:\n  key: [slug]\n  rows:\n    - { name: x }\n");
  assert.match(lacks.message, /:4:7".*row 1 of "organizations" lacks key column "slug"/);
  const nul = await planError("organizations:\n  key: [slug]\n  rows:\n    - { slug: null }\n");
  assert.match(nul.message, /key column "slug" is null/);
});

Deno.test("planYamlSeed() rejects two rows with the same key in one table", async () => {
  const err = await planError(
    "organizations:\n  key: [slug]\n  rows:\n    - { slug: a }\n    - { slug: b }\n    - { slug: a }\n",
  );
  assert.match(err.message, /:6:7".*rows 1 \(line 4\) and 3 of "organizations" have the same key/);
});

Deno.test("tablesNeeded() lists the seed's tables and the tables its !refs read", async () => {
  const seed = await parseYamlSeed({
    ...ctx,
    text:
      "memberships:\n  - { user_id: !ref users.email=x, organization_id: !ref audit.orgs.slug=a }\n",
  });
  assert.deepEqual(tablesNeeded(seed), ["memberships", "users", "audit.orgs"]);
});

Deno.test("RowPlanner and KeyCheck plan rows a batch at a time and still find a key seen batches ago", async () => {
  const seed = await parseYamlSeed({
    ...ctx,
    text: "organizations:\n  key: [slug]\n  rows:\n" +
      Array.from({ length: 30 }, (_, i) => `    - { slug: s${i % 25}, name: n }`).join("\n") + "\n",
  });
  const t = seed.tables[0]!;
  const fail = (pos: unknown, msg: string): never => {
    throw new Error(`${JSON.stringify(pos)} ${msg}`);
  };
  const info = CATALOG.get("organizations")!;
  const planner = new RowPlanner(t, info, CATALOG, fail);
  const check = new KeyCheck(t, conflictKey(t, info, fail), fail);
  const rows = t.rows!;
  for (const r of rows.slice(0, 25)) check.add(planner.plan(r));
  assert.throws(
    () => check.add(planner.plan(rows[25]!)),
    /"line":29.*rows 1 \(line 4\) and 26 of "organizations" have the same key/,
  );
});

Deno.test("conflictKey() takes the primary key only when every shape of row gives it", async () => {
  const fail = (_: unknown, msg: string): never => {
    throw new Error(msg);
  };
  const seed = await parseYamlSeed({
    ...ctx,
    text:
      "users:\n  - { id: 0b6a6f8e-8f5b-4c55-9a55-6d2f0f1b6a11, email: a@b.c }\n  - { email: d@e.f }\n",
  });
  assert.deepEqual(conflictKey(seed.tables[0]!, CATALOG.get("users")!, fail), ["email"]);
});

Deno.test("refersToItself() finds a row whose !ref reads its own table", async () => {
  const [t] = await plan(`users:
  key: [email]
  rows:
    - { email: a@x.y }
    - { email: c@x.y, password_hash: !ref users.email=a@x.y }
`);
  assert.deepEqual(t!.rows.map((r) => refersToItself(r, t!.info)), [false, true]);
});
