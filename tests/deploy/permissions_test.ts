// deno.json's "container" permission set, the one the image's ENTRYPOINT runs with: it grants what
// the program reads and writes and nothing more. (contract_test.ts runs the program with it.)
import assert from "node:assert/strict";
import { join } from "node:path";
import { urlVariable } from "../../src/config.ts";
import { listDatabaseFolders } from "../../src/core/discover.ts";
import { caFileVariable } from "../../src/drivers/tls_files.ts";
import { ROOT } from "../helpers.ts";
import { envGranted, readPermissionSet } from "./_deploy.ts";
import { runImage, stageImage } from "./_image.ts";

/** Variables the program's npm dependencies read, and why, beyond the PG* the driver reads. */
const DEPENDENCY_VARIABLES: Record<string, string> = {
  LOG_STREAM: "yaml: a debug switch read on every parse",
  LOG_TOKENS: "yaml: a debug switch read on every parse",
};

/**
 * Variables src/ reads only where they may be read, and the container must not grant: HOME would
 * point the PostgreSQL driver at libpq's ~/.postgresql defaults, which a container's secrets replace.
 */
const NOT_GRANTED: Record<string, string> = {
  HOME: "libpq's default TLS files under ~/.postgresql: outside the container only",
};

/** Every literal variable name src/ reads: env("X"), optionalEnv("X"), Deno.env.get("X"). */
async function variablesReadBySrc(): Promise<Set<string>> {
  const names = new Set<string>();
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.name.endsWith(".ts")) {
        const text = await Deno.readTextFile(path);
        for (const m of text.matchAll(/\b(?:env|optionalEnv|Deno\.env\.get)\(\s*"([A-Z0-9_]+)"/g)) {
          names.add(m[1]!);
        }
      }
    }
  }
  await walk(join(ROOT, "src"));
  return names;
}

/**
 * The variables of the databases: each folder's URL, URL file and CA file, and DATABASE_URL for
 * `postgres`.
 */
function urlVariables(): string[] {
  const out = ["DATABASE_URL", "DATABASE_URL_FILE"];
  for (const name of listDatabaseFolders(join(ROOT, "migrations"))) {
    out.push(urlVariable(name), `${urlVariable(name)}_FILE`, caFileVariable(urlVariable(name)));
  }
  return out;
}

Deno.test("the container's permission set grants reads, one write, net and env, nothing else", async () => {
  const set = await readPermissionSet();
  assert.deepEqual(Object.keys(set).sort(), ["env", "net", "read", "write"]);
  assert.deepEqual(set.write, ["/dev/termination-log"]);
  assert.equal(set.net, true, "database hosts come from URLs at run time");
  assert.ok(Array.isArray(set.read), "read is a list of paths");
  assert.deepEqual([...set.read].sort(), [
    "./db-migrate.yaml",
    "./migrations",
    "./seeds",
    "./src",
    "/run/secrets",
  ]);
  assert.ok(Array.isArray(set.env), "env is a list of names");
});

Deno.test("every variable the program reads is granted, including each database's URL variables", async () => {
  const env = (await readPermissionSet()).env;
  for (const name of [...await variablesReadBySrc(), ...urlVariables()]) {
    if (name in NOT_GRANTED) {
      assert.ok(!envGranted(env, name), `${name} is granted: ${NOT_GRANTED[name]}`);
      continue;
    }
    assert.ok(envGranted(env, name), `${name} is read but not granted`);
  }
  for (
    const name of ["PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGSSLMODE", "PGSSLROOTCERT"]
  ) {
    assert.ok(envGranted(env, name), `${name}: the PostgreSQL driver reads it`);
  }
  for (const name of Object.keys(DEPENDENCY_VARIABLES)) assert.ok(envGranted(env, name), name);
});

Deno.test("every variable the permission set names exactly is read by something", async () => {
  const env = (await readPermissionSet()).env as string[];
  const known = new Set([
    ...await variablesReadBySrc(),
    ...urlVariables(),
    ...Object.keys(DEPENDENCY_VARIABLES),
  ]);
  for (const name of env.filter((n) => !n.endsWith("*"))) {
    assert.ok(known.has(name), `${name} is granted but nothing reads it`);
  }
  // The wildcards are the tool's own namespace and the PostgreSQL driver's libpq variables.
  assert.deepEqual(env.filter((n) => n.endsWith("*")).sort(), ["DB_MIGRATE_*", "PG*"]);
});

Deno.test({
  name:
    "a database folder whose URL variable is not granted is a configuration error naming the fix",
  sanitizeResources: false,
  async fn() {
    const image = await stageImage();
    try {
      // A volume over /app/migrations with a folder the image's permission set does not know.
      await image.mountDir("/app/migrations", { "reporting/V001__a.sql": "SELECT 1;\n" });
      const run = await runImage(image, { env: {} });
      assert.equal(run.code, 2, `${run.stdout}\n${run.stderr}`);
      assert.match(run.stderr, /"REPORTING_URL" may not be read/);
      assert.match(run.stderr, /permissions\.container\.env in deno\.json/);
    } finally {
      await image.cleanup();
    }
  },
});
