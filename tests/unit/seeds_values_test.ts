import assert from "node:assert/strict";
import type { ColumnType, SeedValue } from "../../src/seeds/types.ts";
import { checkText, encodeValue } from "../../src/drivers/postgres/seed_values.ts";

const pos = { line: 3, column: 9 };
const str = (value: string): SeedValue => ({ kind: "string", value, pos });
const num = (text: string): SeedValue => ({ kind: "number", value: Number(text), text, pos });
const list = (...items: SeedValue[]): SeedValue => ({ kind: "list", items, pos });
const T = (sql: string, kind: ColumnType["kind"], element?: ColumnType): ColumnType =>
  element ? { sql, kind, element } : { sql, kind };

Deno.test("checkText() accepts what PostgreSQL reads for integers, numbers, booleans and UUIDs", () => {
  assert.equal(checkText("int4", " 42 "), null);
  assert.match(checkText("int2", "40000")!, /out of range for int2/);
  assert.match(checkText("int8", "1.5")!, /not an integer/);
  assert.equal(checkText("int8", "-9223372036854775808"), null);
  assert.equal(checkText("numeric", "1e-3"), null);
  assert.equal(checkText("float", "-Infinity"), null);
  assert.match(checkText("numeric", "1,5")!, /not a number/);
  for (const b of ["t", "FALSE", "yes", "off", "1"]) assert.equal(checkText("bool", b), null, b);
  assert.match(checkText("bool", "o")!, /not a boolean/);
  assert.equal(checkText("uuid", "{A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11}"), null);
  assert.equal(checkText("uuid", "a0eebc999c0b4ef8bb6d6bb9bd380a11"), null);
  assert.match(checkText("uuid", "not-a-uuid")!, /not a UUID/);
  assert.match(checkText("json", "{oops")!, /not JSON/);
  assert.equal(checkText("text", "anything"), null);
});

Deno.test("encodeValue() writes any YAML value into a JSON column as JSON", () => {
  const map: SeedValue = {
    kind: "map",
    entries: [["sso", { kind: "bool", value: false, pos }], ["n", num("1.5")]],
    pos,
  };
  assert.deepEqual(encodeValue(map, T("jsonb", "json")), { text: '{"sso":false,"n":1.5}' });
  assert.deepEqual(encodeValue(list(str("a")), T("json", "json")), { text: '["a"]' });
  assert.deepEqual(encodeValue(str("x"), T("jsonb", "json")), { text: '"x"' });
});

Deno.test("encodeValue() writes a YAML list into an array column as an array literal", () => {
  const text = T("text[]", "array", T("text", "text"));
  assert.deepEqual(encodeValue(list(str("a"), str('q"u\\o,te'), { kind: "null", pos }), text), {
    text: '{"a","q\\"u\\\\o,te",NULL}',
  });
  const ints = T("integer[]", "array", T("integer", "int4"));
  assert.deepEqual(encodeValue(list(list(num("1"), num("2")), list(num("3"), num("4"))), ints), {
    text: '{{"1","2"},{"3","4"}}',
  });
  const bad = encodeValue(list(str("x")), ints);
  assert.ok("error" in bad && /"x" is not an integer/.test(bad.error));
  const jsons = T("jsonb[]", "array", T("jsonb", "json"));
  assert.deepEqual(encodeValue(list(list(num("1"))), jsons), { text: '{"[1]"}' });
});

Deno.test("encodeValue() keeps a number as written and checks scalars against the column", () => {
  assert.deepEqual(encodeValue(num("1.10"), T("numeric", "numeric")), { text: "1.10" });
  assert.deepEqual(encodeValue(num("0x1F"), T("integer", "int4")), { text: "31" });
  assert.deepEqual(encodeValue(num("7"), T("text", "text")), { text: "7" });
  assert.deepEqual(encodeValue({ kind: "null", pos }, T("integer", "int4")), { text: null });
  assert.deepEqual(
    encodeValue(str("2024-01-15T09:00:00Z"), T("timestamp with time zone", "other")),
    {
      text: "2024-01-15T09:00:00Z",
    },
  );
  const mismatch = encodeValue(list(str("a")), T("text", "text"));
  assert.deepEqual(mismatch, { error: "a list does not fit type text", pos });
  const notInt = encodeValue(str("ten"), T("integer", "int4"));
  assert.ok(
    "error" in notInt && notInt.pos === pos && /"ten" is not an integer/.test(notInt.error),
  );
  assert.ok("error" in encodeValue(num("1"), T("boolean", "bool")));
  assert.ok("error" in encodeValue({ kind: "bool", value: true, pos }, T("integer", "int4")));
});
