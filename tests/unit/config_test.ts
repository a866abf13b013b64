import assert from "node:assert/strict";
import {
  checkUrls,
  kindOfName,
  kindOfUrl,
  resolveDatabases,
  urlVariable,
} from "../../src/config.ts";
import { ConfigError } from "../../src/errors.ts";

Deno.test("urlVariable() upper-cases and turns - and . into _", () => {
  assert.equal(urlVariable("aiml-postgres"), "AIML_POSTGRES_URL");
  assert.equal(urlVariable("events.v2"), "EVENTS_V2_URL");
});

Deno.test("kindOfUrl() reads the kind from the scheme", () => {
  assert.equal(kindOfUrl("postgres://h/db"), "postgres");
  assert.equal(kindOfUrl("postgresql://h/db"), "postgres");
  assert.equal(kindOfUrl("http://h:8123/a"), "clickhouse");
  assert.equal(kindOfUrl("https://h:8443/a"), "clickhouse");
  assert.equal(kindOfUrl("clickhouse://h/a"), "clickhouse");
  assert.equal(kindOfUrl("mysql://h/a"), null);
  assert.equal(kindOfName("my-clickhouse"), "clickhouse");
  assert.equal(kindOfName("aiml-postgres"), "postgres");
});

async function project(folders: string[]): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "dbm_config_" });
  for (const f of folders) await Deno.mkdir(`${dir}/migrations/${f}`, { recursive: true });
  return dir;
}

function input(dir: string, env: Record<string, string>, over = {}) {
  return {
    migrationsDir: `${dir}/migrations`,
    seedsDir: `${dir}/seeds`,
    configFile: `${dir}/db-migrate.yaml`,
    configFileExplicit: false,
    only: [] as string[],
    embedded: false,
    env: (n: string) => env[n],
    readTextFile: (p: string) => Deno.readTextFile(p),
    ...over,
  };
}

Deno.test("resolveDatabases() runs PostgreSQL before ClickHouse, each by name", async () => {
  const dir = await project(["clickhouse", "postgres", "aiml-postgres"]);
  try {
    const dbs = await resolveDatabases(input(dir, {
      CLICKHOUSE_URL: "http://default@127.0.0.1:8123/a",
      POSTGRES_URL: "postgres://a@h/b",
      AIML_POSTGRES_URL: "postgres://a@h/c",
    }));
    assert.deepEqual(dbs.map((d) => [d.name, d.kind]), [
      ["aiml-postgres", "postgres"],
      ["postgres", "postgres"],
      ["clickhouse", "clickhouse"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDatabases() reads <NAME>_URL_FILE trimmed, and DATABASE_URL for postgres", async () => {
  const dir = await project(["postgres", "aiml-postgres"]);
  try {
    await Deno.writeTextFile(`${dir}/secret`, "  postgres://u:p@h/aiml\n");
    const dbs = await resolveDatabases(input(dir, {
      DATABASE_URL: "postgres://u@h/main",
      AIML_POSTGRES_URL_FILE: `${dir}/secret`,
    }));
    const byName = Object.fromEntries(dbs.map((d) => [d.name, d]));
    assert.equal(byName["postgres"]!.url, "postgres://u@h/main");
    assert.equal(byName["postgres"]!.urlSource, "DATABASE_URL");
    assert.equal(byName["aiml-postgres"]!.url, "postgres://u:p@h/aiml");
    assert.equal(byName["aiml-postgres"]!.urlSource, "AIML_POSTGRES_URL_FILE");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkUrls() names the variable to set for each database without a URL", async () => {
  const dir = await project(["aiml-postgres"]);
  try {
    const dbs = await resolveDatabases(input(dir, {}));
    assert.throws(
      () => checkUrls(dbs, false),
      (e: unknown) =>
        e instanceof ConfigError && e.exitCode === 2 && /AIML_POSTGRES_URL/.test(e.message),
    );
    checkUrls(dbs, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDatabases() follows db-migrate.yaml for order, kinds and URLs", async () => {
  const dir = await project(["events", "postgres"]);
  try {
    await Deno.writeTextFile(
      `${dir}/db-migrate.yaml`,
      "databases:\n  - name: events\n    kind: clickhouse\n    url: http://default@${CH_HOST}:8123/events\n  - postgres\n",
    );
    const dbs = await resolveDatabases(
      input(dir, { CH_HOST: "ch", POSTGRES_URL: "postgres://h/p" }),
    );
    assert.deepEqual(dbs.map((d) => [d.name, d.kind, d.url]), [
      ["events", "clickhouse", "http://default@ch:8123/events"],
      ["postgres", "postgres", "postgres://h/p"],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDatabases() reports invalid YAML in the config with its line", async () => {
  const dir = await project(["postgres"]);
  try {
    await Deno.writeTextFile(`${dir}/db-migrate.yaml`, "databases:\n  - name: [unclosed\n");
    await assert.rejects(
      () => resolveDatabases(input(dir, {})),
      (e: unknown) => e instanceof ConfigError && /line \d+/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDatabases() rejects --database naming no folder", async () => {
  const dir = await project(["postgres"]);
  try {
    await assert.rejects(
      () => resolveDatabases(input(dir, {}, { only: ["nope"] })),
      (e: unknown) => e instanceof ConfigError && e.code === "UNKNOWN_DATABASE",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDatabases() refuses a migrations folder that is missing or holds no database", async () => {
  const dir = await project([]);
  try {
    await Deno.mkdir(`${dir}/migrations`);
    await Deno.writeTextFile(`${dir}/migrations/README.md`, "");
    for (const migrationsDir of [`${dir}/migrations`, `${dir}/migratoins`]) {
      await assert.rejects(
        () => resolveDatabases(input(dir, {}, { migrationsDir })),
        (e: unknown) =>
          e instanceof ConfigError && e.code === "NO_DATABASE" && e.exitCode === 2 &&
          e.message.includes(migrationsDir),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
