// YAML seeds on PostgreSQL, a table at a time and a batch of rows at a time: rows are planned
// against the catalog (seed_plan.ts), !ref values looked up and !bcrypt values hashed per
// batch, then copied (COPY, text format) into a staging table of the columns' types and merged
// into the table with INSERT ... ON CONFLICT in file order. A large file's rows are read again
// from its text batch by batch, so memory does not grow with the file. Into an empty table, rows
// of plain values are copied straight in, one COPY kept open across batches (the server reads one
// batch while the next is planned). An error names the row's line and column: COPY's `line N` is
// the Nth row it was sent; a merge the database refuses is split until the one row is found.

import type { MigrateError } from "../../core/errors.ts";
import { seedError } from "../../seeds/errors.ts";
import {
  type Cell,
  conflictKey,
  type Fail,
  isPlain,
  KeyCheck,
  type PlannedRow,
  refersToItself,
  RowPlanner,
  tableInfo,
  tablesNeeded,
} from "./seed_plan.ts";
import type { ColumnInfo, Pos, SeedTable, TableInfo, YamlSeed } from "../../seeds/types.ts";
import { eachRowBatch } from "../../seeds/yaml.ts";
import { copyIn, type OpenCopy, openCopy } from "./copy.ts";
import {
  copyErrorLine,
  errorColumn,
  errorValue,
  note,
  type SeedRun,
  withoutContext,
} from "./seed.ts";
import { resolveBcrypt, resolveRefs } from "./seed_lookup.ts";
import {
  copyField,
  copyIntoSql,
  copyRowsSql,
  DROP_STAGE_SQL,
  mergeSql,
  stageInsertSql,
  stagingSql,
} from "./seed_sql.ts";

/**
 * Rows planned, looked up and copied at a time: small enough that a batch's objects die young
 * (larger batches survive into the old generation and raise the process's peak memory).
 */
const BATCH = 500;

/** Loads a YAML seed in the open transaction; returns the progress note. */
export async function loadYaml(run: SeedRun, seed: YamlSeed): Promise<string> {
  const catalog = await run.catalog(tablesNeeded(seed));
  const fail: Fail = (pos, msg, hint) => {
    throw seedError({ ...run.where, pos }, msg, hint);
  };
  for (const t of seed.tables) await new TableLoad(run, seed, t, catalog, fail).load();
  return note(run.counts, seed.tables.length);
}

/** Consecutive staged rows with the same columns: one merge. */
interface Run {
  /** `_n` of the first row and after the last. */
  lo: number;
  hi: number;
  columns: ColumnInfo[];
  /** Each column's staging column (0-based). */
  at: number[];
  id: string;
}

function sameColumns(a: ColumnInfo[], b: ColumnInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** One table of the file: its staging table, the rows staged and not yet merged. */
class TableLoad {
  readonly info: TableInfo;
  readonly key: string[];
  readonly planner: RowPlanner;
  readonly keys: KeyCheck;
  /** The staging table's columns: every column some row gives, in table order. */
  readonly stage: ColumnInfo[];
  readonly #stageAt: Map<string, number>;
  /** The `_n` the next staged row gets (the staging table's identity counts from 1). */
  #next = 1;
  #runs: Run[] = [];

  constructor(
    readonly run: SeedRun,
    readonly seed: YamlSeed,
    readonly table: SeedTable,
    catalog: Map<string, TableInfo>,
    readonly fail: Fail,
  ) {
    this.info = tableInfo(table, catalog, fail);
    this.planner = new RowPlanner(table, this.info, catalog, fail);
    this.key = conflictKey(table, this.info, fail);
    this.keys = new KeyCheck(table, this.key, fail);
    const given = new Set(table.shapes.flat());
    this.stage = this.info.columns.filter((c) => given.has(c.name) && !c.generated);
    this.#stageAt = new Map(this.stage.map((c, i) => [c.name, i]));
  }

  /** Whether rows are copied straight into the table (it was empty; it is locked). */
  #direct = false;

  async load(): Promise<void> {
    if (this.table.count === 0) return;
    this.#direct = !(await this.run.pglite()) && await this.run.emptyAndLocked(this.info);
    if (!this.#direct) {
      await this.run.q(DROP_STAGE_SQL);
      await this.run.q(stagingSql(this.stage));
    }
    const database = this.run.target.database;
    try {
      await eachRowBatch(this.seed, this.table, database, BATCH, async (rows) => {
        const planned = rows.map((r) => this.planner.plan(r));
        for (const r of planned) this.keys.add(r);
        if (this.#direct) return await this.#stream(planned);
        // A row that refers to its own table sees only rows already merged.
        let from = 0;
        for (let i = 0; i < planned.length; i++) {
          if (!refersToItself(planned[i]!, this.info)) continue;
          await this.copy(planned.slice(from, i));
          await this.merge();
          from = i;
        }
        await this.copy(planned.slice(from));
      });
    } catch (err) {
      // A mistake found while a COPY is open: end it (CopyFail), or the rollback would wait behind it.
      const open = this.#open;
      this.#open = null;
      await open?.copy.fail(err);
      throw err;
    }
    await this.#closeStream();
    await this.merge();
    this.run.counts.rows += this.table.count;
  }

  /** The COPY into the empty table left open across batches, while rows of one shape come. */
  #open: { copy: OpenCopy; columns: ColumnInfo[]; first: number; sent: number } | null = null;

  /**
   * Writes rows into the empty table: runs of plain rows of one shape go to the open COPY; a row
   * with !ref or !bcrypt values needs queries, so the COPY is ended first (the rows before it are
   * then in the table, where a !ref to this table finds them).
   */
  async #stream(rows: PlannedRow[]): Promise<void> {
    for (let i = 0; i < rows.length;) {
      const plain = isPlain(rows[i]!);
      let j = i + 1;
      while (j < rows.length && isPlain(rows[j]!) === plain) j++;
      if (plain) await this.#send(rows.slice(i, j));
      else {
        await this.#closeStream();
        await this.copy(rows.slice(i, j));
      }
      i = j;
    }
  }

  async #send(rows: PlannedRow[]): Promise<void> {
    for (let from = 0; from < rows.length;) {
      const columns = rows[from]!.columns;
      let to = from + 1;
      while (to < rows.length && sameColumns(rows[to]!.columns, columns)) to++;
      if (this.#open && !sameColumns(this.#open.columns, columns)) await this.#closeStream();
      const sql = copyIntoSql(this.info, columns);
      const open = this.#open ??= {
        copy: openCopy(this.run.sql, sql, this.run.req.signal),
        columns,
        first: rows[from]!.index,
        sent: 0,
      };
      let text = "";
      for (let k = from; k < to; k++) {
        const cells = rows[k]!.cells as Extract<Cell, { kind: "value" }>[];
        for (let c = 0; c < cells.length; c++) {
          text += (c > 0 ? "\t" : "") + copyField(cells[c]!.text);
        }
        text += "\n";
      }
      try {
        await open.copy.write(new TextEncoder().encode(text));
      } catch (err) {
        this.#open = null;
        throw await this.#streamFailure(await open.copy.fail(err), open.first);
      }
      open.sent += to - from;
      from = to;
    }
  }

  async #closeStream(): Promise<void> {
    const open = this.#open;
    if (!open) return;
    this.#open = null;
    try {
      await open.copy.end();
    } catch (err) {
      throw await this.#streamFailure(err, open.first);
    }
    this.run.counts.inserted += open.sent;
  }

  /** A COPY error of the open COPY whose first row was row `first`: that row read again. */
  async #streamFailure(err: unknown, first: number): Promise<unknown> {
    if (this.run.req.signal.aborted) return err;
    const line = copyErrorLine(err);
    if (line === null) return this.run.applyError(err);
    const row = await this.#rowAt(first + line.line - 1);
    if (!row) return this.run.applyError(err);
    return this.copyFailure(err, () => row, (c) => (c.kind === "value" ? c.text : null));
  }

  /** The table's row `index` (1-based), read from the text and planned again. */
  async #rowAt(index: number): Promise<PlannedRow | null> {
    let row: PlannedRow | null = null;
    await eachRowBatch(this.seed, this.table, this.run.target.database, BATCH, (rows) => {
      const r = rows.find((x) => x.index === index);
      if (r) row = this.planner.plan(r);
      return Promise.resolve();
    });
    return row;
  }

  /** Looks up the rows' !ref and !bcrypt values and copies the rows into the staging table. */
  async copy(rows: PlannedRow[]): Promise<void> {
    if (rows.length === 0) return;
    const refs = await resolveRefs(this.run, this.table.name, rows);
    const hashes = await resolveBcrypt(this.run, this, rows, refs, this.seed.bcryptCost);
    const valueOf = (cell: Cell): string | null =>
      cell.kind === "value" ? cell.text : cell.kind === "ref" ? refs.get(cell)! : hashes.get(cell)!;
    if (this.#direct) return await this.copyInto(rows, valueOf);
    if (await this.run.pglite()) return await this.insert(rows, valueOf);
    const width = this.stage.length;
    const lines: string[] = [];
    const fields = new Array<string>(width);
    for (const row of rows) {
      fields.fill("\\N");
      const at: number[] = [];
      row.columns.forEach((c, i) => {
        const k = this.#stageAt.get(c.name)!;
        at.push(k);
        fields[k] = copyField(valueOf(row.cells[i]!));
      });
      lines.push(fields.join("\t"));
      this.#addToRun(row, at);
    }
    const data = new TextEncoder().encode(lines.join("\n") + "\n");
    try {
      await copyIn(this.run.sql, copyRowsSql(width), (write) => write(data), this.run.req.signal);
    } catch (err) {
      if (this.run.req.signal.aborted) throw err;
      throw this.copyFailure(err, (n) => rows[n - 1], valueOf);
    }
  }

  /**
   * Copies rows straight into the empty table, one COPY per run of rows with the same columns (a
   * later !ref to the table sees them, as it would see merged rows). A duplicate key the client
   * could not see (one given by a !ref) is the unique violation, at its row.
   */
  async copyInto(rows: PlannedRow[], valueOf: (c: Cell) => string | null): Promise<void> {
    for (let from = 0; from < rows.length;) {
      const columns = rows[from]!.columns;
      let to = from + 1;
      while (to < rows.length && sameColumns(rows[to]!.columns, columns)) to++;
      const group = rows.slice(from, to);
      const lines = group.map((r) => r.cells.map((c) => copyField(valueOf(c))).join("\t"));
      const data = new TextEncoder().encode(lines.join("\n") + "\n");
      try {
        const sql = copyIntoSql(this.info, columns);
        await copyIn(this.run.sql, sql, (write) => write(data), this.run.req.signal);
      } catch (err) {
        if (this.run.req.signal.aborted) throw err;
        throw this.copyFailure(err, (n) => group[n - 1], valueOf);
      }
      this.run.counts.inserted += group.length;
      from = to;
    }
  }

  /** Stages rows with parameterised INSERTs (PGlite, which takes no COPY FROM STDIN). */
  async insert(rows: PlannedRow[], valueOf: (c: Cell) => string | null): Promise<void> {
    const width = this.stage.length;
    const values = rows.map((row) => {
      const fields = new Array<string | null>(width).fill(null);
      const at: number[] = [];
      row.columns.forEach((c, i) => {
        const k = this.#stageAt.get(c.name)!;
        at.push(k);
        fields[k] = valueOf(row.cells[i]!);
      });
      this.#addToRun(row, at);
      return fields;
    });
    const per = Math.max(1, Math.floor(30000 / width));
    for (let i = 0; i < rows.length; i += per) {
      const part = values.slice(i, i + per);
      const write = (lo: number, hi: number) =>
        this.run.q(stageInsertSql(this.stage, hi - lo), part.slice(lo, hi).flat()).then(() => {});
      const err = await this.run.attempt(() => write(0, part.length));
      if (err === null) continue;
      const found = await this.run.bisect(part.length, write);
      const row = rows[i + (found?.index ?? 0)]!;
      throw this.run.applyError(
        found?.error ?? err,
        cellPos(row, found?.error ?? err, valueOf),
        `row ${row.index} of "${this.table.name}" (line ${row.pos.line})`,
      );
    }
  }

  #addToRun(row: PlannedRow, at: number[]): void {
    const n = this.#next++;
    const id = at.join(",");
    const last = this.#runs[this.#runs.length - 1];
    if (last && last.id === id && last.hi === n) {
      last.hi = n + 1;
      return;
    }
    this.#runs.push({ lo: n, hi: n + 1, columns: row.columns, at, id });
  }

  /** Merges the staged rows that are not merged yet, run by run, in file order. */
  async merge(): Promise<void> {
    if (this.#direct) return;
    for (const r of this.#runs) {
      const sql = mergeSql(this.info, r.columns, this.key, true, r.at);
      const write = async (lo: number, hi: number) => {
        const res = await this.run.q(sql, [String(lo), String(hi)]);
        this.run.counts.inserted += Number(res[0]?.inserted ?? 0);
        this.run.counts.updated += Number(res[0]?.updated ?? 0);
      };
      const before = { ...this.run.counts };
      const err = await this.run.attempt(() => write(r.lo, r.hi));
      if (!err) continue;
      this.run.counts = before;
      const found = await this.run.bisect(r.hi - r.lo, (a, b) => write(r.lo + a, r.lo + b));
      this.run.counts = before;
      throw await this.rowFailure(found ? r.lo + found.index : r.lo, found?.error ?? err);
    }
    this.#runs = [];
  }

  /** A COPY error at `line N`, the row that rowOf(N) gives. */
  copyFailure(
    err: unknown,
    rowOf: (line: number) => PlannedRow | null | undefined,
    valueOf: (c: Cell) => string | null,
  ): MigrateError {
    const m = copyErrorLine(err);
    const row = m ? rowOf(m.line) : undefined;
    if (!row) return this.run.applyError(err);
    const named = m?.column;
    const column = named === undefined
      ? undefined
      : this.#direct
      ? named
      : this.stage[Number(/^c(\d+)$/.exec(named)?.[1] ?? 0) - 1]?.name;
    const i = column === undefined ? -1 : row.columns.findIndex((c) => c.name === column);
    const pos = i >= 0 ? row.cells[i]!.pos : cellPos(row, err, valueOf);
    return this.run.applyError(
      withoutContext(err),
      pos,
      `row ${row.index} of "${this.table.name}" (line ${row.pos.line})`,
    );
  }

  /** The error for the row with `_n` = n (the table's nth row), read and planned again. */
  async rowFailure(n: number, err: unknown): Promise<MigrateError> {
    let row: PlannedRow | null = null;
    let seen = 0;
    await eachRowBatch(this.seed, this.table, this.run.target.database, BATCH, (rows) => {
      if (!row && seen + rows.length >= n) row = this.planner.plan(rows[n - seen - 1]!);
      seen += rows.length;
      return Promise.resolve();
    });
    if (!row) return this.run.applyError(err);
    const r: PlannedRow = row;
    const valueOf = (c: Cell) => (c.kind === "value" ? c.text : null);
    return this.run.applyError(
      err,
      cellPos(r, err, valueOf),
      `row ${r.index} of "${this.table.name}" (line ${r.pos.line})`,
    );
  }
}

/** The position of the value an error is about, else the row's. */
function cellPos(row: PlannedRow, err: unknown, valueOf: (cell: Cell) => string | null): Pos {
  const column = errorColumn(err);
  const byColumn = column === null ? -1 : row.columns.findIndex((c) => c.name === column);
  if (byColumn >= 0) return row.cells[byColumn]!.pos;
  const value = errorValue(err);
  const byValue = value === null ? -1 : row.cells.findIndex((c) => valueOf(c) === value);
  return byValue >= 0 ? row.cells[byValue]!.pos : row.pos;
}
