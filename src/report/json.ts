// The --json document: the same result the text reporter renders, as one JSON object on stdout.

import type { RunResult } from "../core/result.ts";
import { countSteps, verifyReports } from "./summary.ts";
import { countReports } from "../verify/report.ts";
import { scrub } from "../core/redact.ts";
import { tenantCounts, tenantEntries } from "./tenants.ts";

/** The one JSON document a --json run prints. */
export function jsonDocument(result: RunResult, version: string): string {
  const c = countSteps(result);
  const doc = {
    tool: "db-migrate",
    version,
    mode: result.mode,
    seed: result.seedMode,
    ok: result.exitCode === 0,
    exitCode: result.exitCode,
    // In --status the counts are of the rows' states, as the text table and summary show them.
    summary: result.mode === "verify" ? countReports(verifyReports(result)) : c,
    durationMs: Math.round(result.durationMs),
    error: result.error ?? null,
    // create, validate and list: what they wrote, found or listed.
    ...result.report?.data,
    databases: result.databases.map((d) => ({
      name: d.name,
      kind: d.kind,
      target: d.target,
      ...(d.notice ? { notice: d.notice } : {}),
      // --status has its rows in `status`; the steps of a run that changes nothing would only
      // repeat them.
      ...(result.mode === "status" || result.mode === "info" ? {} : {
        steps: d.steps.map((s) => ({
          kind: s.kind,
          version: s.version,
          script: s.script,
          checksum: s.checksum,
          status: s.status,
          ms: s.ms === undefined ? null : Math.round(s.ms),
          ...(s.note ? { note: s.note } : {}),
          ...(s.error ? { error: s.error } : {}),
        })),
      }),
      ...(d.status ? { status: d.status } : {}),
      ...(d.replicas ? { replicas: d.replicas } : {}),
      ...(d.verify ? { verify: d.verify } : {}),
      ...(d.info ? { info: d.info } : {}),
    })),
    // One entry per tenant, in the group's order, when the run had tenant groups.
    ...(result.tenants ? { tenants: tenantEntries(result.tenants) } : {}),
  };
  return scrub(JSON.stringify(doc, null, 2));
}

/** A short summary for a Kubernetes termination message (at most 4 KiB). */
export function terminationMessage(result: RunResult): string {
  const c = countSteps(result);
  return scrub(JSON.stringify({
    ok: result.exitCode === 0,
    exitCode: result.exitCode,
    applied: c.applied,
    skipped: c.skipped,
    failed: c.failed,
    ...(result.tenants ? { tenants: tenantCounts(result.tenants) } : {}),
    error: result.error ? `${result.error.code}: ${result.error.message}`.slice(0, 2000) : null,
  }));
}
