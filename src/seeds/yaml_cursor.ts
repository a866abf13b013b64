// The character level of the fast YAML reader (yaml_fast.ts): where it is in the text, spaces,
// comments and line ends, plain and quoted scalars, and how a plain scalar reads as a value (the
// YAML 1.2 core schema, as the `yaml` package reads it). Anything outside what seed files use
// throws Unsupported, and the caller reads the file with the document API instead.

import { seedError } from "./errors.ts";
import type { Pos, SeedValue } from "./types.ts";

/** The text uses YAML this reader does not follow (or is not valid YAML) at `offset`. */
export class Unsupported extends Error {
  constructor(readonly offset: number, readonly pos: Pos, what: string) {
    super(what);
  }
}

export const SP = 32, LF = 10, HASH = 35, COLON = 58, DASH = 45, COMMA = 44, DQ = 34, SQ = 39;
export const LBRACE = 123, RBRACE = 125, LBRACK = 91, RBRACK = 93, BANG = 33, TAB = 9;

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
    if (isNullText(text)) return { kind: "null", pos };
    switch (text) {
      case "true":
      case "True":
      case "TRUE":
        return { kind: "bool", value: true, pos };
      case "false":
      case "False":
      case "FALSE":
        return { kind: "bool", value: false, pos };
    }
  }
  return { kind: "string", value: text, pos };
}

/** Whether a plain scalar reads as null (`~`, `null`, `Null`, `NULL` or nothing). */
export function isNullText(text: string): boolean {
  switch (text) {
    case "":
    case "~":
    case "null":
    case "Null":
    case "NULL":
      return true;
  }
  return false;
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

/** A position in the text and the steps every part of the reader takes. */
export class YamlCursor {
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

  /** Steps over a line break. */
  newline(): void {
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
    if (c === LF) this.newline();
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
        this.newline();
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

  /** Spaces, line breaks and comments inside a flow collection (lines indented past `indent`). */
  flowSpace(indent: number): void {
    for (;;) {
      const c = this.t.charCodeAt(this.i);
      if (c === SP) this.i++;
      else if (c === LF) {
        this.newline();
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
export function plainStart(c: number): boolean {
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
export function scalarName(v: SeedValue): string {
  return v.kind === "string" ? v.value : v.kind === "number" ? v.text : "";
}
