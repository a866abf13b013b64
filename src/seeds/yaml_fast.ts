// A fast reader for the YAML that seed files are made of: a map of tables, each a list of rows (or
// `key:` and `rows:`), rows as flow `{...}` or block maps, values as plain, quoted, flow or block
// scalars, lists and maps, `!bcrypt` and `!ref`. It builds the seed's values straight from the
// text, row by row, with their lines and columns, in one pass and little garbage; the `yaml`
// package's document API is about twenty times slower and holds the whole file as nodes.
// Anything else (anchors, aliases, block scalars, multi-line plain or quoted scalars, other tags,
// several documents, and every syntax error) throws Unsupported: the caller then reads the file
// with the document API, which knows all of YAML and words the errors.

import type { Pos, SeedRow } from "./types.ts";
import { COMMA, HASH, LBRACE, LBRACK, LF, RBRACK, scalarName } from "./yaml_cursor.ts";
import { YamlValues } from "./yaml_values.ts";

export { Unsupported } from "./yaml_cursor.ts";

/** A table as its header says, before its rows. */
export interface TableHead {
  name: string;
  pos: Pos;
  key: { columns: string[]; pos: Pos } | null;
}

/** Where to go on reading a table's rows: plain data, kept to read the rows again in batches. */
export interface RowCursor {
  table: string;
  offset: number;
  line: number;
  lineStart: number;
  /** Rows read before this point. */
  index: number;
  /** The rows' `-` column (block) or the enclosing block's indent (flow). */
  indent: number;
  /** The indent of the block around the rows: a line at or left of it ends them. */
  parent: number;
  flow: boolean;
}

/** Reads a seed file's tables and rows; see the top of the file. */
export class FastYaml extends YamlValues {
  /**
   * Reads the tables: `onTable` gets each head and a cursor on its first row (null when it has
   * none), then `onRow` each row in file order.
   */
  tables(
    onTable: (head: TableHead, rows: RowCursor | null) => void,
    onRow: (row: SeedRow) => void,
  ): void {
    let indent = this.nextContent();
    if (indent >= 0 && this.t.startsWith("---", this.i)) {
      this.i += 3;
      this.endLine();
      indent = this.nextContent();
    }
    while (indent >= 0) {
      if (indent !== 0 || this.t.startsWith("---", this.i) || this.t.startsWith("...", this.i)) {
        this.no("expected a table name at the start of a line");
      }
      const pos = this.pos();
      const name = this.blockKey();
      this.tableValue(name, pos, onTable, onRow);
      indent = this.nextContent();
    }
  }

  /**
   * Reads up to `max` rows from a cursor, calling onRow for each; returns the cursor after them,
   * or null after the table's last row.
   */
  rowsFrom(c: RowCursor, max: number, onRow: (row: SeedRow) => void): RowCursor | null {
    this.i = c.offset;
    this.line = c.line;
    this.ls = c.lineStart;
    return c.flow ? this.flowRows(c, max, onRow) : this.blockRows(c, max, onRow);
  }

  cursor(table: string, indent: number, parent: number, flow: boolean): RowCursor {
    return {
      table,
      offset: this.i,
      line: this.line,
      lineStart: this.ls,
      index: 0,
      indent,
      parent,
      flow,
    };
  }

  /** Reads every row from a cursor (the rest of a table). */
  allRows(c: RowCursor | null, onRow: (row: SeedRow) => void): void {
    while (c) c = this.rowsFrom(c, Infinity, onRow);
  }

  tableValue(
    name: string,
    pos: Pos,
    onTable: (head: TableHead, rows: RowCursor | null) => void,
    onRow: (row: SeedRow) => void,
  ): void {
    this.spaces();
    const c = this.t.charCodeAt(this.i);
    if (c === LBRACK) {
      this.i++;
      const cursor = this.cursor(name, 0, 0, true);
      onTable({ name, pos, key: null }, cursor);
      this.allRows(cursor, onRow);
      this.endLine();
      return;
    }
    this.endLine();
    const indent = this.nextContent();
    if (indent < 0) this.no("a table without rows");
    if (this.atItem()) {
      const cursor = this.cursor(name, indent, 0, false);
      onTable({ name, pos, key: null }, cursor);
      this.allRows(cursor, onRow);
      return;
    }
    if (indent === 0) this.no("a table without rows");
    // `key:` and `rows:`, in either order: the key is needed first, so `rows:` must come last.
    let key: TableHead["key"] = null, seenKey = false;
    for (;;) {
      const fieldAt = this.i;
      const field = this.blockKey();
      if (field === "key" && !seenKey) {
        seenKey = true;
        this.spaces();
        const v = this.value(indent, false);
        const columns = v.kind === "list"
          ? v.items.map((x) => (x.kind === "string" || x.kind === "number" ? scalarName(x) : null))
          : v.kind === "string"
          ? [v.value]
          : null;
        if (!columns || columns.length === 0 || columns.some((x) => x === null)) {
          this.no("`key` must list column names", fieldAt);
        }
        key = { columns: columns as string[], pos: v.pos };
      } else if (field === "rows") {
        this.spaces();
        if (this.t.charCodeAt(this.i) === LBRACK) {
          this.i++;
          const cursor = this.cursor(name, indent, indent, true);
          onTable({ name, pos, key }, cursor);
          this.allRows(cursor, onRow);
          this.endLine();
        } else {
          this.endLine();
          const rowsIndent = this.nextContent();
          if (rowsIndent < indent || !this.atItem()) this.no("`rows:` must be a list");
          const cursor = this.cursor(name, rowsIndent, indent, false);
          onTable({ name, pos, key }, cursor);
          this.allRows(cursor, onRow);
        }
        const next = this.nextContent();
        if (next > 0) this.no("more fields after `rows:`");
        return;
      } else this.no(`field "${field}" of a table`, fieldAt);
      if (this.nextContent() !== indent) this.no("a table without `rows:`");
    }
  }

  /** Rows of a block sequence (at its `-` now); see rowsFrom(). */
  blockRows(c: RowCursor, max: number, onRow: (row: SeedRow) => void): RowCursor | null {
    let index = c.index;
    for (let n = 0;; n++) {
      if (n === max) return { ...c, offset: this.i, line: this.line, lineStart: this.ls, index };
      this.i++; // the dash
      this.spaces();
      const pos = this.pos();
      const ch = this.t.charCodeAt(this.i);
      let cells: SeedRow["cells"];
      if (ch === LBRACE) {
        cells = this.flowMap(c.indent);
        this.endLine();
      } else if (ch === LF || ch === HASH || this.i >= this.t.length) {
        this.no("a row on the line after its `-`");
      } else cells = this.blockMap(this.i - this.ls);
      onRow({ pos, index: ++index, cells });
      const next = this.nextContent();
      if (next === c.indent && this.atItem()) continue;
      if (next <= c.parent) return null;
      this.no(`row ${index + 1} of "${c.table}"`);
    }
  }

  /** Rows of a flow sequence `[{...}, ...]` (after its `[`); see rowsFrom(). */
  flowRows(c: RowCursor, max: number, onRow: (row: SeedRow) => void): RowCursor | null {
    let index = c.index;
    for (let n = 0;; n++) {
      this.flowSpace(c.indent);
      const ch = this.t.charCodeAt(this.i);
      if (ch === RBRACK) {
        this.i++;
        return null;
      }
      if (n === max) return { ...c, offset: this.i, line: this.line, lineStart: this.ls, index };
      if (ch !== LBRACE) this.no(`row ${index + 1} of "${c.table}" must be a map`);
      const pos = this.pos();
      const cells = this.flowMap(c.indent);
      onRow({ pos, index: ++index, cells });
      this.flowSpace(c.indent);
      const d = this.t.charCodeAt(this.i);
      if (d === COMMA) this.i++;
      else if (d !== RBRACK) this.no("expected `,` or `]`");
    }
  }
}
