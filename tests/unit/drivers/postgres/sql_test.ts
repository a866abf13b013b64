import assert from "node:assert/strict";
import {
  addProvenanceSql,
  CONNECT_SQL,
  createTrackingSql,
  markUndoneSql,
  quoteIdent,
  quoteLiteral,
  recordAppliedSql,
  recordSql,
  selectTrackingSql,
} from "../../../../src/drivers/postgres/sql.ts";
import type { TrackedFile } from "../../../../src/core/types.ts";

const file: TrackedFile = {
  kind: "migration",
  version: 7,
  description: "it's a test",
  script: "V007__it_s.sql",
  path: "m/V007__it_s.sql",
  text: "select 'a\\b';",
  checksum: "a".repeat(64),
  format: "sql",
};

Deno.test("quoteLiteral() escapes quotes and backslashes in an E'' literal", () => {
  assert.equal(quoteLiteral("it's"), "E'it''s'");
  assert.equal(quoteLiteral("a\\b"), "E'a\\\\b'");
});

Deno.test("quoteIdent() doubles embedded double quotes", () => {
  assert.equal(quoteIdent('we"ird'), '"we""ird"');
});

Deno.test("the tracking table has the contract's columns", () => {
  const sql = createTrackingSql("public");
  for (
    const col of [
      "version",
      "description",
      "script",
      "checksum",
      "kind",
      "applied_at",
      "execution_ms",
      "success",
      "applied_by",
      "content",
    ]
  ) {
    assert.match(sql, new RegExp(`\\n  ${col}\\s`), col);
    assert.match(
      selectTrackingSql("public", true),
      new RegExp(col === "content" ? "^(?!.*content)" : col, "s"),
    );
  }
});

Deno.test("selectTrackingSql() without detail reads only what a plan compares", () => {
  const sql = selectTrackingSql("public", false);
  for (const col of ["version", "script", "checksum", "kind", "success", "statements_done"]) {
    assert.match(sql, new RegExp(`\\b${col}\\b`), col);
  }
  for (
    const col of ["description", "applied_at", "execution_ms", "applied_by", "error", "content"]
  ) {
    assert.doesNotMatch(sql, new RegExp(`\\b${col}\\b`), col);
  }
});

Deno.test("recordSql() upserts by script and keeps the text as a literal", () => {
  const sql = recordSql("app", file, { success: true, ms: 12 });
  assert.match(sql, /insert into "app"\._schema_migrations/);
  assert.match(sql, /on conflict \(script\) do update/);
  assert.ok(sql.includes(quoteLiteral(file.text)));
  assert.ok(sql.includes("E'it''s a test'"));
  assert.match(
    sql,
    /delete from "app"\._schema_migrations where kind = 'migration' and version = 7/,
  );
});

Deno.test("recordSql() records a seed without a version and without the stale-row delete", () => {
  const sql = recordSql("public", { ...file, kind: "seed", version: null }, {
    success: false,
    ms: 3,
    error: "boom",
    statementsDone: 2,
  });
  assert.doesNotMatch(sql, /^delete/);
  assert.match(sql, /values \(null, /);
  assert.match(sql, /, false, current_user, /);
  assert.match(sql, /E'boom', 2, E'applied'\)/);
});

Deno.test("the tracking table has a provenance column, added to older tables and read as applied without it", () => {
  assert.match(createTrackingSql("app"), /provenance +text not null default 'applied'/);
  assert.equal(
    addProvenanceSql("app"),
    `alter table "app"._schema_migrations add column if not exists provenance text not null default 'applied'`,
  );
  assert.match(CONNECT_SQL, /as has_provenance/);
  assert.match(selectTrackingSql("app", false), /statements_done, provenance\n/);
  assert.match(selectTrackingSql("app", false, false), /'applied' as provenance/);
});

Deno.test("recordAppliedSql() says how a row got there; only a repair keeps when and by whom", () => {
  const repaired = recordAppliedSql("app", file);
  assert.match(repaired, /provenance = E'repaired'/);
  assert.doesNotMatch(repaired, /applied_at = now\(\)/);
  const marked = recordAppliedSql("app", file, "marked");
  assert.match(marked, /applied_at = now\(\), applied_by = current_user/);
  assert.match(marked, /, E'marked'\s*\nwhere not exists/);
  assert.match(recordAppliedSql("app", file, "baselined"), /provenance = E'baselined'/);
});

Deno.test("markUndoneSql() keeps the row, not applied, with when and by whom", () => {
  const sql = markUndoneSql("app", 7, 12.4);
  assert.match(sql, /^update "app"\._schema_migrations set success = false, provenance = 'undone'/);
  assert.match(sql, /applied_at = now\(\), applied_by = current_user, execution_ms = 12,/);
  assert.match(sql, /where kind = 'migration' and version = 7$/);
  assert.match(markUndoneSql("app", 7, "elapsed"), /clock_timestamp\(\) - now\(\)/);
});
