// The ClickHouse seed rule, apart from the driver: ClickHouse has no upsert, so a seed may only
// insert into tables that replace rows by key, or that it empties first.

import { ConfigError } from "../core/errors.ts";
import { posAt, scanRecord } from "../seeds/csv.ts";
import { seedError } from "../seeds/errors.ts";
import type { CsvSeed, Pos } from "../seeds/types.ts";
import { splitTableName } from "../seeds/yaml.ts";
import { type Statement, stripComments } from "../sql/split.ts";
import type { TrackedFile } from "../core/types.ts";
import {
  insertTarget,
  isReplacingEngine,
  type TableRef,
  truncateTarget,
} from "./clickhouse/seed_sql.ts";

/** Why the seed rule exists, in every message that enforces it. */
const NO_UPSERT =
  "ClickHouse has no upsert, so applying the seed again after a change would duplicate its rows";

/** A table by database and name. */
export interface Table {
  database: string;
  table: string;
}

/** One INSERT of a seed: its statement, its table and whether the file emptied that table before. */
interface SeedInsert {
  index: number;
  target: Table | "function";
  truncated: boolean;
}

/**
 * The seed rule. ClickHouse has no upsert, so every table a seed inserts into must either replace
 * rows by sorting key (a ReplacingMergeTree, which db-migrate merges at once with OPTIMIZE ... FINAL
 * after the seed) or be emptied by a TRUNCATE earlier in the same file. Anything else would gain a
 * second copy of the seed's rows each time the changed seed is applied again.
 */
export class SeedCheck {
  readonly #inserts: SeedInsert[] = [];
  readonly #engines = new Map<string, string>();

  constructor(
    readonly database: string,
    urlDatabase: string,
    readonly file: TrackedFile,
    readonly statements: Statement[],
    readonly lookUp: (
      tables: Table[],
    ) => Promise<{ database: string; name: string; engine: string }[]>,
  ) {
    const full = (r: TableRef): Table => ({ database: r.database ?? urlDatabase, table: r.table });
    const truncated = new Set<string>();
    statements.forEach((stmt, index) => {
      const text = stripComments(stmt.text, "clickhouse");
      const cut = truncateTarget(text);
      if (cut) {
        truncated.add(SeedCheck.key(full(cut)));
        return;
      }
      const ins = insertTarget(text);
      if (ins === null) return;
      const target = ins === "function" ? ins : full(ins);
      const emptied = target !== "function" && truncated.has(SeedCheck.key(target));
      this.#inserts.push({ index, target, truncated: emptied });
    });
  }

  static key(t: Table): string {
    return `${t.database}.${t.table}`;
  }

  /** The inserts that need a ReplacingMergeTree. */
  #checked(from: number): SeedInsert[] {
    return this.#inserts.filter((x) => x.index >= from && !x.truncated);
  }

  async #learn(tables: Table[]): Promise<void> {
    const unknown = tables.filter((t) => !this.#engines.has(SeedCheck.key(t)));
    if (unknown.length === 0) return;
    for (const r of await this.lookUp(unknown)) {
      this.#engines.set(SeedCheck.key({ database: r.database, table: r.name }), r.engine);
    }
  }

  #verdict(x: SeedInsert): ConfigError | null {
    if (x.truncated) return null;
    if (x.target === "function") return this.#error(x, "a table function", "INSERT INTO FUNCTION");
    const engine = this.#engines.get(SeedCheck.key(x.target));
    // A table that does not exist yet is checked again right before its INSERT (the seed may
    // create it); if it is still missing, the server's own error says so.
    if (engine === undefined || isReplacingEngine(engine)) return null;
    return this.#error(x, `${x.target.database}.${x.target.table}`, engine);
  }

  /** Checks every INSERT from statement `from` on whose table exists, before anything runs. */
  async checkAll(from: number): Promise<void> {
    const list = this.#checked(from);
    await this.#learn(list.flatMap((x) => x.target === "function" ? [] : [x.target]));
    for (const x of list) {
      const bad = this.#verdict(x);
      if (bad) throw bad;
    }
  }

  /** Checks the INSERT at statement `index` (if any) again: its table may be new by now. */
  async checkBefore(index: number): Promise<ConfigError | null> {
    const x = this.#inserts.find((i) => i.index === index);
    if (!x || x.truncated) return null;
    if (x.target !== "function") await this.#learn([x.target]);
    return this.#verdict(x);
  }

  /** The ReplacingMergeTree tables the seed inserted into, to merge afterwards. */
  replacingTables(): Table[] {
    const out = new Map<string, Table>();
    for (const x of this.#inserts) {
      if (x.target === "function" || x.truncated) continue;
      const engine = this.#engines.get(SeedCheck.key(x.target));
      if (engine !== undefined && isReplacingEngine(engine)) {
        out.set(SeedCheck.key(x.target), x.target);
      }
    }
    return [...out.values()];
  }

  #error(x: SeedInsert, table: string, engine: string): ConfigError {
    const stmt = this.statements[x.index]!;
    return new ConfigError(
      "INVALID_SEED",
      `seed "${this.file.script}" of "${this.database}" inserts into ${table} (${engine}) at line ${stmt.line}: ` +
        NO_UPSERT,
      {
        database: this.database,
        position: { file: this.file.path, line: stmt.line, column: stmt.column },
        hint: "make the table a ReplacingMergeTree ordered by the seed's key (db-migrate runs " +
          "OPTIMIZE TABLE ... FINAL after each seed), or TRUNCATE TABLE it earlier in the same file",
      },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// CSV seeds: `INSERT INTO db.table (header columns) FORMAT CSVWithNames` with the CSV as the body.
//
// ClickHouse's CSV input differs from RFC 4180 as PostgreSQL reads it, and the body is rewritten
// (field by field, only where needed) so that a CSV seed means the same on both:
// - an unquoted empty field is NULL: ClickHouse 18.16 reads an empty field as the type's zero
//   value (0, '') even in a Nullable column (it has no input_format_null_as_default) and takes
//   NULL only as an unquoted \N, so the field is sent as \N in a Nullable column. In a column that
//   is not Nullable it stays empty, which ClickHouse reads as 0 or '' for numbers and strings; any
//   other type (Date, DateTime, Enum, Decimal, Array...) cannot read it, and misreads the fields
//   after it (a Date reads ten characters, commas included), so that is refused before writing;
// - an unquoted \N in a Nullable column is the text \N, as in PostgreSQL: it is sent quoted;
// - ClickHouse trims spaces and tabs around an unquoted field: a padded field of a String column is
//   sent quoted, so its spaces stay;
// - a field that starts with ' would be read as a single-quoted string: the insert runs with
//   format_csv_allow_single_quotes = 0.
// Blank lines, which the parser skips, are not sent (ClickHouse would read them as rows), so the
// server's "(at row N)" is the Nth record of the file.

/** Settings of the CSV insert (all known to 18.16): RFC 4180 quoting, no tolerated bad rows. */
export const CSV_INSERT_SETTINGS: Readonly<Record<string, string>> = {
  format_csv_allow_single_quotes: "0",
  format_csv_allow_double_quotes: "1",
  input_format_allow_errors_num: "0",
  input_format_allow_errors_ratio: "0",
};

/** A column of a ClickHouse table as system.columns describes it. */
export interface TableColumn {
  name: string;
  type: string;
  /** '' for a plain column, else DEFAULT, MATERIALIZED or ALIAS. */
  defaultKind: string;
  inSortingKey: boolean;
}

/** What the server says about the table of a CSV seed; `engine` is null when it does not exist. */
export interface CsvTarget {
  table: Table;
  engine: string | null;
  columns: TableColumn[];
}

/** A header column of a CSV seed with what its fields need. */
export interface CsvColumn extends TableColumn {
  /** NULL is possible: an unquoted empty field is sent as \N. */
  nullable: boolean;
  /** The type reads an empty field (as 0 or ''). */
  emptyOk: boolean;
  /** A String column: padded unquoted fields are sent quoted so their spaces stay. */
  text: boolean;
}

/** The type inside LowCardinality(...) and Nullable(...), and whether Nullable was one of them. */
export function unwrapType(type: string): { inner: string; nullable: boolean } {
  let inner = type.trim(), nullable = false;
  for (;;) {
    const m = /^(LowCardinality|Nullable)\((.*)\)$/.exec(inner);
    if (!m) return { inner, nullable };
    if (m[1] === "Nullable") nullable = true;
    inner = m[2]!.trim();
  }
}

/** The header's columns as CsvColumns: what each one's fields need. */
export function csvColumn(c: TableColumn): CsvColumn {
  const { inner, nullable } = unwrapType(c.type);
  const text = /^(String|FixedString\(\d+\))$/.test(inner);
  return {
    ...c,
    nullable,
    text,
    emptyOk: text || /^(U?Int(8|16|32|64|128|256)|Float(32|64))$/.test(inner),
  };
}

/** The table a CSV seed loads: `NNN_<table>.csv` in the URL's database, or `NNN_<db>.<table>.csv`. */
export function csvTable(seed: CsvSeed, urlDatabase: string): Table {
  const name = splitTableName(seed.table) ?? { schema: null, table: seed.table };
  return { database: name.schema ?? urlDatabase, table: name.table };
}

/**
 * Checks a CSV seed against its table before anything is written (each mistake is INVALID_SEED,
 * exit 2): the table exists and follows the seed rule (a ReplacingMergeTree), every header column
 * exists and can be written, the header gives every column of the sorting key (else every row would
 * get one default key and the rows would replace one another), and a sidecar `key`, if any, is the
 * sorting key. Returns the header's columns in header order.
 */
export function checkCsvTarget(
  seed: CsvSeed,
  where: { database: string; script: string },
  target: CsvTarget,
): CsvColumn[] {
  const name = `${target.table.database}.${target.table.table}`;
  const at = (pos: Pos | null) => ({ path: seed.path, database: where.database, pos });
  const top = { line: 1, column: 1 };
  if (target.engine === null) {
    throw seedError(
      at(top),
      `unknown table ${name} (from the file name)`,
      "name the file NNN_<table>.csv (or NNN_<database>.<table>.csv) after an existing table, " +
        "or set `table:` in its sidecar NNN_<table>.yaml",
    );
  }
  if (!isReplacingEngine(target.engine)) {
    throw new ConfigError(
      "INVALID_SEED",
      `seed "${where.script}" of "${where.database}" loads into ${name} (${target.engine}): ${NO_UPSERT}`,
      {
        database: where.database,
        position: { file: seed.path, line: 1, column: 1 },
        hint: "make the table a ReplacingMergeTree ordered by the CSV's key (db-migrate runs " +
          "OPTIMIZE TABLE ... FINAL after each seed)",
      },
    );
  }
  const byName = new Map(target.columns.map((c) => [c.name, c]));
  const header = seed.columns.map((h) => {
    const col = byName.get(h.name);
    if (!col) throw seedError(at(h.pos), `unknown column "${h.name}" in table ${name}`);
    if (col.defaultKind === "MATERIALIZED" || col.defaultKind === "ALIAS") {
      throw seedError(
        at(h.pos),
        `column "${h.name}" of ${name} is ${col.defaultKind} and cannot be written`,
        "leave it out of the header",
      );
    }
    return csvColumn(col);
  });
  const given = new Set(seed.columns.map((c) => c.name));
  const sortingKey = target.columns.filter((c) => c.inSortingKey);
  const missing = sortingKey.filter((c) =>
    !given.has(c.name) && c.defaultKind !== "MATERIALIZED" && c.defaultKind !== "ALIAS"
  );
  if (missing.length > 0) {
    throw seedError(
      at(top),
      `the header leaves out ${missing.map((c) => `"${c.name}"`).join(", ")}, part of the ` +
        `sorting key of ${name}: every row would get the same default there, and rows with one ` +
        "sorting key replace one another",
      "add the column to the CSV",
    );
  }
  if (seed.key) {
    const key = [...new Set(seed.key.columns)].sort();
    const sorting = sortingKey.map((c) => c.name).sort();
    if (key.join("\0") !== sorting.join("\0")) {
      throw seedError(
        { path: seed.key.path, database: where.database, pos: seed.key.pos },
        `key (${seed.key.columns.join(", ")}) is not the sorting key of ${name} (${
          sorting.join(", ")
        }): a ReplacingMergeTree replaces rows by its ORDER BY`,
        "leave `key` out of the sidecar on ClickHouse, or make it the table's ORDER BY columns",
      );
    }
  }
  return header;
}

/** A CSV field in double quotes. */
function quoteCsv(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/**
 * The request body of a CSV seed, in chunks of about `size` characters: a header of the column
 * names, then every record (blank lines left out), each rewritten only where ClickHouse would read
 * it otherwise than PostgreSQL (see above). An empty field that the column's type cannot read is
 * INVALID_SEED, found before anything is sent.
 */
export function csvBody(
  seed: CsvSeed,
  columns: CsvColumn[],
  where: { database: string },
  size = 1 << 20,
): string[] {
  const chunks: string[] = [];
  let buf = columns.map((c) => quoteCsv(c.name)).join(",") + "\n";
  const text = seed.text;
  for (const r of seed.records) {
    const scan = scanRecord(text, r.start);
    if ("error" in scan) throw new Error(`line ${r.line} of "${seed.path}" no longer parses`);
    let out: string | null = null; // the rewritten record, once a field needs rewriting
    let from = r.start; // the first character of the record not yet copied into out
    scan.fields.forEach((f, i) => {
      const col = columns[i]!;
      const quoted = text.charCodeAt(f.offset) === 34;
      let sent: string | null = null;
      if (f.value === null) {
        if (col.nullable) sent = "\\N";
        else if (!col.emptyOk) {
          throw seedError(
            {
              path: seed.path,
              database: where.database,
              pos: posAt(text, f.offset, r.start, r.line),
            },
            `an empty field in column "${col.name}" (${col.type}), which cannot be NULL and ` +
              "cannot read an empty value",
            `write a value, make the column Nullable(${unwrapType(col.type).inner}) for NULLs, ` +
              "or leave the column out of the header to get its DEFAULT",
          );
        }
      } else if (!quoted && col.nullable && f.value === "\\N") {
        sent = quoteCsv(f.value);
      } else if (!quoted && col.text && /^[ \t]|[ \t]$/.test(f.value)) {
        sent = quoteCsv(f.value);
      }
      if (sent === null) return;
      const end = i + 1 < scan.fields.length ? scan.fields[i + 1]!.offset - 1 : scan.end;
      out = (out ?? "") + text.slice(from, f.offset) + sent;
      from = end;
    });
    buf += out === null ? text.slice(r.start, r.end) : out + text.slice(from, r.end);
    buf += "\n";
    if (buf.length >= size) {
      chunks.push(buf);
      buf = "";
    }
  }
  if (buf) chunks.push(buf);
  return chunks;
}

/**
 * Where in a CSV seed the server's error is: ClickHouse says `(at row N)` (the Nth record sent,
 * which is the Nth record of the file) and, for a value it could not read, lists the columns it
 * read in that row, the failing one last before `ERROR:`. An unknown Enum value comes without a
 * row: the first field of an Enum column with that value is taken. Null when neither says.
 */
export function csvErrorPosition(
  seed: CsvSeed,
  columns: { name: string; type: string }[],
  message: string,
): Pos | null {
  const fieldPos = (index: number, column: number): Pos | null => {
    const r = seed.records[index];
    if (!r) return null;
    const scan = scanRecord(seed.text, r.start);
    const f = "error" in scan ? undefined : scan.fields[column];
    return f ? posAt(seed.text, f.offset, r.start, r.line) : { line: r.line, column: 1 };
  };
  const row = /\(at row (\d+)\)/.exec(message);
  if (row) {
    const n = Number(row[1]);
    let column = -1;
    const block = message.indexOf(`\nRow ${n}:`);
    if (block >= 0) {
      const rest = message.slice(block);
      const stop = rest.indexOf("\nERROR");
      const read = [...(stop >= 0 ? rest.slice(0, stop) : rest).matchAll(
        /^Column \d+,\s+name: (.*?),\s+type: /gm,
      )];
      const last = read[read.length - 1]?.[1];
      if (last !== undefined) column = columns.findIndex((c) => c.name === last);
    }
    const r = seed.records[n - 1];
    if (!r) return null;
    return column >= 0 ? fieldPos(n - 1, column) : { line: r.line, column: 1 };
  }
  const e =
    /Unknown element '((?:[^'\\]|\\.)*)' for type (Enum(?:8|16)\((?:'(?:[^'\\]|\\.)*' = -?\d+(?:, )?)*\))/
      .exec(message);
  if (e) {
    const value = e[1]!.replace(/\\(.)/g, "$1");
    const type = e[2]!;
    const candidates = columns.flatMap((c, i) => unwrapType(c.type).inner === type ? [i] : []);
    if (candidates.length === 0) return null;
    for (let k = 0; k < seed.records.length; k++) {
      const r = seed.records[k]!;
      const scan = scanRecord(seed.text, r.start);
      if ("error" in scan) continue;
      for (const i of candidates) {
        const f = scan.fields[i];
        if (f && f.value !== null && f.value.trim() === value) {
          return posAt(seed.text, f.offset, r.start, r.line);
        }
      }
    }
  }
  return null;
}

/**
 * The server's message about a failed CSV insert, on one line: the first line of its text, then
 * the `ERROR:` lines of its row dump (which repeats the row's values at length).
 */
export function csvErrorMessage(message: string): string {
  const head = message.split(/\n\s*\nRow \d+:/)[0]!.replace(/\s*\n\s*/g, " ").trim()
    // `expected , before: <the next 200 bytes of the body>`: the rest of the record is enough.
    .replace(
      /(before: )(.*?)(: \(at row \d+\))/,
      (_, before: string, text: string, row: string) => {
        const cut = text.split("\\n")[0]!;
        return before + (cut.length > 80 ? `${cut.slice(0, 77)}...` : cut) + row;
      },
    );
  const errors = [...message.matchAll(/^ERROR: (.*)$/gm)].map((m) => m[1]!.trim());
  return errors.length > 0 ? `${head} ${errors.join("; ")}` : head;
}
