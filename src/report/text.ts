// Human lines: a progress line per file, a table per database for --status. In --json mode the same
// lines go to stderr so stdout holds only the document.

import { scrub } from "../redact.ts";
import type { Step } from "../types.ts";
import type { DatabaseResult } from "./summary.ts";

/** Where human lines go during a run. */
export interface Reporter {
  /** A progress line (stdout in text mode, stderr with --json). */
  line(text: string): void;
  /** A notice or warning (always stderr). */
  notice(text: string): void;
  /** One file's outcome. */
  step(step: Step): void;
  /** Column width for database names, so progress lines align. */
  width: number;
}

const encoder = new TextEncoder();

/** Writes a line to a stream synchronously, so lines keep their order across stdout and stderr. */
export function writeLine(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  const bytes = encoder.encode(scrub(text) + "\n");
  let off = 0;
  while (off < bytes.length) off += stream.writeSync(bytes.subarray(off));
}

/** `postgres  V003__vector_tables.sql  applied  41 ms` */
export function stepLine(step: Step, width: number): string {
  const parts = [step.database.padEnd(width), step.script, step.status];
  if (step.ms !== undefined) parts.push(`${Math.round(step.ms)} ms`);
  if (step.note) parts.push(step.note);
  return parts.join("  ") + (step.error ? `\n${indent(step.error)}` : "");
}

function indent(text: string): string {
  return text.split("\n").map((l) => `    ${l}`).join("\n");
}

/** A reporter writing to the process's streams. */
export function consoleReporter(json: boolean, width: number): Reporter {
  const out = json ? Deno.stderr : Deno.stdout;
  return {
    width,
    line: (t) => writeLine(out, t),
    notice: (t) => writeLine(Deno.stderr, t),
    step(s) {
      writeLine(out, stepLine(s, this.width));
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
    e.appliedAt ?? "",
    e.ms === null ? "" : `${e.ms} ms`,
  ]);
  if (rows.length === 0) return `${head}: no migrations or seeds`;
  const header = ["VERSION", "SCRIPT", "STATE", "APPLIED AT", "TOOK"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: string[]) => "  " + r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  const lines = [head, fmt(header), ...rows.map(fmt)];
  for (const e of db.status ?? []) {
    if (e.error) lines.push(`  ${e.script} failed: ${e.error.split("\n")[0]}`);
  }
  return lines.join("\n");
}
