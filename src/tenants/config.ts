// The `tenants:` entry of db-migrate.yaml: read and checked with the config file, resolved (its
// `${VAR}` replaced, its control database found) with the other databases, before anything runs.

import { ConfigError } from "../core/errors.ts";
import { registerUrlSecrets } from "../core/redact.ts";
import type { DatabaseConfig, DbKind } from "../core/types.ts";
import { interpolateEnv } from "./template.ts";

/** A tenant group as the config file writes it. */
export interface TenantsEntry {
  from: string;
  query: string;
  url: string;
  schema?: string;
  id: string;
}

const KEYS = ["from", "query", "url", "schema", "id"];

/** Reads `tenants:` of database `name`'s entry; `fail` throws the config file's error. */
export function parseTenantsEntry(
  database: Record<string, unknown>,
  name: string,
  fail: (msg: string) => never,
): TenantsEntry {
  if (database.url !== undefined) {
    fail(`database "${name}": a tenant group has no url of its own; tenants.url builds each one's`);
  }
  const value = database.tenants;
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    return fail(`database "${name}": tenants must be a mapping with from, query and url`);
  }
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KEYS.includes(key)) fail(`database "${name}": unknown key "${key}" under tenants`);
  }
  const text = (key: string, required: boolean): string | undefined => {
    const v = o[key];
    if (v === undefined && !required) return undefined;
    if (typeof v !== "string" || v.trim() === "") {
      return fail(`database "${name}": tenants.${key} must be a non-empty string`);
    }
    return v;
  };
  const entry: TenantsEntry = {
    from: text("from", true)!,
    query: text("query", true)!,
    url: text("url", true)!,
    id: text("id", false) ?? "id",
  };
  const schema = text("schema", false);
  if (schema !== undefined) entry.schema = schema;
  if (entry.from === name) fail(`database "${name}": tenants.from names the group itself`);
  return entry;
}

/** What resolving a tenant group needs from config.ts. */
export interface ResolveContext {
  file: string;
  env: (name: string) => string | undefined;
  /** The control database's config, or null when `from` names no plain database of the file. */
  control: (from: string) => Promise<DatabaseConfig | null>;
  base: Pick<DatabaseConfig, "listedIn" | "urlVariable" | "migrationsDir" | "seedsDir">;
  kindOfUrl: (url: string) => DbKind | null;
  kind: DbKind | undefined;
}

/** A tenant group's config: its control database, its templates with `${VAR}` replaced. */
export async function resolveTenants(
  name: string,
  entry: TenantsEntry,
  ctx: ResolveContext,
): Promise<DatabaseConfig> {
  const control = await ctx.control(entry.from);
  if (!control) {
    throw new ConfigError(
      "CONFIG",
      `tenant group "${name}" in "${ctx.file}": tenants.from names "${entry.from}", which is not ` +
        "a database of the file (nor may it be another tenant group)",
      { database: name, hint: `list "${entry.from}" under databases with its url` },
    );
  }
  const unset = (v: string) =>
    new ConfigError(
      "MISSING_URL",
      `the tenants url of "${name}" in "${ctx.file}" uses \${${v}}, which is not set`,
      { database: name, hint: `set ${v}` },
    );
  const url = interpolateEnv(entry.url, ctx.env, unset);
  // The password comes from ${VAR}: hidden from every line before any tenant's URL is built.
  registerUrlSecrets(url);
  const scheme = ctx.kindOfUrl(url);
  if (!scheme && !ctx.kind) {
    throw new ConfigError(
      "BAD_URL",
      `the tenants url of "${name}" in "${ctx.file}" must start with its scheme ` +
        "(postgres://, http://, …), or the group needs a kind",
      { database: name },
    );
  }
  if (scheme && ctx.kind && scheme !== ctx.kind) {
    throw new ConfigError(
      "BAD_URL",
      `tenant group "${name}" is configured as ${ctx.kind} but its tenants url is ${scheme}`,
      { database: name },
    );
  }
  const kind = ctx.kind ?? scheme!;
  if (entry.schema !== undefined && kind !== "postgres") {
    throw new ConfigError(
      "CONFIG",
      `tenant group "${name}": tenants.schema is for PostgreSQL; a ClickHouse tenant is a database`,
      { database: name },
    );
  }
  return {
    name,
    kind,
    ...ctx.base,
    url: null,
    urlSource: `${ctx.file} (tenants of ${control.name})`,
    tenants: {
      control,
      query: entry.query,
      idColumn: entry.id,
      url,
      ...(entry.schema === undefined
        ? {}
        : { schema: interpolateEnv(entry.schema, ctx.env, unset) }),
    },
  };
}
