// A fast reader for the YAML that seed files are made of: a map of tables, each a list of rows (or
// `key:` and `rows:`), rows as flow `{...}` or block maps, values as plain, quoted, flow or block
// scalars, lists and maps, `!bcrypt` and `!ref`. It builds the seed's values straight from the
// text, row by row, with their lines and columns, in one pass and little garbage; the `yaml`
// package's document API is about twenty times slower and holds the whole file as nodes.
// Anything else (anchors, aliases, block scalars, multi-line plain or quoted scalars, other tags,
// several documents, and every syntax error) throws Unsupported: the caller then reads the file
// with the document API, which knows all of YAML and words the errors.

import { checkBcryptText } from "./bcrypt.ts";
import { seedError } from "./errors.ts";
import type { Pos, SeedRow, SeedValue } from "./types.ts";
import { parseRef } from "./yaml_names.ts";

/** The text uses YAML this reader does not follow (or is not valid YAML) at `offset`. */
export class Unsupported extends Error {
  constructor(readonly offset: number, readonly pos: Pos, what: string) {
    super(what);
  }
}

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

const SP = 32, LF = 10, HASH = 35, COLON = 58, DASH = 45, COMMA = 44, DQ = 34, SQ = 39;
const LBRACE = 123, RBRACE = 125, LBRACK = 91, RBRACK = 93, BANG = 33, TAB = 9;

const NULL_RE = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL_RE = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_RE = /^[-+]?[0-9]+$/;
const FLOAT_RE =
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$|^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const SPECIAL_RE = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;

/** A plain scalar as the YAML 1.2 core schema reads it (the `yaml` package's default). */
export function plainValue(text: string, pos: Pos): SeedValue {
  const c = text.charCodeAt(0);
  // Most values are words: only text that starts like a number, null or boolean is tested.
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    if (INT_RE.test(text)) return { kind: "number", value: parseInt(text, 10), text, pos };
    if (FLOAT_RE.test(text)) return { kind: "number", value: parseFloat(text), text, pos };
    if (/^0o[0-7]+$/.test(text)) {
      return { kind: "number", value: parseInt(text.slice(2), 8), text, pos };
    }
    if (/^0x[0-9a-fA-F]+$/.test(text)) {
      return { kind: "number", value: parseInt(text.slice(2), 16), text, pos };
    }
    if (SPECIAL_RE.test(text)) {
      const value = text.slice(-3).toLowerCase() === "nan"
        ? NaN
        : text[0] === "-"
        ? -Infinity
        : Infinity;
      return { kind: "number", value, text, pos };
    }
    return { kind: "string", value: text, pos };
  }
  if (text.length <= 5) {
    if (NULL_RE.test(text)) return { kind: "null", pos };
    if (BOOL_RE.test(text)) return { kind: "bool", value: c === 116 || c === 84, pos };
  }
  return { kind: "string", value: text, pos };
}

const ESCAPES: Record<string, string> = {
  "0": "\0",
  a: "\x07",
  b: "\b",
  t: "\t",
  "\t": "\t",
  n: "\n",
  v: "\v",
  f: "\f",
  r: "\r",
  e: "\x1b",
  " ": " ",
  '"': '"',
  "/": "/",
  "\\": "\\",
  N: "\u0085",
  _: "\u00a0",
  L: "\u2028",
  P: "\u2029",
};

/** Reads a seed file's tables and rows; see the top of the file. */
export class FastYaml {
  i = 0;
  line = 1;
  ls = 0;
  /** Whether a `!bcrypt` value was read. */
  bcrypt = false;

  constructor(readonly t: string, readonly where: { path: string; database: string }) {}

  pos(at = this.i): Pos {
    return { line: this.line, column: at - this.ls + 1 };
  }

  no(what: string, at = this.i): never {
    throw new Unsupported(at, this.pos(at), what);
  }

  fail(pos: Pos, message: string, hint?: string): never {
    throw seedError({ ...this.where, pos }, message, hint);
  }

  /** Skips spaces (not tabs, which YAML forbids in indentation). */
  spaces(): void {
    while (this.t.charCodeAt(this.i) === SP) this.i++;
  }

  #newline(): void {
    this.i++;
    this.line++;
    this.ls = this.i;
  }

  /** Ends a line after a value: spaces, a comment, then LF or the end. */
  endLine(): void {
    this.spaces();
    let c = this.t.charCodeAt(this.i);
    if (c === HASH) {
      const before = this.t.charCodeAt(this.i - 1);
      if (before !== SP && this.i !== this.ls) this.no("a comment must follow a space");
      const lf = this.t.indexOf("\n", this.i);
      this.i = lf < 0 ? this.t.length : lf;
      c = this.t.charCodeAt(this.i);
    }
    if (c === LF) this.#newline();
    else if (this.i < this.t.length) this.no("more text after a value");
  }

  /** Moves to the first character of the next line with content; its indent, or -1 at the end. */
  nextContent(): number {
    for (;;) {
      this.spaces();
      const c = this.t.charCodeAt(this.i);
      if (this.i >= this.t.length) return -1;
      if (c === HASH) {
        const lf = this.t.indexOf("\n", this.i);
        if (lf < 0) {
          this.i = this.t.length;
          return -1;
        }
        this.i = lf;
        continue;
      }
      if (c === LF) {
        this.#newline();
        continue;
      }
      if (c === TAB) this.no("a tab in indentation");
      return this.i - this.ls;
    }
  }

  /** Whether the text at i is `-` followed by a space or line end (a block sequence item). */
  atItem(): boolean {
    if (this.t.charCodeAt(this.i) !== DASH) return false;
    const n = this.t.charCodeAt(this.i + 1);
    return n === SP || n === LF || this.i + 1 >= this.t.length;
  }

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

  #cursor(table: string, indent: number, parent: number, flow: boolean): RowCursor {
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

  /** A key in block context: a plain or quoted scalar, then `:` and a space or line end. */
  blockKey(): string {
    const start = this.i, c = this.t.charCodeAt(start);
    let key: string;
    if (c === DQ || c === SQ) key = this.quoted();
    else {
      let j = this.i;
      for (;;) {
        j = this.t.indexOf(":", j);
        if (j < 0) this.no("expected `key:`");
        const n = this.t.charCodeAt(j + 1);
        if (n === SP || n === LF || j + 1 >= this.t.length) break;
        j++;
      }
      key = this.t.slice(start, j).trimEnd();
      if (key === "" || key.includes("\n") || key.includes(" #") || !plainStart(c)) {
        this.no("expected a plain key");
      }
      if (plainValue(key, this.pos(start)).kind === "null") this.no("a null key");
      this.i = j;
    }
    if (this.t.charCodeAt(this.i) !== COLON) this.no("expected `:` after a key");
    this.i++;
    const n = this.t.charCodeAt(this.i);
    if (n !== SP && n !== LF && this.i < this.t.length) this.no("expected a space after `:`");
    return key;
  }

  /** Reads every row from a cursor (the rest of a table). */
  #allRows(c: RowCursor | null, onRow: (row: SeedRow) => void): void {
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
      const cursor = this.#cursor(name, 0, 0, true);
      onTable({ name, pos, key: null }, cursor);
      this.#allRows(cursor, onRow);
      this.endLine();
      return;
    }
    this.endLine();
    const indent = this.nextContent();
    if (indent < 0) this.no("a table without rows");
    if (this.atItem()) {
      const cursor = this.#cursor(name, indent, 0, false);
      onTable({ name, pos, key: null }, cursor);
      this.#allRows(cursor, onRow);
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
          const cursor = this.#cursor(name, indent, indent, true);
          onTable({ name, pos, key }, cursor);
          this.#allRows(cursor, onRow);
          this.endLine();
        } else {
          this.endLine();
          const rowsIndent = this.nextContent();
          if (rowsIndent < indent || !this.atItem()) this.no("`rows:` must be a list");
          const cursor = this.#cursor(name, rowsIndent, indent, false);
          onTable({ name, pos, key }, cursor);
          this.#allRows(cursor, onRow);
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

  /** A block map whose keys start at column `indent` (the first key is at i). */
  blockMap(indent: number): SeedRow["cells"] {
    const cells: SeedRow["cells"] = [];
    for (;;) {
      const keyPos = this.pos();
      const column = this.blockKey();
      for (const c of cells) if (c.column === column) this.no("a key given twice", this.i - 1);
      this.spaces();
      cells.push({ column, keyPos, value: this.value(indent, true) });
      const next = this.nextContent();
      if (next !== indent || this.atItem()) {
        if (next > indent) this.no("a line indented more than its map");
        return cells;
      }
    }
  }

  /**
   * The value after `key:` in a block map at `indent` (i after the spaces); ends its line. A
   * `top` value is a cell of a row, where `!bcrypt` and `!ref` are allowed.
   */
  value(indent: number, top: boolean): SeedValue {
    const c = this.t.charCodeAt(this.i);
    if (c === LF || c === HASH || this.i >= this.t.length) {
      const pos = this.pos();
      this.endLine();
      const next = this.nextContent();
      if (next > indent || (next === indent && this.atItem())) {
        const npos = this.pos();
        if (this.atItem()) return this.blockList(next, npos);
        const cells = this.blockMap(next);
        return { kind: "map", entries: cells.map((x) => [x.column, x.value]), pos: npos };
      }
      return { kind: "null", pos };
    }
    const v = this.inline(indent, top, false);
    this.endLine();
    return v;
  }

  /** A block list of values at `indent`, as a value. */
  blockList(indent: number, pos: Pos): SeedValue {
    const items: SeedValue[] = [];
    for (;;) {
      this.i++;
      this.spaces();
      const c = this.t.charCodeAt(this.i);
      if (c === LF || c === HASH) this.no("a list item on the line after its `-`");
      const col = this.i - this.ls;
      // `- key: value` is a map item; anything else a value on this line.
      if (this.looksLikeKey()) {
        const ipos = this.pos();
        const cells = this.blockMap(col);
        items.push({ kind: "map", entries: cells.map((x) => [x.column, x.value]), pos: ipos });
      } else {
        items.push(this.inline(indent, false, false));
        this.endLine();
        this.nextContent();
      }
      const next = this.i - this.ls;
      if (this.i >= this.t.length) return { kind: "list", items, pos };
      if (next === indent && this.atItem()) continue;
      if (next <= indent) return { kind: "list", items, pos };
      this.no("a line indented more than its list");
    }
  }

  /** Whether the line from i holds `key: ...` (a plain or quoted key then `: `). */
  looksLikeKey(): boolean {
    const lf = this.t.indexOf("\n", this.i);
    const line = this.t.slice(this.i, lf < 0 ? this.t.length : lf);
    const c = line.charCodeAt(0);
    if (c === LBRACE || c === LBRACK || c === DQ || c === SQ || c === BANG) return false;
    return /^[^#]*?:(?: |$)/.test(line);
  }

  /** A value on the current line: scalar, quoted, flow collection or tagged scalar. */
  inline(indent: number, top: boolean, flow: boolean): SeedValue {
    const c = this.t.charCodeAt(this.i);
    const pos = this.pos();
    if (c === LBRACE) {
      const cells = this.flowMap(indent);
      return { kind: "map", entries: cells.map((x) => [x.column, x.value]), pos };
    }
    if (c === LBRACK) return this.flowList(indent, pos);
    if (c === DQ || c === SQ) return { kind: "string", value: this.quoted(), pos };
    if (c === BANG) return this.tagged(indent, top, flow, pos);
    if (!plainStart(c) && !this.dashOrColonPlain()) this.no("YAML that seed files do not use here");
    return plainValue(this.plain(flow), pos);
  }

  /** Whether i is at `-` or `:` (or `?`) followed by text: a plain scalar such as `-5`. */
  dashOrColonPlain(): boolean {
    const c = this.t.charCodeAt(this.i);
    if (c !== DASH && c !== COLON && c !== 63) return false;
    const n = this.t.charCodeAt(this.i + 1);
    return n > SP && n !== COMMA && n !== LBRACK && n !== RBRACK && n !== LBRACE && n !== RBRACE;
  }

  /** `!bcrypt TEXT` or `!ref TABLE.COLUMN=VALUE` (checked here, as the document reader does). */
  tagged(indent: number, top: boolean, flow: boolean, pos: Pos): SeedValue {
    const t = this.t;
    let j = this.i;
    while (j < t.length && t.charCodeAt(j) > SP && t.charCodeAt(j) !== COMMA) j++;
    const tag = t.slice(this.i, j);
    if ((tag !== "!bcrypt" && tag !== "!ref") || !top || t.charCodeAt(j) !== SP) {
      this.no(`the tag ${tag} here`);
    }
    this.i = j;
    this.spaces();
    const c = t.charCodeAt(this.i);
    if (c === LF || c === HASH || c === LBRACE || c === LBRACK || c === BANG) {
      this.no(`${tag} without a text`);
    }
    const v = this.inline(indent, false, flow);
    if (v.kind === "null") this.no(`${tag} without a text`);
    const text = v.kind === "string" ? v.value : v.kind === "number" ? v.text : String(
      (v as { value?: unknown }).value,
    );
    if (tag === "!bcrypt") {
      const problem = checkBcryptText(text);
      if (problem) this.fail(pos, problem, "use a shorter password");
      this.bcrypt = true;
      return { kind: "bcrypt", text, pos };
    }
    const ref = parseRef(text);
    if (!ref) {
      this.fail(
        pos,
        `!ref "${text}" is not TABLE.COLUMN=VALUE`,
        "write `!ref users.email=admin@acme.test`",
      );
    }
    return { kind: "ref", ...ref, source: text, pos };
  }

  /** Spaces, line breaks and comments inside a flow collection (lines indented past `indent`). */
  flowSpace(indent: number): void {
    for (;;) {
      const c = this.t.charCodeAt(this.i);
      if (c === SP) this.i++;
      else if (c === LF) {
        this.#newline();
        this.spaces();
        if (this.i - this.ls <= indent && this.t.charCodeAt(this.i) !== LF) {
          this.no("a flow collection's line must be indented past its block");
        }
      } else if (c === HASH && this.t.charCodeAt(this.i - 1) === SP) {
        const lf = this.t.indexOf("\n", this.i);
        this.i = lf < 0 ? this.t.length : lf;
      } else return;
    }
  }

  flowMap(indent: number): SeedRow["cells"] {
    this.i++; // {
    const cells: SeedRow["cells"] = [];
    for (;;) {
      this.flowSpace(indent);
      let c = this.t.charCodeAt(this.i);
      if (c === RBRACE) {
        this.i++;
        return cells;
      }
      const keyPos = this.pos();
      let column: string;
      if (c === DQ || c === SQ) column = this.quoted();
      else {
        if (!plainStart(c)) this.no("expected a key");
        column = this.plain(true);
        if (plainValue(column, keyPos).kind === "null") this.no("a null key");
      }
      for (const x of cells) if (x.column === column) this.no("a key given twice", this.i - 1);
      this.flowSpace(indent);
      c = this.t.charCodeAt(this.i);
      let value: SeedValue;
      if (c === COLON) {
        this.i++;
        this.flowSpace(indent);
        const d = this.t.charCodeAt(this.i);
        value = d === COMMA || d === RBRACE ? { kind: "null", pos: this.pos() } : this.inline(
          indent,
          true,
          true,
        );
        this.flowSpace(indent);
        c = this.t.charCodeAt(this.i);
      } else value = { kind: "null", pos: keyPos };
      cells.push({ column, keyPos, value });
      if (c === COMMA) this.i++;
      else if (c !== RBRACE) this.no("expected `,` or `}`");
    }
  }

  flowList(indent: number, pos: Pos): SeedValue {
    this.i++; // [
    const items: SeedValue[] = [];
    for (;;) {
      this.flowSpace(indent);
      const c = this.t.charCodeAt(this.i);
      if (c === RBRACK) {
        this.i++;
        return { kind: "list", items, pos };
      }
      items.push(this.inline(indent, false, true));
      this.flowSpace(indent);
      const d = this.t.charCodeAt(this.i);
      if (d === COLON) this.no("a map entry inside a flow list");
      if (d === COMMA) this.i++;
      else if (d !== RBRACK) this.no("expected `,` or `]`");
    }
  }

  /** A plain scalar from i: to the end of the line, a comment or `: `; in flow, also `,[]{}`. */
  plain(flow: boolean): string {
    const t = this.t, start = this.i;
    let j = start, end = start;
    for (; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c === LF) break;
      if (c === SP || c === TAB) {
        if (t.charCodeAt(j + 1) === HASH) break;
        continue;
      }
      if (c === COLON) {
        const n = t.charCodeAt(j + 1);
        if (n === SP || n === LF || j + 1 >= t.length) break;
        if (flow && (n === COMMA || n === RBRACE || n === RBRACK || n === LBRACE || n === LBRACK)) {
          break;
        }
      } else if (
        flow && (c === COMMA || c === RBRACE || c === RBRACK || c === LBRACE || c === LBRACK)
      ) {
        break;
      }
      end = j + 1;
    }
    if (!flow && t.charCodeAt(j) === COLON) this.no("a map on the line of a value", j);
    this.i = end;
    return t.slice(start, end);
  }

  /** A single- or double-quoted scalar on one line. */
  quoted(): string {
    const t = this.t, q = t.charCodeAt(this.i), start = ++this.i;
    if (q === SQ) {
      let out = "", from = start;
      for (;;) {
        const k = t.indexOf("'", from);
        const lf = t.indexOf("\n", from);
        if (k < 0 || (lf >= 0 && lf < k)) this.no("a quoted text over several lines");
        if (t.charCodeAt(k + 1) === SQ) {
          out += t.slice(from, k + 1);
          from = k + 2;
          continue;
        }
        this.i = k + 1;
        return out + t.slice(from, k);
      }
    }
    let out = "", from = start;
    for (let j = start;; j++) {
      const c = t.charCodeAt(j);
      if (j >= t.length || c === LF) this.no("a quoted text over several lines");
      if (c === DQ) {
        this.i = j + 1;
        return out + t.slice(from, j);
      }
      if (c !== 92) continue;
      out += t.slice(from, j);
      const e = t[j + 1]!;
      const simple = ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        j++;
      } else {
        const len = e === "x" ? 2 : e === "u" ? 4 : e === "U" ? 8 : 0;
        const hex = t.slice(j + 2, j + 2 + len);
        if (len === 0 || !/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) {
          this.no("an escape YAML does not know", j);
        }
        out += String.fromCodePoint(parseInt(hex, 16));
        j += 1 + len;
      }
      from = j + 1;
    }
  }
}

/** Whether a plain scalar may start with this character (no indicator but `-?:` before text). */
function plainStart(c: number): boolean {
  switch (c) {
    case HASH:
    case 38:
    case 42:
    case BANG:
    case 124:
    case 62:
    case SQ:
    case DQ:
    case 37:
    case 64:
    case 96:
    case COMMA:
    case LBRACK:
    case RBRACK:
    case LBRACE:
    case RBRACE:
    case SP:
    case TAB:
    case LF:
      return false;
    case DASH:
    case 63:
    case COLON:
      return false; // `-x` and `:x` are plain in YAML, but rare in seeds: the document reader takes them
  }
  return !Number.isNaN(c);
}

/** A key column given as a scalar: its text as written. */
function scalarName(v: SeedValue): string {
  return v.kind === "string" ? v.value : v.kind === "number" ? v.text : "";
}
