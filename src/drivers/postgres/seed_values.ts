// Seed values → the text a column's type reads, checked against that type first so a mismatch is
// reported with its line and column before anything is written. Pure: unit-tested without a database.

import type { ColumnType, SeedValue, ValueKind } from "../../seeds/types.ts";

const INT_RANGE: Record<string, [bigint, bigint]> = {
  int2: [-32768n, 32767n],
  int4: [-2147483648n, 2147483647n],
  int8: [-9223372036854775808n, 9223372036854775807n],
};
const INT_LIMITS: Record<string, [number, number]> = {
  int2: [-32768, 32767],
  int4: [-2147483648, 2147483647],
  int8: [-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};
const DECIMAL = /^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$/;
const SPECIAL_FLOAT = /^\s*[+-]?(inf|infinity|nan)\s*$/i;
const BOOL = /^\s*(t|tr|tru|true|f|fa|fal|fals|false|y|ye|yes|n|no|on|of|off|1|0)\s*$/i;
const UUID = /^\s*\{?[0-9a-f]{4}(-?[0-9a-f]{4}){7}\}?\s*$/i;

/** Why text is not a valid value of kind (as PostgreSQL reads it), or null when it is. */
export function checkText(kind: ValueKind, text: string): string | null {
  switch (kind) {
    case "int2":
    case "int4":
    case "int8": {
      if (!/^\s*[+-]?\d+\s*$/.test(text)) return `"${text}" is not an integer`;
      // Up to 15 digits a Number is exact, and cheaper than a BigInt for each of many rows.
      if (text.length <= 15) {
        const n = Number(text);
        const [lo, hi] = INT_LIMITS[kind]!;
        return n < lo || n > hi ? `${text.trim()} is out of range for ${kind}` : null;
      }
      const [lo, hi] = INT_RANGE[kind]!;
      const n = BigInt(text.trim());
      return n < lo || n > hi ? `${text.trim()} is out of range for ${kind}` : null;
    }
    case "numeric":
    case "float":
      return DECIMAL.test(text) || SPECIAL_FLOAT.test(text) ? null : `"${text}" is not a number`;
    case "bool":
      return BOOL.test(text) ? null : `"${text}" is not a boolean`;
    case "uuid":
      return UUID.test(text) ? null : `"${text}" is not a UUID`;
    case "json":
      try {
        JSON.parse(text);
        return null;
      } catch {
        return `"${text.length > 40 ? text.slice(0, 37) + "..." : text}" is not JSON`;
      }
    default:
      return null;
  }
}

/** A value encoded for a column: the text to send (null for SQL NULL), or why it does not fit. */
export type Encoded = { text: string | null } | { error: string; pos: SeedValue["pos"] };

/** The plain JavaScript value of a YAML value (for JSON columns). */
export function toJson(v: SeedValue): unknown {
  switch (v.kind) {
    case "null":
      return null;
    case "bool":
    case "string":
      return v.value;
    case "number":
      return v.value;
    case "list":
      return v.items.map(toJson);
    case "map":
      return Object.fromEntries(v.entries.map(([k, x]) => [k, toJson(x)]));
    default:
      // Tags are rejected below a column value by the parser; a top-level one is handled by the caller.
      return null;
  }
}

/** The text of a number as written, when the database can read it as written. */
function numberText(v: { value: number; text: string }): string {
  return DECIMAL.test(v.text) ? v.text.trim() : String(v.value);
}

/** Quotes one element of an array literal. */
function arrayElement(text: string | null): string {
  if (text === null) return "NULL";
  return `"${text.replaceAll("\\", "\\\\").replaceAll('"', '\\"')}"`;
}

function describe(v: SeedValue): string {
  switch (v.kind) {
    case "list":
      return "a list";
    case "map":
      return "a map";
    case "bool":
      return `the boolean ${v.value}`;
    case "number":
      return `the number ${v.text}`;
    case "string":
      return `the text "${v.value.length > 40 ? v.value.slice(0, 37) + "..." : v.value}"`;
    default:
      return v.kind;
  }
}

/**
 * Encodes a plain YAML value (not !bcrypt or !ref) for a column type: JSON columns take any value
 * as JSON, array columns take lists, every other column a scalar, checked where the kind is known.
 */
export function encodeValue(v: SeedValue, type: ColumnType): Encoded {
  if (v.kind === "null") return { text: null };
  if (v.kind === "bcrypt" || v.kind === "ref") {
    return { error: `!${v.kind} is not allowed here`, pos: v.pos };
  }
  const mismatch = (): Encoded => ({
    error: `${describe(v)} does not fit type ${type.sql}`,
    pos: v.pos,
  });
  if (type.kind === "json") return { text: JSON.stringify(toJson(v)) };
  if (type.kind === "array") {
    if (v.kind !== "list") return mismatch();
    const element = type.element ?? { sql: "text", kind: "text" as const };
    const parts: string[] = [];
    for (const item of v.items) {
      // Nested lists are the rows of a multi-dimensional array.
      if (item.kind === "list" && element.kind !== "json") {
        const inner = encodeValue(item, type);
        if ("error" in inner) return inner;
        parts.push(inner.text ?? "NULL");
        continue;
      }
      const e = encodeValue(item, element);
      if ("error" in e) return e;
      parts.push(arrayElement(e.text));
    }
    return { text: `{${parts.join(",")}}` };
  }
  if (v.kind === "list" || v.kind === "map") return mismatch();
  let text: string;
  if (v.kind === "number") {
    if (type.kind === "bool") return mismatch();
    text = numberText(v);
  } else if (v.kind === "bool") {
    if (type.kind !== "bool" && type.kind !== "text" && type.kind !== "other") return mismatch();
    text = String(v.value);
  } else text = v.value;
  const problem = checkText(type.kind, text);
  return problem ? { error: `${problem} (column type ${type.sql})`, pos: v.pos } : { text };
}
