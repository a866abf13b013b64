// `db-migrate validate`: every check a run makes before it connects, made on every file of every
// database (all seed sets, undo files too) with no connection, and every problem listed, each with
// its file, line and column: a pre-commit hook's check. The checks are the run's own (discovery,
// the kinds' prepare, the config's URL checks), collected instead of stopping at the first.
// `--online` then compares with the databases (drift, pending) and changes nothing.

import type { CommandDeps } from "../cli.ts";
import { checkUrls } from "../config.ts";
import { discoverMigrations, discoverSeeds } from "../core/discover.ts";
import { ConfigError, type ErrorData, type MigrateError, toErrorData } from "../core/errors.ts";
import { closeAll, databaseResult, drifted, driftError, inspectAll } from "../core/pipeline.ts";
import { readTracked } from "../core/read.ts";
import { type CommandReport, reportResult, type RunResult } from "../core/result.ts";
import type { DatabaseConfig, TrackedFile } from "../core/types.ts";
import { prepareOffline } from "../drivers/driver.ts";

/** What validate checked and found. */
interface Findings {
  problems: ConfigError[];
  /** Files checked, per database. */
  files: Map<string, number>;
}

/** `file:line:column: CODE message`, as compilers print it, so editors can jump to it. */
export function problemLine(p: ErrorData): string {
  const where = p.file === undefined
    ? p.database === undefined ? "" : `${p.database}: `
    : `${p.file}${p.line === undefined ? "" : `:${p.line}`}${
      p.column === undefined ? "" : `:${p.column}`
    }: `;
  return `${where}${p.code}: ${p.message}${p.hint ? `\n  hint: ${p.hint}` : ""}`;
}

/** A migration's undo file, read as the file it is (it is checked like a migration). */
function undoFile(m: TrackedFile, database: string, maxFileMb: number): TrackedFile | null {
  if (!m.undo) return null;
  const { text, sum } = readTracked(m.undo.path, database, maxFileMb);
  return { ...m, script: m.undo.script, path: m.undo.path, text, checksum: sum };
}

/** Checks every file of one database offline, adding what it finds. */
async function checkDatabase(
  target: DatabaseConfig,
  deps: CommandDeps,
  found: Findings,
): Promise<void> {
  const { options } = deps;
  const limits = { maxFileMb: options.maxFileMb };
  const { problems } = found;
  const add = (err: unknown) => {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(err);
  };
  let files: TrackedFile[] = [];
  try {
    const migrations = discoverMigrations(target.migrationsDir, target.name, limits, problems);
    const undos: TrackedFile[] = [];
    for (const m of migrations) {
      try {
        const u = undoFile(m, target.name, options.maxFileMb);
        if (u) undos.push(u);
      } catch (err) {
        add(err);
      }
    }
    // Every seed set, whatever the mode: a commit may change the full set's files too.
    const seeds = discoverSeeds(target.seedsDir, target.name, "full", limits, problems);
    files = [...migrations, ...undos, ...seeds];
  } catch (err) {
    add(err); // a folder that cannot be read at all
  }
  const ctx = { database: target.name, maxStatementMb: options.maxStatementMb };
  for (const file of files) {
    try {
      await prepareOffline(target.kind, file, ctx);
    } catch (err) {
      add(err);
    }
  }
  found.files.set(target.name, files.length);
}

/**
 * --online: applied, pending and drifted files of each database, read from its tracking table;
 * changes nothing. The drift error (exit 3) is made while the drivers are open (it shows diffs).
 */
async function online(
  targets: DatabaseConfig[],
  deps: CommandDeps,
): Promise<{ lines: string[]; drift: MigrateError | null }> {
  // A tenant group has no database of its own: its tenants' state is status's to show.
  const lines = targets.filter((t) => t.tenants).map((t) =>
    `${t.name}: a tenant group, not compared (db-migrate status --database=${t.name} shows ` +
    "each tenant)"
  );
  const plain = targets.filter((t) => !t.tenants);
  const results = plain.map(databaseResult);
  const inspections = await inspectAll(plain, results, deps, "status");
  try {
    for (const ins of inspections) {
      const name = ins.files.target.name;
      if (!ins.plan) {
        lines.push(`${name}: ${ins.result.notice ?? "not checked"}`);
        continue;
      }
      const pending = ins.plan.pending.map((e) => e.file!.script);
      lines.push(
        `${name}: ${ins.plan.skipped.length} applied, ${pending.length} pending` +
          (pending.length ? ` (${pending.join(", ")})` : "") +
          (ins.plan.drift.length ? `, ${ins.plan.drift.length} drifted` : ""),
      );
    }
    const drift = inspections.map(drifted).filter((d) => d !== null);
    return { lines, drift: drift.length > 0 ? await driftError(drift) : null };
  } finally {
    await closeAll(inspections);
  }
}

/** Checks the files, config and URLs of every database; lists every problem (exit 2). */
export function validate(targets: DatabaseConfig[], deps: CommandDeps): Promise<RunResult> {
  const { options } = deps;
  return reportResult("validate", options.seed, async (report) => {
    const found: Findings = { problems: [...deps.configProblems], files: new Map() };
    const reported = new Set(found.problems.map((p) => p.database));
    for (const t of targets) {
      // A URL that is missing is a problem as it is for a run with the same flags (--embedded).
      if (reported.has(t.name)) continue;
      try {
        checkUrls([t], options.embedded);
      } catch (err) {
        found.problems.push(err as ConfigError);
      }
    }
    for (const t of targets) await checkDatabase(t, deps, found);
    const problems = found.problems.map((p) => toErrorData(p));
    const fileCount = [...found.files.values()].reduce((a, b) => a + b, 0);
    const dbs = `${targets.length} ${targets.length === 1 ? "database" : "databases"}`;
    const checked = `${fileCount} ${fileCount === 1 ? "file" : "files"} of ${dbs}`;
    const r: CommandReport = {
      lines: problems.map(problemLine),
      data: {
        problems,
        checked: {
          databases: targets.map((t) => ({
            name: t.name,
            kind: t.kind,
            files: found.files.get(t.name) ?? 0,
          })),
          files: fileCount,
        },
      },
    };
    report(r);
    if (problems.length > 0) {
      r.lines.push(
        `validate: ${problems.length} ${
          problems.length === 1 ? "problem" : "problems"
        } in ${checked}`,
      );
      throw new ConfigError(
        "VALIDATION_FAILED",
        `validate found ${problems.length} ${
          problems.length === 1 ? "problem" : "problems"
        } in ${checked} (listed on standard output)`,
        { hint: "fix each one; a run would stop at the first of them before changing anything" },
      );
    }
    if (options.online) {
      const { lines, drift } = await online(targets, deps);
      r.lines.push(...lines);
      r.data.online = lines;
      if (drift) {
        r.lines.push(`validate: ${checked} valid; drift found`);
        throw drift;
      }
    }
    r.lines.push(`validate: ${checked} valid${options.online ? "; no drift" : ""}`);
  });
}
