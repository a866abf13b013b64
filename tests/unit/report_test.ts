import assert from "node:assert/strict";
import { jsonDocument } from "../../src/report/json.ts";
import type { RunResult } from "../../src/core/result.ts";
import { countSteps, summaryLine } from "../../src/report/summary.ts";
import { type Layout, statusTable, stepLine } from "../../src/report/text.ts";
import { humanTime, isoTime } from "../../src/core/time.ts";
import type { Step } from "../../src/core/types.ts";

const SUM = "0123456789abcdef".repeat(4);

function step(script: string, status: Step["status"], over: Partial<Step> = {}): Step {
  return {
    database: "postgres",
    kind: script.includes("/") ? "seed" : "migration",
    version: script.includes("/") ? null : 1,
    script,
    checksum: SUM,
    status,
    ...over,
  };
}

function result(steps: Step[], over: Partial<RunResult> = {}): RunResult {
  return {
    mode: "apply",
    seedMode: "sample",
    databases: [{ name: "postgres", kind: "postgres", target: null, steps }],
    exitCode: 0,
    durationMs: 1234,
    ...over,
  };
}

Deno.test("summaryLine() splits the totals into migrations and seeds without counting a file twice", () => {
  const r = result([
    step("V1__a.sql", "applied"),
    step("V2__b.sql", "skipped"),
    step("reference/010_x.yaml", "applied"),
    step("sample/010_y.sql", "skipped"),
    step("sample/020_z.sql", "skipped"),
  ]);
  assert.equal(
    summaryLine(r),
    "2 applied, 3 skipped, 0 failed; migrations: 1 applied, 1 skipped; " +
      "seeds (sample): 1 applied, 2 skipped; 1.23 s",
  );
  // Only one kind: no split, the totals say it all.
  assert.equal(
    summaryLine(result([step("V1__a.sql", "applied")])),
    "1 applied, 0 skipped, 0 failed; 1.23 s",
  );
});

Deno.test("summaryLine() names the other states, the mode and the error after the pinned three counts", () => {
  const failed = result(
    [step("V1__a.sql", "applied"), step("V2__b.sql", "failed"), step("V3__c.sql", "not run")],
    { exitCode: 1, error: { code: "APPLY_FAILED", exitCode: 1, message: "boom" } },
  );
  assert.equal(
    summaryLine(failed),
    "1 applied, 0 skipped, 1 failed, 1 not run; exit 1 APPLY_FAILED; 1.23 s",
  );
  const dry = result([step("V1__a.sql", "pending"), step("V2__b.sql", "drift")], {
    mode: "dry-run",
  });
  assert.equal(
    summaryLine(dry),
    "0 applied, 0 skipped, 0 failed, 1 pending, 1 drifted (a real run exits 3); " +
      "dry run: nothing changed; 1.23 s",
  );
});

Deno.test("countSteps() counts --status rows by their state, as the table shows them", () => {
  const row = (script: string, state: string, kind: "migration" | "seed" = "migration") => ({
    kind,
    version: kind === "seed" ? null : 1,
    script,
    state,
    checksum: SUM,
    appliedAt: null,
    ms: null,
    error: null,
  });
  const r = result([], { mode: "status" });
  r.databases[0]!.status = [
    row("V1__a.sql", "applied"),
    row("V2__b.sql", "checksum mismatch"),
    row("V3__c.sql", "missing file"),
    row("V4__d.sql", "failed"),
    row("V5__e.sql", "pending"),
    row("reference/010_x.sql", "applied", "seed"),
  ];
  const c = countSteps(r);
  assert.deepEqual(
    [c.applied, c.skipped, c.failed, c.pending, c.drift, c.seeds.applied],
    [2, 0, 1, 1, 2, 1],
  );
  assert.equal(
    summaryLine(r),
    "2 applied, 0 skipped, 1 failed, 1 pending, 1 checksum mismatch, 1 missing file; " +
      "migrations: 1 applied, 1 failed, 1 pending, 1 checksum mismatch, 1 missing file; " +
      "seeds (sample): 1 applied; status: nothing changed; 1.23 s",
  );
  const doc = JSON.parse(jsonDocument(r, "0"));
  assert.equal(doc.databases[0].steps, undefined, "--status --json: the rows, once");
  assert.equal(doc.databases[0].status.length, 6);
});

Deno.test("stepLine() aligns database, file, status, time and note; a dry run shows 12 checksum digits", () => {
  const layout: Layout = { width: 8, fileWidth: 23, times: true, checksums: false };
  assert.deepEqual(
    [
      stepLine(step("V1__a.sql", "applied", { ms: 7.4 }), layout),
      stepLine(step("reference/010_rbac.yaml", "applied", { ms: 1234, note: "69 rows" }), layout),
      stepLine(step("V2__b.sql", "repaired", { note: "current checksum recorded" }), layout),
    ],
    [
      "postgres  V1__a.sql                applied       7 ms",
      "postgres  reference/010_rbac.yaml  applied    1234 ms  69 rows",
      "postgres  V2__b.sql                repaired            current checksum recorded",
    ],
  );
  const dry = stepLine(step("V1__a.sql", "pending", { note: "1 statement" }), {
    ...layout,
    times: false,
    checksums: true,
  });
  assert.equal(dry, "postgres  V1__a.sql                pending   0123456789ab  1 statement");
});

Deno.test("times: ISO 8601 for programs, `YYYY-MM-DD HH:MM:SS UTC` for people", () => {
  const d = new Date("2026-11-29T19:21:00.123Z");
  assert.equal(isoTime(d), "2026-11-29T19:21:00.123Z");
  assert.equal(humanTime(d), "2026-11-29 19:21:00 UTC");
  const table = statusTable({
    name: "postgres",
    kind: "postgres",
    target: null,
    steps: [],
    status: [{
      kind: "migration",
      version: 1,
      script: "V1__a.sql",
      state: "applied",
      checksum: SUM,
      appliedAt: isoTime(d),
      ms: 3,
      error: null,
    }],
  });
  assert.match(table, /V1__a\.sql\s+applied\s+2026-11-29 19:21:00 UTC\s+3 ms/);
});
