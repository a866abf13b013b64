// CSV seeds on PostgreSQL: the server parses the file. After the header and key are checked
// against the catalog, the file's bytes stream into COPY ... FROM STDIN (WITH FORMAT csv, HEADER):
// straight into the table when it is empty, else into a staging table of the columns' types and
// merged with INSERT ... ON CONFLICT. COPY names the line and column of a value it cannot read; the
// record is found again in the file for its exact position. PGlite, which takes no COPY FROM STDIN,
// gets the records as batched INSERTs into the staging table.

import { ApplyError, MigrateError } from "../../core/errors.ts";
import { fieldPos, withRecord } from "../../seeds/csv.ts";
import { concatBytes, type CsvRecordView, eachChunk, eachRecord } from "../../seeds/csv_file.ts";
import { isEndMarker } from "../../seeds/csv_scan.ts";
import { seedError } from "../../seeds/errors.ts";
import { isUniqueKey } from "./seed_plan.ts";
import type { ColumnInfo, CsvSeed, Pos, TableInfo } from "../../seeds/types.ts";
import { checkText } from "./seed_values.ts";
import { copyIn, type CopyWrite } from "./copy.ts";
import type { PgError } from "./errors.ts";
import {
  copyErrorLine,
  errorColumn,
  errorValue,
  note,
  type SeedRun,
  withoutContext,
} from "./seed.ts";
import {
  copyCsvSql,
  duplicateKeySql,
  mergeSql,
  STAGE,
  stageInsertSql,
  stagingSql,
} from "./seed_sql.ts";

/** Loads a CSV seed in the open transaction; returns the progress note. */
export async function loadCsv(run: SeedRun, seed: CsvSeed): Promise<string> {
  const { info, columns, key } = await checkTarget(run, seed);
  const label = `(CSV into "${seed.table}")`;
  if (seed.records === 0) return `${note(run.counts, 1)} ${label}`;
  const pglite = await run.pglite();
  if (!pglite && await run.emptyAndLocked(info)) {
    // Nothing to merge with: COPY straight into the table. Two rows with one key then collide as a
    // unique violation, which the merge below treats by the seed's rules instead.
    let copied = 0;
    const err = await run.attempt(async () => {
      copied = await copyIn(run.sql, copyCsvSql(columns, info), sendFile(seed), run.req.signal);
    });
    if (err === null) {
      run.counts = { rows: seed.records, inserted: copied, updated: 0 };
      return `${note(run.counts, 1)} ${label}`;
    }
    if ((err as PgError).code !== "23505") throw await copyFailure(run, seed, columns, err);
  }
  await run.q(stagingSql(columns));
  try {
    const staged = pglite
      ? await stageWithInserts(run, seed, columns)
      : await copyIn(run.sql, copyCsvSql(columns), sendFile(seed), run.req.signal);
    if (staged !== seed.records) {
      throw run.applyError(new Error(`COPY staged ${staged} of ${seed.records} records`));
    }
  } catch (err) {
    if (run.req.signal.aborted || err instanceof MigrateError) throw err;
    throw await copyFailure(run, seed, columns, err);
  }
  const merge = async (lo: number, hi: number | null) => {
    const res = hi === null
      ? await run.q(mergeSql(info, columns, key))
      : await run.q(mergeSql(info, columns, key, true), [String(lo + 1), String(hi + 1)]);
    run.counts.inserted += Number(res[0]?.inserted ?? 0);
    run.counts.updated += Number(res[0]?.updated ?? 0);
  };
  const err = await run.attempt(() => merge(0, null));
  if (err) {
    run.counts = { rows: 0, inserted: 0, updated: 0 };
    throw await mergeFailure(run, seed, columns, key, err, merge);
  }
  run.counts.rows = seed.records;
  return `${note(run.counts, 1)} ${label}`;
}

/** The table, the header's columns and the key, checked before anything is written. */
async function checkTarget(
  run: SeedRun,
  seed: CsvSeed,
): Promise<{ info: TableInfo; columns: ColumnInfo[]; key: string[] | null }> {
  const fail = (pos: Pos | null, msg: string, hint?: string): never => {
    throw seedError({ ...run.where, pos }, msg, hint);
  };
  const info = (await run.catalog([seed.table])).get(seed.table) ??
    fail(
      { line: 1, column: 1 },
      `unknown table "${seed.table}" (from the file name)`,
      "name the file NNN_<table>.csv after an existing table, or set `table:` in its sidecar",
    );
  const columns = seed.columns.map((h) => {
    const col = info.columns.find((c) => c.name === h.name) ??
      fail(h.pos, `unknown column "${h.name}" in table "${seed.table}"`);
    if (col.generated) fail(h.pos, `column "${h.name}" is generated and cannot be written`);
    return col;
  });
  if (!seed.key) return { info, columns, key: null };
  const where = { path: seed.key.path, database: run.target.database, pos: seed.key.pos };
  for (const k of seed.key.columns) {
    if (!seed.columns.some((c) => c.name === k)) {
      throw seedError(where, `key column "${k}" is not in the CSV header of "${seed.path}"`);
    }
  }
  if (!isUniqueKey(info, seed.key.columns)) {
    throw seedError(
      where,
      `key (${
        seed.key.columns.join(", ")
      }) of "${seed.table}" is not a primary key, unique constraint or unique index`,
    );
  }
  return { info, columns, key: seed.key.columns };
}

/**
 * The COPY data: the file's bytes as they are when COPY reads them as the parser did, else each
 * record (blank lines left out, `\.` quoted, every line ending LF; a quoted field keeps its bytes).
 */
function sendFile(seed: CsvSeed): (write: CopyWrite) => Promise<void> {
  if (seed.plain) return (write) => eachChunk(seed.path, seed.bom, write);
  return async (write) => {
    let parts: Uint8Array[] = [], size = 0;
    const LF = new Uint8Array([10]), MARKER = new TextEncoder().encode('"\\."');
    await eachRecord(seed.path, (r) => {
      const bytes = isEndMarker(r.buf, r.start, r.scan.end)
        ? MARKER
        : r.buf.subarray(r.start, r.scan.end);
      parts.push(bytes, LF);
      size += bytes.length + 1;
    }, {
      between: async () => {
        if (size === 0) return;
        const chunk = concatBytes(parts, size);
        parts = [];
        size = 0;
        await write(chunk);
      },
    });
  };
}

/** Stages the records with batched INSERTs (PGlite); returns how many rows it holds. */
async function stageWithInserts(
  run: SeedRun,
  seed: CsvSeed,
  columns: ColumnInfo[],
): Promise<number> {
  const perBatch = Math.max(1, Math.floor(30000 / columns.length));
  let rows: (string | null)[][] = [], first = 1;
  const flush = async () => {
    for (let i = 0; i < rows.length; i += perBatch) {
      const part = rows.slice(i, i + perBatch);
      const write = (lo: number, hi: number) =>
        run.q(stageInsertSql(columns, hi - lo), part.slice(lo, hi).flat()).then(() => {});
      const err = await run.attempt(() => write(0, part.length));
      if (err === null) continue;
      const found = await run.bisect(part.length, write);
      const index = first + i + (found?.index ?? 0);
      throw await failureAt(run, seed, columns, found?.error ?? err, index, -1);
    }
    first += rows.length;
    rows = [];
  };
  await eachRecord(seed.path, (r) => {
    if (r.index === 0) return;
    const values: (string | null)[] = [];
    for (let k = 0; k < r.scan.count; k++) values.push(r.scan.value(r.buf, k));
    rows.push(values);
  }, { between: flush });
  const [row] = await run.q(`select count(*)::int as n from ${STAGE}`);
  return Number(row?.n);
}

/** A COPY's error at the record and field it names (`COPY t, line 9, column c5: ...`). */
async function copyFailure(
  run: SeedRun,
  seed: CsvSeed,
  columns: ColumnInfo[],
  err: unknown,
): Promise<MigrateError> {
  const m = copyErrorLine(err);
  if (!m) return run.applyError(err);
  const name = m.column ?? null;
  const staged = name === null ? null : /^c(\d+)$/.exec(name);
  const k = name === null
    ? -1
    : staged
    ? Number(staged[1]) - 1
    : columns.findIndex((c) => c.name === name);
  // COPY counts lines as records, plus the line breaks inside quoted fields read so far.
  const copyLine = m.line;
  let index = 0, lines = 0;
  await eachRecord(seed.path, (r) => {
    lines += 1 + r.scan.newlines;
    index = r.index;
    return lines < copyLine;
  });
  return await failureAt(run, seed, columns, withoutContext(err), Math.max(1, index), k);
}

/**
 * The error for record `index`, at field k (or the field the error names, or the record): a value
 * this program can tell is wrong for its column is a mistake in the file (exit 2, in the words
 * YAML seeds use); anything else is the database's refusal (exit 1).
 */
async function failureAt(
  run: SeedRun,
  seed: CsvSeed,
  columns: ColumnInfo[],
  err: unknown,
  index: number,
  k: number,
): Promise<MigrateError> {
  let pos: Pos | null = null, line = 0, value: string | null = null;
  await withRecord(seed, index, (r: CsvRecordView) => {
    line = r.line;
    if (k < 0) {
      const column = errorColumn(err), quoted = errorValue(err);
      k = column !== null ? columns.findIndex((c) => c.name === column) : -1;
      for (let f = 0; k < 0 && quoted !== null && f < r.scan.count; f++) {
        if (r.scan.value(r.buf, f) === quoted) k = f;
      }
    }
    pos = k >= 0 && k < r.scan.count ? fieldPos(r, k) : { line: r.line, column: 1 };
    if (k >= 0 && k < r.scan.count) value = r.scan.value(r.buf, k);
  });
  const col = columns[k];
  if (col && value !== null) {
    const problem = checkText(col.type.kind, value);
    if (problem) {
      return seedError(
        { ...run.where, pos },
        `column "${col.name}": ${problem} (column type ${col.type.sql})`,
      );
    }
  }
  return run.applyError(err, pos, line ? `line ${line}` : undefined);
}

/** Names the line (and field) the merge failed on, or both lines of a duplicate key. */
async function mergeFailure(
  run: SeedRun,
  seed: CsvSeed,
  columns: ColumnInfo[],
  key: string[] | null,
  err: unknown,
  merge: (lo: number, hi: number | null) => Promise<void>,
): Promise<MigrateError> {
  if ((err as PgError).code === "21000" && key) {
    const [dup] = await run.q(duplicateKeySql(columns, key));
    if (dup) {
      const lines: number[] = [];
      for (const n of [Number(dup.first), Number(dup.last)]) {
        await withRecord(seed, n, (r) => lines.push(r.line));
      }
      const [first = 0, last = 0] = lines;
      return new ApplyError({
        database: run.target.database,
        script: run.req.file.script,
        line: last,
        column: 1,
        serverMessage: `lines ${first} and ${last} have the same key (${key.join(", ")})`,
        hint: "remove or merge one of them",
      });
    }
  }
  const found = await run.bisect(seed.records, (lo, hi) => merge(lo, hi));
  if (!found) return run.applyError(err);
  return await failureAt(run, seed, columns, found.error, found.index + 1, -1);
}
