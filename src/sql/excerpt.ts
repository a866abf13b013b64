// A statement as messages show it: whole when short, shortened in the middle when long, never its
// first line alone.

import type { Statement } from "./split.ts";

const SHOW_CHARS = 600;
const SHOW_LINES = 12;
const HEAD_LINES = 6;
const TAIL_LINES = 3;
const HEAD_CHARS = 360;
const TAIL_CHARS = 160;

function lineBreaksIn(text: string, from: number, to: number): number {
  let n = 0;
  for (let i = text.indexOf("\n", from); i >= 0 && i < to; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

/** The whole statement for messages, shortened in the middle when long; never its first line alone. */
export function statementHead(stmt: Statement): string {
  const text = stmt.text;
  if (text.length <= SHOW_CHARS && lineBreaksIn(text, 0, text.length) < SHOW_LINES) return text;
  // Whole lines at both ends when they are short enough, else characters.
  let headEnd = 0;
  for (let n = 0; n < HEAD_LINES; n++) {
    const next = text.indexOf("\n", headEnd + (n === 0 ? 0 : 1));
    if (next < 0 || next > HEAD_CHARS) break;
    headEnd = next;
  }
  if (headEnd === 0) headEnd = Math.min(HEAD_CHARS, text.length);
  let tailStart = text.length;
  for (let n = 0; n < TAIL_LINES; n++) {
    const prev = text.lastIndexOf("\n", tailStart - 1);
    if (prev < headEnd || text.length - prev > TAIL_CHARS) break;
    tailStart = prev;
  }
  if (tailStart === text.length) tailStart = Math.max(headEnd, text.length - TAIL_CHARS);
  // Never cut a surrogate pair in two.
  if (/[\ud800-\udbff]/.test(text[headEnd - 1] ?? "")) headEnd--;
  if (/[\udc00-\udfff]/.test(text[tailStart] ?? "")) tailStart++;
  const byLine = text[headEnd] === "\n" && text[tailStart] === "\n";
  const left = byLine
    ? `${lineBreaksIn(text, headEnd, tailStart)} lines`
    : `${(tailStart - headEnd).toLocaleString("en-US")} characters`;
  const head = text.slice(0, headEnd).trimEnd();
  const tail = text.slice(tailStart).replace(/^\n/, "").trimStart();
  const sep = byLine ? "\n" : " ";
  return `${head}${sep}... (${left} left out) ...${sep}${tail}`;
}
