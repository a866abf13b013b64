import assert from "node:assert/strict";
import { limitPlan, planDatabase } from "../../../src/core/plan.ts";
import type { TrackedFile, TrackedRow } from "../../../src/core/types.ts";

function mig(version: number, sum = `${version}`.padStart(64, "a")): TrackedFile {
  return {
    kind: "migration",
    version,
    description: `m${version}`,
    script: `V${version}__m${version}.sql`,
    path: `migrations/db/V${version}__m${version}.sql`,
    text: "",
    checksum: sum,
    format: "sql",
  };
}

function seed(script: string, sum = "c".repeat(64)): TrackedFile {
  return { ...mig(0), kind: "seed", version: null, script, checksum: sum };
}

function row(file: TrackedFile, over: Partial<TrackedRow> = {}): TrackedRow {
  return {
    version: file.version,
    description: file.description,
    script: file.script,
    checksum: file.checksum,
    kind: file.kind,
    appliedAt: new Date(0),
    executionMs: 1,
    success: true,
    appliedBy: "test",
    error: null,
    statementsDone: null,
    ...over,
  };
}

Deno.test("planDatabase() marks unrecorded files pending and recorded ones applied", () => {
  const files = [mig(1), mig(2), mig(3)];
  const plan = planDatabase(files, [], [row(files[0]!)]);
  assert.deepEqual(plan.migrations.map((e) => e.state), ["applied", "pending", "pending"]);
  assert.deepEqual(plan.pending.map((e) => e.file!.version), [2, 3]);
  assert.equal(plan.skipped.length, 1);
  assert.equal(plan.drift.length, 0);
});

Deno.test("planDatabase() reports a changed applied file as checksum mismatch", () => {
  const applied = mig(1);
  const changed = mig(1, "f".repeat(64));
  const plan = planDatabase([changed, mig(2)], [], [row(applied)]);
  assert.equal(plan.migrations[0]!.state, "checksum mismatch");
  assert.equal(plan.drift.length, 1);
});

Deno.test("planDatabase() reports an applied migration without a file as missing file", () => {
  const gone = mig(1);
  const plan = planDatabase([mig(2)], [], [row(gone)]);
  assert.deepEqual(plan.migrations.map((e) => [e.file?.version ?? e.row?.version, e.state]), [
    [1, "missing file"],
    [2, "pending"],
  ]);
  assert.equal(plan.drift.length, 1);
});

Deno.test("planDatabase() retries a failed migration even when its file changed", () => {
  const failed = mig(1);
  const fixed = mig(1, "e".repeat(64));
  const plan = planDatabase([fixed], [], [row(failed, { success: false, error: "boom" })]);
  assert.equal(plan.migrations[0]!.state, "failed");
  assert.equal(plan.pending[0]!.reason, "retry");
  assert.equal(plan.drift.length, 0);
});

Deno.test("planDatabase() applies a changed seed again and skips an unchanged one", () => {
  const a = seed("reference/010_a.sql"), b = seed("reference/020_b.sql");
  const plan = planDatabase([], [a, { ...b, checksum: "d".repeat(64) }], [row(a), row(b)]);
  assert.deepEqual(plan.seeds.map((e) => [e.state, e.reason]), [
    ["applied", undefined],
    ["pending", "changed"],
  ]);
  assert.equal(plan.drift.length, 0, "a changed seed is not drift");
});

Deno.test("planDatabase() puts migrations before seeds and keeps version order", () => {
  const plan = planDatabase([mig(10), mig(2)].sort((x, y) => x.version! - y.version!), [
    seed("reference/010_a.sql"),
  ], []);
  assert.deepEqual(plan.pending.map((e) => e.file!.script), [
    "V2__m2.sql",
    "V10__m10.sql",
    "reference/010_a.sql",
  ]);
});

Deno.test("planDatabase() shows an undone migration as undone and pending again, and never as drift", () => {
  const files = [mig(1), mig(2)];
  const rows = [row(files[0]!), row(files[1]!, { success: false, provenance: "undone" })];
  const plan = planDatabase(files, [], rows);
  assert.deepEqual(plan.migrations.map((e) => e.state), ["applied", "undone"]);
  assert.deepEqual(plan.pending.map((e) => e.file?.version), [2]);
  // Its file gone: still undone, not a missing file.
  const gone = planDatabase([files[0]!], [], rows);
  assert.deepEqual(gone.migrations.map((e) => e.state), ["applied", "undone"]);
  assert.deepEqual(gone.drift, []);
});

Deno.test("limitPlan() keeps pending migrations up to --to or the next --steps, and holds seeds back", () => {
  const files = [mig(1), mig(2), mig(3), mig(5)];
  const seeds = [seed("reference/a.sql")];
  const plan = planDatabase(files, seeds, [row(files[0]!)]);
  const versions = (p: typeof plan) => p.pending.map((e) => e.file?.version ?? e.file?.script);
  assert.deepEqual(versions(limitPlan(plan, { to: 3 })), [2, 3]);
  assert.deepEqual(versions(limitPlan(plan, { to: 4 })), [2, 3]);
  assert.deepEqual(versions(limitPlan(plan, { steps: 1 })), [2]);
  assert.deepEqual(versions(limitPlan(plan, { to: 5 })), [2, 3, 5, "reference/a.sql"]);
  assert.deepEqual(versions(limitPlan(plan, { steps: 9 })), [2, 3, 5, "reference/a.sql"]);
  assert.deepEqual(versions(limitPlan(plan, undefined)), [2, 3, 5, "reference/a.sql"]);
  assert.deepEqual(versions(limitPlan(plan, { to: 1 })), []);
});
