import assert from "node:assert/strict";
import {
  byteToIndex,
  parseServerError,
  PERMANENT_CODES,
  syntaxErrorPosition,
} from "../../../../src/drivers/clickhouse/http_errors.ts";

Deno.test("parseServerError() reads ClickHouse 18.16's error text", () => {
  assert.deepEqual(
    parseServerError(
      "Code: 60, e.displayText() = DB::Exception: Table default.nope doesn't exist., e.what() = DB::Exception\n",
    ),
    { code: 60, message: "Table default.nope doesn't exist." },
  );
  assert.deepEqual(
    parseServerError(
      "Code: 193, e.displayText() = DB::Exception: Wrong password for user default, e.what() = DB::Exception",
    ),
    { code: 193, message: "Wrong password for user default" },
  );
});

Deno.test("parseServerError() reads newer servers' error text", () => {
  assert.deepEqual(
    parseServerError(
      "Code: 62. DB::Exception: Syntax error: failed at position 1 ('SELEC'): SELEC 1. " +
        "Expected one of: a query. (SYNTAX_ERROR) (version 24.3.1.1 (official build))\n",
    ),
    {
      code: 62,
      message:
        "Syntax error: failed at position 1 ('SELEC'): SELEC 1. Expected one of: a query (SYNTAX_ERROR)",
    },
  );
  assert.equal(
    parseServerError(
      "Code: 516. DB::Exception: default: Authentication failed. (AUTHENTICATION_FAILED)",
    )
      .code,
    516,
  );
});

Deno.test("parseServerError() passes other text through without a code", () => {
  assert.deepEqual(parseServerError("<html>502 Bad Gateway</html>"), {
    code: null,
    message: "<html>502 Bad Gateway</html>",
  });
});

Deno.test("PERMANENT_CODES covers unknown user, wrong password and failed authentication", () => {
  for (const code of [192, 193, 516]) assert.ok(PERMANENT_CODES.has(code));
  assert.ok(!PERMANENT_CODES.has(81));
});

Deno.test("syntaxErrorPosition() and byteToIndex() point into the statement", () => {
  assert.equal(syntaxErrorPosition("Syntax error: failed at position 8: USER x"), 8);
  assert.equal(syntaxErrorPosition("Table x doesn't exist"), null);
  assert.equal(byteToIndex("SELEC 1", 1), 0);
  assert.equal(byteToIndex("SELECT 1 FROM", 10), 9);
  // 'é' is two bytes, '😀' four bytes and two UTF-16 units.
  assert.equal(byteToIndex("'é' x", 6), 4);
  assert.equal(byteToIndex("'😀' x", 8), 5);
  assert.equal(byteToIndex("ab", 99), 2);
});
