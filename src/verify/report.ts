// What `verify` found, as data and as the lines a user reads: the idempotency check's verdicts
// (idempotency.ts) or a rehearsal's, per database, and the summary line. Pure.

import { describeVerdict, type Failure, isFinding, type Verdict } from "./idempotency.ts";

/** What a rehearsal found for one pending file. */
export type Rehearsed =
  | { script: string; status: "rehearsed"; ms: number }
  | { script: string; status: "fails"; failure: Failure; hint?: string }
  | { script: string; status: "not rehearsable"; reason: string }
  | { script: string; status: "not run"; reason: string };

/** One database's part of a `verify` run. */
export type VerifyReport =
  | {
    check: "idempotency";
    /** Where the check ran, for the header line. */
    on: string;
    verdicts: Verdict[];
  }
  | {
    check: "rehearsal";
    on: string;
    /** The pending files, in the order a run applies them. */
    verdicts: Rehearsed[];
    /** Applied files before them, left as they are. */
    applied: number;
  };

/** Whether a rehearsal's verdict is one the user must act on (exit 1). */
export function isRehearsalFinding(v: Rehearsed): boolean {
  return v.status === "fails";
}

/** Whether a database's report holds a finding (exit 1). */
export function hasFinding(r: VerifyReport): boolean {
  return r.check === "idempotency"
    ? r.verdicts.some(isFinding)
    : r.verdicts.some(isRehearsalFinding);
}

const at = (f: Failure) =>
  f.line === undefined ? "" : ` at ${f.line}${f.column === undefined ? "" : `:${f.column}`}`;

/** A rehearsal's verdict as lines: the file and what happened, then the statement and hint. */
export function describeRehearsed(v: Rehearsed): string[] {
  switch (v.status) {
    case "rehearsed":
      return [`${v.script}: applies (${Math.round(v.ms)} ms, rolled back)`];
    case "not rehearsable":
      return [`${v.script}: not rehearsable: ${v.reason}`];
    case "not run":
      return [`${v.script}: not rehearsed: ${v.reason}`];
    case "fails": {
      const f = v.failure;
      return [
        `${v.script}: fails${at(f)}: ${f.message}${f.sqlstate ? ` (${f.sqlstate})` : ""}`,
        ...(f.statement === undefined
          ? []
          : [`  statement: ${f.statement.replaceAll("\n", "\n    ")}`]),
        ...(v.hint === undefined ? [] : [`  hint: ${v.hint}`]),
      ];
    }
  }
}

/** A database's report as lines: a header naming the database and where it ran, then the verdicts. */
export function describeReport(database: string, r: VerifyReport): string[] {
  if (r.check === "idempotency") {
    const lines = r.verdicts.flatMap((v) => describeVerdict(v));
    const n = r.verdicts.length;
    const head = `${database}: ${n} ${n === 1 ? "file" : "files"} applied twice on ${r.on}`;
    return [lines.length === 0 ? `${head}: every file is idempotent` : `${head}:`, ...lines];
  }
  const n = r.verdicts.length;
  const head = `${database}: ${n} pending ${n === 1 ? "file" : "files"} on ${r.on} ` +
    `(${r.applied} ${r.applied === 1 ? "migration" : "migrations"} applied before them), ` +
    "rehearsed in one transaction that was rolled back";
  return [
    n === 0 ? `${database}: nothing pending on ${r.on}` : `${head}:`,
    ...r.verdicts.flatMap(
      describeRehearsed,
    ),
  ];
}

/** Counts over every database's report, for the summary line and the JSON document. */
export interface VerifyCounts {
  verified: number;
  notIdempotent: number;
  skipped: number;
  notVerified: number;
  rehearsed: number;
  failed: number;
  notRehearsable: number;
  notRun: number;
}

/** Adds up the verdicts of every report. */
export function countReports(reports: readonly VerifyReport[]): VerifyCounts {
  const c: VerifyCounts = {
    verified: 0,
    notIdempotent: 0,
    skipped: 0,
    notVerified: 0,
    rehearsed: 0,
    failed: 0,
    notRehearsable: 0,
    notRun: 0,
  };
  for (const r of reports) {
    if (r.check === "idempotency") {
      for (const v of r.verdicts) {
        if (v.status === "skipped") c.skipped++;
        else if (v.status === "not verified") c.notVerified++;
        else {
          c.verified++;
          if (isFinding(v)) c.notIdempotent++;
        }
      }
    } else {
      for (const v of r.verdicts) {
        if (v.status === "rehearsed") c.rehearsed++;
        else if (v.status === "fails") (c.rehearsed++, c.failed++);
        else if (v.status === "not rehearsable") c.notRehearsable++;
        else c.notRun++;
      }
    }
  }
  return c;
}

/**
 * The counts part of verify's summary line: `12 files verified, 2 not idempotent, 1 skipped`, or
 * for a rehearsal `3 pending files rehearsed, 1 failed, 1 not rehearsable; rolled back`.
 */
export function verifySummary(reports: readonly VerifyReport[], rehearsal: boolean): string {
  const c = countReports(reports);
  if (rehearsal) {
    const parts = [
      `${c.rehearsed} pending ${c.rehearsed === 1 ? "file" : "files"} rehearsed`,
      `${c.failed} failed`,
      `${c.notRehearsable} not rehearsable`,
    ];
    if (c.notRun) parts.push(`${c.notRun} not run`);
    return `${parts.join(", ")}; rolled back: nothing changed`;
  }
  const parts = [
    `${c.verified} ${c.verified === 1 ? "file" : "files"} verified`,
    `${c.notIdempotent} not idempotent`,
    `${c.skipped} skipped`,
  ];
  if (c.notVerified) parts.push(`${c.notVerified} not verified`);
  return parts.join(", ");
}
