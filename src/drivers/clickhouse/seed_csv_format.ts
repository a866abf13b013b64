// CSV seeds on ClickHouse: `INSERT INTO db.table (header columns) FORMAT CSVWithNames` with the CSV as the body.
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

import { ConfigError } from "../../core/errors.ts";
import { fieldPos, withRecord } from "../../seeds/csv.ts";
import { concatBytes, eachRecord } from "../../seeds/csv_file.ts";
import { bytePos } from "../../seeds/csv_scan.ts";
import { seedError } from "../../seeds/errors.ts";
import type { CsvSeed, Pos } from "../../seeds/types.ts";
import { splitTableName } from "../../seeds/yaml.ts";
import { NO_UPSERT, type Table } from "./seed_rule.ts";
import { isReplacingEngine } from "./seed_sql.ts";

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

const QUOTE = 34, SPACE = 32, TAB = 9, BACKSLASH = 92, N = 78, LF_BYTE = 10;
const encoder = new TextEncoder();

/** A CSV field in double quotes. */
function quoteCsv(value: string): string {
  return `"${value.replaceAll('"', '""')}"`;
}

/** Whether some header column cannot read an empty field (nor take NULL): checkCsvFields() is needed. */
export function needsFieldCheck(columns: CsvColumn[]): boolean {
  return columns.some((c) => !c.nullable && !c.emptyOk);
}

/**
 * Refuses (INVALID_SEED, with its line and column) an unquoted empty field in a column that is not
 * Nullable and whose type cannot read an empty value: ClickHouse would misread the fields after it.
 * Runs before anything is sent, since rows sent before a bad one would stay in the table.
 */
export async function checkCsvFields(
  seed: CsvSeed,
  columns: CsvColumn[],
  where: { database: string },
): Promise<void> {
  await eachRecord(seed.path, (r) => {
    if (r.index === 0) return;
    for (let k = 0; k < r.scan.count; k++) {
      const col = columns[k]!;
      if (col.nullable || col.emptyOk || !r.scan.isNull(k)) continue;
      throw seedError(
        { path: seed.path, database: where.database, pos: fieldPos(r, k) },
        `an empty field in column "${col.name}" (${col.type}), which cannot be NULL and ` +
          "cannot read an empty value",
        `write a value, make the column Nullable(${unwrapType(col.type).inner}) for NULLs, ` +
          "or leave the column out of the header to get its DEFAULT",
      );
    }
  });
}

/**
 * The request body of a CSV seed, read from the file as it is sent, in chunks of about `size`
 * bytes: a header of the column names, then every record (blank lines left out), each rewritten
 * only where ClickHouse would read it otherwise than PostgreSQL (see above); a quoted field keeps
 * its bytes. Call checkCsvFields() first when needsFieldCheck() says so.
 */
export function csvBody(
  seed: CsvSeed,
  columns: CsvColumn[],
  size = 1 << 20,
): ReadableStream<Uint8Array> {
  let wake: (() => void) | null = null, cancelled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let parts: Uint8Array[] = [
        encoder.encode(columns.map((c) => quoteCsv(c.name)).join(",") + "\n"),
      ];
      let total = parts[0]!.length;
      const push = (b: Uint8Array) => {
        parts.push(b);
        total += b.length;
      };
      const LF = encoder.encode("\n"), NULL = encoder.encode("\\N"), COMMA = encoder.encode(",");
      const QUOTED_NULL = encoder.encode('"\\N"'), Q = encoder.encode('"');
      const flush = async () => {
        if (total === 0) return;
        controller.enqueue(concatBytes(parts, total));
        parts = [];
        total = 0;
        while (!cancelled && (controller.desiredSize ?? 1) <= 0) {
          await new Promise<void>((r) => (wake = r));
        }
        if (cancelled) throw new Error("the request was cancelled");
      };
      // Records sent as written and ended by LF are sent as one piece per run of them (no piece
      // per record): the run's bytes [runStart, runEnd) in the reader's current buffer.
      let run: Uint8Array | null = null, runStart = 0, runEnd = -1;
      const endRun = () => {
        if (run && runEnd > runStart) push(run.subarray(runStart, runEnd));
        run = null;
        runEnd = -1;
      };
      (async () => {
        await eachRecord(seed.path, (r) => {
          if (r.index === 0) return;
          const { buf, scan } = r;
          let rewrite = false;
          for (let k = 0; k < scan.count && !rewrite; k++) {
            rewrite = needsRewrite(buf, scan.starts[k]!, scan.ends[k]!, columns[k]!);
          }
          if (!rewrite && scan.next === scan.end + 1 && buf[scan.end] === LF_BYTE) {
            if (run !== buf || runEnd !== r.start) {
              endRun();
              run = buf;
              runStart = r.start;
            }
            runEnd = scan.next;
            return;
          }
          endRun();
          if (!rewrite) {
            push(buf.subarray(r.start, scan.end));
          } else {
            for (let k = 0; k < scan.count; k++) {
              if (k > 0) push(COMMA);
              const s = scan.starts[k]!, e = scan.ends[k]!, col = columns[k]!;
              if (s === e) {
                if (col.nullable) push(NULL);
              } else if (buf[s] === QUOTE) push(buf.subarray(s, e));
              else if (col.nullable && isBackslashN(buf, s, e)) push(QUOTED_NULL);
              else if (col.text && isPadded(buf, s, e)) {
                push(Q);
                push(buf.subarray(s, e));
                push(Q);
              } else push(buf.subarray(s, e));
            }
          }
          push(LF);
        }, {
          between: async () => {
            endRun();
            if (total >= size) await flush();
            else if (parts.length > 0) {
              // The pieces point into the reader's buffer, which is about to be reused.
              parts = [concatBytes(parts, total)];
            }
          },
        });
        endRun();
        await flush();
        controller.close();
      })().catch((err) => {
        try {
          controller.error(err);
        } catch {
          // The request was cancelled (interrupted): nobody reads the body any more.
        }
      });
    },
    pull() {
      wake?.();
      wake = null;
    },
    cancel() {
      cancelled = true;
      wake?.();
    },
  }, { highWaterMark: 1 });
}

function isBackslashN(buf: Uint8Array, s: number, e: number): boolean {
  return e - s === 2 && buf[s] === BACKSLASH && buf[s + 1] === N;
}

function isPadded(buf: Uint8Array, s: number, e: number): boolean {
  const a = buf[s], b = buf[e - 1];
  return a === SPACE || a === TAB || b === SPACE || b === TAB;
}

/** Whether a field must be sent otherwise than written (see above). */
function needsRewrite(buf: Uint8Array, s: number, e: number, col: CsvColumn): boolean {
  if (s === e) return col.nullable;
  if (buf[s] === QUOTE) return false;
  return (col.nullable && isBackslashN(buf, s, e)) || (col.text && isPadded(buf, s, e));
}

/**
 * Where in a CSV seed the server's error is: ClickHouse says `(at row N)` (the Nth record sent,
 * which is the Nth record of the file) and, for a value it could not read, lists the columns it
 * read in that row, the failing one last before `ERROR:`. An unknown Enum value comes without a
 * row: the first field of an Enum column with that value is taken. Null when neither says.
 */
export async function csvErrorPosition(
  seed: CsvSeed,
  columns: { name: string; type: string }[],
  message: string,
): Promise<Pos | null> {
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
    let pos: Pos | null = null;
    await withRecord(seed, n, (r) => {
      pos = column >= 0 && column < r.scan.count
        ? fieldPos(r, column)
        : { line: r.line, column: 1 };
    });
    return pos;
  }
  const e =
    /Unknown element '((?:[^'\\]|\\.)*)' for type (Enum(?:8|16)\((?:'(?:[^'\\]|\\.)*' = -?\d+(?:, )?)*\))/
      .exec(message);
  if (!e) return null;
  const value = e[1]!.replace(/\\(.)/g, "$1");
  const type = e[2]!;
  const candidates = columns.flatMap((c, i) => unwrapType(c.type).inner === type ? [i] : []);
  if (candidates.length === 0) return null;
  let pos: Pos | null = null;
  await eachRecord(seed.path, (r) => {
    if (r.index === 0) return;
    for (const i of candidates) {
      if (i < r.scan.count && r.scan.value(r.buf, i)?.trim() === value) {
        pos = bytePos(r.buf, r.scan.starts[i]!, r.start, r.line);
        return false;
      }
    }
  });
  return pos;
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
