// Where an offset of a text is, as a person counts: 1-based lines, and columns in code points (the
// way editors and PostgreSQL's error positions count characters). Used for every message that points
// into a file: SQL, YAML config.

const BOM = 0xfeff;
const LINE_BREAK = /\r\n?|\n/g;

// Columns count code points, the way editors and PostgreSQL's error positions count characters;
// a leading BOM takes no column. Offsets must be asked in increasing order: the whole text is
// then walked once, even when it is one long line.
export function locator(text: string): (offset: number) => { line: number; column: number } {
  let pos = text.charCodeAt(0) === BOM ? 1 : 0; // where lines and columns are counted up to
  let line = 1;
  let column = 1;
  let nextBreak = -1; // the first line break at or after pos, once looked up
  let breakLength = 0;
  return (offset) => {
    for (;;) {
      if (nextBreak < pos) {
        LINE_BREAK.lastIndex = pos;
        const m = LINE_BREAK.exec(text);
        nextBreak = m === null ? text.length : m.index;
        breakLength = m === null ? 0 : m[0].length;
      }
      if (nextBreak >= offset) break;
      pos = nextBreak + breakLength;
      line++;
      column = 1;
    }
    for (; pos < offset; pos++) {
      const c = text.charCodeAt(pos);
      if (c < 0xdc00 || c > 0xdfff || !isHighSurrogate(text.charCodeAt(pos - 1))) column++;
    }
    return { line, column };
  };
}

function isHighSurrogate(c: number): boolean {
  return c >= 0xd800 && c <= 0xdbff;
}

/** 1-based line and column of a 0-based offset in text (clamped to the text); columns count code points. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  return locator(text)(Math.max(0, Math.min(offset, text.length)));
}
