// `db-migrate list`: the files of each database as a run would find them (migrations by version,
// with their checksum and undo file; the seeds of the mode), read from disk only: no URL, no server.

import type { CommandDeps } from "../cli.ts";
import { discoverMigrations, discoverSeeds } from "../core/discover.ts";
import { reportResult, type RunResult } from "../core/result.ts";
import type { DatabaseConfig, TrackedFile } from "../core/types.ts";
import { shortChecksum } from "../report/text.ts";

/** One file as list shows it. */
interface Listed {
  kind: "migration" | "seed";
  version: number | null;
  script: string;
  checksum: string;
  /** The undo file of a migration, or null (always null for a seed). */
  undo: string | null;
}

function listed(f: TrackedFile): Listed {
  return {
    kind: f.kind,
    version: f.version,
    script: f.script,
    checksum: f.checksum,
    undo: f.undo?.script ?? null,
  };
}

/** The text table of one database: version, file, short checksum, undo file. */
export function listTable(name: string, kind: string, dir: string, files: Listed[]): string[] {
  const rows = files.map((f) => [
    f.version === null ? "seed" : String(f.version),
    f.script,
    shortChecksum(f.checksum),
    f.kind === "seed" ? "" : f.undo ?? "-",
  ]);
  const head = ["version", "file", "checksum", "undo"];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => "  " + r.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
  return [`${name} (${kind}, ${dir})`, line(head), ...rows.map(line)];
}

/** Lists the migrations and the seeds of the mode of each database. */
export function list(targets: DatabaseConfig[], deps: CommandDeps): Promise<RunResult> {
  const { options } = deps;
  return reportResult("list", options.seed, (report) => {
    const limits = { maxFileMb: options.maxFileMb };
    const lines: string[] = [];
    const data: unknown[] = [];
    let migrations = 0, seeds = 0, undos = 0;
    for (const t of targets) {
      const files = [
        ...discoverMigrations(t.migrationsDir, t.name, limits),
        ...discoverSeeds(t.seedsDir, t.name, options.seed, limits),
      ].map(listed);
      for (const f of files) {
        if (f.kind === "seed") seeds++;
        else migrations++;
        if (f.undo) undos++;
      }
      lines.push(...listTable(t.name, t.kind, t.migrationsDir, files), "");
      data.push({ name: t.name, kind: t.kind, files });
    }
    lines.push(
      `${migrations} migrations (${undos} with an undo file), ${seeds} seeds (${options.seed}) ` +
        `in ${targets.length} ${targets.length === 1 ? "database" : "databases"}`,
    );
    report({ lines, data: { list: data } });
    return Promise.resolve();
  });
}
