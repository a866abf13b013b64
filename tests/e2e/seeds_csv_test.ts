// CSV seeds end to end: COPY into a staging table and merge, re-loads without duplicates, the
// sidecar's key, and errors that name the line (exit 2 before writing, exit 1 from the database).
import assert from "node:assert/strict";
import { lastLine, pgQuery, runCli, runOn, seedProject, withPgDatabase } from "../helpers.ts";
import { lineWith, trackingRows, withProject } from "./_util.ts";

const SCHEMA = `CREATE TABLE IF NOT EXISTS items (
  id bigint PRIMARY KEY,
  code text NOT NULL UNIQUE,
  name text NOT NULL,
  qty integer NOT NULL CHECK (qty >= 0),
  price numeric(10, 2),
  tags text[],
  attrs jsonb,
  seen_at timestamptz,
  active boolean NOT NULL DEFAULT true
);
`;

const HEADER = "id,code,name,qty,price,tags,attrs,seen_at,active\n";

/** Line n (1-based record number) of the generated file: quotes, commas, arrays, JSON, NULLs. */
function record(n: number, opts: { name?: string; qty?: number } = {}): string {
  const name = opts.name ?? `Item ${n}, "the ${n % 2 ? "odd" : "even"} one"`;
  return [
    n,
    `c-${n}`,
    `"${name.replaceAll('"', '""')}"`,
    opts.qty ?? n % 100,
    n % 10 === 0 ? "" : `${n}.25`,
    `"{a,b}"`,
    `"{""n"": ${n}}"`,
    "2024-01-15T09:00:00Z",
    n % 3 === 0 ? "false" : "true",
  ].join(",") + "\n";
}

function csv(rows: number, override: (n: number) => string | null = () => null): string {
  const parts = [HEADER];
  for (let n = 1; n <= rows; n++) parts.push(override(n) ?? record(n));
  return parts.join("");
}

const CSV = "seeds/postgres/full/010_items.csv";

const project = (text: string, extra: Record<string, string> = {}) =>
  seedProject("migrations/postgres/V1__items.sql", SCHEMA, CSV, text, extra);

const apply = (dir: string, url: string, args = ["--seed=full"]) => runOn(url, dir, args);

async function count(url: string): Promise<number> {
  const [r] = await pgQuery(
    url,
    "SELECT count(*)::int AS n, count(DISTINCT code)::int AS d FROM items",
  );
  assert.equal(r?.n, r?.d, "no duplicates");
  return Number(r?.n);
}

Deno.test("a CSV seed of 100,000 rows loads, and re-loads without duplicates", async () => {
  const text = csv(100_000);
  await withPgDatabase(async (url) => {
    await withProject(project(text), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 0, r.stderr);
      assert.match(lineWith(r.stdout, "010_items.csv"), /applied .*100000 rows: 100000 inserted/);
      assert.equal(await count(url), 100_000);
      const [row] = await pgQuery(
        url,
        "SELECT name, qty, price, tags, attrs, seen_at = '2024-01-15T09:00:00Z' AS ok, active FROM items WHERE id = 30",
      );
      assert.deepEqual(row, {
        name: 'Item 30, "the even one"',
        qty: 30,
        price: null,
        tags: ["a", "b"],
        attrs: { n: 30 },
        ok: true,
        active: false,
      });

      // A changed file is applied again: existing rows are left alone, none is added twice.
      await Deno.writeTextFile(`${dir}/${CSV}`, text + record(100_001));
      const again = await apply(dir, url);
      assert.equal(again.code, 0, again.stderr);
      assert.match(
        lineWith(again.stdout, "010_items.csv"),
        /100001 rows: 1 inserted, 0 updated, 100000 unchanged/,
      );
      assert.equal(await count(url), 100_001);
      const seeds = (await trackingRows(url)).filter((t) => t.kind === "seed");
      assert.deepEqual(seeds.map((s) => [s.script, s.success]), [["full/010_items.csv", true]]);
    });
  });
});

Deno.test("a sidecar key makes a changed CSV row update its row; unchanged rows keep their xmin", async () => {
  await withPgDatabase(async (url) => {
    await withProject(
      project(csv(50), { "seeds/postgres/full/010_items.yaml": "key: [code]\n" }),
      async (dir) => {
        assert.equal((await apply(dir, url)).code, 0);
        const before = await pgQuery(url, "SELECT id, xmin::text AS x FROM items ORDER BY id");
        await Deno.writeTextFile(
          `${dir}/${CSV}`,
          csv(50, (n) => (n === 7 ? record(7, { name: "Renamed" }) : null)),
        );
        const r = await apply(dir, url);
        assert.equal(r.code, 0, r.stderr);
        assert.match(lineWith(r.stdout, "010_items.csv"), /0 inserted, 1 updated, 49 unchanged/);
        const [row] = await pgQuery(url, "SELECT name FROM items WHERE id = 7");
        assert.equal(row?.name, "Renamed");
        const after = await pgQuery(url, "SELECT id, xmin::text AS x FROM items ORDER BY id");
        assert.deepEqual(
          after.filter((a) => String(a.id) !== "7"),
          before.filter((b) => String(b.id) !== "7"),
        );
      },
    );
  });
});

Deno.test("a malformed CSV line stops the run with exit 2, naming line and column, before anything is written", async () => {
  const cases: [string, RegExp][] = [
    [
      csv(10, (n) => (n === 4 ? "4,c-4,x,1\n" : null)),
      /010_items\.csv:5:10" of "postgres": bad CSV line: 4 fields, the header has 9/,
    ],
    [
      csv(10, (n) => (n === 6 ? '6,c-6,"open,1,,,,,\n' : null)),
      /010_items\.csv:7:7".*quoted field opened here/,
    ],
    [
      csv(10, (n) => (n === 8 ? record(8).replace(",8.25,", ",eight,") : null)),
      /010_items\.csv:9:\d+".*column "price": "eight" is not a number/,
    ],
    [
      HEADER.replace("qty", "quantity") + record(1),
      /010_items\.csv:1:\d+".*unknown column "quantity" in table "items"/,
    ],
  ];
  for (const [text, want] of cases) {
    await withPgDatabase(async (url) => {
      await withProject(project(text), async (dir) => {
        const r = await apply(dir, url);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, want);
        const [t] = await pgQuery(url, "SELECT to_regclass('items') IS NOT NULL AS present");
        if (t?.present) assert.equal(await count(url), 0);
      });
    });
  }
});

Deno.test("a value the database rejects fails with exit 1, naming its line and field; the load is rolled back", async () => {
  const text = csv(20_000, (n) => (n === 12_345 ? record(n, { qty: -5 }) : null));
  await withPgDatabase(async (url) => {
    await withProject(project(text), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /"full\/010_items\.csv:12346:1" to "postgres": new row for relation "items" violates check constraint "items_qty_check"/,
      );
      assert.equal(await count(url), 0);
      assert.deepEqual((await trackingRows(url)).filter((t) => t.kind === "seed"), []);
    });
  });
  const bad = csv(
    10,
    (n) => (n === 3 ? record(3).replace("2024-01-15T09:00:00Z", "2024-13-45") : null),
  );
  await withPgDatabase(async (url) => {
    await withProject(project(bad), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 1, r.stderr);
      const column = record(3).indexOf("2024") + 1;
      assert.match(r.stderr, new RegExp(`010_items\\.csv:4:${column}".*out of range`));
    });
  });
});

Deno.test("--dry-run shows the CSV's table and row count, and a second run skips it", async () => {
  await withPgDatabase(async (url) => {
    await withProject(project(csv(25)), async (dir) => {
      const dry = await apply(dir, url, ["--seed=full", "--dry-run"]);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(lineWith(dry.stdout, "010_items.csv"), /pending .*items 25 rows \(CSV\)/);
      assert.equal((await apply(dir, url)).code, 0);
      const again = await apply(dir, url);
      assert.match(lastLine(again.stdout), /^0 applied, 2 skipped, 0 failed/);
    });
  });
});

Deno.test("a CSV seed loads on the embedded PostgreSQL too (PGlite takes no COPY FROM STDIN)", async () => {
  await withProject(project(csv(3000)), async (dir) => {
    const run = () => runCli(["--embedded", "--seed=full"], { cwd: dir, env: {} });
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(lineWith(r.stdout, "010_items.csv"), /3000 rows: 3000 inserted/);
    await Deno.writeTextFile(`${dir}/${CSV}`, csv(3001));
    const again = await run();
    assert.equal(again.code, 0, again.stderr);
    assert.match(lineWith(again.stdout, "010_items.csv"), /1 inserted, 0 updated, 3000 unchanged/);
  });
});
