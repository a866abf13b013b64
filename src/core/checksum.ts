// The checksum is over the file's bytes, and must not change when git checks a file out on Windows:
// it is the SHA-256 of the bytes with a leading UTF-8 BOM removed and CRLF turned into LF. The text
// a run applies is those same bytes decoded as UTF-8, strictly: a byte that is not UTF-8 stops the
// run instead of becoming U+FFFD, which would reach the database and hide a change from the
// checksum.

import { createHash } from "node:crypto";

const BOM = "\uFEFF";
const CR = 0x0d;
const LF = 0x0a;

/** The first byte that is not UTF-8 in a file, and where it is. */
export class Utf8Error extends Error {
  /** 0-based offset of the byte in the file's bytes as given. */
  readonly offset: number;
  /** The byte's value. */
  readonly byte: number;
  /** 1-based line of the byte. */
  readonly line: number;
  /** 1-based column of the byte, counted in characters (code points) as editors count them. */
  readonly column: number;

  constructor(offset: number, byte: number, line: number, column: number) {
    super(
      `invalid UTF-8 at line ${line}, column ${column}: byte 0x${
        byte.toString(16).padStart(2, "0")
      } at offset ${offset}`,
    );
    this.name = "Utf8Error";
    this.offset = offset;
    this.byte = byte;
    this.line = line;
    this.column = column;
  }
}

/** The file's text as the checksum sees it: no leading BOM, LF line ends. */
export function normalizeText(text: string): string {
  const noBom = text.startsWith(BOM) ? text.slice(1) : text;
  return noBom.replaceAll("\r\n", "\n");
}

/** The bytes the checksum is taken over: leading BOM removed, CRLF turned into LF. */
export function normalizeBytes(bytes: Uint8Array): Uint8Array {
  // Earlier versions decoded with TextDecoder, which drops one BOM, then dropped one more: a file
  // that starts with two BOMs keeps the checksum they recorded.
  let start = 0;
  for (let n = 0; n < 2 && isBom(bytes, start); n++) start += 3;
  const body = start === 0 ? bytes : bytes.subarray(start);
  let cr = body.indexOf(CR);
  if (cr < 0) return body;
  // In UTF-8, bytes 0x0D and 0x0A never occur inside a multi-byte character.
  const out = new Uint8Array(body.length);
  let n = 0, from = 0;
  while (cr >= 0) {
    if (body[cr + 1] === LF) {
      out.set(body.subarray(from, cr), n);
      n += cr - from;
      from = cr + 1;
    }
    cr = body.indexOf(CR, cr + 1);
  }
  out.set(body.subarray(from), n);
  n += body.length - from;
  return out.subarray(0, n);
}

function isBom(bytes: Uint8Array, at: number): boolean {
  return bytes[at] === 0xef && bytes[at + 1] === 0xbb && bytes[at + 2] === 0xbf;
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes bytes as UTF-8 and fails with a Utf8Error at the first byte that is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array, original: Uint8Array = bytes): string {
  try {
    return strict.decode(bytes);
  } catch (err) {
    if (!(err instanceof TypeError)) throw err;
    // Located in the bytes as they are on disk, where an editor would find them.
    const at = firstInvalidUtf8(original);
    if (at < 0) throw err;
    throw utf8ErrorAt(original, at);
  }
}

/** Decodes file bytes strictly as UTF-8 and normalises them (no leading BOM, LF line ends). */
export function decodeFile(bytes: Uint8Array): string {
  return decodeUtf8(normalizeBytes(bytes), bytes);
}

/** A file's text (decoded strictly, normalised) and its checksum, from the bytes on disk. */
export function fileContent(bytes: Uint8Array): { text: string; checksum: string } {
  const normalized = normalizeBytes(bytes);
  return { text: decodeUtf8(normalized, bytes), checksum: checksum(normalized) };
}

/**
 * The offset of the first byte in bytes[from, limit) that does not belong to a well-formed UTF-8
 * sequence (a sequence cut at `limit` counts as broken), or -1.
 */
export function firstInvalidUtf8(bytes: Uint8Array, from = 0, limit = bytes.length): number {
  const n = limit;
  let i = from;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    // The well-formed sequences of Unicode's table 3-7: no overlong forms, no surrogates, nothing
    // above U+10FFFF.
    let len: number, lo = 0x80, hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) len = 2;
    else if (b >= 0xe0 && b <= 0xef) {
      len = 3;
      if (b === 0xe0) lo = 0xa0;
      if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      len = 4;
      if (b === 0xf0) lo = 0x90;
      if (b === 0xf4) hi = 0x8f;
    } else return i;
    for (let k = 1; k < len; k++) {
      // A truncated or broken sequence: the lead byte is where the character goes wrong.
      if (i + k >= n) return i;
      const c = bytes[i + k]!;
      if (c < (k === 1 ? lo : 0x80) || c > (k === 1 ? hi : 0xbf)) return i;
    }
    i += len;
  }
  return -1;
}

/** A Utf8Error for the byte at offset, with its line and column as the SQL splitter counts them. */
function utf8ErrorAt(bytes: Uint8Array, offset: number): Utf8Error {
  let line = 1, lineStart = isBom(bytes, 0) ? 3 : 0; // a BOM takes no column
  for (let i = lineStart; i < offset; i++) {
    const b = bytes[i];
    // CRLF, a lone LF and a lone CR each end a line.
    if (b === LF || (b === CR && bytes[i + 1] !== LF)) {
      line++;
      lineStart = i + 1;
    }
  }
  // Everything before offset is well-formed; its code points are the bytes that start one.
  let column = 1;
  for (let i = lineStart; i < offset; i++) if ((bytes[i]! & 0xc0) !== 0x80) column++;
  return new Utf8Error(offset, bytes[offset]!, line, column);
}

/** Lower-case hex SHA-256 of normalised bytes (or of a normalised text, as UTF-8). */
export function checksum(normalized: Uint8Array | string): string {
  // node:crypto hashes synchronously: for 2,000 files it is about 5x faster than awaiting
  // crypto.subtle.digest per file, and postgres.js loads node:crypto anyway.
  const hash = createHash("sha256");
  return (typeof normalized === "string"
    ? hash.update(normalized, "utf8")
    : hash.update(normalized))
    .digest("hex");
}
