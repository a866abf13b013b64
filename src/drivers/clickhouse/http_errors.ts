// How ClickHouse's HTTP interface words its errors, and what they tell: the code, whether waiting
// can heal it, where in a statement a syntax error is. Pure.

/** A ClickHouse error as the server words it. */
export interface ServerError {
  /** ClickHouse's error code (62 syntax error, 60 unknown table, 193 wrong password, ...). */
  code: number | null;
  message: string;
}

/**
 * Parses an error body. 18.16 says `Code: 62, e.displayText() = DB::Exception: MSG, e.what() =
 * DB::Exception` (ZooKeeper's errors: `Coordination::Exception`); newer servers say
 * `Code: 62. DB::Exception: MSG. (SYNTAX_ERROR) (version ...)`.
 */
export function parseServerError(text: string): ServerError {
  const body = text.trim();
  const old = body.match(
    /^Code: (\d+), e\.displayText\(\) = (?:\w+::)?\w*Exception: ([\s\S]*?)(?:, e\.what\(\) = [\w:]+)?$/,
  );
  if (old) return { code: Number(old[1]), message: old[2]!.trim() };
  const cur = body.match(
    /^Code: (\d+)\. (?:DB::)?\w*Exception: ([\s\S]*?)(?: \(version [\s\S]*\))?$/,
  );
  if (cur) {
    const message = cur[2]!.trim().replace(/\.? \(([A-Z0-9_]{3,})\)$/, " ($1)");
    return { code: Number(cur[1]), message };
  }
  return { code: null, message: body };
}

/** Error codes that waiting cannot heal: unknown user, wrong or missing password, address refused. */
export const PERMANENT_CODES: ReadonlySet<number> = new Set([192, 193, 194, 195, 516]);

/** The 1-based byte position of a syntax error, when the message gives one. */
export function syntaxErrorPosition(message: string): number | null {
  const m = message.match(/failed at position (\d+)/);
  return m ? Number(m[1]) : null;
}

/** The JS string index of a 1-based UTF-8 byte position in text (clamped to the text). */
export function byteToIndex(text: string, position: number): number {
  let bytes = 0;
  let i = 0;
  while (i < text.length) {
    const cp = text.codePointAt(i)!;
    const size = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (bytes + size >= position) return i;
    bytes += size;
    i += cp > 0xffff ? 2 : 1;
  }
  return text.length;
}
