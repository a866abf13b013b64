// Migration files hold many statements, but PostgreSQL refuses CONCURRENTLY inside the implicit
// transaction of a multi-statement query and ClickHouse takes one statement per request, so the
// files are split here. A `;` only ends a statement where the server's own lexer would see one:
// never inside a string, identifier, comment, dollar-quoted body or BEGIN ATOMIC ... END block.
// One forward scan: a sticky or global pattern jumps to the next character that matters, so the
// text between is skipped in native code even while the JavaScript here is still cold (a CLI
// splits each file once). No pattern can backtrack over more than one token.

import { lineColumn, locator } from "./position.ts";

/** The SQL dialects the splitter knows. */
export type Dialect = "postgres" | "clickhouse";

/** One statement of a file and where it starts. */
export interface Statement {
  /** From the statement's first to its last significant character: no `;`, no leading or trailing comments. */
  text: string;
  /** 0-based offset of the first significant character in the text given to splitStatements(). */
  offset: number;
  /** 1-based line of `offset`. */
  line: number;
  /** 1-based column of `offset`, counted in code points. */
  column: number;
}

/** The SQL text cannot be split: a string, identifier or comment is never closed. */
export class SplitError extends Error {
  /** 1-based line where the unclosed token starts. */
  line: number;
  /** 1-based column where the unclosed token starts. */
  column: number;

  constructor(message: string, line: number, column: number) {
    super(message);
    this.name = "SplitError";
    this.line = line;
    this.column = column;
  }
}

const TAB = 9;
const CR = 13;
const SPACE = 32;
const DOUBLE_QUOTE = 34;
const HASH = 35;
const DOLLAR = 36;
const QUOTE = 39;
const OPEN_PAREN = 40;
const CLOSE_PAREN = 41;
const STAR = 42;
const MINUS = 45;
const SLASH = 47;
const SEMICOLON = 59;
const BACKSLASH = 92;
const BACKTICK = 96;
const BOM = 0xfeff;

// Characters of an identifier: `$` continues one in both dialects (so `a$b$` opens no dollar
// quote), and any non-ASCII character may be part of one in PostgreSQL.
// A BOM is no identifier character: it only ever starts a file.
const WORD_CHAR = String.raw`[\w$\u0080-\ufefe\uff00-\uffff]`;
const IDENTIFIER = String.raw`[A-Za-z_\u0080-\ufefe\uff00-\uffff]${WORD_CHAR}*`;
// A `$` or `e'` after an identifier is part of it, but `1$$` is a number then `$$`.
const DOLLAR_OUTSIDE_WORD = String.raw`\$(?<!${IDENTIFIER}\$)`;
const KEYWORD = String.raw`(?:begin|atomic|case|end)(?!${WORD_CHAR})`;
// What can change the meaning of a `;`: quotes, comments, parentheses, `$`, E'' strings, and the
// words of a BEGIN ATOMIC ... END body. Everything between two matches is plain code.
const PG_SPECIAL = new RegExp(
  String
    .raw`[;()'"]|--|/\*|${DOLLAR_OUTSIDE_WORD}|e'(?<!${IDENTIFIER}e')|(?<!${WORD_CHAR})${KEYWORD}`,
  "gi",
);
const CLICKHOUSE_SPECIAL = new RegExp(String.raw`[;'"\x60#]|--|/[*/]|${DOLLAR_OUTSIDE_WORD}`, "g");
// Right after a `$` token the look-behinds above would see a word: `$$x$$e'y'`.
const PG_AFTER_DOLLAR = new RegExp(String.raw`\$|e'|${KEYWORD}`, "iy");
const CLICKHOUSE_AFTER_DOLLAR = /\$/y;
const CREATE = new RegExp(String.raw`create(?!${WORD_CHAR})`, "iy");
// Space, \t, \n, \v, \f, \r: what both servers skip between tokens.
const BLANKS = /[ \t\n\v\f\r]*/y;
const TO_LINE_END = /[^\n\r]*/y;
const TAG = /[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*\$/y;
const CLICKHOUSE_TAG = /[\w\u0080-\uffff]+\$/y;
const COMMENT_TEXT = /[^*/]*/y;
const PLAIN: Record<number, RegExp> = {
  [QUOTE]: /[^'\\]*/y,
  [DOUBLE_QUOTE]: /[^"\\]*/y,
  [BACKTICK]: /[^`\\]*/y,
};

function skip(pattern: RegExp, sql: string, from: number): number {
  pattern.lastIndex = from;
  pattern.test(sql);
  return pattern.lastIndex;
}

function isBlank(c: number): boolean {
  return c === SPACE || (c >= TAB && c <= CR);
}

function unterminated(sql: string, what: string, start: number): SplitError {
  const { line, column } = lineColumn(sql, start);
  return new SplitError(
    `unterminated ${what} starting at line ${line}, column ${column}`,
    line,
    column,
  );
}

// Returns the offset just past the closing quote. Doubled quotes are an escape in both dialects;
// a backslash escapes the next character only in ClickHouse and in PostgreSQL E'...' strings.
function skipQuoted(
  sql: string,
  at: number,
  backslash: boolean,
  what: string,
  tokenStart: number,
): number {
  const quote = sql.charCodeAt(at);
  const plain = backslash ? PLAIN[quote] : undefined;
  const n = sql.length;
  let i = at + 1;
  while (i < n) {
    if (plain) {
      i = skip(plain, sql, i);
    } else {
      i = sql.indexOf(String.fromCharCode(quote), i);
      if (i < 0) break;
    }
    const c = sql.charCodeAt(i);
    if (c === quote) {
      if (sql.charCodeAt(i + 1) !== quote) return i + 1;
      i += 2;
    } else if (c === BACKSLASH) {
      i += 2;
    }
  }
  throw unterminated(sql, what, tokenStart);
}

function skipBlockComment(sql: string, at: number, nested: boolean): number {
  const n = sql.length;
  let depth = 1;
  let i = at + 2;
  while (i < n) {
    i = skip(COMMENT_TEXT, sql, i);
    const c = sql.charCodeAt(i);
    const next = sql.charCodeAt(i + 1);
    if (c === STAR && next === SLASH) {
      i += 2;
      if (--depth === 0) return i;
    } else if (nested && c === SLASH && next === STAR) {
      i += 2;
      depth++;
    } else {
      i++;
    }
  }
  throw unterminated(sql, "block comment", at);
}

// The end of the comment starting at `at`, or -1 when none starts there.
function commentEnd(sql: string, at: number, pg: boolean): number {
  const c = sql.charCodeAt(at);
  const next = sql.charCodeAt(at + 1);
  if (c === MINUS && next === MINUS) return skip(TO_LINE_END, sql, at + 2);
  // PostgreSQL nests block comments. ClickHouse 18.16 does not (newer releases do): there the
  // first `*/` ends the comment, so a stray `/*` in a comment cannot swallow the rest of a file.
  if (c === SLASH && next === STAR) return skipBlockComment(sql, at, pg);
  if (pg) return -1;
  // ClickHouse only takes `# ` and `#!` as comments; any other `#` is a syntax error there, so
  // reading it as a comment too changes no valid file.
  if (c === HASH || (c === SLASH && next === SLASH)) return skip(TO_LINE_END, sql, at + 1);
  return -1;
}

// The end of a dollar-quoted string or heredoc starting at `at`, or -1 when the `$` opens none
// (`$1` is a PostgreSQL parameter, so a tag may not start with a digit there).
function dollarEnd(sql: string, at: number, pg: boolean): number {
  let open = at + 2;
  if (sql.charCodeAt(at + 1) !== DOLLAR) {
    const tag = pg ? TAG : CLICKHOUSE_TAG;
    tag.lastIndex = at + 1;
    if (!tag.test(sql)) return -1;
    open = tag.lastIndex;
  }
  const close = sql.indexOf(sql.slice(at, open), open);
  if (close < 0) throw unterminated(sql, pg ? "dollar-quoted string" : "heredoc", at);
  return close + open - at;
}

// Reads the statements of sql and reports every comment on the way (and, when asked, every string,
// quoted identifier and dollar-quoted body).
function scan(
  sql: string,
  dialect: Dialect,
  onComment?: (start: number, end: number) => void,
  onQuoted?: (start: number, end: number) => void,
  onStatement?: (statement: Statement) => void,
): Statement[] {
  const pg = dialect === "postgres";
  const special = pg ? PG_SPECIAL : CLICKHOUSE_SPECIAL;
  const atDollarEnd = pg ? PG_AFTER_DOLLAR : CLICKHOUSE_AFTER_DOLLAR;
  const n = sql.length;
  const statements: Statement[] = [];
  const locate = locator(sql);
  const push = (start: number, end: number) => {
    const { line, column } = locate(start);
    const statement = { text: sql.slice(start, end), offset: start, line, column };
    if (onStatement) onStatement(statement);
    else statements.push(statement);
  };

  let i = sql.charCodeAt(0) === BOM ? 1 : 0;
  let start = -1; // first significant character of the current statement
  let end = -1; // just past its last significant character
  // PostgreSQL only, as psql does: a `;` inside parentheses (a multi-action CREATE RULE) or in a
  // BEGIN ATOMIC body of CREATE FUNCTION or PROCEDURE ends nothing.
  let parens = 0;
  let create = false; // the statement starts with CREATE
  let afterBegin = false; // the last significant token was the word BEGIN
  let atomic = 0; // open BEGIN ATOMIC blocks plus the CASEs inside them, each closed by END
  let afterDollar = -1; // just past the last `$` token

  while (i < n) {
    if (start < 0) {
      i = skip(BLANKS, sql, i);
      if (i >= n) break;
      const e = commentEnd(sql, i, pg);
      if (e >= 0) {
        onComment?.(i, e);
        i = e;
        continue;
      }
      if (sql.charCodeAt(i) === SEMICOLON) {
        i++;
        continue;
      }
      start = i;
      end = i;
      CREATE.lastIndex = i;
      create = pg && CREATE.test(sql);
      parens = 0;
      atomic = 0;
      afterBegin = false;
    }

    let m: RegExpExecArray | null = null;
    if (i === afterDollar) {
      atDollarEnd.lastIndex = i;
      m = atDollarEnd.exec(sql);
    }
    if (m === null) {
      special.lastIndex = i;
      m = special.exec(sql);
    }
    const at = m === null ? n : m.index;
    let e = at;
    while (e > i && isBlank(sql.charCodeAt(e - 1))) e--;
    if (e > i) {
      end = e;
      afterBegin = false;
    }
    if (m === null) break;

    const token = m[0];
    i = at + token.length;
    switch (sql.charCodeAt(at)) {
      case SEMICOLON:
        if (parens === 0 && atomic === 0) {
          push(start, end);
          start = -1;
          continue;
        }
        break;
      case OPEN_PAREN:
        parens++;
        break;
      case CLOSE_PAREN:
        if (parens > 0) parens--;
        break;
      case QUOTE:
        i = skipQuoted(sql, at, !pg, "string literal", at);
        onQuoted?.(at, i);
        break;
      case DOUBLE_QUOTE:
      case BACKTICK:
        i = skipQuoted(sql, at, !pg, "quoted identifier", at);
        onQuoted?.(at, i);
        break;
      case DOLLAR: {
        // A lone `$` (a parameter's) ends a token too, like a closing `$tag$`.
        const close = dollarEnd(sql, at, pg);
        if (close >= 0) {
          i = close;
          onQuoted?.(at, i);
        }
        afterDollar = i;
        break;
      }
      case MINUS:
      case SLASH:
      case HASH:
        i = commentEnd(sql, at, pg);
        onComment?.(at, i);
        continue;
      default:
        if (token.length === 2) {
          i = skipQuoted(sql, at + 1, true, "string literal", at);
          onQuoted?.(at, i);
        } else if (parens === 0 && (create || atomic > 0)) {
          const word = token.toLowerCase();
          if (word === "begin") {
            end = i;
            afterBegin = true;
            continue;
          }
          if (word === "atomic" && afterBegin) atomic++;
          else if (word === "case" && atomic > 0) atomic++;
          else if (word === "end" && atomic > 0) atomic--;
        }
    }
    end = i;
    afterBegin = false;
  }

  if (start >= 0) push(start, end);
  return statements;
}

/** Splits SQL text into statements, each with its 0-based offset and 1-based line/column in the text. */
export function splitStatements(sql: string, dialect: Dialect): Statement[] {
  return scan(sql, dialect);
}

/** Calls fn with each statement in order without keeping them, so a large file is not held twice. */
export function eachStatement(sql: string, dialect: Dialect, fn: (s: Statement) => void): void {
  scan(sql, dialect, undefined, undefined, fn);
}

/** The SQL text with every comment blanked out by spaces (line breaks kept), so offsets still match. */
export function stripComments(sql: string, dialect: Dialect): string {
  const parts: string[] = [];
  let copied = 0;
  scan(sql, dialect, (start, end) => {
    parts.push(sql.slice(copied, start), sql.slice(start, end).replace(/[^\r\n]/g, " "));
    copied = end;
  });
  parts.push(sql.slice(copied));
  return parts.join("");
}

/**
 * The ranges of sql that are not code, in order: comments, strings, quoted identifiers and
 * dollar-quoted bodies (each `[start, end)`). Throws SplitError where sql cannot be split.
 */
export function nonCodeRanges(sql: string, dialect: Dialect): [number, number][] {
  const ranges: [number, number][] = [];
  const add = (start: number, end: number) => void ranges.push([start, end]);
  scan(sql, dialect, add, add);
  return ranges;
}

// A failing statement is shown whole when it is short; a long one keeps its first and last lines
// (or characters, for one long line) around a note of what was left out.
