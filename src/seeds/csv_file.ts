// Reading a CSV seed from disk in chunks, so that memory stays flat whatever the file's size: the
// checksum (as the contract takes it), every record in order, and the raw bytes for COPY.

import { createHash } from "node:crypto";
import { firstInvalidUtf8, Utf8Error } from "../core/checksum.ts";
import { bytePos, RecordScanner, Scan } from "./csv_scan.ts";
import type { Pos } from "./types.ts";

/** Bytes read at a time; a record longer than this grows the buffer. */
export const CHUNK = 1 << 20;

const LF = 10, CR = 13;

/** Whether the bytes start with a UTF-8 byte order mark. */
function hasBom(buf: Uint8Array, len: number): boolean {
  return len >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf;
}

/**
 * SHA-256 of a file with a leading BOM removed and CR LF turned into LF, as the contract takes
 * every tracked file's checksum, read in chunks (synchronously: discovery reads every file so).
 * A file that is not UTF-8 throws Utf8Error.
 */
export function checksumFileSync(path: string): string {
  const hash = createHash("sha256");
  const utf8 = new TextDecoder("utf-8", { fatal: true });
  using file = Deno.openSync(path);
  const buf = new Uint8Array(CHUNK);
  let first = true, heldCr = false;
  for (;;) {
    const got = file.readSync(buf);
    if (got === null) break;
    try {
      utf8.decode(buf.subarray(0, got), { stream: true });
    } catch {
      throw locateUtf8Error(path);
    }
    let from = 0;
    if (first && hasBom(buf, got)) from = 3;
    first = false;
    if (heldCr && buf[from] !== LF) hash.update(new Uint8Array([CR]));
    heldCr = false;
    let end = got;
    if (buf[end - 1] === CR) {
      heldCr = true;
      end--;
    }
    for (let cr = buf.indexOf(CR, from); cr >= 0 && cr < end; cr = buf.indexOf(CR, cr + 1)) {
      if (buf[cr + 1] !== LF) continue;
      hash.update(buf.subarray(from, cr));
      from = cr + 1;
    }
    if (from < end) hash.update(buf.subarray(from, end));
  }
  if (heldCr) hash.update(new Uint8Array([CR]));
  try {
    utf8.decode();
  } catch {
    throw locateUtf8Error(path);
  }
  return hash.digest("hex");
}

/** Reads the file again, in chunks, for where its first byte that is not UTF-8 is. */
function locateUtf8Error(path: string): Utf8Error {
  using file = Deno.openSync(path);
  let line = 1, column = 1, offset = 0, pending = new Uint8Array(0);
  for (;;) {
    const chunk = new Uint8Array(CHUNK);
    const got = file.readSync(chunk);
    const eof = got === null;
    const data = concatBytes([pending, chunk.subarray(0, got ?? 0)], pending.length + (got ?? 0));
    let i = 0;
    while (i < data.length) {
      const c = data[i]!;
      if (c < 0x80) {
        if (c === LF) (line++, column = 1);
        else column++;
        i++;
        continue;
      }
      const n = c >= 0xc2 && c <= 0xdf
        ? 1
        : c >= 0xe0 && c <= 0xef
        ? 2
        : c >= 0xf0 && c <= 0xf4
        ? 3
        : 0;
      if (n > 0 && i + n >= data.length && !eof) break; // the rest of it is in the next chunk
      if (n === 0 || firstInvalidUtf8(data, i, Math.min(data.length, i + n + 1)) === i) {
        return new Utf8Error(offset + i, c, line, column);
      }
      column++;
      i += n + 1;
    }
    if (eof) return new Utf8Error(offset, 0, line, column); // the decoder saw what this did not
    offset += i;
    pending = data.slice(i);
  }
}

/** One record as a visitor sees it; valid only during the call. */
export interface CsvRecordView {
  buf: Uint8Array;
  scan: RecordScanner;
  /** Offset of the record in buf. */
  start: number;
  /** The line it starts on. */
  line: number;
  /** 0 for the header, then 1, 2, ... (blank lines are not records). */
  index: number;
}

/** What a read saw besides the records: how their lines end, for deciding whether COPY can take the file as it is. */
export interface CsvShape {
  /** Length of the byte order mark the file starts with (0 or 3). */
  bom: number;
  blankLines: number;
  lfRecords: number;
  crlfRecords: number;
}

/** Thrown by eachRecord() for a malformed record or invalid UTF-8, with where it is. */
export class CsvSyntaxError extends Error {
  constructor(message: string, readonly pos: Pos, readonly opened: Pos | null = null) {
    super(message);
  }
}

/**
 * Calls `visit` for each record of the file in order (the header first) until it returns false.
 * `between` runs after each chunk's records, before the buffer is reused (to flush output that
 * points into it). A malformed record or invalid UTF-8 throws CsvSyntaxError.
 */
export async function eachRecord(
  path: string,
  visit: (r: CsvRecordView) => boolean | void,
  opts: { between?: () => Promise<void>; chunk?: number } = {},
): Promise<CsvShape> {
  using file = await Deno.open(path);
  let buf = new Uint8Array(opts.chunk ?? CHUNK);
  let len = 0, pos = 0, eof = false, line = 1, index = 0;
  const shape: CsvShape = { bom: 0, blankLines: 0, lfRecords: 0, crlfRecords: 0 };
  const scan = new RecordScanner();
  const view: CsvRecordView = { buf, scan, start: 0, line: 1, index: 0 };
  const fill = async () => {
    await opts.between?.();
    if (pos > 0) {
      buf.copyWithin(0, pos, len);
      len -= pos;
      pos = 0;
    }
    if (len === buf.length) {
      const bigger = new Uint8Array(buf.length * 2);
      bigger.set(buf);
      buf = view.buf = bigger;
    }
    const got = await file.read(buf.subarray(len));
    if (got === null) eof = true;
    else len += got;
  };
  while (len < 3 && !eof) await fill();
  if (hasBom(buf, len)) pos = shape.bom = 3;
  for (;;) {
    if (pos >= len || (buf[pos] === CR && pos + 1 >= len)) {
      if (eof && pos >= len) break;
      if (!eof) {
        await fill();
        continue;
      }
    }
    const c = buf[pos];
    if (c === LF || (c === CR && buf[pos + 1] === LF)) { // a blank line carries no record
      pos += c === LF ? 1 : 2;
      line++;
      shape.blankLines++;
      continue;
    }
    const r = scan.scan(buf, pos, len, eof);
    if (r === Scan.More) {
      await fill();
      continue;
    }
    if (r === Scan.Error) {
      const at = bytePos(buf, scan.errorAt, pos, line);
      const opened = scan.openedAt >= 0 ? bytePos(buf, scan.openedAt, pos, line) : null;
      throw new CsvSyntaxError(scan.error, at, opened);
    }
    const bad = scan.high ? firstInvalidUtf8(buf, pos, scan.end) : -1;
    if (bad >= 0) {
      throw new CsvSyntaxError(
        `invalid UTF-8: byte 0x${buf[bad]!.toString(16).padStart(2, "0")}`,
        bytePos(buf, bad, pos, line),
      );
    }
    if (scan.next > scan.end) {
      if (scan.crlf) shape.crlfRecords++;
      else shape.lfRecords++;
    }
    view.start = pos;
    view.line = line;
    view.index = index++;
    if (visit(view) === false) return shape;
    line += scan.newlines + (scan.next > scan.end ? 1 : 0);
    pos = scan.next;
  }
  await opts.between?.();
  return shape;
}

/** Calls `send` with the file's bytes from `from` on, in fresh chunks (they may be kept). */
export async function eachChunk(
  path: string,
  from: number,
  send: (chunk: Uint8Array) => Promise<void>,
): Promise<void> {
  using file = await Deno.open(path);
  await file.seek(from, Deno.SeekMode.Start);
  for (;;) {
    const buf = new Uint8Array(CHUNK);
    const got = await file.read(buf);
    if (got === null) return;
    await send(got === buf.length ? buf : buf.subarray(0, got));
  }
}

/** Joins pieces of bytes into one array. */
export function concatBytes(parts: Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
