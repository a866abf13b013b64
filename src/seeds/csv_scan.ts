// The CSV record scanner, over bytes: a file is read in chunks and never held whole, and a record
// is sent on as the bytes the file has (inside quotes a CR LF stays a CR LF). RFC 4180 as
// PostgreSQL's CSV format reads it: an unquoted empty field is NULL, `""` the empty text; a record
// ends at LF or CR LF. Pure: no I/O.

const COMMA = 44, QUOTE = 34, LF = 10, CR = 13, NUL = 0;

/** What scan() found. */
export const enum Scan {
  /** A whole record: see count, starts, ends, end, next, newlines. */
  Record,
  /** The buffer ends inside the record: read more and scan it again from the same offset. */
  More,
  /** The record is malformed: see error, errorAt, openedAt. */
  Error,
}

/**
 * Scans one record at a time, keeping each field's byte range in reusable arrays so that millions
 * of records cost no allocation.
 */
export class RecordScanner {
  /** Fields in the last record. */
  count = 0;
  /** Byte offsets of each field (a quoted field's range includes its quotes). */
  starts = new Int32Array(16);
  ends = new Int32Array(16);
  /** End of the record's text (before the line break) and the start of the next record. */
  end = 0;
  next = 0;
  /** Line breaks inside quoted fields of the record (the record spans newlines + 1 lines). */
  newlines = 0;
  /** Whether the record ended with CR LF (else LF, or the end of the data). */
  crlf = false;
  /** Whether the record has a byte over 0x7F (only then is its UTF-8 checked). */
  high = false;
  /** For Scan.Error: what is wrong, where, and where the quoted field it is in opened (or -1). */
  error = "";
  errorAt = 0;
  openedAt = -1;

  #push(start: number, end: number): void {
    if (this.count === this.starts.length) {
      const grow = (a: Int32Array) => {
        const b = new Int32Array(a.length * 2);
        b.set(a);
        return b;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.count] = start;
    this.ends[this.count] = end;
    this.count++;
  }

  #fail(error: string, at: number, openedAt = -1): Scan.Error {
    this.error = error;
    this.errorAt = at;
    this.openedAt = openedAt;
    return Scan.Error;
  }

  /**
   * Scans the record that starts at `from` in buf[0, limit). `final` says no data follows limit;
   * without it a record that reaches limit is Scan.More, since its end is not known yet.
   */
  scan(buf: Uint8Array, from: number, limit: number, final: boolean): Scan {
    this.count = 0;
    this.newlines = 0;
    let i = from, hi = 0;
    for (;;) {
      const fieldStart = i;
      if (i < limit && buf[i] === QUOTE) {
        i++;
        for (;;) {
          if (i >= limit) {
            return final ? this.#fail("a quoted field is not closed", fieldStart) : Scan.More;
          }
          const c = buf[i]!;
          if (c === QUOTE) {
            if (i + 1 >= limit && !final) return Scan.More;
            if (buf[i + 1] === QUOTE) {
              i += 2;
              continue;
            }
            i++;
            break;
          }
          hi |= c;
          if (c === LF) this.newlines++;
          else if (c === NUL) {
            return this.#fail("a NUL character (PostgreSQL text cannot hold it)", fieldStart);
          }
          i++;
        }
        if (i < limit) {
          const c = buf[i]!;
          if (c === CR && i + 1 >= limit && !final) return Scan.More;
          if (c !== COMMA && c !== LF && !(c === CR && buf[i + 1] === LF)) {
            return this.#fail(
              "text after the closing quote of a field",
              i,
              this.newlines > 0 ? fieldStart : -1,
            );
          }
        }
      } else {
        while (i < limit) {
          const c = buf[i]!;
          if (c === COMMA || c === LF) break;
          if (c === CR) {
            if (i + 1 >= limit && !final) return Scan.More;
            if (buf[i + 1] === LF) break;
            return this.#fail("a carriage return inside an unquoted field", i);
          }
          if (c === QUOTE) return this.#fail("a quote inside an unquoted field", i);
          if (c === NUL) {
            return this.#fail("a NUL character (PostgreSQL text cannot hold it)", fieldStart);
          }
          hi |= c;
          i++;
        }
      }
      this.#push(fieldStart, i);
      if (i >= limit) {
        if (!final) return Scan.More;
        this.end = this.next = i;
        this.crlf = false;
        this.high = hi > 0x7f;
        return Scan.Record;
      }
      const c = buf[i]!;
      if (c === LF || c === CR) {
        this.end = i;
        this.crlf = c === CR;
        this.next = i + (c === CR ? 2 : 1);
        this.high = hi > 0x7f;
        return Scan.Record;
      }
      i++; // the comma
    }
  }

  /** Whether field k is quoted. */
  quoted(buf: Uint8Array, k: number): boolean {
    return buf[this.starts[k]!] === QUOTE;
  }

  /** Whether field k is an unquoted empty field: NULL. */
  isNull(k: number): boolean {
    return this.starts[k] === this.ends[k];
  }

  /** The text of field k (null for NULL): quotes removed and `""` read as `"`. */
  value(buf: Uint8Array, k: number): string | null {
    const s = this.starts[k]!, e = this.ends[k]!;
    if (s === e) return null;
    if (buf[s] !== QUOTE) return decoder.decode(buf.subarray(s, e));
    return decoder.decode(buf.subarray(s + 1, e - 1)).replaceAll('""', '"');
  }
}

const decoder = new TextDecoder();

/** Whether the record in buf[start, end) is `\.` alone, which COPY would read as the end of data. */
export function isEndMarker(buf: Uint8Array, start: number, end: number): boolean {
  return end - start === 2 && buf[start] === 92 && buf[start + 1] === 46;
}

/**
 * Line and column (1-based; the column in UTF-16 units, as an editor counts) of byte `offset`,
 * given that `from` starts line `line`.
 */
export function bytePos(
  buf: Uint8Array,
  offset: number,
  from: number,
  line: number,
): { line: number; column: number } {
  let lineStart = from;
  for (let i = from; i < offset; i++) {
    if (buf[i] === LF) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: decoder.decode(buf.subarray(lineStart, offset)).length + 1 };
}
