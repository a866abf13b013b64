// What a batch of YAML rows needs from the database before it is written: the ids its `!ref`
// values name (one query per batch) and the hashes of its `!bcrypt` values (a stored hash that
// still matches is kept, the rest are hashed in the file's workers).

import { ApplyError } from "../../core/errors.ts";
import type { BcryptJob } from "../../seeds/bcrypt.ts";
import type { TableInfo } from "../../seeds/types.ts";
import type { Cell, PlannedRow, RefTarget } from "./seed_plan.ts";
import type { SeedRun } from "./seed.ts";
import { existingSql, refLookupSql } from "./seed_sql.ts";
import { quoteIdent } from "./sql.ts";

/** Resolves every !ref of some rows in one query; no match or several is an error at the tag. */
export async function resolveRefs(
  run: SeedRun,
  tableName: string,
  rows: PlannedRow[],
): Promise<Map<Cell, string>> {
  const groups = new Map<string, { target: RefTarget; values: Map<string, number> }>();
  const cells: { cell: Extract<Cell, { kind: "ref" }>; row: PlannedRow }[] = [];
  for (const row of rows) {
    for (const cell of row.cells) {
      if (cell.kind !== "ref") continue;
      const id = `${cell.ref.table.sql}.${quoteIdent(cell.ref.column.name)}`;
      let g = groups.get(id);
      if (!g) groups.set(id, g = { target: cell.ref, values: new Map() });
      if (!g.values.has(cell.value)) g.values.set(cell.value, g.values.size + 1);
      cells.push({ cell, row });
    }
  }
  const out = new Map<Cell, string>();
  if (cells.length === 0) return out;
  const list = [...groups.values()];
  const result = await run.q(
    refLookupSql(list.map((g) => g.target)),
    list.map((g) => JSON.stringify([...g.values.keys()])),
  );
  const found = new Map<string, { n: number; id: string | null }>();
  for (const r of result) {
    found.set(`${r.g}:${r.i}`, { n: Number(r.n), id: r.id === null ? null : String(r.id) });
  }
  const keys = [...groups.keys()];
  for (const { cell, row } of cells) {
    const g = keys.indexOf(`${cell.ref.table.sql}.${quoteIdent(cell.ref.column.name)}`);
    const hit = found.get(`${g}:${list[g]!.values.get(cell.value)}`) ?? { n: 0, id: null };
    if (hit.n !== 1 || hit.id === null) {
      throw new ApplyError({
        database: run.target.database,
        script: run.req.file.script,
        line: cell.pos.line,
        column: cell.pos.column,
        serverMessage: `!ref ${cell.source} matched ${
          hit.n === 0 ? "no row" : `${hit.n} rows`
        } of "${cell.ref.table.requested}" (row ${row.index} of "${tableName}" at line ${row.pos.line})`,
        hint: hit.n === 0
          ? "a !ref sees rows of earlier tables and files; check the value and that its row is written first"
          : `use a column that is unique in "${cell.ref.table.requested}"`,
      });
    }
    out.set(cell, hit.id);
  }
  return out;
}

/** Hashes every !bcrypt of some rows, keeping a stored hash that still matches its text. */
export async function resolveBcrypt(
  run: SeedRun,
  table: { info: TableInfo; key: string[] },
  rows: PlannedRow[],
  refs: Map<Cell, string>,
  cost: number,
): Promise<Map<Cell, string>> {
  const { info, key } = table;
  const out = new Map<Cell, string>();
  const withHash = rows.filter((r) => r.cells.some((c) => c.kind === "bcrypt"));
  if (withHash.length === 0) return out;
  const hashColumns = [
    ...new Set(
      withHash.flatMap((r) => r.columns.filter((_, i) => r.cells[i]!.kind === "bcrypt")),
    ),
  ];
  const keyColumns = key.map((k) => info.columns.find((c) => c.name === k)!);
  const tuples = withHash.map((r) =>
    key.map((k) => {
      const cell = r.cells[r.columns.findIndex((c) => c.name === k)]!;
      return cell.kind === "value" ? cell.text : cell.kind === "ref" ? refs.get(cell)! : null;
    })
  );
  const stored = await run.q(
    existingSql(info, keyColumns, hashColumns.map((c) => c.name)),
    [JSON.stringify(tuples)],
  );
  const existing = new Map<number, Record<string, unknown>>();
  for (const s of stored) existing.set(Number(s.i) - 1, s);
  const jobs: BcryptJob[] = [];
  const targets: Cell[] = [];
  withHash.forEach((r, ri) => {
    r.cells.forEach((cell, ci) => {
      if (cell.kind !== "bcrypt") return;
      const col = hashColumns.indexOf(r.columns[ci]!);
      const prev = existing.get(ri)?.[`c${col}`];
      jobs.push({ text: cell.text, existing: typeof prev === "string" ? prev : null });
      targets.push(cell);
    });
  });
  const hashes = await run.bcrypt().hash(jobs, cost, run.req.signal);
  targets.forEach((cell, i) => out.set(cell, hashes[i]!));
  return out;
}
