// A run over tenants as people and log readers see it: a line per finished tenant, a live progress
// line on a terminal (plain progress lines every few seconds elsewhere), the status of a fleet as
// one line per tenant, the failed tenants with their first error, and the counts for the summary
// and the termination message.

import type { DatabaseResult, RunResult, TenantResult } from "../core/result.ts";
import type { Step } from "../core/types.ts";
import type { LogEvent } from "./log_json.ts";
import { writeLine } from "./text.ts";

type Stream = { writeSync(p: Uint8Array): number };

/** How many tenants ended in each state. */
export interface TenantCounts {
  total: number;
  ok: number;
  failed: number;
  drift: number;
  notRun: number;
}

/** The tenants' counts, for the summary line, the JSON document and the termination message. */
export function tenantCounts(tenants: readonly TenantResult[]): TenantCounts {
  const c: TenantCounts = { total: tenants.length, ok: 0, failed: 0, drift: 0, notRun: 0 };
  for (const t of tenants) {
    if (t.state === "ok") c.ok++;
    else if (t.state === "failed") c.failed++;
    else if (t.state === "drift") c.drift++;
    else c.notRun++;
  }
  return c;
}

/** `tenants: 47 ok, 2 failed, 1 drifted of 50`, for the summary line. */
export function tenantSummary(tenants: readonly TenantResult[]): string {
  const c = tenantCounts(tenants);
  const parts = [`${c.ok} ok`];
  if (c.failed) parts.push(`${c.failed} failed`);
  if (c.drift) parts.push(`${c.drift} drifted`);
  if (c.notRun) parts.push(`${c.notRun} not run`);
  return `tenants: ${parts.join(", ")} of ${c.total}`;
}

/** Files of a database by state: `3 applied, 17 skipped`, or what a plan or status found. */
function fileCounts(db: DatabaseResult | undefined, mode: RunResult["mode"]): string {
  if (!db) return "";
  if (mode === "status" || mode === "info") {
    const by = new Map<string, number>();
    for (const e of db.status ?? []) by.set(e.state, (by.get(e.state) ?? 0) + 1);
    return [...by].map(([state, n]) => `${n} ${state}`).join(", ");
  }
  const by = new Map<Step["status"], number>();
  for (const s of db.steps) by.set(s.status, (by.get(s.status) ?? 0) + 1);
  return [...by].map(([status, n]) => `${n} ${status}`).join(", ");
}

/** The first line of a message. */
function firstLine(text: string): string {
  return text.split("\n")[0]!;
}

/**
 * `tenant/acme  ok      3 applied, 17 skipped  1.2 s`, or `failed  LOCK_TIMEOUT after 4
 * attempts: …`: one finished tenant.
 */
export function tenantLine(
  t: TenantResult,
  db: DatabaseResult | undefined,
  mode: RunResult["mode"],
  width: number,
): string {
  const parts = [t.database.padEnd(width), t.state.padEnd(7)];
  const files = fileCounts(db, mode);
  if (files) parts.push(files);
  if (t.attempts > 1) parts.push(`${t.attempts} attempts`);
  parts.push(`${(t.ms / 1000).toFixed(1)} s`);
  const line = parts.join("  ");
  return t.error ? `${line}\n    ${t.error.code}: ${firstLine(t.error.message)}` : line;
}

/** The status of a fleet: one line per tenant with its files by state (`--verbose`: per file). */
export function tenantStatusTable(
  tenants: readonly TenantResult[],
  dbs: ReadonlyMap<string, DatabaseResult>,
): string {
  const rows = tenants.map((t) => {
    const by = { applied: 0, pending: 0, failed: 0, drift: 0 };
    for (const e of dbs.get(t.database)?.status ?? []) {
      if (e.state === "applied") by.applied++;
      // An undone migration is applied again by the next migrate, as a pending one is.
      else if (e.state === "pending" || e.state === "undone") by.pending++;
      else if (e.state === "failed") by.failed++;
      else by.drift++;
    }
    const state = t.state !== "ok"
      ? t.error ? `${t.state}: ${t.error.code}` : t.state
      : by.drift
      ? "drift"
      : by.failed
      ? "failed"
      : by.pending
      ? "pending"
      : "up to date";
    return [
      t.database,
      state,
      String(by.applied),
      String(by.pending),
      String(by.failed),
      String(
        by.drift,
      ),
    ];
  });
  const header = ["TENANT", "STATE", "APPLIED", "PENDING", "FAILED", "DRIFT"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => i >= 2 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [fmt(header), ...rows.map(fmt)].join("\n");
}

/** A table's lines: the header and rows, columns from `right` on aligned right. */
function table(header: string[], rows: string[][], right: number): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) =>
    r.map((c, i) => i >= right && i < r.length - 1 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))
      .join("  ").trimEnd();
  return [fmt(header), ...rows.map(fmt)].join("\n");
}

/**
 * `info` over a fleet: one line per tenant with its counts and who holds its lock (`--verbose`:
 * each tenant's info block instead).
 */
export function tenantInfoTable(
  tenants: readonly TenantResult[],
  dbs: ReadonlyMap<string, DatabaseResult>,
): string {
  const rows = tenants.map((t) => {
    const i = dbs.get(t.database)?.info;
    const c = i?.counts;
    const state = t.state !== "ok"
      ? t.error ? `${t.state}: ${t.error.code}` : t.state
      : !c
      ? "not run"
      : c.drift
      ? "drift"
      : c.failed
      ? "failed"
      : c.pending || c.undone
      ? "pending"
      : "up to date";
    const n = (v: number | undefined) => v === undefined ? "-" : String(v);
    return [
      t.database,
      state,
      n(c?.applied),
      n(c?.pending),
      n(c?.failed),
      n(c?.undone),
      n(c?.drift),
      !i ? "-" : i.lockHolder ? `held by ${i.lockHolder}` : "free",
    ];
  });
  const header = ["TENANT", "STATE", "APPLIED", "PENDING", "FAILED", "UNDONE", "DRIFT", "LOCK"];
  return table(header, rows, 2);
}

/** The failed (and drifted) tenants by id, each with its first error; empty when none failed. */
export function failedTenants(tenants: readonly TenantResult[]): string {
  const bad = tenants.filter((t) => t.state === "failed" || t.state === "drift");
  if (bad.length === 0) return "";
  const lines = [`${bad.length} of ${tenants.length} tenants did not succeed:`];
  for (const t of bad) {
    lines.push(
      `  ${t.group} ${t.id}: ${
        t.error ? `${t.error.code}: ${firstLine(t.error.message)}` : t.state
      }`,
    );
  }
  return lines.join("\n");
}

/** A finished tenant as a log event (--log-format=json). */
export function tenantEvent(t: TenantResult): LogEvent {
  return {
    level: t.state === "ok" ? "info" : t.state === "not run" ? "warn" : "error",
    event: "tenant",
    group: t.group,
    tenant: t.id,
    database: t.database,
    state: t.state,
    attempts: t.attempts,
    durationMs: Math.round(t.ms),
    ...(t.error ? { error: t.error } : {}),
  };
}

/** The tenant entries of the --json document. */
export function tenantEntries(tenants: readonly TenantResult[]): unknown[] {
  return tenants.map((t) => ({
    group: t.group,
    id: t.id,
    database: t.database,
    state: t.state,
    attempts: t.attempts,
    durationMs: Math.round(t.ms),
    error: t.error ?? null,
  }));
}

/** How long, for people: `42 s`, `3 min 5 s`. */
function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/**
 * The progress of a pool of tenants: on a terminal, one line redrawn in place under the tenants'
 * lines; in a log, the same words as a plain line every `everyMs`. A resource: stop() it.
 */
export class TenantProgress {
  readonly #started = performance.now();
  #done = 0;
  #failed = 0;
  #running = 0;
  #shown = false;
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    readonly out: Stream,
    readonly total: number,
    readonly opts: { tty: boolean; json: boolean; everyMs?: number },
  ) {
    if (total === 0 || opts.json) return;
    const every = opts.tty ? 500 : opts.everyMs ?? 10_000;
    this.#timer = setInterval(() => opts.tty ? this.#draw() : this.#plain(), every);
    Deno.unrefTimer(this.#timer);
  }

  /** `37/50 tenants done, 1 failed, 5 running, 12 s elapsed, ETA 4 s`. */
  text(): string {
    const elapsed = performance.now() - this.#started;
    const eta = this.#done === 0
      ? "ETA unknown"
      : `ETA ${duration(elapsed / this.#done * (this.total - this.#done))}`;
    return `${this.#done}/${this.total} tenants done, ${this.#failed} failed, ${this.#running} ` +
      `running, ${duration(elapsed)} elapsed, ${eta}`;
  }

  /** A tenant started. */
  start(): void {
    this.#running++;
  }

  /** A tenant finished, with its line. */
  finish(line: string, failed: boolean): void {
    this.#running--;
    this.#done++;
    if (failed) this.#failed++;
    if (line) this.line(line);
    else if (this.opts.tty) this.#draw();
  }

  /** Any other line (a notice), written above the progress line. */
  line(text: string, stream: Stream = this.out): void {
    this.#clear();
    writeLine(stream, text);
    if (this.opts.tty) this.#draw();
  }

  #clear(): void {
    if (!this.#shown) return;
    this.out.writeSync(new TextEncoder().encode("\r\x1b[K"));
    this.#shown = false;
  }

  #draw(): void {
    this.#clear();
    this.out.writeSync(new TextEncoder().encode(this.text()));
    this.#shown = true;
  }

  #plain(): void {
    writeLine(this.out, `progress: ${this.text()}`);
  }

  /** Ends the progress line; a plain log gets a last progress line. */
  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#clear();
  }
}
