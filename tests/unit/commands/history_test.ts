import assert from "node:assert/strict";
import { baselineEntries } from "../../../src/commands/baseline.ts";
import { markChanges } from "../../../src/commands/mark.ts";
import { undoBlockers, undoRange } from "../../../src/commands/undo.ts";
import { ConfigError } from "../../../src/core/errors.ts";
import { planDatabase } from "../../../src/core/plan.ts";
import type { TrackedFile, TrackedRow } from "../../../src/core/types.ts";

function mig(version: number): TrackedFile {
  return {
    kind: "migration",
    version,
    description: `m${version}`,
    script: `V${version}__m${version}.sql`,
    path: `migrations/db/V${version}__m${version}.sql`,
    text: "",
    checksum: String(version).padStart(64, "a"),
    format: "sql",
  };
}

function row(file: TrackedFile, over: Partial<TrackedRow> = {}): TrackedRow {
  return {
    version: file.version,
    script: file.script,
    checksum: file.checksum,
    kind: "migration",
    success: true,
    statementsDone: null,
    ...over,
  };
}

const files = [1, 2, 3, 4].map(mig);

Deno.test("undoRange() takes the last applied migration, the last N, or every one above --to, newest first", () => {
  const plan = planDatabase(files, [], files.slice(0, 3).map((f) => row(f)));
  const versions = (t?: { to?: number; steps?: number }) =>
    undoRange(plan.migrations, t).map((e) => e.file!.version);
  assert.deepEqual(versions(), [3]);
  assert.deepEqual(versions({ steps: 2 }), [3, 2]);
  assert.deepEqual(versions({ steps: 9 }), [3, 2, 1]);
  assert.deepEqual(versions({ to: 1 }), [3, 2]);
  assert.deepEqual(versions({ to: 3 }), []);
});

Deno.test("undoRange() leaves undone migrations out and takes up an undo that stopped part-way", () => {
  const rows = [
    row(files[0]!),
    row(files[1]!, { success: false, provenance: "undoing", statementsDone: 1 }),
    row(files[2]!, { success: false, provenance: "undone" }),
  ];
  const plan = planDatabase(files, [], rows);
  assert.deepEqual(undoRange(plan.migrations, { steps: 9 }).map((e) => e.file!.version), [2, 1]);
  assert.deepEqual(undoBlockers(plan.migrations, undoRange(plan.migrations, undefined)), []);
});

Deno.test("undoBlockers() names a migration that failed part-way above the ones to undo", () => {
  const rows = [row(files[0]!), row(files[1]!), row(files[2]!, { success: false })];
  const plan = planDatabase(files, [], rows);
  const range = undoRange(plan.migrations, undefined);
  assert.deepEqual(range.map((e) => e.file!.version), [2]);
  assert.deepEqual(undoBlockers(plan.migrations, range).map((e) => e.row!.version), [3]);
});

Deno.test("markChanges() changes what is not so already, and refuses unknown versions", () => {
  const plan = planDatabase(files, [], [row(files[0]!)]);
  const applied = markChanges(plan.migrations, "applied", [1, 2, 2], "db");
  assert.deepEqual(applied.map((c) => [c.version, c.action !== null]), [[1, false], [2, true]]);
  const pending = markChanges(plan.migrations, "pending", [1, 3], "db");
  assert.deepEqual(pending.map((c) => [c.version, c.action !== null]), [[1, true], [3, false]]);
  assert.throws(
    () => markChanges(plan.migrations, "applied", [2, 9], "db"),
    (e: unknown) =>
      e instanceof ConfigError && e.code === "UNKNOWN_VERSION" && /version 9;/.test(e.message),
  );
});

Deno.test("baselineEntries() takes the migrations up to the version that are not applied", () => {
  const plan = planDatabase(files, [], [row(files[1]!)]);
  assert.deepEqual(baselineEntries(plan.migrations, 3).map((e) => e.file!.version), [1, 3]);
  assert.deepEqual(baselineEntries(plan.migrations, 0), []);
});

Deno.test("what mark, baseline and undo say they will do to each tenant of a group", async () => {
  const { markActions } = await import("../../../src/commands/mark.ts");
  const { baselineActions } = await import("../../../src/commands/baseline.ts");
  const { undoActions } = await import("../../../src/commands/undo.ts");
  assert.deepEqual(markActions({ how: "applied", versions: [3] }), [
    "record version 3 as applied without running it, where not applied already",
  ]);
  assert.deepEqual(markActions({ how: "pending", versions: [3, 4] }), [
    "forget versions 3, 4 so that they run again, where recorded",
  ]);
  assert.match(baselineActions(12)[0]!, /up to version 12 that is not applied/);
  assert.deepEqual(undoActions(undefined), ["undo the last applied migration with its U-file"]);
  assert.match(undoActions({ steps: 2 })[0]!, /the last 2 applied migrations, newest first/);
  assert.match(undoActions({ to: 5 })[0]!, /every applied migration above version 5/);
});
