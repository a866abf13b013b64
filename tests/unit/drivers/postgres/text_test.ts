import assert from "node:assert/strict";
import {
  blankRanges,
  charIndex,
  pieceBounds,
  serverLength,
} from "../../../../src/drivers/postgres/text.ts";
import { contentFromPiecesSql, queryTextSql } from "../../../../src/drivers/postgres/sql.ts";

Deno.test("blankRanges() turns ranges into spaces and keeps length and line breaks", () => {
  const text = "A;\nBEGIN;\nB;\nCOMMIT\n  WORK;\nC;";
  const begin = text.indexOf("BEGIN"), commit = text.indexOf("COMMIT");
  const out = blankRanges(text, [
    { offset: begin, end: begin + 5 },
    { offset: commit, end: commit + 13 },
  ]);
  assert.equal(out, "A;\n     ;\nB;\n      \n      ;\nC;");
  assert.equal(out.length, text.length);
  assert.equal(blankRanges(text, []), text);
});

Deno.test("pieceBounds() cuts only at statement starts, after at least the size", () => {
  const text = "SELECT 1;\nSELECT 'a;b';\nSELECT 3;\nSELECT 4;\n";
  assert.deepEqual(pieceBounds(text, 1000), [0, text.length]);
  const cuts = pieceBounds(text, 12);
  assert.deepEqual(cuts, [0, 24, text.length]);
  for (const c of cuts.slice(1, -1)) assert.match(text.slice(c), /^SELECT/);
  // A statement longer than the size stays whole.
  const long = `SELECT '${"x".repeat(50)}';\nSELECT 2;`;
  assert.deepEqual(pieceBounds(long, 10), [0, 61, long.length]);
  assert.deepEqual(pieceBounds("", 10), [0, 0]);
});

Deno.test("serverLength() counts code points, or UTF-8 bytes on an SQL_ASCII server", () => {
  const text = "aé😀b";
  assert.equal(serverLength(text, 0, text.length, false), 4);
  assert.equal(serverLength(text, 0, text.length, true), 1 + 2 + 4 + 1);
  assert.equal(serverLength(text, 2, 4, false), 1);
});

Deno.test("charIndex() maps a 1-based server position to a text index from an offset", () => {
  const text = "xx😀ab";
  assert.equal(charIndex(text, 0, 1), 0);
  assert.equal(charIndex(text, 0, 4), 4);
  assert.equal(charIndex(text, 2, 2), 4);
});

Deno.test("queryTextSql() cuts the text out of the query and restores blanked ranges last first", () => {
  assert.equal(queryTextSql(8, 20), "substr(current_query(), 8, 20)");
  assert.equal(
    queryTextSql(1, 30, [{ from: 3, length: 5, text: "BEGIN" }, {
      from: 20,
      length: 6,
      text: "COMMIT",
    }]),
    "overlay(overlay(substr(current_query(), 1, 30) placing E'COMMIT' from 20 for 6) " +
      "placing E'BEGIN' from 3 for 5)",
  );
});

Deno.test("contentFromPiecesSql() reassembles any number of stashed pieces in order", () => {
  assert.equal(contentFromPiecesSql(0, "x"), "x");
  assert.equal(
    contentFromPiecesSql(1000, "x"),
    "(select string_agg(current_setting('db_migrate.content_' || k), '' order by k) " +
      "from generate_series(0, 999) k) || x",
  );
});
