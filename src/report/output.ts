// The end of a run as the user asked to see it: the error once, the status tables, the summary as
// the last line (or the one --json document, or the JSON log's last events), and the Kubernetes
// termination message.

import type { RunResult } from "../core/result.ts";
import { jsonDocument, terminationMessage } from "./json.ts";
import { errorEvent, messageEvent, statusEvents, summaryEvent, writeEvent } from "./log_json.ts";
import { summaryLine } from "./summary.ts";
import { writeTerminationMessage } from "./termination.ts";
import { infoBlock, statusTable, writeLine } from "./text.ts";
import { describeReport, hasFinding } from "../verify/report.ts";

/** Commands whose report replaces the summary line. */
const REPORT_ONLY = new Set<RunResult["mode"]>(["create", "validate", "list"]);
import { failedTenants, tenantInfoTable, tenantStatusTable } from "./tenants.ts";

/** The ways progress lines and the end of a run can be written. */
export const LOG_FORMATS = ["text", "json"] as const;
/** One of LOG_FORMATS. */
export type LogFormat = typeof LOG_FORMATS[number];

/** How to print a result. */
export interface OutputOptions {
  json: boolean;
  logFormat: LogFormat;
  /** The program's version, for the JSON document. */
  version: string;
  /** DB_MIGRATE_TERMINATION_LOG, if set. */
  terminationLog: string | undefined;
  /** Over tenants, a status table per tenant instead of a line each. */
  verbose?: boolean;
}

/** A notice on stderr, as a line of text or as an event. */
export function notice(logFormat: LogFormat, text: string): void {
  if (logFormat === "json") writeEvent(Deno.stderr, messageEvent("warn", text));
  else writeLine(Deno.stderr, text);
}

/** The end of a --log-format=json run: the error and the summary (or the --json document) as events. */
function printEvents(result: RunResult, opts: OutputOptions): void {
  if (opts.json) {
    writeLine(Deno.stdout, jsonDocument(result, opts.version));
    return;
  }
  if (result.error) writeEvent(Deno.stderr, errorEvent(result.error));
  if (result.mode === "status" || result.mode === "info") {
    for (const db of result.databases) {
      for (const e of statusEvents(db)) writeEvent(Deno.stdout, e);
      // info's figures as one event per database, beside its rows.
      if (db.info) {
        writeEvent(Deno.stdout, { level: "info", event: "info", database: db.name, ...db.info });
      }
    }
  }
  if (result.report) {
    writeEvent(Deno.stdout, { level: "info", event: result.mode, ...result.report.data });
  }
  for (const db of result.databases) {
    if (!db.verify) continue;
    // One event per database: its verdicts as data, and the lines the text output shows.
    writeEvent(Deno.stdout, {
      level: hasFinding(db.verify) ? "error" : "info",
      event: "verify",
      database: db.name,
      ...db.verify,
      message: describeReport(db.name, db.verify).join("\n"),
    });
  }
  writeEvent(Deno.stdout, summaryEvent(result));
}

/** Prints the result the way the options ask, leaves the termination message, returns the exit code. */
export function printResult(result: RunResult, opts: OutputOptions): number {
  const warning = writeTerminationMessage(terminationMessage(result), {
    path: opts.terminationLog,
  });
  if (warning) notice(opts.logFormat, `warning: ${warning}`);
  if (opts.logFormat === "json") {
    printEvents(result, opts);
    return result.exitCode;
  }
  // The error is printed once: in the JSON document, or on stderr below the failed file's line.
  if (opts.json) {
    // The failed tenants by id, for the people watching: the document has them too.
    const failed = failedTenants(result.tenants ?? []);
    if (failed) writeLine(Deno.stderr, failed);
    writeLine(Deno.stdout, jsonDocument(result, opts.version));
    return result.exitCode;
  }
  if (result.error) {
    writeLine(
      Deno.stderr,
      `error: ${result.error.message}${result.error.hint ? `\n  hint: ${result.error.hint}` : ""}`,
    );
  }
  const tenants = result.tenants ?? [];
  const isTenant = new Set(tenants.map((t) => t.database));
  if (result.mode === "status") {
    for (const db of result.databases) {
      if (opts.verbose || !isTenant.has(db.name)) writeLine(Deno.stdout, statusTable(db));
    }
    // A fleet's status is one line per tenant; --verbose gave a table per tenant above.
    if (tenants.length > 0 && !opts.verbose) {
      writeLine(
        Deno.stdout,
        tenantStatusTable(tenants, new Map(result.databases.map((d) => [d.name, d]))),
      );
    }
  }
  for (const line of result.report?.lines ?? []) writeLine(Deno.stdout, line);
  for (const db of result.databases) {
    if (db.verify) writeLine(Deno.stdout, describeReport(db.name, db.verify).join("\n"));
  }
  if (result.mode === "info") {
    for (const db of result.databases) {
      if (opts.verbose || !isTenant.has(db.name)) writeLine(Deno.stdout, infoBlock(db));
    }
    // Over a fleet, one line per tenant; --verbose gave each tenant's block above.
    if (tenants.length > 0 && !opts.verbose) {
      writeLine(
        Deno.stdout,
        tenantInfoTable(tenants, new Map(result.databases.map((d) => [d.name, d]))),
      );
    }
  }
  const failed = failedTenants(tenants);
  if (failed) writeLine(Deno.stdout, failed);
  // create, validate and list end with their own summary: no file was applied or skipped.
  if (!REPORT_ONLY.has(result.mode)) writeLine(Deno.stdout, summaryLine(result));
  return result.exitCode;
}
