// The database side of an import, through the Driver interface: read the other tool's history
// table (only ever read, in a read-only transaction), and record the versions it applied as our
// tracking rows with the converted files' checksums.

import type { Driver } from "../drivers/driver.ts";
import { ConfigError, EXIT, MigrateError } from "../core/errors.ts";
import type { TrackedFile, TrackedRow } from "../core/types.ts";
import {
  type Adoption,
  checkHistoryTable,
  type History,
  HISTORY_TABLES,
  historyColumnsSql,
  type HistoryProblem,
  historySql,
  readHistory,
} from "./history.ts";
import type { ImportTool, MappedMigration } from "./types.ts";

/** The exit-3 error for a history that cannot be adopted as it is. */
export function historyError(
  database: string,
  table: string,
  tool: ImportTool,
  problems: HistoryProblem[],
  hint: string,
): MigrateError {
  const lines = problems.map((p) => `  ${p.version}: ${p.why}`);
  return new MigrateError(
    "IMPORT_HISTORY",
    EXIT.drift,
    `cannot adopt the ${tool} history of "${database}" (table ${table}): ${
      problems.length === 1 ? "1 row is" : `${problems.length} rows are`
    } unclear; nothing was written or recorded\n${lines.join("\n")}`,
    { database, hint },
  );
}

/**
 * The versions the tool applied, read from its table; a missing table, a table of another tool, or
 * a row that leaves the state unclear (dirty, failed, unfinished, no file) is exit 3.
 */
export async function readToolHistory(
  driver: Driver,
  database: string,
  tool: ImportTool,
  table: string | null,
  migrations: Pick<MappedMigration, "key">[],
): Promise<History> {
  const name = table ?? HISTORY_TABLES[tool];
  const select = driver.selectReadOnly?.bind(driver);
  if (!select) {
    // Exit 2 as the README lists it: nothing about the history is unclear, the kind is unsupported.
    throw new ConfigError(
      "IMPORT_UNSUPPORTED",
      `import adopts PostgreSQL history only; "${database}" is not PostgreSQL`,
      { database, hint: "import with --no-history, then record what was applied with baseline" },
    );
  }
  const columns = (await select(historyColumnsSql(tool, name))).map((r) => String(r.name));
  const check = checkHistoryTable(tool, columns, name);
  if (check.missing) {
    throw new MigrateError(
      "IMPORT_HISTORY",
      EXIT.drift,
      `no table ${name} in "${database}" (looked up through the search_path, as ${tool} does): ` +
        `cannot tell what ${tool} applied; nothing was written or recorded`,
      {
        database,
        hint: `give --history-table=SCHEMA.TABLE if ${tool} kept it elsewhere, or --no-history ` +
          `for a database ${tool} never ran on`,
      },
    );
  }
  if (check.problems.length > 0) {
    throw historyError(
      database,
      name,
      tool,
      check.problems,
      "check --from, or name the right table with --history-table",
    );
  }
  const history = readHistory(tool, await select(historySql(tool, name)), migrations);
  if (history.problems.length > 0) {
    throw historyError(
      database,
      name,
      tool,
      history.problems,
      `settle these rows with ${tool} first (the import never writes its table), then import again`,
    );
  }
  return history;
}

/** What our tracking table says of each adoption: to record, or recorded already. */
export interface AdoptionPlan {
  record: Adoption[];
  recorded: Adoption[];
}

/**
 * Sorts adoptions against our tracking rows: no row → record it; a successful row with the same
 * checksum → recorded before (a re-run); any other row of that version → exit 3, since recording
 * would hide a difference between what the other tool ran and what db-migrate tracks.
 */
export function planAdoptions(
  database: string,
  adopt: Adoption[],
  rows: TrackedRow[],
): AdoptionPlan {
  const byVersion = new Map(
    rows.filter((r) => r.kind === "migration" && r.version !== null).map((r) => [r.version!, r]),
  );
  const out: AdoptionPlan = { record: [], recorded: [] };
  const clashes: HistoryProblem[] = [];
  for (const a of adopt) {
    const row = byVersion.get(a.version);
    if (!row) out.record.push(a);
    else if (row.success && row.checksum === a.checksum) out.recorded.push(a);
    else {
      clashes.push({
        version: String(a.version),
        why: row.success
          ? `_schema_migrations already records "${row.script}" with checksum ` +
            `${row.checksum.slice(0, 12)}…, not ${a.checksum.slice(0, 12)}… of "${a.script}"`
          : `_schema_migrations records a failed attempt of "${row.script}"`,
      });
    }
  }
  if (clashes.length > 0) {
    throw new MigrateError(
      "IMPORT_HISTORY",
      EXIT.drift,
      `cannot adopt into "${database}": its tracking table already holds other rows for ` +
        `${clashes.length === 1 ? "a version" : "versions"} the import would record; nothing ` +
        `was recorded\n${clashes.map((c) => `  V${c.version}: ${c.why}`).join("\n")}`,
      {
        database,
        hint: "compare the imported file with the recorded one; remove the stale row, or import " +
          "into an empty folder",
      },
    );
  }
  return out;
}

/** The tracked file of an adoption, as discover would read the written file. */
export function adoptedFile(dir: string, a: Adoption, text: string): TrackedFile {
  return {
    kind: "migration",
    version: a.version,
    description: a.description,
    script: a.script,
    path: `${dir}/${a.script}`,
    text,
    checksum: a.checksum,
    format: "sql",
  };
}

/** Records the adopted migrations as applied without running them, in one transaction. */
export async function recordAdopted(driver: Driver, files: TrackedFile[]): Promise<void> {
  await driver.record(files.map((file) => ({ file, how: "baselined" as const })));
}
