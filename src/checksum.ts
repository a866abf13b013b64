// The checksum must not change when git checks a file out on Windows, so it is taken over the text
// with a leading BOM removed and CRLF turned into LF.

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

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lower-case hex SHA-256 of the normalised text. */
export async function checksum(normalized: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(normalized));
  let out = "";
  for (const b of new Uint8Array(digest)) out += HEX[b];
  return out;
}
