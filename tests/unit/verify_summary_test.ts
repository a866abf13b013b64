// verify's report as the user reads it (src/verify/report.ts): a rehearsal's verdicts, the header
// of each database, the counts and the summary line.
import assert from "node:assert/strict";
import {
  countReports,
  describeRehearsed,
  describeReport,
  hasFinding,
  type Rehearsed,
  type VerifyReport,
  verifySummary,
} from "../../src/verify/report.ts";
import { summaryLine } from "../../src/report/summary.ts";

const failing: Rehearsed = {
  script: "V004__owner.sql",
  status: "fails",
  failure: {
    message: 'relation "users" does not exist',
    sqlstate: "42P01",
    line: 4,
    column: 1,
    statement: "ALTER TABLE tasks\n  ADD COLUMN owner text REFERENCES users (email)",
  },
  hint: "create the table first",
};

const rehearsal: VerifyReport = {
  check: "rehearsal",
  on: "postgres://app@db/prod",
  applied: 3,
  verdicts: [
    { script: "V004__a.sql", status: "rehearsed", ms: 12.4 },
    { script: "V005__idx.sql", status: "not rehearsable", reason: "it runs outside a transaction" },
    failing,
    {
      script: "V007__b.sql",
      status: "not run",
      reason: "the rehearsal stopped at V004__owner.sql",
    },
  ],
};

const idempotency: VerifyReport = {
  check: "idempotency",
  on: "PGlite",
  verdicts: [
    { script: "V001__a.sql", status: "idempotent" },
    { script: "V002__vector.sql", status: "skipped", extension: "vector" },
    { script: "V003__items.sql", status: "not verified", reason: "it needs V002" },
    {
      script: "V004__b.sql",
      status: "second run fails",
      failure: { message: "x already exists", sqlstate: "42P07", line: 1, column: 1 },
      hint: "use IF NOT EXISTS",
      changes: [],
    },
  ],
};

Deno.test("describeRehearsed() words a failure with its position, statement and hint", () => {
  assert.deepEqual(describeRehearsed(failing), [
    'V004__owner.sql: fails at 4:1: relation "users" does not exist (42P01)',
    "  statement: ALTER TABLE tasks\n      ADD COLUMN owner text REFERENCES users (email)",
    "  hint: create the table first",
  ]);
  assert.deepEqual(describeRehearsed(rehearsal.verdicts[0]!), [
    "V004__a.sql: applies (12 ms, rolled back)",
  ]);
});

Deno.test("describeReport() heads each database with where it ran", () => {
  assert.deepEqual(describeReport("app", rehearsal).slice(0, 3), [
    "app: 4 pending files on postgres://app@db/prod (3 migrations applied before them), " +
    "rehearsed in one transaction that was rolled back:",
    "V004__a.sql: applies (12 ms, rolled back)",
    "V005__idx.sql: not rehearsable: it runs outside a transaction",
  ]);
  assert.deepEqual(describeReport("app", { ...rehearsal, verdicts: [] }), [
    "app: nothing pending on postgres://app@db/prod",
  ]);
  const clean: VerifyReport = { check: "idempotency", on: "PGlite", verdicts: [] };
  assert.deepEqual(describeReport("app", clean), [
    "app: 0 files applied twice on PGlite: every file is idempotent",
  ]);
  assert.equal(describeReport("app", idempotency)[0], "app: 4 files applied twice on PGlite:");
});

Deno.test("countReports() and verifySummary() count each file once", () => {
  assert.deepEqual(countReports([idempotency, rehearsal]), {
    verified: 2,
    notIdempotent: 1,
    skipped: 1,
    notVerified: 1,
    rehearsed: 2,
    failed: 1,
    notRehearsable: 1,
    notRun: 1,
  });
  assert.equal(
    verifySummary([idempotency], false),
    "2 files verified, 1 not idempotent, 1 skipped, 1 not verified",
  );
  assert.equal(
    verifySummary([rehearsal], true),
    "2 pending files rehearsed, 1 failed, 1 not rehearsable, 1 not run; rolled back: nothing changed",
  );
});

Deno.test("hasFinding() holds for a failing file, not for skips or files that cannot be rehearsed", () => {
  assert.equal(hasFinding(idempotency), true);
  assert.equal(hasFinding(rehearsal), true);
  assert.equal(hasFinding({ ...rehearsal, verdicts: rehearsal.verdicts.slice(0, 2) }), false);
  assert.equal(hasFinding({ ...idempotency, verdicts: idempotency.verdicts.slice(0, 3) }), false);
});

Deno.test("summaryLine() of verify: the counts, the exit code when not 0, the time", () => {
  const db = { name: "app", kind: "postgres", target: null, steps: [] };
  const base = { mode: "verify" as const, seedMode: "reference", durationMs: 1234 };
  assert.equal(
    summaryLine({ ...base, exitCode: 1, databases: [{ ...db, verify: idempotency }] }),
    "2 files verified, 1 not idempotent, 1 skipped, 1 not verified; exit 1; 1.23 s",
  );
  assert.equal(
    summaryLine({
      ...base,
      exitCode: 0,
      databases: [{ ...db, verify: { ...rehearsal, verdicts: [] } }],
    }),
    "0 pending files rehearsed, 0 failed, 0 not rehearsable; rolled back: nothing changed; 1.23 s",
  );
  const error = { code: "CHECKSUM_MISMATCH", exitCode: 3, message: "drift" } as const;
  assert.equal(
    summaryLine({ ...base, exitCode: 3, error, databases: [db] }),
    "nothing verified; exit 3 CHECKSUM_MISMATCH; 1.23 s",
  );
});
