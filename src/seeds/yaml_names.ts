// Names in seed files: `schema.table` and the `!ref TABLE.COLUMN=VALUE` target. Pure.

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
