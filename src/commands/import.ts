// `db-migrate import --from=TOOL SOURCE_DIR --database=DB`: another tool's migrations become ours in
// `<migrations>/<DB>/`, and with DB's URL the versions that tool applied become tracking rows with
// the converted files' checksums, so the next run applies exactly what it had not. Everything that
// can fail without side effects comes first (read, convert, check, read both histories), then the
// confirmation, then the files, then the rows under the migration lock. See docs/import-design.md.

import type { Options } from "../cli.ts";
import { checksum } from "../core/checksum.ts";
import { confirmChange } from "../core/confirm.ts";
import { connectWithWait } from "../core/connect.ts";
import { ConfigError } from "../core/errors.ts";
import { withLock } from "../core/lock.ts";
import { databaseResult, openOptions, type PipelineDeps } from "../core/pipeline.ts";
import { type RunResult, runResult } from "../core/result.ts";
import type { DatabaseConfig, Step, TrackedFile, TrackedRow } from "../core/types.ts";
import { type Driver, driverKind } from "../drivers/driver.ts";
import {
  adoptedFile,
  type AdoptionPlan,
  planAdoptions,
  readToolHistory,
  recordAdopted,
} from "../import/adopt.ts";
import { convertProject, planWrites, type WritePlan } from "../import/convert.ts";
import { readSourceDir, readTargetDir, writeConverted } from "../import/files.ts";
import { adoptions, HISTORY_TABLES } from "../import/history.ts";
import type { ImportPlan, ImportProblem, ImportTool } from "../import/types.ts";

/** Converts SOURCE_DIR into the database's folder and adopts the tool's history. */
export function importProject(
  targets: DatabaseConfig[],
  deps: PipelineDeps & { options: Options },
): Promise<RunResult> {
  const opts = deps.options;
  const target = targets[0]!;
  const result = databaseResult(target);
  return runResult(opts.dryRun ? "dry-run" : "import", opts.seed, [result], async () => {
    const io = opts.import!;
    const tool = io.from;
    const source = opts.args[0]!;
    const db = target.name;
    if (target.kind !== "postgres") {
      throw new ConfigError(
        "IMPORT_UNSUPPORTED",
        `import writes PostgreSQL migrations only; "${db}" is ${target.kind}`,
        { database: db, hint: "import into a PostgreSQL database's folder" },
      );
    }
    const limits = { maxFileMb: opts.maxFileMb };
    const existing = readTargetDir(target.migrationsDir, db, limits);
    const plan = convertProject(tool, readSourceDir(source, tool, db, limits), existing);
    const writes = planWrites(plan, existing);
    for (const n of [...plan.notes, ...writes.notes]) {
      deps.reporter.notice(`note: ${where(source, n.file, n.line)}: ${n.message}`);
    }
    const problems = [...plan.problems, ...writes.problems];
    if (problems.length === 0) problems.push(...await checkConverted(plan, writes, target));
    if (problems.length > 0) throw unsupported(db, source, tool, problems);

    let driver: Driver | null = null;
    try {
      let adopt: AdoptionPlan = { record: [], recorded: [] };
      let rows: TrackedRow[] = [];
      if (target.url !== null && !io.noHistory) {
        driver = await connect(target, deps, result);
        const history = await readToolHistory(driver, db, tool, io.historyTable, plan.migrations);
        rows = (await driver.readTracking(false)) ?? [];
        adopt = planAdoptions(db, adoptions(plan, history), rows);
      }
      const steps = stepsOf(plan, writes, adopt, rows, target, opts.dryRun);
      const table = io.historyTable ?? HISTORY_TABLES[tool];
      // Writing files alone changes no database: only recording rows asks first.
      const go = adopt.record.length === 0 ? !opts.dryRun : await confirmChange({
        command: "import",
        database: db,
        actions: [
          `record ${adopt.record.length} migration${
            adopt.record.length === 1 ? "" : "s"
          } that ${tool} applied (per ${table}) as applied, without running them: ` +
          adopt.record.map((a) => a.script).join(", "),
        ],
        yes: opts.yes,
        dryRun: opts.dryRun,
      });
      if (go) {
        writeConverted(target.migrationsDir, writes.write, db);
        if (adopt.record.length > 0) await adoptUnderLock(driver!, plan, adopt, target, deps);
      }
      deps.reporter.files(steps.map((s) => s.script));
      for (const s of steps) {
        result.steps.push(s);
        deps.reporter.step(s);
      }
    } finally {
      await driver?.close().catch(() => {});
    }
  });
}

/** `SOURCE_DIR/file:line`, as a message names a source file. */
function where(source: string, file: string, line?: number): string {
  return `${file === "." ? source : `${source}/${file}`}${line === undefined ? "" : `:${line}`}`;
}

/** The exit-2 error naming every construct without an equivalent, each with file and line. */
function unsupported(
  database: string,
  source: string,
  tool: ImportTool,
  problems: ImportProblem[],
): ConfigError {
  const first = problems[0]!;
  const lines = problems.map((p) =>
    `  ${where(source, p.file, p.line)}: ${p.message}${p.hint ? `\n    hint: ${p.hint}` : ""}`
  );
  return new ConfigError(
    "IMPORT_UNSUPPORTED",
    `cannot import "${source}" (${tool}) into "${database}": ${
      problems.length === 1 ? "1 problem" : `${problems.length} problems`
    }; nothing was written or recorded\n${lines.join("\n")}`,
    {
      database,
      position: {
        file: where(source, first.file),
        ...(first.line === undefined ? {} : { line: first.line }),
      },
      hint: first.hint ?? "change the source as each line says, then import again",
    },
  );
}

/** Runs the checks a real run makes on each file to be written, mapped back to its source. */
async function checkConverted(
  plan: ImportPlan,
  writes: WritePlan,
  target: DatabaseConfig,
): Promise<ImportProblem[]> {
  const { preparePostgres } = await import("../drivers/postgres/kind.ts");
  const sourceOf = new Map(
    plan.migrations.flatMap((m) => [[m.migration.name, m.source], [m.undo?.name, m.source]]),
  );
  const out: ImportProblem[] = [];
  for (const f of writes.write) {
    const file: TrackedFile = {
      kind: "migration",
      version: f.version,
      description: f.name,
      script: f.name,
      path: f.name,
      text: f.text,
      checksum: "",
      format: "sql",
    };
    try {
      await preparePostgres(file, { database: target.name, maxStatementMb: Infinity });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      const line = err.position?.line;
      out.push({
        file: sourceOf.get(f.name) ?? f.name,
        message: `converted, it cannot run (${err.code}, "${f.name}"${
          line === undefined ? "" : ` line ${line}`
        }): ${err.message}`,
        ...(err.hint ? { hint: err.hint } : {}),
      });
    }
  }
  return out;
}

/** Opens and connects the database's driver with --wait. */
async function connect(
  target: DatabaseConfig,
  deps: PipelineDeps,
  result: { target: string | null },
): Promise<Driver> {
  const kind = await driverKind(target, { embedded: false });
  if ("skip" in kind) throw new Error(kind.skip); // a URL is set: never skipped
  result.target = kind.describe(target);
  const driver = await kind.open(target, openOptions(deps));
  try {
    await connectWithWait(driver, target, result.target, {
      waitSeconds: deps.options.waitSeconds,
      signal: deps.signal,
      notice: deps.reporter.notice,
    });
  } catch (err) {
    await driver.close().catch(() => {});
    throw err;
  }
  return driver;
}

/**
 * Records the adoptions under the migration lock, after reading our tracking table again: a
 * concurrent run or import may have recorded some meanwhile (skipped), or recorded another file
 * for the version (exit 3, nothing recorded).
 */
async function adoptUnderLock(
  driver: Driver,
  plan: ImportPlan,
  adopt: AdoptionPlan,
  target: DatabaseConfig,
  deps: PipelineDeps,
): Promise<void> {
  const textOf = new Map(plan.migrations.map((m) => [m.migration.name, m.migration.text]));
  await withLock(driver, {
    database: target.name,
    timeoutMs: deps.options.lockTimeoutSeconds * 1000,
    signal: deps.signal,
    onWait: deps.reporter.notice,
  }, async () => {
    const now = planAdoptions(target.name, adopt.record, (await driver.readTracking(false)) ?? []);
    if (deps.signal.aborted) throw deps.signal.reason;
    await recordAdopted(
      driver,
      now.record.map((a) => adoptedFile(target.migrationsDir, a, textOf.get(a.script)!)),
    );
  });
}

/**
 * One step per source migration, in version order: `baselined` (the tool applied it; recorded
 * now), `skipped` (recorded before), or `pending` (the next run applies it); the note says which
 * files it became and whether they were written.
 */
function stepsOf(
  plan: ImportPlan,
  writes: WritePlan,
  adopt: AdoptionPlan,
  rows: TrackedRow[],
  target: DatabaseConfig,
  dryRun: boolean,
): Step[] {
  const written = new Set(writes.write.map((f) => f.name));
  const toRecord = new Set(adopt.record.map((a) => a.script));
  const tracked = new Map(
    rows.filter((r) => r.kind === "migration").map((r) => [r.version, r]),
  );
  return plan.migrations.map((m) => {
    const files = [m.migration.name, ...(m.undo ? [m.undo.name] : [])];
    const isNew = files.some((f) => written.has(f));
    const fileNote = `${
      isNew ? (dryRun ? "would write" : "written") : "unchanged"
    } from ${m.source}${m.undo ? ` (+ ${m.undo.name})` : ""}${
      m.kept ? ", version kept from an earlier import" : ""
    }`;
    const row = tracked.get(m.version);
    let status: Step["status"] = "pending";
    let note = fileNote;
    if (toRecord.has(m.migration.name)) {
      status = "baselined";
      note = `${dryRun ? "would be recorded" : "recorded"}: applied by ${plan.tool}; ${fileNote}`;
    } else if (row && row.success) {
      status = "skipped";
      note = `already recorded; ${fileNote}`;
    }
    return {
      database: target.name,
      kind: "migration",
      version: m.version,
      script: m.migration.name,
      checksum: checksum(m.migration.text),
      status,
      note,
    };
  });
}
