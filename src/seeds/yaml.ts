// YAML seeds through the `yaml` package's document API, so every value keeps its line and column.
// The package is imported on first use: a run without YAML seeds never loads it.

import type { LineCounter } from "yaml";
import { bcryptCost } from "./bcrypt.ts";
import { YamlReader } from "./yaml_document.ts";
import { FastYaml, Unsupported } from "./yaml_fast.ts";
import { seedError } from "./errors.ts";
import { splitTableName } from "./yaml_names.ts";
import type { Pos, SeedRow, SeedTable, YamlSeed } from "./types.ts";

/** The `yaml` package. */
export type Yaml = typeof import("yaml");

/** Where a file is and how to reach the environment, for the parser. */
export interface YamlSource {
  path: string;
  database: string;
  text: string;
  /** BCRYPT_COST as set (default: the environment's). */
  bcryptCost?: string | undefined;
  /** --max-yaml-size, or DB_MIGRATE_YAML_DOCUMENT_MB as written (default: the environment's). */
  documentLimitMb?: number | string | undefined;
  /** For tests: the size up to which rows are kept (default KEEP_ROWS_CHARS). */
  keepRowsChars?: number;
  /** For tests: "document" reads with the document API only, "fast" with the fast reader only. */
  reader?: "fast" | "document";
}

let yamlModule: Promise<Yaml> | null = null;

/** Imports `yaml` once, on first use. */
export function loadYaml(): Promise<Yaml> {
  yamlModule ??= import("yaml");
  return yamlModule;
}

export { parseRef, splitTableName } from "./yaml_names.ts";

/** Line and column (1-based) of an offset the `yaml` package reports, the start for none. */
export function yamlPos(lines: LineCounter, offset: number | undefined): Pos {
  const { line, col } = lines.linePos(offset ?? 0);
  return { line: Math.max(line, 1), column: Math.max(col, 1) };
}

/**
 * Files up to this size whose YAML the fast reader does not follow are read with the `yaml`
 * package's document API, which takes about 70 bytes of memory per byte of YAML; a larger one is
 * refused, naming the setting that raises the limit (--max-yaml-size, DB_MIGRATE_YAML_DOCUMENT_MB).
 */
export const DOCUMENT_LIMIT_MB = 2;

/**
 * Rows of files up to this many characters (a few hundred rows) are kept from the check to the
 * load; a larger file's rows are read again, a batch at a time, while it loads. Kept rows outlive
 * the young generation and cost more in garbage collection than reading them again: at 10,000
 * rows (1 MB), keeping them took 0.24 s of CPU and 109 MB against 0.20 s and 82 MB (bench medians,
 * one run); at 100,000 rows, twice the memory (300 MB).
 */
export const KEEP_ROWS_CHARS = 64 << 10;

/** The document API's size limit in characters: --max-yaml-size or the default. */
function documentLimit(raw: number | string | undefined): number {
  const mb = Number(raw);
  return (raw && Number.isFinite(mb) && mb > 0 ? mb : DOCUMENT_LIMIT_MB) * (1 << 20);
}

/** Parses and checks the shape of a YAML seed: tables → rows, tags, keys (no database needed). */
export async function parseYamlSeed(src: YamlSource): Promise<YamlSeed> {
  const where = { path: src.path, database: src.database };
  let seed: YamlSeed;
  let bcrypt: boolean;
  try {
    if (src.reader === "document") throw new Unsupported(0, { line: 1, column: 1 }, "asked");
    const r = readFast(src);
    seed = r.seed;
    bcrypt = r.bcrypt;
  } catch (err) {
    if (!(err instanceof Unsupported) || src.reader === "fast") throw err;
    const raw = src.documentLimitMb ?? Deno.env.get("DB_MIGRATE_YAML_DOCUMENT_MB");
    const limit = documentLimit(raw);
    if (src.text.length > limit) {
      throw seedError(
        { ...where, pos: err.pos },
        `${err.message}: a YAML seed over ${
          limit / (1 << 20)
        } MB must be written as plain rows (scalars, quoted texts on one line, flow and block lists and maps, !bcrypt, !ref), which are read row by row`,
        "write the rows plainly (no anchors, aliases, block scalars or texts over several lines), " +
          "split the file, or raise --max-yaml-size (env DB_MIGRATE_YAML_DOCUMENT_MB; about 70 MB " +
          "of memory per MB of YAML)",
      );
    }
    const yaml = await loadYaml();
    const lineCounter = new yaml.LineCounter();
    const doc = yaml.parseDocument(src.text, {
      lineCounter,
      prettyErrors: false,
      uniqueKeys: true,
      customTags: [
        { tag: "!bcrypt", resolve: (s: string) => s },
        { tag: "!ref", resolve: (s: string) => s },
      ],
    });
    const reader = new YamlReader(yaml, doc, lineCounter, src);
    seed = reader.read();
    bcrypt = reader.bcrypt;
  }
  if (bcrypt) {
    const parsed = bcryptCost(src.bcryptCost ?? Deno.env.get("BCRYPT_COST"));
    if (typeof parsed === "string") {
      throw seedError({ ...where, pos: null }, parsed, "set BCRYPT_COST to 4..31");
    }
    seed.bcryptCost = parsed;
  }
  return seed;
}

/** Reads a file with the fast reader (throws Unsupported where it cannot). */
function readFast(src: YamlSource): { seed: YamlSeed; bcrypt: boolean } {
  const where = { path: src.path, database: src.database };
  const r = new FastYaml(src.text, where);
  const keep = src.text.length <= (src.keepRowsChars ?? KEEP_ROWS_CHARS);
  const tables: SeedTable[] = [];
  const names = new Set<string>();
  const refs = new Set<string>();
  let table: SeedTable | null = null, shapes = new Set<string>();
  let last: SeedRow | null = null;
  r.tables((head, cursor) => {
    if (names.has(head.name)) throw new Unsupported(0, head.pos, "a table twice");
    names.add(head.name);
    if (!splitTableName(head.name)) {
      throw seedError(
        { ...where, pos: head.pos },
        `"${head.name}" is not a table name`,
        "write `table` or `schema.table`",
      );
    }
    shapes = new Set();
    last = null;
    table = { ...head, rows: keep ? [] : null, count: 0, shapes: [], at: cursor };
    tables.push(table);
  }, (row) => {
    const t = table!;
    t.count++;
    t.rows?.push(row);
    if (!last || !sameColumns(last, row)) addShape(t, shapes, row);
    last = row;
    for (const c of row.cells) if (c.value.kind === "ref") refs.add(c.value.table);
  });
  return {
    seed: {
      format: "yaml",
      path: src.path,
      tables,
      refTables: [...refs],
      bcryptCost: 10,
      text: src.text,
    },
    bcrypt: r.bcrypt,
  };
}

function sameColumns(a: SeedRow, b: SeedRow): boolean {
  if (a.cells.length !== b.cells.length) return false;
  for (let i = 0; i < a.cells.length; i++) {
    if (a.cells[i]!.column !== b.cells[i]!.column) return false;
  }
  return true;
}

/** Records a row's column list among the table's shapes. */
export function addShape(t: SeedTable, seen: Set<string>, row: SeedRow): void {
  const columns = row.cells.map((c) => c.column);
  const id = columns.join("\0");
  if (seen.has(id)) return;
  seen.add(id);
  t.shapes.push(columns);
}

/**
 * Calls `batch` with the rows of a table in file order, up to `size` at a time: the kept rows, or
 * rows read again from the text, so that only one batch of a large file's rows lives at once.
 */
export async function eachRowBatch(
  seed: YamlSeed,
  table: SeedTable,
  database: string,
  size: number,
  batch: (rows: SeedRow[]) => Promise<void>,
): Promise<void> {
  if (table.rows) {
    for (let i = 0; i < table.rows.length; i += size) await batch(table.rows.slice(i, i + size));
    return;
  }
  const r = new FastYaml(seed.text, { path: seed.path, database });
  let cursor = table.at;
  while (cursor) {
    const rows: SeedRow[] = [];
    cursor = r.rowsFrom(cursor, size, (row) => rows.push(row));
    if (rows.length > 0) await batch(rows);
  }
}
