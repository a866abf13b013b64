// A tenant's URL (and schema) built from a template: `${VAR}` from the environment when the config is
// read, `{column}` from the tenant's row of the control database's query. The template is read once
// into parts, so a value (a password with `{` in it) is never read as a field.

import { ConfigError } from "../core/errors.ts";

/** A template read into literal text and the fields a row fills in. */
export type Part = { text: string } | { field: string } | { env: string };

const TOKEN = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** Reads a template into parts: `${VAR}` (environment), `{column}` (the tenant's row) and text. */
export function parseTemplate(template: string): Part[] {
  const parts: Part[] = [];
  let at = 0;
  for (const m of template.matchAll(TOKEN)) {
    if (m.index > at) parts.push({ text: template.slice(at, m.index) });
    parts.push(m[1] !== undefined ? { env: m[1] } : { field: m[2]! });
    at = m.index + m[0].length;
  }
  if (at < template.length) parts.push({ text: template.slice(at) });
  return parts;
}

/** The `{column}` fields of a template, in order, each once. */
export function templateFields(template: string): string[] {
  const out = new Set<string>();
  for (const p of parseTemplate(template)) if ("field" in p) out.add(p.field);
  return [...out];
}

/**
 * Replaces `${VAR}` with the environment's value and keeps `{column}` fields; a variable that is not
 * set is `unset(name)`'s error. The result is a template again: a `{` or `}` in a value is doubled
 * out of the way (`{{`, `}}`), so it can never become a field.
 */
export function interpolateEnv(
  template: string,
  env: (name: string) => string | undefined,
  unset: (name: string) => Error,
): string {
  return parseTemplate(template).map((p) => {
    if ("text" in p) return escapeBraces(p.text);
    if ("field" in p) return `{${p.field}}`;
    const value = env(p.env);
    if (value === undefined) throw unset(p.env);
    return escapeBraces(value);
  }).join("");
}

function escapeBraces(text: string): string {
  return text.replaceAll("{", "{{").replaceAll("}", "}}");
}

/** Percent-encodes a row's value for a URL, keeping what host names and ports need. */
export function encodeValue(value: string): string {
  return encodeURIComponent(value).replaceAll("%3A", ":");
}

/**
 * Fills an interpolated template's `{column}` fields from a row; `{{` and `}}` are literal braces.
 * `encode` is applied to each value (URL templates percent-encode them; schema names do not).
 */
export function render(
  template: string,
  row: Readonly<Record<string, string | null>>,
  encode: (value: string) => string = encodeValue,
): string {
  return template.replace(/\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (m, field?: string) => {
    if (field === undefined) return m[0]!;
    const value = row[field];
    if (value === undefined) throw new Error(`no column "${field}" in the tenant's row`);
    // A null value would put "null" in a URL: say so instead.
    if (value === null) throw new Error(`column "${field}" is null`);
    return encode(value);
  });
}

/** The fields of an interpolated template (literal `{{` and `}}` are not fields). */
export function interpolatedFields(template: string): string[] {
  const out = new Set<string>();
  for (const m of template.matchAll(/\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (m[1] !== undefined) out.add(m[1]);
  }
  return [...out];
}

/**
 * Checks, before any tenant is touched, that every field of the URL and schema templates and the id
 * column are columns of the query's result; throws a ConfigError (exit 2) naming what is missing.
 */
export function checkColumns(
  group: string,
  columns: readonly string[],
  needs: { url: string; schema?: string | undefined; idColumn: string },
): void {
  const wanted = [
    ...interpolatedFields(needs.url).map((f) => ({ f, where: "the url template uses" })),
    ...(needs.schema === undefined ? [] : interpolatedFields(needs.schema)).map((f) => ({
      f,
      where: "the schema template uses",
    })),
    { f: needs.idColumn, where: "the tenant id is the column" },
  ];
  const missing = wanted.filter((w) => !columns.includes(w.f));
  if (missing.length === 0) return;
  throw new ConfigError(
    "CONFIG",
    `tenant group "${group}": ${
      missing.map((m) => `${m.where} "${m.f}"`).join(", ")
    }, but the tenants query returns only ${
      columns.map((c) => `"${c}"`).join(", ") || "no columns"
    }`,
    {
      database: group,
      hint: "select the columns the templates name in the tenants query, or fix the templates",
    },
  );
}
