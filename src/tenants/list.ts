// The tenants of a group: the control database's query, its columns checked against the templates,
// each row turned into a database (its URL and schema filled in), then narrowed by --tenant and
// --shard. All of it happens before any tenant is touched.

import { kindOfUrl } from "../config.ts";
import { connectWithWait } from "../core/connect.ts";
import { ConfigError, describeError } from "../core/errors.ts";
import { openOptions, type PipelineDeps } from "../core/pipeline.ts";
import { redactUrl, registerUrlSecrets } from "../core/redact.ts";
import type { DatabaseConfig, TenantSource } from "../core/types.ts";
import { driverKind, type QueryRows } from "../drivers/driver.ts";
import { inShard, type Shard } from "./shard.ts";
import { checkColumns, render } from "./template.ts";

/** One tenant: its id and its database. */
export interface Tenant {
  id: string;
  target: DatabaseConfig;
}

/** Runs the group's query on its control database (read-only; one connection, closed after). */
export async function queryTenants(group: DatabaseConfig, deps: PipelineDeps): Promise<QueryRows> {
  const source = group.tenants!;
  const control = source.control;
  const kind = await driverKind(control, { embedded: deps.options.embedded });
  if ("skip" in kind) {
    throw new ConfigError("CONFIG", `tenant group "${group.name}": ${control.name} ${kind.skip}`, {
      database: group.name,
    });
  }
  const driver = await kind.open(control, openOptions(deps));
  try {
    if (!driver.queryRows) {
      throw new ConfigError(
        "CONFIG",
        `tenant group "${group.name}": the tenant list is read from a PostgreSQL control ` +
          `database; "${control.name}" is ${control.kind}`,
        { database: group.name },
      );
    }
    await connectWithWait(driver, control, kind.describe(control), {
      waitSeconds: deps.options.waitSeconds,
      signal: deps.signal,
      notice: deps.reporter.notice,
    });
    try {
      return await driver.queryRows(source.query);
    } catch (err) {
      throw new ConfigError(
        "CONFIG",
        `tenant group "${group.name}": the tenants query failed on "${control.name}": ${
          describeError(err)
        }`,
        { database: group.name, hint: "fix tenants.query in the config file" },
      );
    }
  } finally {
    await driver.close();
  }
}

/** Each row as a tenant: the templates filled in, every URL checked; exit 2 before any is touched. */
export function tenantsOf(group: DatabaseConfig, { columns, rows }: QueryRows): Tenant[] {
  const source: TenantSource = group.tenants!;
  checkColumns(group.name, columns, source);
  const seen = new Set<string>();
  return rows.map((row, i) => {
    const id = row[source.idColumn];
    const bad = (why: string) =>
      new ConfigError("CONFIG", `tenant group "${group.name}", row ${i + 1}: ${why}`, {
        database: group.name,
        hint: "fix the tenants query or its data",
      });
    if (id === null || id === undefined || id === "") throw bad(`the id column is empty`);
    if (seen.has(id)) throw bad(`tenant "${id}" is listed twice`);
    seen.add(id);
    let url: string, schema: string | undefined;
    try {
      url = render(source.url, row);
      schema = source.schema === undefined ? undefined : render(source.schema, row, (v) => v);
    } catch (err) {
      throw bad(`tenant "${id}": ${(err as Error).message}`);
    }
    registerUrlSecrets(url);
    if (kindOfUrl(url) !== group.kind) {
      throw bad(`tenant "${id}": its URL is not a ${group.kind} URL: ${redactUrl(url)}`);
    }
    try {
      new URL(url);
    } catch {
      throw bad(`tenant "${id}": its URL is not a valid URL: ${redactUrl(url)}`);
    }
    const target: DatabaseConfig = {
      name: `${group.name}/${id}`,
      kind: group.kind,
      url,
      urlSource: group.urlSource,
      urlVariable: group.urlVariable,
      migrationsDir: group.migrationsDir,
      seedsDir: group.seedsDir,
      ...(group.listedIn ? { listedIn: group.listedIn } : {}),
      ...(schema === undefined ? {} : { schema }),
    };
    return { id, target };
  });
}

/** The tenants --tenant names (all when none) that fall in the shard (all without one). */
export function selectTenants(
  group: string,
  all: Tenant[],
  only: readonly string[],
  shard: Shard | null,
): Tenant[] {
  const ids = new Set(all.map((t) => t.id));
  const unknown = only.filter((id) => !ids.has(id));
  if (unknown.length > 0) {
    throw new ConfigError(
      "UNKNOWN_DATABASE",
      `--tenant=${unknown[0]} names no tenant of "${group}"${
        unknown.length > 1 ? ` (nor do ${unknown.slice(1).join(", ")})` : ""
      }: the tenants query lists ${all.length}`,
      {
        database: group,
        hint: `the first ids: ${all.slice(0, 5).map((t) => t.id).join(", ") || "none"}`,
      },
    );
  }
  return all.filter((t) =>
    (only.length === 0 || only.includes(t.id)) && (shard === null || inShard(t.id, shard))
  );
}
