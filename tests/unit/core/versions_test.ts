import assert from "node:assert/strict";
import {
  describeForName,
  nextVersion,
  suggestMigrationName,
  versionWidth,
} from "../../../src/core/versions.ts";

const twelve = Array.from(
  { length: 12 },
  (_, i) => `V${String(i + 1).padStart(3, "0")}__step_${i + 1}.sql`,
);

Deno.test("nextVersion() is the version after the highest, in the folder's zero-padding", () => {
  assert.equal(nextVersion(twelve), "013");
  assert.equal(nextVersion(["V1__a.sql", "V2__b.sql", "V10__c.sql"]), "11");
  assert.equal(nextVersion(["V0001__a.sql", "V0002__b.sql", "README.md"]), "0003");
  // Gaps stay gaps: the next version follows the highest.
  assert.equal(nextVersion(["V001__a.sql", "V007__b.sql"]), "008");
  assert.equal(nextVersion([]), "001");
  assert.equal(nextVersion(["V999__a.sql", "V001__b.sql"]), "1000");
  assert.equal(nextVersion(["V20240101120000__a.sql"]), "20240101120001");
});

Deno.test("versionWidth() reads the padding from versions written with a leading zero", () => {
  assert.equal(versionWidth(twelve), 3);
  assert.equal(versionWidth(["V1__a.sql", "V12__b.sql"]), 1);
  assert.equal(versionWidth(["V001__a.sql", "V12__b.sql"]), 3);
  assert.equal(versionWidth([]), 3);
});

Deno.test("suggestMigrationName() proposes a free version, never one that exists", () => {
  // The case of issue 10: V001-V012 present, `add_orders.sql` must not become V009.
  assert.equal(suggestMigrationName("add_orders.sql", twelve), "V013__add_orders.sql");
  assert.equal(suggestMigrationName("add orders!.sql", []), "V001__add_orders.sql");
  // A near miss keeps its own version when it is free, in the folder's padding.
  assert.equal(suggestMigrationName("V13_add_orders.sql", twelve), "V013__add_orders.sql");
  assert.equal(suggestMigrationName("v14__x.sql", twelve), "V014__x.sql");
  // ... and takes the next free one when it is not.
  assert.equal(suggestMigrationName("003_add_orders.sql", twelve), "V013__add_orders.sql");
  for (const bad of ["add_orders.sql", "V1_x.sql", "1-init.sql", "V12.sql", "x.SQL"]) {
    const name = suggestMigrationName(bad, twelve);
    assert.match(name, /^V(\d+)__\w+\.sql$/, name);
    assert.ok(!twelve.some((n) => n.slice(0, 4) === name.slice(0, 4)), `${bad} → ${name}`);
  }
});

Deno.test("describeForName() keeps letters and digits of any script and joins the rest with _", () => {
  assert.equal(describeForName("add orders (v2).sql"), "add_orders_v2");
  assert.equal(describeForName("créer_table.sql"), "créer_table");
  assert.equal(describeForName("--.sql"), "migration");
});
