// The pure parts of CSV seeds on ClickHouse: the table check (seed rule, columns, sorting key), the
// request body (NULLs as \N, padded strings quoted, blank lines dropped) and the mapping of the
// server's "(at row N)" back to the file's line and field.
import assert from "node:assert/strict";
import {
  checkCsvFields,
  checkCsvTarget,
  csvBody,
  type CsvColumn,
  csvColumn,
  csvErrorMessage,
  csvErrorPosition,
  csvTable,
  needsFieldCheck,
  type TableColumn,
  unwrapType,
} from "../../src/drivers/clickhouse/seed_csv_format.ts";
import { csvInsertSql, tableColumnsSql } from "../../src/drivers/clickhouse/seed_sql.ts";
import { ConfigError } from "../../src/core/errors.ts";
import { parseCsvSeed } from "../../src/seeds/csv.ts";
import type { CsvSeed } from "../../src/seeds/types.ts";

const PATH = "seeds/clickhouse/full/010_items.csv";
const WHERE = { database: "clickhouse", script: "full/010_items.csv" };

const DIR = await Deno.makeTempDir({ prefix: "dbm-ch-csv-" });
globalThis.addEventListener("unload", () => Deno.removeSync(DIR, { recursive: true }));

/** Writes text as a CSV file (named for table `items`) and parses it. */
async function seed(
  text: string,
  sidecar: string | null = null,
  name = "010_items.csv",
): Promise<CsvSeed> {
  const path = `${DIR}/${name}`;
  await Deno.writeTextFile(path, text);
  return await parseCsvSeed({
    path,
    database: "clickhouse",
    sidecar: sidecar === null ? null : { path: PATH.replace(".csv", ".yaml"), text: sidecar },
  });
}

/** The whole request body as text. */
async function bodyText(s: CsvSeed, cols: CsvColumn[]): Promise<string> {
  return await new Response(csvBody(s, cols)).text();
}

function col(name: string, type: string, more: Partial<TableColumn> = {}): TableColumn {
  return { name, type, defaultKind: "", inSortingKey: false, ...more };
}

const COLUMNS: TableColumn[] = [
  col("id", "UInt32", { inSortingKey: true }),
  col("name", "String"),
  col("note", "Nullable(String)"),
  col("qty", "Nullable(Int32)"),
  col("seen_on", "Date"),
  col("kind", "Enum8('tool' = 1, 'part' = 2)"),
  col("code", "FixedString(3)"),
  col("hash", "UInt64", { defaultKind: "MATERIALIZED" }),
  col("loaded", "DateTime", { defaultKind: "DEFAULT" }),
];

const TARGET = {
  table: { database: "analytics", table: "items" },
  engine: "ReplacingMergeTree",
  columns: COLUMNS,
};

function header(names: string[]): CsvColumn[] {
  return names.map((n) => csvColumn(COLUMNS.find((c) => c.name === n)!));
}

/** The error thrown by fn, which must be a ConfigError. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  assert.fail("no error thrown");
}

Deno.test("unwrapType() and csvColumn() see through Nullable and LowCardinality", () => {
  assert.deepEqual(unwrapType("Nullable(Int32)"), { inner: "Int32", nullable: true });
  assert.deepEqual(unwrapType("LowCardinality(Nullable(String))"), {
    inner: "String",
    nullable: true,
  });
  assert.deepEqual(unwrapType("Array(Nullable(String))"), {
    inner: "Array(Nullable(String))",
    nullable: false,
  });
  const c = (type: string) => {
    const { nullable, emptyOk, text } = csvColumn(col("x", type));
    return { nullable, emptyOk, text };
  };
  assert.deepEqual(c("String"), { nullable: false, emptyOk: true, text: true });
  assert.deepEqual(c("FixedString(3)"), { nullable: false, emptyOk: true, text: true });
  assert.deepEqual(c("LowCardinality(String)"), { nullable: false, emptyOk: true, text: true });
  assert.deepEqual(c("UInt64"), { nullable: false, emptyOk: true, text: false });
  assert.deepEqual(c("Float32"), { nullable: false, emptyOk: true, text: false });
  assert.deepEqual(c("Nullable(Date)"), { nullable: true, emptyOk: false, text: false });
  for (const t of ["Date", "DateTime", "Decimal(10, 2)", "Enum8('a' = 1)", "Array(String)"]) {
    assert.equal(c(t).emptyOk, false, t);
  }
});

Deno.test("csvTable() takes the URL's database unless the file name gives one", async () => {
  assert.deepEqual(csvTable(await seed("id\n1\n"), "analytics"), {
    database: "analytics",
    table: "items",
  });
  const other = await seed("id\n1\n", null, "020_events.clicks.csv");
  assert.deepEqual(csvTable(other, "analytics"), { database: "events", table: "clicks" });
});

Deno.test("csvInsertSql() lists the header's columns, quoted; tableColumnsSql() reads system.columns", () => {
  assert.equal(
    csvInsertSql({ database: "a-b", table: "items" }, ["id", "we`ird"]),
    "INSERT INTO `a-b`.`items` (`id`, `we\\`ird`) FORMAT CSVWithNames",
  );
  assert.equal(
    tableColumnsSql({ database: "a", table: "it's" }),
    "SELECT name, type, default_kind, is_in_sorting_key FROM system.columns\n" +
      "WHERE database = 'a' AND table = 'it\\'s'",
  );
});

Deno.test("checkCsvTarget() returns the header's columns in header order", async () => {
  const s = await seed("note,id,name\n,1,a\n");
  const cols = checkCsvTarget(s, WHERE, TARGET);
  assert.deepEqual(cols.map((c) => [c.name, c.nullable]), [
    ["note", true],
    ["id", false],
    ["name", false],
  ]);
  for (const engine of ["ReplicatedReplacingMergeTree", "SharedReplacingMergeTree"]) {
    assert.equal(checkCsvTarget(s, WHERE, { ...TARGET, engine }).length, 3);
  }
});

Deno.test("checkCsvTarget() refuses a missing table and every engine but a ReplacingMergeTree", async () => {
  const s = await seed("id,name\n1,a\n");
  const missing = configError(() => checkCsvTarget(s, WHERE, { ...TARGET, engine: null }));
  assert.equal(missing.code, "INVALID_SEED");
  assert.match(
    missing.message,
    /010_items\.csv:1:1" of "clickhouse": unknown table analytics\.items/,
  );
  for (const engine of ["MergeTree", "SummingMergeTree", "CollapsingMergeTree", "Memory", "Log"]) {
    const e = configError(() => checkCsvTarget(s, WHERE, { ...TARGET, engine }));
    assert.equal(e.code, "INVALID_SEED");
    assert.equal(e.exitCode, 2);
    assert.match(
      e.message,
      new RegExp(`loads into analytics\\.items \\(${engine}\\): .*no upsert`),
    );
    assert.deepEqual(e.position, { file: s.path, line: 1, column: 1 });
    assert.match(e.hint ?? "", /ReplacingMergeTree/);
  }
});

Deno.test("checkCsvTarget() names the header position of an unknown or unwritable column", async () => {
  const s = await seed("id,nmae\n1,a\n");
  const e = configError(() => checkCsvTarget(s, WHERE, TARGET));
  assert.match(
    e.message,
    /010_items\.csv:1:4" of "clickhouse": unknown column "nmae" in table analytics\.items/,
  );
  assert.deepEqual(e.position, { file: s.path, line: 1, column: 4 });
  const mat = await seed("id,hash\n1,2\n");
  const e2 = configError(() => checkCsvTarget(mat, WHERE, TARGET));
  assert.match(e2.message, /:1:4" .*column "hash" of analytics\.items is MATERIALIZED/);
});

Deno.test("checkCsvTarget() wants every sorting-key column in the header", async () => {
  const s = await seed("name,note\na,b\n");
  const e = configError(() => checkCsvTarget(s, WHERE, TARGET));
  assert.match(e.message, /leaves out "id", part of the sorting key of analytics\.items/);
  // A MATERIALIZED column of the sorting key cannot be written, so it is not asked for.
  const columns = COLUMNS.map((c) => c.name === "hash" ? { ...c, inSortingKey: true } : c);
  assert.equal(checkCsvTarget(await seed("id\n1\n"), WHERE, { ...TARGET, columns }).length, 1);
});

Deno.test("checkCsvTarget() takes a sidecar key only when it is the sorting key", async () => {
  const ok = await seed("id,name\n1,a\n", "key: [id]\n");
  assert.equal(checkCsvTarget(ok, WHERE, TARGET).length, 2);
  const bad = await seed("id,name\n1,a\n", "key: [name]\n");
  const e = configError(() => checkCsvTarget(bad, WHERE, TARGET));
  assert.match(
    e.message,
    /010_items\.yaml:1:6" .*key \(name\) is not the sorting key of analytics\.items \(id\)/,
  );
});

Deno.test("csvBody() sends NULL as \\N in Nullable columns and leaves other fields as written", async () => {
  const s = await seed(
    'id,name,note,qty\n1,,,\n2,"","",""\n3,"a, ""b""",\\N,7\n\n4,x,"multi\nline",\n5,\\N,\\N,\\N\n',
  );
  assert.equal(
    await bodyText(s, header(["id", "name", "note", "qty"])),
    '"id","name","note","qty"\n' +
      "1,,\\N,\\N\n" + // unquoted empty: NULL where Nullable, else the type's zero value
      '2,"","",""\n' + // quoted empty: as written
      '3,"a, ""b""","\\N",7\n' + // an unquoted \N in a Nullable column is the text \N
      '4,x,"multi\nline",\\N\n' + // the blank line is not sent
      '5,\\N,"\\N","\\N"\n', // \N is text, as PostgreSQL reads it (a String column reads it so)
  );
});

Deno.test("csvBody() quotes padded fields of String columns, whose spaces ClickHouse would trim", async () => {
  const s = await seed("id,name,code,note\n 1 , a ,\tb,c \n2,a b,abc,x\n");
  assert.equal(
    await bodyText(s, header(["id", "name", "code", "note"])),
    '"id","name","code","note"\n' +
      ' 1 ," a ","\tb","c "\n' +
      "2,a b,abc,x\n",
  );
});

Deno.test("csvBody() ends every record with LF and keeps a quoted CR LF as written", async () => {
  const s = await seed('id,name\r\n1,"a\r\nb"\r\n2,b\r\n3,c');
  assert.equal(await bodyText(s, header(["id", "name"])), '"id","name"\n1,"a\r\nb"\n2,b\n3,c\n');
});

Deno.test("csvBody() sends runs of records as written across the reader's chunks, byte for byte", async () => {
  // Over 3 MB: records kept as written (sent a run at a time) among rewritten ones, blank lines
  // and CR LF endings, so that runs start and end at every kind of boundary, chunks' included.
  let text = "id,name,note,qty\n", want = '"id","name","note","qty"\n';
  for (let i = 1; i <= 120_000; i++) {
    if (i % 997 === 0) {
      text += `${i},n${i},,${i}\n`;
      want += `${i},n${i},\\N,${i}\n`;
    } else if (i % 1009 === 0) {
      text += `${i},n${i},x,1\r\n\n`;
      want += `${i},n${i},x,1\n`;
    } else {
      text += `${i},name ${i},"note, ${i}",${i % 50}\n`;
      want += `${i},name ${i},"note, ${i}",${i % 50}\n`;
    }
  }
  const s = await seed(text.slice(0, -1)); // the last record without its LF
  assert.equal(await bodyText(s, header(["id", "name", "note", "qty"])), want);
});

Deno.test("checkCsvFields() refuses, with its line and column, an empty field that the type cannot read", async () => {
  const s = await seed("id,name,seen_on\n1,a,2024-01-01\n2,b,\n");
  const cols = header(["id", "name", "seen_on"]);
  assert.ok(needsFieldCheck(cols));
  const e = await checkCsvFields(s, cols, WHERE).then(() => null, (x) => x);
  assert.ok(e instanceof ConfigError, String(e));
  assert.equal(e.code, "INVALID_SEED");
  assert.match(
    e.message,
    /010_items\.csv:3:5" of "clickhouse": an empty field in column "seen_on" \(Date\)/,
  );
  assert.match(e.hint ?? "", /Nullable\(Date\)/);
  // An Enum cannot read one either; a quoted "" is sent as written (and the server judges it).
  const q = await seed('id,kind\n1,""\n');
  await checkCsvFields(q, header(["id", "kind"]), WHERE);
  assert.equal(await bodyText(q, header(["id", "kind"])), '"id","kind"\n1,""\n');
  const u = await seed("id,kind\n1,\n");
  const ue = await checkCsvFields(u, header(["id", "kind"]), WHERE).then(() => null, (x) => x);
  assert.match(String(ue?.message), /:2:3"/);
  assert.equal(needsFieldCheck(header(["id", "name", "note"])), false);
});

Deno.test('csvErrorPosition() maps "(at row N)" and the column the server was reading to the file', async () => {
  const text = 'id,name,qty\n1,"two\nlines",1\n\n2,b,x\n3,c,3\n';
  const s = await seed(text);
  const cols = header(["id", "name", "qty"]);
  const message = "Cannot parse input: expected , before: x: (at row 2)\n\n" +
    'Row 1:\nColumn 0,   name: id,   type: UInt32, parsed text: "1"\n' +
    'Column 1,   name: name, type: String, parsed text: "two<LINE FEED>lines"\n' +
    'Column 2,   name: qty,  type: Nullable(Int32), parsed text: "1"\n\n' +
    'Row 2:\nColumn 0,   name: id,   type: UInt32, parsed text: "2"\n' +
    'Column 1,   name: name, type: String, parsed text: "b"\n' +
    "Column 2,   name: qty,  type: Nullable(Int32), parsed text: <EMPTY>\n" +
    'ERROR: garbage after Nullable(Int32): "x"\n';
  assert.deepEqual(await csvErrorPosition(s, cols, message), { line: 5, column: 5 });
  // Without the row dump: the record's line.
  assert.deepEqual(await csvErrorPosition(s, cols, "Cannot parse datetime: (at row 3)"), {
    line: 6,
    column: 1,
  });
  assert.equal(await csvErrorPosition(s, cols, "something: (at row 9)"), null);
  assert.equal(await csvErrorPosition(s, cols, "Too many digits in decimal value"), null);
});

Deno.test("csvErrorPosition() finds an unknown Enum value, which the server names without a row", async () => {
  const s = await seed("id,kind\n1,tool\n2,part\n3,gadget\n");
  const cols = header(["id", "kind"]);
  assert.deepEqual(
    await csvErrorPosition(
      s,
      cols,
      "Unknown element 'gadget' for type Enum8('tool' = 1, 'part' = 2)",
    ),
    { line: 4, column: 3 },
  );
  assert.equal(
    await csvErrorPosition(s, cols, "Unknown element 'gadget' for type Enum8('x' = 1)"),
    null,
    "another Enum type",
  );
});

Deno.test("csvErrorMessage() keeps the first line and the ERROR lines, not the row dump", () => {
  const long = "9,c-9,x\\n".repeat(30);
  assert.equal(
    csvErrorMessage(
      `Cannot parse input: expected , before: lots,57.25\\n${long}: (at row 57)\n\nRow 56:\n` +
        'Column 0,   name: id, type: UInt32, parsed text: "56"\n\nRow 57:\n' +
        "Column 4,   name: qty, type: Nullable(Int32), parsed text: <EMPTY>\n" +
        'ERROR: garbage after Nullable(Int32): "lots,57.25"\n',
    ),
    'Cannot parse input: expected , before: lots,57.25: (at row 57) garbage after Nullable(Int32): "lots,57.25"',
  );
  assert.equal(
    csvErrorMessage("Unknown element 'c' for type Enum8('a' = 1)"),
    "Unknown element 'c' for type Enum8('a' = 1)",
  );
});
