import assert from "node:assert/strict";
import { MigrateError } from "../../src/core/errors.ts";
import type { TrackedRow } from "../../src/core/types.ts";
import { planAdoptions } from "../../src/import/adopt.ts";
import type { Adoption } from "../../src/import/history.ts";

const a = (version: number, checksum: string): Adoption => ({
  version,
  script: `V${version}__x.sql`,
  description: "x",
  checksum,
});

const row = (version: number, checksum: string, success = true): TrackedRow => ({
  version,
  script: `V${version}__x.sql`,
  checksum,
  kind: "migration",
  success,
  statementsDone: null,
});

Deno.test("planAdoptions() records what has no row and skips what a re-run recorded before", () => {
  const plan = planAdoptions("app", [a(1, "aa"), a(2, "bb")], [row(1, "aa")]);
  assert.deepEqual(plan.recorded.map((x) => x.version), [1]);
  assert.deepEqual(plan.record.map((x) => x.version), [2]);
});

Deno.test("planAdoptions() refuses a version recorded with another checksum or as failed (exit 3)", () => {
  for (const rows of [[row(1, "zz")], [row(1, "aa", false)]]) {
    assert.throws(
      () => planAdoptions("app", [a(1, "aa"), a(2, "bb")], rows),
      (e: unknown) =>
        e instanceof MigrateError && e.code === "IMPORT_HISTORY" && e.exitCode === 3 &&
        /V1: /.test(e.message) && e.database === "app",
    );
  }
});

Deno.test("planAdoptions() ignores seeds and the team's own versions", () => {
  const seed: TrackedRow = { ...row(1, "zz"), version: null, kind: "seed" };
  const plan = planAdoptions("app", [a(1, "aa")], [seed, row(7, "77")]);
  assert.deepEqual(plan.record.map((x) => x.version), [1]);
});
