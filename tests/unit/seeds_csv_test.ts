import assert from "node:assert/strict";
import {
  copyChunks,
  parseCsvSeed,
  posAt,
  scanRecord,
  tableFromFileName,
} from "../../src/seeds/csv.ts";
import { ConfigError } from "../../src/core/errors.ts";

const parse = (text: string, sidecar: string | null = null) =>
  parseCsvSeed({
    path: "seeds/db/full/010_items.csv",
    database: "db",
    text,
    sidecar: sidecar === null ? null : { path: "seeds/db/full/010_items.yaml", text: sidecar },
  });

async function parseError(text: string, sidecar: string | null = null): Promise<ConfigError> {
  try {
    await parse(text, sidecar);
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err;
  }
  throw new Error("expected an error");
}

Deno.test("scanRecord() reads quoted fields, doubled quotes, line breaks and NULLs", () => {
  const text = 'a,"b,""c""",,""\nnext';
  const r = scanRecord(text, 0);
  assert.ok("fields" in r);
  assert.deepEqual(r.fields.map((f) => f.value), ["a", 'b,"c"', null, ""]);
  assert.equal(r.end, text.indexOf("\n"));
  assert.equal(r.next, text.indexOf("\n") + 1);
  const multi = scanRecord('"x\ny",z', 0);
  assert.ok("fields" in multi && multi.fields[0]!.value === "x\ny");
});

Deno.test("scanRecord() rejects stray quotes, text after a quote and an open quote", () => {
  assert.deepEqual(scanRecord('ab"c', 0), { error: "a quote inside an unquoted field", offset: 2 });
  const after = scanRecord('"ab"c', 0);
  assert.ok("error" in after && after.offset === 4);
  assert.deepEqual(scanRecord('a,"open', 0), { error: "a quoted field is not closed", offset: 2 });
});

Deno.test("parseCsvSeed() reads the header and each record's line", async () => {
  const seed = await parse('id,name\n1,"multi\nline"\n\n2,b\n');
  assert.equal(seed.table, "items");
  assert.deepEqual(seed.columns.map((c) => c.name), ["id", "name"]);
  assert.deepEqual(seed.records.map((r) => r.line), [2, 5]);
  assert.equal(seed.key, null);
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

Deno.test("copyChunks() prefixes each record with its line, unchanged otherwise", async () => {
  const seed = await parse('id,name\n1,"a,b"\n2,"x\ny"\n');
  assert.equal([...copyChunks(seed)].join(""), '2,1,"a,b"\n3,2,"x\ny"\n');
  assert.equal([...copyChunks(seed, 1)].length, 2, "chunks split at record ends");
});

Deno.test("tableFromFileName() drops the number prefix and keeps a schema", () => {
  assert.equal(tableFromFileName("seeds/x/full/010_users.csv"), "users");
  assert.equal(tableFromFileName("020_audit.events.csv"), "audit.events");
  assert.equal(tableFromFileName("plain.csv"), "plain");
});

Deno.test("posAt() counts lines and columns from a known line", () => {
  assert.deepEqual(posAt("ab\ncd\nef", 7), { line: 3, column: 2 });
  assert.deepEqual(posAt("ab\ncd\nef", 7, 3, 2), { line: 3, column: 2 });
});
