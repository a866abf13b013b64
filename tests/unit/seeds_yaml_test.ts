import assert from "node:assert/strict";
import { ConfigError } from "../../src/core/errors.ts";
import {
  eachRowBatch,
  KEEP_ROWS_CHARS,
  parseRef,
  parseYamlSeed,
  splitTableName,
} from "../../src/seeds/yaml.ts";
import type { SeedRow, YamlSeed } from "../../src/seeds/types.ts";

/** The contract's example, as a user writes it. */
const CONTRACT_EXAMPLE = Deno.readTextFileSync(
  new URL("../fixtures/contract_example.yaml", import.meta.url),
);

const parse = (text: string, bcryptCost?: string) =>
  parseYamlSeed({ path: "seeds/db/reference/010_x.yaml", database: "db", text, bcryptCost });

/** The ConfigError a parse throws. */
async function parseError(text: string, bcryptCost?: string): Promise<ConfigError> {
  try {
    await parse(text, bcryptCost);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  throw new Error("expected an error");
}

Deno.test("parseYamlSeed() reads the contract's example: tables in order, keys, tags and positions", async () => {
  const seed = await parse(CONTRACT_EXAMPLE);
  assert.deepEqual(seed.tables.map((t) => t.name), ["organizations", "users", "memberships"]);
  const [orgs, users, members] = seed.tables;
  assert.deepEqual(orgs!.key?.columns, ["slug"]);
  assert.equal(members!.key, null, "a plain list has the default key");
  assert.deepEqual(orgs!.rows![0]!.cells.map((c) => [c.column, c.value.kind]), [
    ["slug", "string"],
    ["name", "string"],
    ["plan", "string"],
  ]);
  assert.deepEqual(orgs!.rows![0]!.pos, { line: 4, column: 7 });
  const hash = users!.rows![0]!.cells.find((c) => c.column === "password_hash")!.value;
  assert.equal(hash.kind, "bcrypt");
  assert.equal(hash.kind === "bcrypt" && hash.text, "change-me");
  assert.equal(hash.pos.line, 10);
  const ref = members!.rows![0]!.cells[0]!.value;
  assert.deepEqual(
    ref.kind === "ref" && [ref.table, ref.column, ref.value, ref.pos.line],
    ["users", "email", "admin@acme.test", 12],
  );
  assert.equal(seed.bcryptCost, 10, "BCRYPT_COST defaults to 10");
});

Deno.test("parseYamlSeed() keeps a number's source text and reads lists and maps", async () => {
  const seed = await parse(
    "t:\n  - { price: 1.10, big: 12345678901234567890, tags: [a, b], meta: { x: 1 }, none: null, ok: true }\n",
  );
  const cells = Object.fromEntries(seed.tables[0]!.rows![0]!.cells.map((c) => [c.column, c.value]));
  assert.deepEqual(cells.price?.kind === "number" && cells.price.text, "1.10");
  assert.deepEqual(cells.big?.kind === "number" && cells.big.text, "12345678901234567890");
  assert.equal(cells.tags?.kind, "list");
  assert.equal(cells.meta?.kind, "map");
  assert.equal(cells.none?.kind, "null");
  assert.equal(cells.ok?.kind, "bool");
});

Deno.test("parseYamlSeed() follows aliases and accepts an empty file", async () => {
  const seed = await parse("t:\n  - { a: &v hello }\n  - { a: *v }\n");
  const v = seed.tables[0]!.rows![1]!.cells[0]!.value;
  assert.equal(v.kind === "string" && v.value, "hello");
  assert.deepEqual((await parse("")).tables, []);
  assert.deepEqual((await parse("# nothing yet\n")).tables, []);
});

Deno.test("parseYamlSeed() reports a YAML syntax error with its line and column", async () => {
  const err = await parseError("users:\n  - email: x@y.z\n    name: [unclosed\n");
  assert.equal(err.code, "INVALID_SEED");
  assert.equal(err.exitCode, 2);
  assert.equal(err.position?.file, "seeds/db/reference/010_x.yaml");
  assert.equal(err.position?.line, 4);
  assert.match(err.message, /010_x\.yaml:4:\d+" of "db": invalid YAML/);
});

Deno.test("parseYamlSeed() rejects an unknown tag, naming it with line and column", async () => {
  const err = await parseError("users:\n  - email: x@y.z\n    name: !foo X\n");
  assert.match(err.message, /:3:11" of "db": unknown tag "!foo"/);
  const binary = await parseError("users:\n  - data: !!binary aGVsbG8=\n");
  assert.match(binary.message, /:2:\d+".*unknown tag "tag:yaml.org,2002:binary"/);
});

Deno.test("parseYamlSeed() rejects !bcrypt and !ref on a list or map, and nested in one", async () => {
  assert.match((await parseError("t:\n  - p: !bcrypt { a: 1 }\n")).message, /!bcrypt takes a text/);
  assert.match((await parseError("t:\n  - p: [!ref a.b=c]\n")).message, /!ref is not allowed here/);
});

Deno.test("parseYamlSeed() rejects a !bcrypt text over 72 bytes, which bcrypt would cut", async () => {
  await parse(`t:\n  - p: !bcrypt ${"x".repeat(72)}\n`);
  const err = await parseError(`t:\n  - p: !bcrypt ${"é".repeat(37)}\n`);
  assert.match(err.message, /:2:\d+".*74 bytes long/);
});

Deno.test("parseYamlSeed() reads BCRYPT_COST only when the file has a !bcrypt value", async () => {
  assert.equal((await parse("t:\n  - p: !bcrypt x\n", "12")).bcryptCost, 12);
  assert.equal((await parse("t:\n  - p: x\n", "nonsense")).bcryptCost, 10);
  assert.match((await parseError("t:\n  - p: !bcrypt x\n", "3")).message, /BCRYPT_COST is "3"/);
});

Deno.test("parseYamlSeed() rejects a malformed !ref, an unknown table field and a bad shape", async () => {
  assert.match(
    (await parseError("t:\n  - a: !ref users-email\n")).message,
    /:2:\d+".*!ref "users-email" is not TABLE.COLUMN=VALUE/,
  );
  assert.match(
    (await parseError("t:\n  keys: [a]\n  rows: []\n")).message,
    /:2:3".*unknown field "keys"/,
  );
  assert.match((await parseError("- a: 1\n")).message, /must map table names to rows/);
  assert.match((await parseError("t:\n  - just a text\n")).message, /:2:5".*row 1 of "t"/);
  assert.match((await parseError("t: 5\n")).message, /must be a list of rows/);
  assert.match((await parseError("a.b.c:\n  - x: 1\n")).message, /"a.b.c" is not a table name/);
});

Deno.test("parseYamlSeed() rejects a column given twice in one row (YAML unique keys)", async () => {
  const err = await parseError("t:\n  - { a: 1, a: 2 }\n");
  assert.match(err.message, /:2:\d+".*invalid YAML/);
});

Deno.test("parseRef() splits TABLE.COLUMN=VALUE, with schema-qualified tables and = in the value", () => {
  assert.deepEqual(parseRef("users.email=a@b"), { table: "users", column: "email", value: "a@b" });
  assert.deepEqual(parseRef("audit.events.action=x=y"), {
    table: "audit.events",
    column: "action",
    value: "x=y",
  });
  assert.equal(parseRef("users=a"), null);
  assert.equal(parseRef(".email=a"), null);
  assert.equal(parseRef("users.email"), null);
});

Deno.test("splitTableName() takes table or schema.table and nothing else", () => {
  assert.deepEqual(splitTableName("users"), { schema: null, table: "users" });
  assert.deepEqual(splitTableName("audit.events"), { schema: "audit", table: "events" });
  assert.equal(splitTableName("a.b.c"), null);
  assert.equal(splitTableName("a."), null);
});

/** The seed without what differs between the readers by design (where rows restart, the text). */
function comparable(seed: YamlSeed): unknown {
  return JSON.parse(JSON.stringify(
    { ...seed, text: undefined, tables: seed.tables.map((t) => ({ ...t, at: undefined })) },
    (_, v) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v),
  ));
}

const SAMPLES = [
  CONTRACT_EXAMPLE,
  "t:\n  - a: -5\n    b: 'it''s'\n    c: \"x\\ty\\u00e9\"\n    d: ~\n    e:\n    f: 0x1F\n    g: .inf\n" +
  "    h: 1e3\n    i: TRUE\n    j: http://x.y/z?a=b#c\n    k: a #comment\n    l: yes\n    m: 012\n    n: .NaN\n",
  "t:\n- a: 1\n- a: 2\nu:\n  key: a\n  rows:\n  - a: 3\n",
  "t:\n  - id: 1\n    tags:\n      - x\n      - y\n    meta:\n      nested: { q: [1, 2] }\n      k: v\n  - id: 2\n    tags: []\n",
  't: [{a: 1}, {a: 2, b: "x"}]\n',
  "t:\n  key: [a, b]\n  rows:\n    - {a: 1, b: 2}\n    - {a: 3,\n       b: 4}\n",
  "# c\n---\nt:\n  - {a: 1} # trailing\n\n  # mid\n  - {a: 2}\n",
  't:\n  - p: !bcrypt secret\n    r: !ref users.email=a@b\n  - { p: !bcrypt "x y", r: !ref u.c=1 }\n',
  "t:\n  - list:\n    - 1\n    - two\n    - {x: 3}\n    other: 5\n",
  "t:\n  - { a: , b: }\n  - {}\n  - m:\n      - a: 1\n        b: 2\n      - a: 3\n",
];

Deno.test("the fast reader reads what the document reader reads: values, positions, keys", async () => {
  for (const text of SAMPLES) {
    const src = { path: "seeds/db/reference/010_x.yaml", database: "db", text };
    const fast = await parseYamlSeed({ ...src, reader: "fast" });
    const doc = await parseYamlSeed({ ...src, reader: "document" });
    assert.deepEqual(comparable(fast), comparable(doc), text);
  }
});

Deno.test("YAML the fast reader does not follow is read by the document reader, and its mistakes worded by it", async () => {
  const seed = await parse("t:\n  - a: &x |\n      block\n  - a: *x\n");
  assert.deepEqual(
    seed.tables[0]!.rows!.map((r) =>
      r.cells[0]!.value.kind === "string" && r.cells[0]!.value.value
    ),
    ["block\n", "block\n"],
  );
  assert.match((await parseError("t:\n  - {a: 1, a: 2}\n")).message, /:2:\d+".*invalid YAML/);
});

Deno.test("a large YAML file keeps no rows: they are read again, a batch at a time, with their positions", async () => {
  const rows = Array.from({ length: 3000 }, (_, i) => `  - { id: ${i + 1}, name: "n ${i + 1}" }`);
  const text = `t:\n${rows.join("\n")}\n`;
  assert.ok(KEEP_ROWS_CHARS < 1 << 20, "files of 10,000 rows are read again too");
  const seed = await parseYamlSeed({
    path: "seeds/db/reference/010_x.yaml",
    database: "db",
    text,
    keepRowsChars: 1000,
  });
  const t = seed.tables[0]!;
  assert.equal(t.rows, null);
  assert.equal(t.count, 3000);
  assert.deepEqual(t.shapes, [["id", "name"]]);
  const got: SeedRow[] = [];
  const sizes: number[] = [];
  await eachRowBatch(seed, t, "db", 1000, (batch) => {
    sizes.push(batch.length);
    got.push(...batch);
    return Promise.resolve();
  });
  assert.deepEqual(sizes, [1000, 1000, 1000]);
  assert.deepEqual([got[2999]!.index, got[2999]!.pos], [3000, { line: 3001, column: 5 }]);
});

Deno.test("a large YAML file the fast reader cannot follow is refused, naming the limit and the setting", async () => {
  const text = "t:\n" + "  - { a: 1 }\n".repeat(20) + "  - a: |\n      x\n";
  assert.equal((await parse(text)).tables[0]!.count, 21, "small enough for the document reader");
  const big = await (async () => {
    try {
      await parseYamlSeed({ path: "x.yaml", database: "db", text, documentLimitMb: "0.0001" });
    } catch (e) {
      assert.ok(e instanceof ConfigError, String(e));
      return e;
    }
    throw new Error("expected an error");
  })();
  assert.match(big.message, /x\.yaml:22:\d+".*over 0\.0001 MB must be written as plain rows/);
  assert.match(big.hint ?? "", /DB_MIGRATE_YAML_DOCUMENT_MB/);
});
