// docker-compose.yml and the db-migrate overlay: valid against the Compose specification's JSON
// schema (each file alone and merged), and shaped as the contract asks.
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
// deno-lint-ignore no-import-prefix -- test-only: kept out of deno.json (tests/deploy/_packages.ts)
import { Ajv, type ErrorObject } from "npm:ajv@8.20.0";
// deno-lint-ignore no-import-prefix -- test-only: kept out of deno.json (tests/deploy/_packages.ts)
import "npm:dclint@3.1.0/package.json" with { type: "json" };
import { listDatabaseFolders } from "../../src/core/discover.ts";
import { urlVariable } from "../../src/config.ts";
import { ROOT } from "../helpers.ts";
import {
  envGranted,
  isObj,
  mergeCompose,
  type Obj,
  readCompose,
  readPermissionSet,
  serviceEnv,
} from "./_deploy.ts";

// The Compose specification's schema (compose-spec/compose-spec, schema/compose-spec.json) as the
// npm package dclint ships it; its version is pinned by the import above and its bytes by
// tests/deno.lock. The package does not export the file, so it is read beside its package.json.
const SCHEMA_PATH = fileURLToPath(
  new URL("schemas/compose.schema.json", import.meta.resolve("npm:dclint@3.1.0/package.json")),
);

async function composeValidator() {
  const schema = JSON.parse(await Deno.readTextFile(SCHEMA_PATH));
  assert.equal(schema.title, "Compose Specification");
  // Draft 07, Ajv's default; Ajv knows the meta-schema by its http:// id only.
  assert.match(schema.$schema, /json-schema\.org\/draft-07\/schema/);
  delete schema.$schema;
  // strict: false, as Compose itself: the schema uses keywords (deprecated, ...) Ajv does not know.
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  return ajv.compile(schema);
}

function describe(errors: ErrorObject[] | null | undefined): string {
  return (errors ?? []).map((e) =>
    `${e.instancePath || "/"} ${e.message} ${JSON.stringify(e.params)}`
  )
    .join("\n");
}

const BASE = "docker-compose.yml";
const OVERLAY = "docker-compose.db-migrate.yml";

async function merged(): Promise<Obj> {
  return mergeCompose(await readCompose(BASE), await readCompose(OVERLAY)) as Obj;
}

function service(project: Obj, name: string): Obj {
  const s = (project.services as Obj | undefined)?.[name];
  assert.ok(isObj(s), `no service ${name}`);
  return s;
}

Deno.test("the Compose files are valid against the Compose specification, alone and merged", async () => {
  const validate = await composeValidator();
  for (
    const [name, doc] of [
      [BASE, await readCompose(BASE)],
      [OVERLAY, await readCompose(OVERLAY)],
      [`${BASE} + ${OVERLAY}`, await merged()],
    ] as const
  ) {
    assert.ok(validate(doc), `${name}:\n${describe(validate.errors)}`);
  }
});

Deno.test("the Compose validation rejects a misspelt key (the schema is strict)", async () => {
  const validate = await composeValidator();
  const doc = structuredClone(await readCompose(OVERLAY));
  (service(doc, "db-migrate") as Obj).restart_policy = "no";
  assert.equal(validate(doc), false);
});

Deno.test("every service, volume and config a service refers to exists in the merged project", async () => {
  const project = await merged();
  const services = project.services as Obj;
  for (const [name, s] of Object.entries(services) as [string, Obj][]) {
    for (const dep of Object.keys((s.depends_on ?? {}) as Obj)) {
      assert.ok(dep in services, `${name} depends on a missing service ${dep}`);
    }
    for (const c of (s.configs ?? []) as Obj[]) {
      assert.ok(
        String(c.source) in ((project.configs ?? {}) as Obj),
        `${name}: config ${c.source}`,
      );
    }
    for (const v of (s.volumes ?? []) as string[]) {
      const source = v.split(":")[0]!;
      if (!source.startsWith(".") && !source.startsWith("/")) {
        assert.ok(source in ((project.volumes ?? {}) as Obj), `${name}: volume ${source}`);
      }
    }
  }
});

Deno.test("postgres and clickhouse have healthchecks, and db-migrate waits for them to be healthy", async () => {
  const project = await merged();
  for (const name of ["postgres", "clickhouse"]) {
    const hc = service(project, name).healthcheck as Obj | undefined;
    assert.ok(hc && Array.isArray(hc.test) && hc.test[0] === "CMD", `${name} healthcheck`);
  }
  assert.deepEqual(service(project, "db-migrate").depends_on, {
    postgres: { condition: "service_healthy" },
    clickhouse: { condition: "service_healthy" },
  });
});

Deno.test("db-migrate is a one-shot service that mounts nothing and runs locked down", async () => {
  const s = service(await merged(), "db-migrate");
  assert.equal(s.restart, "no");
  assert.equal(s.volumes, undefined, "db-migrate mounts nothing: the files are in the image");
  assert.equal(s.ports, undefined);
  assert.equal(s.user, "1993:1993");
  assert.equal(s.read_only, true);
  assert.deepEqual(s.cap_drop, ["ALL"]);
  assert.deepEqual(s.security_opt, ["no-new-privileges:true"]);
  assert.equal(s.init, true);
  assert.ok(isObj(s.build) && s.build.context === ".", "built from this repository");
  assert.equal(s.command, undefined, "flags come from `run --rm db-migrate FLAGS`");
  assert.equal(s.entrypoint, undefined, "the image's ENTRYPOINT is the program");
});

Deno.test("db-migrate's environment names a URL for every database and only variables it may read", async () => {
  const s = service(await merged(), "db-migrate");
  const env = serviceEnv(s);
  for (const name of listDatabaseFolders(join(ROOT, "migrations"))) {
    const v = urlVariable(name);
    assert.ok(v in env || `${v}_FILE` in env, `${v} or ${v}_FILE for migrations/${name}`);
  }
  const allowed = (await readPermissionSet()).env;
  for (const name of Object.keys(env)) {
    assert.ok(envGranted(allowed, name), `${name} is not in the container's env permissions`);
  }
  // The defaults point at docker-compose.yml's servers, passwords and databases.
  assert.equal(env.POSTGRES_URL, "postgres://postgres:postgres@postgres:5432/app");
  assert.equal(env.AIML_POSTGRES_URL, "postgres://postgres:postgres@postgres:5432/aiml");
  assert.equal(env.CLICKHOUSE_URL, "http://default:clickhouse@clickhouse:8123/analytics");
  // A host variable overrides each default.
  const custom = serviceEnv(s, { POSTGRES_PASSWORD: "s3cret", SEED_MODE: "sample" });
  assert.equal(custom.POSTGRES_URL, "postgres://postgres:s3cret@postgres:5432/app");
  assert.equal(custom.SEED_MODE, "sample");
});

Deno.test("an app service waits for db-migrate with service_completed_successfully", async () => {
  const project = await merged();
  const waiting = Object.entries(project.services as Obj).filter(([, s]) =>
    ((s as Obj).depends_on as Obj | undefined)?.["db-migrate"] !== undefined
  );
  assert.ok(waiting.length > 0, "no service depends on db-migrate");
  for (const [name, s] of waiting) {
    assert.deepEqual(
      ((s as Obj).depends_on as Obj)["db-migrate"],
      { condition: "service_completed_successfully" },
      name,
    );
  }
});
