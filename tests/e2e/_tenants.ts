// A fleet of tenant databases on the test PostgreSQL for the tenant tests: a control database with
// a `tenants` table, one database per tenant, a project whose db-migrate.yaml declares the group.
// Not a test file itself.
import { makeProject, pgAdminUrl, pgQuery, uniqueName } from "../helpers.ts";

/** The tenant group's files: V1 makes a table, V2 adds one row to it (twice would show). */
export const TENANT_FILES: Record<string, string> = {
  "migrations/control/V1__tenants.sql":
    "CREATE TABLE IF NOT EXISTS tenants (id text PRIMARY KEY, db_name text NOT NULL,\n" +
    "  state text NOT NULL DEFAULT 'provisioned');\n",
  "migrations/tenant/V1__hits.sql": "CREATE TABLE IF NOT EXISTS hits (id serial PRIMARY KEY);\n",
  "migrations/tenant/V2__one_hit.sql": "INSERT INTO hits DEFAULT VALUES;\n",
};

/** The config that makes `tenant` a group listed by `control`. */
export function tenantConfig(url = "postgres://${TENANT_USER}@${TENANT_HOST}/{db_name}"): string {
  return `databases:
  - name: control
    url: \${CONTROL_DATABASE_URL}
  - name: tenant
    tenants:
      from: control
      query: SELECT id, db_name FROM tenants WHERE state = 'provisioned' ORDER BY id
      url: ${url}
`;
}

/** A fleet: the control database's URL, each tenant's id and database URL, the project. */
export interface Fleet {
  dir: string;
  controlUrl: string;
  /** Every tenant the control database lists, in id order. */
  ids: string[];
  urlOf(id: string): string;
  /** The environment a run needs. */
  env: Record<string, string>;
}

/** The URL of database `name` on the test server. */
export function dbUrl(name: string): string {
  const u = new URL(pgAdminUrl());
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * Makes a control database (migrated, listing `count` tenants t00…), a database per tenant (all
 * but those in `missing`), and the project; runs fn; drops everything.
 */
export async function withFleet<T>(
  count: number,
  fn: (fleet: Fleet) => Promise<T>,
  opts: { missing?: string[]; files?: Record<string, string>; config?: string } = {},
): Promise<T> {
  const admin = pgAdminUrl();
  const prefix = uniqueName();
  const ids = Array.from({ length: count }, (_, i) => `t${String(i).padStart(2, "0")}`);
  const dbName = (id: string) => `${prefix}_${id}`;
  const control = `${prefix}_control`;
  const created: string[] = [];
  const project = await makeProject({
    ...TENANT_FILES,
    ...opts.files,
    "db-migrate.yaml": opts.config ?? tenantConfig(),
  });
  try {
    for (const name of [control, ...ids.filter((id) => !opts.missing?.includes(id)).map(dbName)]) {
      await pgQuery(admin, `CREATE DATABASE "${name}"`);
      created.push(name);
    }
    const controlUrl = dbUrl(control);
    await pgQuery(controlUrl, TENANT_FILES["migrations/control/V1__tenants.sql"]!);
    await pgQuery(
      controlUrl,
      `INSERT INTO tenants (id, db_name)
         SELECT x, $1 || '_' || x FROM unnest(string_to_array($2, ',')) x`,
      [prefix, ids.join(",")],
    );
    const u = new URL(admin);
    return await fn({
      dir: project.dir,
      controlUrl,
      ids,
      urlOf: (id) => dbUrl(dbName(id)),
      env: {
        CONTROL_DATABASE_URL: controlUrl,
        TENANT_USER: decodeURIComponent(u.username),
        TENANT_HOST: u.host,
      },
    });
  } finally {
    for (const name of created) {
      await pgQuery(admin, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    }
    await project.cleanup();
  }
}

/** How many rows V2 left in a tenant's `hits` (null when the table is not there). */
export async function hits(url: string): Promise<number | null> {
  const [row] = await pgQuery(url, "SELECT to_regclass('hits') IS NOT NULL AS present");
  if (row?.present !== true) return null;
  const [c] = await pgQuery(url, "SELECT count(*)::int AS n FROM hits");
  return Number(c?.n);
}

/** The scripts recorded as applied in a tenant's tracking table (none when it has no table). */
export async function applied(url: string, schema = "public"): Promise<string[]> {
  const [row] = await pgQuery(url, "SELECT to_regclass($1) IS NOT NULL AS present", [
    `${schema}._schema_migrations`,
  ]);
  if (row?.present !== true) return [];
  const rows = await pgQuery(
    url,
    `SELECT script FROM "${schema}"._schema_migrations WHERE success ORDER BY script`,
  );
  return rows.map((r) => String(r.script));
}
