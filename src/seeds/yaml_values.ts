// The values of the fast YAML reader (yaml_fast.ts): block and flow maps and lists, scalars, and
// the `!bcrypt` and `!ref` tags, checked as the document reader checks them.

import type { Pos, SeedRow, SeedValue } from "./types.ts";
import {
  BANG,
  COLON,
  COMMA,
  DASH,
  DQ,
  HASH,
  isNullText,
  LBRACE,
  LBRACK,
  LF,
  plainStart,
  plainValue,
  RBRACE,
  RBRACK,
  SP,
  SQ,
  YamlCursor,
} from "./yaml_cursor.ts";
import { taggedValue } from "./yaml_names.ts";

/** Reads values: the cells of rows and what they hold. */
export class YamlValues extends YamlCursor {
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
      if (isNullText(key)) this.no("a null key");
      this.i = j;
    }
    if (this.t.charCodeAt(this.i) !== COLON) this.no("expected `:` after a key");
    this.i++;
    const n = this.t.charCodeAt(this.i);
    if (n !== SP && n !== LF && this.i < this.t.length) this.no("expected a space after `:`");
    return key;
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
    if (tag === "!bcrypt") this.bcrypt = true;
    return taggedValue(tag, text, pos, (p, m, h) => this.fail(p, m, h));
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
        if (isNullText(column)) this.no("a null key");
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
}
