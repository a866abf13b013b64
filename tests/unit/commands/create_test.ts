import assert from "node:assert/strict";
import {
  checkName,
  migrationTemplate,
  newVersion,
  timestampVersion,
} from "../../../src/commands/create.ts";
import { ConfigError } from "../../../src/core/errors.ts";
import { fileDirectives } from "../../../src/sql/directives.ts";

const NOW = new Date("2026-11-29T23:36:12.345Z");

Deno.test("newVersion() follows the folder's zero-padding", () => {
  assert.equal(newVersion([], NOW), "001");
  assert.equal(newVersion(["V001__a.sql", "V002__b.sql", "README.md"], NOW), "003");
  assert.equal(newVersion(["V1__a.sql", "V7__b.sql"], NOW), "8");
  assert.equal(newVersion(["V0009__a.sql", "U0009__a.sql"], NOW), "0010");
});

Deno.test("newVersion() gives a timestamp in a folder of timestamps, never one that is taken", () => {
  assert.equal(timestampVersion(NOW), "20261129233612");
  assert.equal(newVersion(["V20240101120000__a.sql"], NOW), "20261129233612");
  // A version from the future (another clock) is passed by one, so the order holds.
  assert.equal(newVersion(["V20301231235959__a.sql"], NOW), "20301231235960");
});

Deno.test("checkName() refuses names that would not make a migration file name", () => {
  assert.equal(checkName("add_orders"), "add_orders");
  assert.equal(checkName("add-orders-2"), "add-orders-2");
  for (const bad of ["", "add orders", "../x", "x.sql", "_x", "a/b", "a\\b"]) {
    assert.throws(() => checkName(bad), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.code, "INVALID_NAME");
      assert.equal(err.exitCode, 2);
      return true;
    }, JSON.stringify(bad));
  }
  assert.throws(
    () => checkName("add orders!"),
    (err: unknown) => /for example: .* add_orders$/.test((err as ConfigError).hint ?? ""),
  );
});

Deno.test("the no-transaction template's directive is read as the directive", () => {
  const text = migrationTemplate("V003__x.sql", "app", "postgres", true) + "VACUUM;\n";
  const d = fileDirectives(text);
  assert.equal(d.transaction, false);
  assert.equal(d.reason, "directive at line 1");
  const plain = migrationTemplate("V003__x.sql", "app", "postgres", false) + "SELECT 1;\n";
  assert.equal(fileDirectives(plain).transaction, true);
  assert.match(plain, /idempotent/);
});
