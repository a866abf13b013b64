// Human lines: a progress line per file, a table per database for --status. In --json mode the same
// lines go to stderr so stdout holds only the document.

import { scrub } from "../core/redact.ts";
import type { Step } from "../core/types.ts";
import type { Reporter } from "../core/reporter.ts";
import type { DatabaseResult } from "../core/result.ts";
import { humanTime } from "../core/time.ts";

const encoder = new TextEncoder();

/** Writes a line to a stream synchronously, so lines keep their order across stdout and stderr. */
export function writeLine(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(scrub(text) + "\n");
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

/** The widest status word (`repaired`), so the time and note columns start in one place. */
const STATUS_WIDTH = 8;
/** Room for `99999 ms`. */
const TIME_WIDTH = 8;

/** The column layout of progress lines. */
export interface Layout {
  /** Column width for database names, so progress lines align. */
  width: number;
  /** Column width for file names, set once the run knows which files it will print. */
  fileWidth: number;
  /** Whether progress lines have a time column (runs that apply; a dry run times nothing). */
  times: boolean;
  /** Whether progress lines show each file's checksum, shortened (a dry run). */
  checksums: boolean;
}

/**
 * `postgres  V003__vector_tables.sql  applied     41 ms  note`: database, file, status, time (or, in
 * a dry run, the short checksum) and note in aligned columns.
 */
export function stepLine(step: Step, layout: Layout): string {
  const parts = [step.database.padEnd(layout.width), step.script.padEnd(layout.fileWidth)];
  parts.push(step.status.padEnd(STATUS_WIDTH));
  if (layout.times) {
    parts.push(
      step.ms === undefined
        ? "".padEnd(TIME_WIDTH)
        : `${Math.round(step.ms)} ms`.padStart(TIME_WIDTH),
    );
  }
  if (layout.checksums) parts.push(shortChecksum(step.checksum).padEnd(12));
  if (step.note) parts.push(step.note);
  return parts.join("  ").trimEnd() + (step.error ? `\n${indent(step.error)}` : "");
}

/** The first 12 hex digits of a checksum, for people; JSON output carries all 64. */
export function shortChecksum(sum: string): string {
  return sum.slice(0, 12);
}

function indent(text: string): string {
  return text.split("\n").map((l) => `    ${l}`).join("\n");
}

/** A reporter writing lines to the process's streams: progress to stdout (stderr with --json). */
export function consoleReporter(json: boolean, columns: Omit<Layout, "fileWidth">): Reporter {
  const out = json ? Deno.stderr : Deno.stdout;
  const layout: Layout = { ...columns, fileWidth: 0 };
  return {
    notice: (t) => writeLine(Deno.stderr, t),
    step: (s) => writeLine(out, stepLine(s, layout)),
    upToDate: (database, skipped) =>
      writeLine(out, `${database.padEnd(layout.width)}  up to date (${skipped} skipped)`),
    files(scripts) {
      layout.fileWidth = Math.max(0, ...scripts.map((s) => s.length));
    },
  };
}

/** The --status table of one database. */
export function statusTable(db: DatabaseResult): string {
  const head = `${db.name} (${db.kind}${db.target ? `, ${db.target}` : ""})`;
  if (db.notice) return `${head}: ${db.notice}`;
  const rows = (db.status ?? []).map((e) => [
    e.version === null ? "seed" : String(e.version),
    e.script,
    e.state,
    e.appliedAt === null ? "" : humanTime(new Date(e.appliedAt)),
    e.ms === null ? "" : `${e.ms} ms`,
  ]);
  if (rows.length === 0) return `${head}: no migrations or seeds`;
  const header = ["VERSION", "SCRIPT", "STATE", "APPLIED AT", "TOOK"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  // Durations right-aligned, as in progress lines.
  const fmt = (r: string[]) =>
    "  " + r.map((c, i) => i === 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join("  ")
      .trimEnd();
  const lines = [head, fmt(header), ...rows.map(fmt)];
  for (const e of db.status ?? []) {
    if (e.error) lines.push(`  ${e.script} failed: ${e.error.split("\n")[0]}`);
    if (e.state === "undone") {
      lines.push(
        `  ${e.script} undone${e.by ? ` by ${e.by}` : ""}${
          e.appliedAt ? ` at ${humanTime(new Date(e.appliedAt))}` : ""
        }: migrate applies it again`,
      );
    }
  }
  lines.push(...replicaLines(db));
  return lines.join("\n");
}

/** The `info` block of one database: server, lock, counts, last applied, failed rows. */
export function infoBlock(db: DatabaseResult): string {
  const head = `${db.name} (${db.kind}${db.target ? `, ${db.target}` : ""})`;
  if (db.notice) return `${head}: ${db.notice}`;
  const i = db.info;
  if (!i) return head;
  const c = i.counts;
  const lines = [
    head,
    `  server:       ${i.server}`,
    `  user:         ${i.user}`,
    `  lock:         ${i.lockHolder ? `held by ${i.lockHolder}` : "free"}`,
    `  tracking:     ${i.tracked ? "_schema_migrations" : "no tracking table yet"}`,
    `  files:        ${c.applied} applied, ${c.pending} pending, ${c.failed} failed, ` +
    `${c.undone} undone`,
    `  last applied: ${
      i.lastApplied
        ? `${i.lastApplied.script}${
          i.lastApplied.appliedAt ? ` at ${humanTime(new Date(i.lastApplied.appliedAt))}` : ""
        }`
        : "none"
    }`,
    `  drift:        ${c.drift === 0 ? "none" : `${c.drift} (run status to see which)`}`,
  ];
  for (const f of i.failed) {
    lines.push(`  failed: ${f.script}${f.during === "undo" ? " (while undoing it)" : ""}`);
    lines.push(`    error: ${(f.error ?? "no error recorded").split("\n").join("\n           ")}`);
    if (f.at) lines.push(`    statement: ${f.at.split("\n").join("\n               ")}`);
  }
  lines.push(...replicaLines(db));
  return lines.join("\n");
}

/** One line per replica of a replicated database: whether it is up and has caught up. */
function replicaLines(db: DatabaseResult): string[] {
  return (db.replicas ?? []).map((r) =>
    `  replica ${r.replica}: ${r.active ? "active" : "down"}, ${
      r.caughtUp ? "caught up" : `behind by ${r.behind} ${r.behind === 1 ? "change" : "changes"}`
    }`
  );
}
