// Plain data for YAML and CSV seeds: what the parsers produce and what a driver loads. Nothing here
// knows a database; column types arrive from the driver's catalog as `ColumnType`.

import type { RowCursor } from "./yaml_fast.ts";

/** A 1-based line and column in a seed file. */
export interface Pos {
  line: number;
  column: number;
}

/** One value of a YAML seed, with where it is. */
export type SeedValue =
  | { kind: "null"; pos: Pos }
  | { kind: "bool"; value: boolean; pos: Pos }
  /** `text` is the source (`1.10`, `12345678901234567890`), kept so no digit is lost. */
  | { kind: "number"; value: number; text: string; pos: Pos }
  | { kind: "string"; value: string; pos: Pos }
  | { kind: "list"; items: SeedValue[]; pos: Pos }
  | { kind: "map"; entries: [string, SeedValue][]; pos: Pos }
  /** `!bcrypt TEXT`: stored as a bcrypt hash of text. */
  | { kind: "bcrypt"; text: string; pos: Pos }
  /** `!ref TABLE.COLUMN=VALUE`: the primary key of the one row of table where column = value. */
  | { kind: "ref"; table: string; column: string; value: string; source: string; pos: Pos };

/** One row of a YAML table: column → value, in file order. */
export interface SeedRow {
  pos: Pos;
  /** 1-based position of the row in its table's list, for messages. */
  index: number;
  cells: { column: string; keyPos: Pos; value: SeedValue }[];
}

/** One table of a YAML seed. */
export interface SeedTable {
  /** As written: `users` or `audit.events`. */
  name: string;
  pos: Pos;
  /** The declared conflict columns, or null for the default key. */
  key: { columns: string[]; pos: Pos } | null;
  /**
   * The rows, when the file is small enough to keep them; else null, and eachRow() reads them
   * again from the text when they are loaded, so that a large file's rows never all live at once.
   */
  rows: SeedRow[] | null;
  /** How many rows the table has. */
  count: number;
  /** The distinct column lists of its rows, as written, for choosing the default key. */
  shapes: string[][];
  /** Where its first row is in the text (for reading the rows again), or null. */
  at: RowCursor | null;
}

/** A parsed YAML seed: tables in file order. */
export interface YamlSeed {
  format: "yaml";
  /** Path of the file, for messages. */
  path: string;
  tables: SeedTable[];
  /** Every table a `!ref` reads. */
  refTables: string[];
  /** BCRYPT_COST, read when the file has a `!bcrypt` value. */
  bcryptCost: number;
  /** The file's text (the tracked file's, not a copy), for reading rows again. */
  text: string;
}

/** A CSV seed, checked from end to end but not held: its records are read again from the file. */
export interface CsvSeed {
  format: "csv";
  path: string;
  /** From the file name `NNN_<table>.csv` (or the sidecar's `table`). */
  table: string;
  columns: { name: string; pos: Pos }[];
  /** How many records follow the header (blank lines are not records). */
  records: number;
  /** Conflict columns from the sidecar `NNN_<table>.yaml`, or null for ON CONFLICT DO NOTHING. */
  key: { columns: string[]; pos: Pos; path: string } | null;
  /** Length of the byte order mark the file starts with (0 or 3), which is not data. */
  bom: number;
  /**
   * Whether PostgreSQL's COPY reads the file, from `bom` on, as this parser does: every line ends
   * the same way (LF, or CR LF), no blank line, no record that is `\.` alone.
   */
  plain: boolean;
}

/** A YAML or CSV seed, parsed and checked before anything is applied. */
export type DataSeed = YamlSeed | CsvSeed;

/** How a column's values are checked and encoded; drivers map their types onto these. */
export type ValueKind =
  | "int2"
  | "int4"
  | "int8"
  | "numeric"
  | "float"
  | "bool"
  | "json"
  | "uuid"
  | "text"
  | "array"
  | "other";

/** A column's type as the seed code needs it. */
export interface ColumnType {
  /** The database's name for the type, usable in a cast (`timestamp with time zone`, `text[]`). */
  sql: string;
  kind: ValueKind;
  /** For arrays: the element type. */
  element?: ColumnType;
}

/** A column of a table in the catalog. */
export interface ColumnInfo {
  name: string;
  type: ColumnType;
  notNull: boolean;
  hasDefault: boolean;
  /** Generated columns cannot be written. */
  generated: boolean;
}

/** A table as the catalog describes it. */
export interface TableInfo {
  /** As the seed wrote it. */
  requested: string;
  schema: string;
  name: string;
  /** The quoted, schema-qualified name for SQL. */
  sql: string;
  /** Columns in table order. */
  columns: ColumnInfo[];
  primaryKey: string[] | null;
  /** Column sets of unique constraints and plain unique indexes, primary key first. */
  uniqueKeys: string[][];
}
