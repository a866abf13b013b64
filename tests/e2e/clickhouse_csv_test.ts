// CSV seeds on ClickHouse end to end: the CLI as a process against a fresh database on the test
// server. `INSERT ... FORMAT CSVWithNames` into a ReplacingMergeTree, re-runs that skip, changed
// files that replace their rows, the seed rule (exit 2 before writing), bad values (exit 1 with the
// line) and YAML seeds, which ClickHouse cannot take (exit 2 before anything runs).
import assert from "node:assert/strict";
import {
  chQuery,
  chRows,
  type CliResult,
  lastLine,
  runOn,
  seedProject,
  withClickHouseDatabase,
} from "../helpers.ts";
import { lineWith, summaryCounts, withProject } from "./_util.ts";

const ITEMS = `CREATE TABLE IF NOT EXISTS items (
    id      UInt32,
    code    String,
    name    String,
    note    Nullable(String),
    qty     Nullable(Int32),
    price   Decimal(10, 2),
    seen_on Nullable(Date),
    tags    Array(String),
    kind    Enum8('tool' = 1, 'part' = 2),
    score   Float64 DEFAULT 0.5,
    loaded  DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
ORDER BY id;
`;

const HEADER = "id,code,name,note,qty,price,seen_on,tags,kind\n";

/** Record n of the generated file: quotes, commas, NULLs, empty strings, arrays, enums. */
function record(n: number, opts: { qty?: string; kind?: string } = {}): string {
  return [
    n,
    `c-${n}`,
    `"Item ${n}, ""the ${n % 2 ? "odd" : "even"} one"""`,
    n % 5 === 0 ? "" : n % 5 === 1 ? '""' : `note ${n}`, // NULL, '', text
    opts.qty ?? (n % 7 === 0 ? "" : String(n % 100)),
    `${n}.25`,
    n % 3 === 0 ? "" : "2024-01-15",
    `"['a','b${n}']"`,
    opts.kind ?? (n % 2 ? "tool" : "part"),
  ].join(",") + "\n";
}

function csv(rows: number, override: (n: number) => string | null = () => null): string {
  const parts = [HEADER];
  for (let n = 1; n <= rows; n++) parts.push(override(n) ?? record(n));
  return parts.join("");
}

const CSV = "seeds/clickhouse/full/010_items.csv";

const project = (text: string, schema = ITEMS, extra: Record<string, string> = {}) =>
  seedProject("migrations/clickhouse/V1__items.sql", schema, CSV, text, extra);

const apply = (dir: string, url: string, args = ["--seed=full"]) => runOn(url, dir, args);

function output(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

async function value(url: string, sql: string): Promise<string> {
  return (await chQuery(url, sql)).trim();
}

/** The seed's tracking row, or null. */
async function seedRow(url: string) {
  const [row] = await chRows<{ success: number; error: string | null; deleted: number }>(
    url,
    "SELECT success, error, deleted FROM _schema_migrations FINAL WHERE script = 'full/010_items.csv'",
  );
  return row && row.deleted === 0 ? row : null;
}

Deno.test("clickhouse CSV: a seed loads with NULLs and quotes, a re-run skips it, a changed file replaces its rows without duplicates", async () => {
  await withClickHouseDatabase(async (url, db) => {
    await withProject(project(csv(1000)), async (dir) => {
      const dry = await apply(dir, url, ["--seed=full", "--dry-run"]);
      assert.equal(dry.code, 0, output(dry));
      assert.match(lineWith(dry.stdout, "010_items.csv"), /pending .*items 1000 rows \(CSV\)/);

      const first = await apply(dir, url);
      assert.equal(first.code, 0, output(first));
      assert.match(
        lineWith(first.stdout, "010_items.csv"),
        new RegExp(`applied .*1000 rows \\(CSV into ${db}\\.items\\)`),
      );
      assert.equal(await value(url, "SELECT count() FROM items"), "1000");

      // An unquoted empty field is NULL in a Nullable column; "" is the empty string.
      const [r5] = await chRows<Record<string, unknown>>(url, "SELECT * FROM items WHERE id = 5");
      assert.equal(r5!.note, null);
      assert.equal(r5!.name, 'Item 5, "the odd one"');
      const [r6] = await chRows<Record<string, unknown>>(url, "SELECT * FROM items WHERE id = 6");
      assert.equal(r6!.note, "", "a quoted empty field is the empty string");
      assert.equal(r6!.seen_on, null);
      assert.deepEqual(r6!.tags, ["a", "b6"]);
      assert.equal(r6!.kind, "part");
      assert.equal(r6!.price, 6.25);
      assert.equal(r6!.score, 0.5, "a column left out of the header gets its DEFAULT");
      const [r7] = await chRows<Record<string, unknown>>(url, "SELECT qty FROM items WHERE id = 7");
      assert.equal(r7!.qty, null);
      assert.equal(
        await value(
          url,
          "SELECT countIf(isNull(note)), countIf(note = ''), countIf(isNull(qty)) FROM items",
        ),
        "200\t200\t142",
      );

      const second = await apply(dir, url);
      assert.equal(second.code, 0, output(second));
      assert.match(lastLine(second.stdout), /^0 applied, 2 skipped, 0 failed/);

      // Change 100 rows (new qty) and re-apply: the rows are replaced, not added.
      const changed = csv(1000, (n) => n % 10 === 0 ? record(n, { qty: "999" }) : null);
      await Deno.writeTextFile(`${dir}/${CSV}`, changed);
      const third = await apply(dir, url);
      assert.equal(third.code, 0, output(third));
      assert.match(lineWith(third.stdout, "010_items.csv"), /applied .*changed, applied again/);
      assert.deepEqual(summaryCounts(lastLine(third.stdout)), {
        applied: 1,
        skipped: 1,
        failed: 0,
      });
      assert.equal(await value(url, "SELECT count() FROM items FINAL"), "1000");
      assert.equal(
        await value(url, "SELECT count() FROM items"),
        "1000",
        "OPTIMIZE TABLE ... FINAL merged the replaced rows at once",
      );
      assert.equal(await value(url, "SELECT count() FROM items WHERE qty = 999"), "100");
      assert.equal(await value(url, "SELECT uniqExact(id) FROM items"), "1000");
      assert.equal((await seedRow(url))?.success, 1);
    });
  });
});

Deno.test("clickhouse CSV: a MergeTree target is refused with exit 2 and nothing is written", async () => {
  const schema = ITEMS.replace("ReplacingMergeTree", "MergeTree");
  await withClickHouseDatabase(async (url, db) => {
    await withProject(project(csv(10), schema), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 2, output(r));
      assert.match(r.stderr, new RegExp(`loads into ${db}\\.items \\(MergeTree\\)`));
      assert.match(r.stderr, /no upsert/);
      assert.match(r.stderr, /ReplacingMergeTree/);
      assert.match(r.stderr + r.stdout, /INVALID_SEED/);
      assert.equal(await value(url, "SELECT count() FROM items"), "0");
      assert.equal(await seedRow(url), null, "the seed is not recorded");
    });
  });
});

Deno.test("clickhouse CSV: an unknown column or table is exit 2 with the header's position, before anything is written", async () => {
  await withClickHouseDatabase(async (url) => {
    const bad = csv(3).replace("tags,kind", "tags,knd");
    await withProject(project(bad), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 2, output(r));
      const col = HEADER.indexOf("tags,kind") + "tags,".length + 1;
      assert.match(
        r.stderr,
        new RegExp(`010_items\\.csv:1:${col}" of "clickhouse": unknown column "knd"`),
      );
      assert.equal(await value(url, "SELECT count() FROM items"), "0");
    });
    await withProject(
      {
        "migrations/clickhouse/V1__items.sql": ITEMS,
        "seeds/clickhouse/full/010_itemz.csv": csv(3),
      },
      async (dir) => {
        const r = await apply(dir, url);
        assert.equal(r.code, 2, output(r));
        assert.match(r.stderr, /010_itemz\.csv:1:1" of "clickhouse": unknown table .*itemz/);
      },
    );
  });
});

Deno.test("clickhouse CSV: an empty field in a Date column that is not Nullable is exit 2 with its line and column", async () => {
  const schema = ITEMS.replace("seen_on Nullable(Date)", "seen_on Date");
  await withClickHouseDatabase(async (url) => {
    await withProject(project(csv(5)), async (dir) => {
      await Deno.writeTextFile(`${dir}/migrations/clickhouse/V1__items.sql`, schema);
      const r = await apply(dir, url);
      assert.equal(r.code, 2, output(r));
      // Record 3 (line 4) has an empty seen_on, the 7th field.
      const col = record(3).indexOf(`,"['a'`) + 1;
      assert.match(
        r.stderr,
        new RegExp(`010_items\\.csv:4:${col}" .*empty field in column "seen_on"`),
      );
      assert.match(r.stderr, /Nullable\(Date\)/);
      assert.equal(await value(url, "SELECT count() FROM items"), "0");
    });
  });
});

Deno.test("clickhouse CSV: a value the server rejects is exit 1 naming its line and field; the fixed file applies", async () => {
  await withClickHouseDatabase(async (url) => {
    // A quoted field over two lines and a blank line before the bad record: the server's row
    // number is not the file's line number.
    const text = HEADER + record(1).replace("Item 1,", "Item 1,\nsecond line,") + "\n" +
      csv(60, (n) => n === 1 ? "" : n === 57 ? record(57, { qty: "lots" }) : null).slice(
        HEADER.length,
      );
    await withProject(project(text), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 1, output(r));
      // Record 57 is on line 57 + 1 (header) + 1 (the two-line field) + 1 (blank line) = 60.
      const bad = record(57, { qty: "lots" });
      const col = bad.indexOf(",lots,") + 2;
      assert.match(r.stderr, new RegExp(`cannot apply "full/010_items\\.csv:60:${col}"`));
      assert.match(r.stderr, /at row 57/);
      assert.match(r.stderr + r.stdout, /APPLY_FAILED/);
      assert.ok(!r.stderr.includes("c-58"), `the message quotes no later record:\n${r.stderr}`);
      assert.equal((await seedRow(url))?.success, 0);

      // An unknown Enum value comes without a row number: the field is found by its value.
      await Deno.writeTextFile(
        `${dir}/${CSV}`,
        csv(9, (n) => n === 8 ? record(8, { kind: "gadget" }) : null),
      );
      const e = await apply(dir, url);
      assert.equal(e.code, 1, output(e));
      const kindCol = record(8, { kind: "gadget" }).indexOf("gadget") + 1;
      assert.match(e.stderr, new RegExp(`010_items\\.csv:9:${kindCol}".*Unknown element 'gadget'`));

      await Deno.writeTextFile(`${dir}/${CSV}`, csv(60));
      const fixed = await apply(dir, url);
      assert.equal(fixed.code, 0, output(fixed));
      assert.match(lineWith(fixed.stdout, "010_items.csv"), /applied .*retried after a failure/);
      assert.equal(await value(url, "SELECT count() FROM items FINAL"), "60");
      assert.equal(await value(url, "SELECT count() FROM items"), "60");
      assert.equal((await seedRow(url))?.success, 1);
    });
  });
});

Deno.test("clickhouse CSV: a YAML seed on ClickHouse is exit 2 naming the file, before anything runs", async () => {
  await withClickHouseDatabase(async (url) => {
    const files = {
      "migrations/clickhouse/V1__items.sql": ITEMS,
      "seeds/clickhouse/reference/010_items.yaml": "items:\n  - { id: 1, code: a }\n",
    };
    await withProject(files, async (dir) => {
      for (const args of [["--dry-run"], []]) {
        const r = await apply(dir, url, args);
        assert.equal(r.code, 2, output(r));
        assert.match(
          r.stderr,
          /reference\/010_items\.yaml" of "clickhouse": YAML seeds are not supported on ClickHouse/,
        );
        assert.match(r.stderr, /\.sql seed .*\.csv/);
        assert.match(r.stderr + r.stdout, /INVALID_SEED/);
      }
      const tables = await value(
        url,
        "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'items'",
      );
      assert.equal(tables, "0", "the migration did not run");
    });
  });
});
