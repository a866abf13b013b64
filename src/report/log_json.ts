// --log-format=json: one JSON object per line and per event, for log aggregators. The events carry the
// same step records the text reporter prints (database, file, status, duration), and the last line on
// standard output is the summary event, whose `message` is the text-mode summary line.

import type { Step } from "../core/types.ts";
import type { DatabaseResult, RunResult } from "../core/result.ts";
import { countSteps, summaryLine } from "./summary.ts";
import type { Reporter } from "../core/reporter.ts";
import { writeLine } from "./text.ts";
import { isoTime } from "../core/time.ts";
import { tenantCounts } from "./tenants.ts";

type Stream = { writeSync(p: Uint8Array): number };

/** One log event: what happened and the fields an aggregator filters on. */
export interface LogEvent {
  level: "info" | "warn" | "error";
  event: string;
  [field: string]: unknown;
}

/** An event as one line of JSON, its time first (writeLine scrubs passwords from it). */
export function eventLine(e: LogEvent, now: Date = new Date()): string {
  return JSON.stringify({ time: isoTime(now), ...e });
}

/** A free-text line as an event, its alignment padding squeezed out. */
export function messageEvent(level: LogEvent["level"], text: string): LogEvent {
  return { level, event: "message", message: text.replace(/ {2,}/g, "  ").trim() };
}

/** The event of one file's outcome. */
export function stepEvent(s: Step): LogEvent {
  return {
    level: s.status === "failed" || s.status === "drift" ? "error" : "info",
    event: "file",
    database: s.database,
    file: s.script,
    kind: s.kind,
    version: s.version,
    status: s.status,
    durationMs: s.ms === undefined ? null : Math.round(s.ms),
    checksum: s.checksum === "" ? null : s.checksum,
    ...(s.note ? { note: s.note } : {}),
    ...(s.error ? { error: s.error } : {}),
  };
}

/** The --status rows of one database as events, one per migration or seed. */
export function statusEvents(db: DatabaseResult): LogEvent[] {
  if (db.notice) {
    return [{ level: "warn", event: "status", database: db.name, notice: db.notice }];
  }
  return (db.status ?? []).map((e) => ({
    level: e.error ? "error" : "info",
    event: "status",
    database: db.name,
    file: e.script,
    kind: e.kind,
    version: e.version,
    state: e.state,
    appliedAt: e.appliedAt,
    durationMs: e.ms,
    ...(e.error ? { error: e.error } : {}),
  }));
}

/** The error that ended a run, as an event. */
export function errorEvent(error: NonNullable<RunResult["error"]>): LogEvent {
  return { level: "error", event: "error", ...error };
}

/** The last event of a run: the counts, the exit code and the text-mode summary line. */
export function summaryEvent(result: RunResult): LogEvent {
  const c = countSteps(result);
  return {
    level: result.exitCode === 0 ? "info" : "error",
    event: "summary",
    mode: result.mode,
    seed: result.seedMode,
    ok: result.exitCode === 0,
    exitCode: result.exitCode,
    applied: c.applied,
    skipped: c.skipped,
    failed: c.failed,
    pending: c.pending,
    notRun: c.notRun,
    seeds: c.seeds,
    ...(result.tenants ? { tenants: tenantCounts(result.tenants) } : {}),
    durationMs: Math.round(result.durationMs),
    ...(result.error ? { code: result.error.code } : {}),
    message: summaryLine(result),
  };
}

/** Writes one event as one line. */
export function writeEvent(stream: Stream, e: LogEvent): void {
  writeLine(stream, eventLine(e));
}

/** A reporter writing JSON lines: progress to `out`, notices to `err` (as the text reporter does). */
export function jsonLogReporter(out: Stream, err: Stream): Reporter {
  return {
    notice: (t) => writeEvent(err, messageEvent("warn", t)),
    step: (s) => writeEvent(out, stepEvent(s)),
    upToDate: (database, skipped) =>
      writeEvent(out, messageEvent("info", `${database}  up to date (${skipped} skipped)`)),
    files: () => {},
  };
}
