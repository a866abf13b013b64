import assert from "node:assert/strict";
import { isEmptyDataSeed } from "../../../src/seeds/data_seed.ts";

Deno.test("isEmptyDataSeed() is true for a YAML seed without tables only", () => {
  assert.equal(
    isEmptyDataSeed({
      format: "yaml",
      path: "x",
      tables: [],
      bcryptCost: 10,
      refTables: [],
      text: "",
    }),
    true,
  );
});
