// The checksum must not change when git checks a file out on Windows, so it is taken over the text
// with a leading BOM removed and CRLF turned into LF.

import { createHash } from "node:crypto";

const BOM = "\uFEFF";

/** The file's text as the checksum sees it: no leading BOM, LF line ends. */
export function normalizeText(text: string): string {
  const noBom = text.startsWith(BOM) ? text.slice(1) : text;
  return noBom.replaceAll("\r\n", "\n");
}

/** Decodes file bytes as UTF-8 and normalises them. */
export function decodeFile(bytes: Uint8Array): string {
  return normalizeText(new TextDecoder("utf-8").decode(bytes));
}

/** Lower-case hex SHA-256 of the normalised text. */
export function checksum(normalized: string): string {
  // node:crypto hashes synchronously: for 2,000 files it is about 5x faster than awaiting
  // crypto.subtle.digest per file, and postgres.js loads node:crypto anyway.
  return createHash("sha256").update(normalized, "utf8").digest("hex");
}

/**
 * The checksum of a file from its bytes and its normalised text. Without a CR in the file the
 * bytes (less a BOM) are the normalised text's UTF-8, so they are hashed as they are: hashing the
 * text would encode a large file into a second copy first.
 */
export function fileChecksum(bytes: Uint8Array, normalized: string): string {
  if (bytes.indexOf(13) >= 0) return checksum(normalized);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return createHash("sha256").update(bytes.subarray(bom)).digest("hex");
}
