import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { parseCsvSeed, tableFromFileName, withRecord } from "../../src/seeds/csv.ts";
import { firstInvalidUtf8, Utf8Error } from "../../src/core/checksum.ts";
import { checksumFileSync, eachRecord } from "../../src/seeds/csv_file.ts";
import { RecordScanner, Scan } from "../../src/seeds/csv_scan.ts";
import { ConfigError } from "../../src/core/errors.ts";

const DIR = await Deno.makeTempDir({ prefix: "dbm-csv-" });
globalThis.addEventListener("unload", () => Deno.removeSync(DIR, { recursive: true }));
const bytes = (text: string) => new TextEncoder().encode(text);

/** Writes the CSV (text or bytes) as seeds/db/full/010_items.csv and parses it. */
async function parse(content: string | Uint8Array, sidecar: string | null = null) {
  const path = `${DIR}/010_items.csv`;
  await Deno.writeFile(path, typeof content === "string" ? bytes(content) : content);
  return await parseCsvSeed({
    path,
    database: "db",
    sidecar: sidecar === null ? null : { path: "seeds/db/full/010_items.yaml", text: sidecar },
  });
}

async function parseError(
  content: string | Uint8Array,
  sidecar: string | null = null,
): Promise<ConfigError> {
  try {
    await parse(content, sidecar);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  throw new Error("expected an error");
}

function scan(text: string, final = true) {
  const sc = new RecordScanner();
  const buf = bytes(text);
  const r = sc.scan(buf, 0, buf.length, final);
  const values = Array.from({ length: sc.count }, (_, k) => sc.value(buf, k));
  return { r, sc, values };
}

Deno.test("RecordScanner reads quoted fields, doubled quotes, line breaks and NULLs", () => {
  const text = 'a,"b,""c""",,""\nnext';
  const { r, sc, values } = scan(text);
  assert.equal(r, Scan.Record);
  assert.deepEqual(values, ["a", 'b,"c"', null, ""]);
  assert.equal(sc.end, text.indexOf("\n"));
  assert.equal(sc.next, text.indexOf("\n") + 1);
  const multi = scan('"x\ny",z');
  assert.deepEqual([multi.values[0], multi.sc.newlines], ["x\ny", 1]);
});

Deno.test("RecordScanner ends a record at CR LF and keeps a CR LF inside quotes", () => {
  const { sc, values } = scan('"x\r\ny",b\r\nnext');
  assert.deepEqual(values, ["x\r\ny", "b"]);
  assert.equal(sc.crlf, true);
  assert.equal(sc.next, 10);
  assert.equal(scan("a,b\r").r, Scan.Error, "a lone CR at the end");
  assert.equal(scan("a,b\r", false).r, Scan.More, "a CR that may be followed by LF");
});

Deno.test("RecordScanner asks for more data until a record is whole", () => {
  assert.equal(scan("a,b", false).r, Scan.More);
  assert.equal(scan('a,"b\n', false).r, Scan.More);
  assert.equal(scan('a,"b"', false).r, Scan.More, "a quote that may be doubled by the next byte");
  assert.equal(scan("a,b\n", false).r, Scan.Record);
});

Deno.test("RecordScanner rejects stray quotes, text after a quote, an open quote and NUL", () => {
  const stray = scan('ab"c');
  assert.deepEqual([stray.r, stray.sc.error, stray.sc.errorAt], [
    Scan.Error,
    "a quote inside an unquoted field",
    2,
  ]);
  const after = scan('"ab"c');
  assert.deepEqual([after.r, after.sc.errorAt], [Scan.Error, 4]);
  const open = scan('a,"open');
  assert.deepEqual([open.sc.error, open.sc.errorAt], ["a quoted field is not closed", 2]);
  assert.match(scan("a,b\0c").sc.error, /NUL/);
});

Deno.test("firstInvalidUtf8() finds the first byte that is not UTF-8", () => {
  const ok = bytes("añb€c😀");
  assert.equal(firstInvalidUtf8(ok, 0, ok.length), -1);
  assert.equal(firstInvalidUtf8(new Uint8Array([0x61, 0xff, 0xfe]), 0, 3), 1);
  assert.equal(firstInvalidUtf8(new Uint8Array([0x61, 0xc3]), 0, 2), 1, "cut sequence");
  assert.equal(firstInvalidUtf8(new Uint8Array([0xc0, 0x80]), 0, 2), 0, "overlong");
  assert.equal(firstInvalidUtf8(new Uint8Array([0xed, 0xa0, 0x80]), 0, 3), 0, "surrogate");
});

Deno.test("checksumFileSync() hashes the file as the contract says: no BOM, CR LF as LF", async () => {
  const path = `${DIR}/sum.csv`;
  const want = createHash("sha256").update('a,b\n1,"x\ny"\r2,c\n').digest("hex");
  await Deno.writeFile(path, bytes('\uFEFFa,b\r\n1,"x\r\ny"\r2,c\r\n'));
  assert.equal(checksumFileSync(path), want);
  // A CR LF cut between two chunks of the read is still one line end.
  const big = "x".repeat((1 << 20) - 1) + "\r\ny\r\n";
  await Deno.writeFile(path, bytes(big));
  assert.equal(
    checksumFileSync(path),
    createHash("sha256").update(big.replaceAll("\r\n", "\n")).digest("hex"),
  );
});

Deno.test("checksumFileSync() refuses a file that is not UTF-8, naming the line, column and byte", async () => {
  const path = `${DIR}/bad.csv`;
  await Deno.writeFile(path, new Uint8Array([...bytes("id,name\n1,é"), 0xff, 0x0a]));
  assert.throws(() => checksumFileSync(path), (err: unknown) => {
    assert.ok(err instanceof Utf8Error);
    assert.deepEqual([err.line, err.column, err.byte, err.offset], [2, 4, 0xff, 12]);
    return true;
  });
  // A sequence cut by the end of the file, and one cut between two chunks that is valid.
  await Deno.writeFile(path, new Uint8Array([...bytes("a\nb"), 0xc3]));
  assert.throws(() => checksumFileSync(path), /line 2, column 2: byte 0xc3/);
  const big = "x".repeat((1 << 20) - 1) + "é\n";
  await Deno.writeFile(path, bytes(big));
  assert.equal(checksumFileSync(path), createHash("sha256").update(big).digest("hex"));
});

Deno.test("eachRecord() reads records across chunk boundaries with their lines", async () => {
  const path = `${DIR}/chunks.csv`;
  const rows = ["id,name"];
  for (let i = 1; i <= 50; i++) rows.push(i % 7 === 0 ? `${i},"multi\nline ${i}"` : `${i},n${i}`);
  await Deno.writeFile(path, bytes(rows.join("\r\n") + "\r\n"));
  const seen: [number, number, string | null][] = [];
  await eachRecord(path, (r) => {
    seen.push([r.index, r.line, r.scan.value(r.buf, 1)]);
  }, { chunk: 16 });
  assert.equal(seen.length, 51);
  assert.deepEqual(seen[7], [7, 8, "multi\nline 7"]);
  assert.deepEqual(seen[8], [8, 10, "n8"], "the line after a record spanning two");
});

Deno.test("parseCsvSeed() reads the header, counts the records and says whether COPY can take the file as it is", async () => {
  const seed = await parse('id,name\n1,"multi\nline"\n\n2,b\n');
  assert.equal(seed.table, "items");
  assert.deepEqual(seed.columns.map((c) => c.name), ["id", "name"]);
  assert.equal(seed.records, 2);
  assert.equal(seed.key, null);
  assert.equal(seed.plain, false, "a blank line");
  const lines: number[] = [];
  for (const i of [1, 2]) await withRecord(seed, i, (r) => lines.push(r.line));
  assert.deepEqual(lines, [2, 5]);
  assert.equal((await parse("id,name\r\n1,a\r\n2,b")).plain, true, "CR LF throughout");
  assert.equal((await parse("\uFEFFid\n1\n")).bom, 3);
  assert.equal((await parse("id,name\n1,a\r\n")).plain, false, "mixed line ends");
  assert.equal((await parse("id\n\\.\n")).plain, false, "a record COPY reads as the end");
});

Deno.test("parseCsvSeed() names the line and column of invalid UTF-8", async () => {
  const err = await parseError(new Uint8Array([...bytes("id,name\n1,ab"), 0xff, 0x0a]));
  assert.deepEqual([err.position?.line, err.position?.column], [2, 5]);
  assert.match(err.message, /invalid UTF-8: byte 0xff/);
});

Deno.test("parseCsvSeed() names the line and column of a record with the wrong field count", async () => {
  const err = await parseError("id,name\n1,a\n2,b,c\n");
  assert.equal(err.exitCode, 2);
  assert.deepEqual([err.position?.line, err.position?.column], [3, 5]);
  assert.match(err.message, /010_items\.csv:3:5".*3 fields, the header has 2/);
  const short = await parseError("id,name\n1\n");
  assert.deepEqual([short.position?.line, short.position?.column], [2, 2]);
});

Deno.test("parseCsvSeed() points an unclosed quote at where it opens", async () => {
  const err = await parseError('id,name\n1,"oops\n2,"b"\n');
  assert.deepEqual([err.position?.line, err.position?.column], [2, 3]);
  assert.match(err.message, /opened here runs on to line 3/);
});

Deno.test("parseCsvSeed() rejects an empty file, an empty or repeated header name", async () => {
  assert.match((await parseError("")).message, /the file is empty/);
  assert.match((await parseError("id,,x\n")).message, /:1:4".*header field is empty/);
  assert.match((await parseError("id,id\n")).message, /"id" appears twice/);
});

Deno.test("parseCsvSeed() takes the key and table from the sidecar", async () => {
  const seed = await parse("id\n1\n", "key: [id]\ntable: inventory.items\n");
  assert.deepEqual(seed.key?.columns, ["id"]);
  assert.equal(seed.key?.path, "seeds/db/full/010_items.yaml");
  assert.equal(seed.table, "inventory.items");
  const err = await parseError("id\n1\n", "keys: [id]\n");
  assert.equal(err.position?.file, "seeds/db/full/010_items.yaml");
  assert.match(err.message, /unknown field "keys"/);
});

Deno.test("tableFromFileName() drops the number prefix and keeps a schema", () => {
  assert.equal(tableFromFileName("seeds/x/full/010_users.csv"), "users");
  assert.equal(tableFromFileName("020_audit.events.csv"), "audit.events");
  assert.equal(tableFromFileName("plain.csv"), "plain");
});
