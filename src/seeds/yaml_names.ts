// Names in seed files: `schema.table`, the `!ref TABLE.COLUMN=VALUE` target, and what a tag's text
// means for both YAML readers. Pure.

import { checkBcryptText } from "./bcrypt.ts";
import type { Pos, SeedValue } from "./types.ts";

/** Splits `audit.events` into schema and table; a plain name has no schema. */
export function splitTableName(name: string): { schema: string | null; table: string } | null {
  const parts = name.split(".");
  if (parts.length > 2 || parts.some((p) => p === "")) return null;
  return parts.length === 2
    ? { schema: parts[0]!, table: parts[1]! }
    : { schema: null, table: name };
}

/** Parses `TABLE.COLUMN=VALUE` (TABLE may be schema-qualified; VALUE may hold anything). */
export function parseRef(text: string): { table: string; column: string; value: string } | null {
  const eq = text.indexOf("=");
  if (eq < 0) return null;
  const left = text.slice(0, eq).trim();
  const dot = left.lastIndexOf(".");
  if (dot <= 0 || dot === left.length - 1) return null;
  const table = left.slice(0, dot), column = left.slice(dot + 1);
  if (!splitTableName(table)) return null;
  return { table, column, value: text.slice(eq + 1) };
}

/**
 * The value of `!bcrypt TEXT` or `!ref TEXT` at pos; `fail` reports a text that cannot be one (a
 * password too long for bcrypt, a reference not TABLE.COLUMN=VALUE).
 */
export function taggedValue(
  tag: "!bcrypt" | "!ref",
  text: string,
  pos: Pos,
  fail: (pos: Pos, message: string, hint: string) => never,
): SeedValue {
  if (tag === "!bcrypt") {
    const problem = checkBcryptText(text);
    if (problem) fail(pos, problem, "use a shorter password");
    return { kind: "bcrypt", text, pos };
  }
  const ref = parseRef(text);
  if (!ref) {
    fail(
      pos,
      `!ref "${text}" is not TABLE.COLUMN=VALUE`,
      "write `!ref users.email=admin@acme.test`",
    );
  }
  return { kind: "ref", ...ref, source: text, pos };
}
