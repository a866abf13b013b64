// The text of a migration as PostgreSQL receives it: the file's own BEGIN/COMMIT blanked out,
// large files cut into pieces at statement starts, and lengths and positions counted the way the
// server counts characters. Pure functions, so they are tested without a database.

import { Buffer } from "node:buffer";
import { eachStatement } from "../../sql/split.ts";

/** A range of the text to replace by spaces. */
export interface Range {
  offset: number;
  end: number;
}

/**
 * The text with each range turned into spaces (line breaks kept), so it keeps its length and every
 * offset and line: a server error position still points into the file.
 */
export function blankRanges(text: string, ranges: readonly Range[]): string {
  if (ranges.length === 0) return text;
  const parts: string[] = [];
  let copied = 0;
  for (const r of ranges) {
    parts.push(text.slice(copied, r.offset), text.slice(r.offset, r.end).replace(/[^\r\n]/g, " "));
    copied = r.end;
  }
  parts.push(text.slice(copied));
  return parts.join("");
}

/**
 * Where to cut a text into queries of about `size` UTF-16 units: at statement starts only, so each
 * piece holds whole statements. Returns the cuts with 0 first and text.length last; one piece for a
 * text up to `size`. A piece ends at the first statement start at least `size` after its own, so a
 * statement longer than `size` stays whole in one piece.
 */
export function pieceBounds(text: string, size: number): number[] {
  const cuts = [0];
  if (text.length > size) {
    eachStatement(text, "postgres", (s) => {
      if (s.offset - cuts[cuts.length - 1]! >= size) cuts.push(s.offset);
    });
  }
  if (text.length > cuts[cuts.length - 1]! || cuts.length === 1) cuts.push(text.length);
  return cuts;
}

const SURROGATE = /[\ud800-\udfff]/;

/**
 * How many characters the server counts in text[from, to): code points, or UTF-8 bytes on a server
 * whose encoding is SQL_ASCII (it stores what the client sends and counts bytes).
 */
export function serverLength(text: string, from: number, to: number, bytes: boolean): number {
  if (bytes) return Buffer.byteLength(text.slice(from, to), "utf8");
  let n = to - from;
  if (!SURROGATE.test(text.slice(from, to))) return n;
  for (let i = from; i < to - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

/** The text index of PostgreSQL's 1-based character `position`, counted from index `from`. */
export function charIndex(text: string, from: number, position: number): number {
  let idx = from;
  for (let cp = 1; cp < position && idx < text.length; cp++) {
    idx += text.codePointAt(idx)! > 0xffff ? 2 : 1;
  }
  return idx;
}
