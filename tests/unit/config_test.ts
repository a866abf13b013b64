import assert from "node:assert/strict";
import {
  checkUrls,
  kindOfName,
  kindOfUrl,
  resolveDatabases,
  urlVariable,
} from "../../src/config.ts";
import { ConfigError } from "../../src/core/errors.ts";

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

Deno.test("checkUrls() says how to leave out a database without a URL, naming those that have one", async () => {
  const dir = await project(["postgres", "aiml-postgres", "clickhouse"]);
  try {
    const dbs = await resolveDatabases(input(dir, {
      POSTGRES_URL: "postgres://h/p",
      AIML_POSTGRES_URL: "postgres://h/a",
    }));
    assert.throws(() => checkUrls(dbs, false), (e: unknown) => {
      assert.ok(e instanceof ConfigError && e.code === "MISSING_URL");
      assert.match(e.message, /database "clickhouse" has no URL: set CLICKHOUSE_URL/);
      assert.match(e.hint!, /to leave it out, .*\(--database=aiml-postgres --database=postgres\)/);
      assert.match(e.hint!, /`databases:` in db-migrate\.yaml/);
      assert.match(e.hint!, /--embedded stands in for PostgreSQL only/);
      return true;
    });
    // With --embedded, a ClickHouse database without a URL is skipped (by the run), not an error.
    checkUrls(dbs, true);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkUrls() offers --embedded for PostgreSQL, and no leaving-out when no database has a URL", async () => {
  const dir = await project(["postgres", "clickhouse"]);
  try {
    const dbs = await resolveDatabases(input(dir, {}));
    assert.throws(() => checkUrls(dbs, false), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, /"postgres" has no URL[^]*"clickhouse" has no URL/);
      assert.doesNotMatch(e.hint!, /leave/);
      assert.match(e.hint!, /--embedded runs a PostgreSQL database .* and skips a ClickHouse one/);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDatabases(): a db-migrate.yaml list is the set of databases; an unlisted folder gets a notice", async () => {
  const dir = await project(["postgres", "legacy", "events"]);
  try {
    await Deno.writeTextFile(`${dir}/db-migrate.yaml`, "databases:\n  - events\n  - postgres\n");
    const notices: string[] = [];
    const dbs = await resolveDatabases(input(dir, { POSTGRES_URL: "postgres://h/p" }, {
      notice: (t: string) => notices.push(t),
    }));
    assert.deepEqual(dbs.map((d) => d.name), ["events", "postgres"]);
    assert.equal(dbs[0]!.listedIn, `${dir}/db-migrate.yaml`);
    assert.equal(notices.length, 1);
    assert.match(
      notices[0]!,
      /"[^"]*\/migrations\/legacy" is not listed in "[^"]*db-migrate\.yaml": not run/,
    );
    // The missing-URL hint then points at the list.
    assert.throws(
      () => checkUrls(dbs, false),
      (e: unknown) =>
        e instanceof ConfigError && /remove it from the databases listed in/.test(e.hint!),
    );
    await assert.rejects(
      () => resolveDatabases(input(dir, {}, { only: ["legacy"] })),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "UNKNOWN_DATABASE" &&
        /does not list/.test(e.message) && /add "legacy"/.test(e.hint!),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDatabases(): a listed database needs a migrations or a seeds folder; listing one twice is an error", async () => {
  const dir = await project(["postgres"]);
  try {
    await Deno.writeTextFile(`${dir}/db-migrate.yaml`, "databases:\n  - postgres\n  - reports\n");
    await assert.rejects(
      () => resolveDatabases(input(dir, {})),
      (e: unknown) =>
        e instanceof ConfigError && e.code === "CONFIG" && e.position?.line === 3 &&
        /"reports", listed in .* at line 3, has no folder/.test(e.message),
    );
    // Seeds alone are enough: a database may have no migrations of its own.
    await Deno.mkdir(`${dir}/seeds/reports/reference`, { recursive: true });
    const dbs = await resolveDatabases(input(dir, {}));
    assert.deepEqual(dbs.map((d) => d.name), ["postgres", "reports"]);

    await Deno.writeTextFile(
      `${dir}/db-migrate.yaml`,
      "databases:\n  postgres: {}\n  reports: {}\n  postgres: {}\n",
    );
    await assert.rejects(() => resolveDatabases(input(dir, {})), ConfigError);
    await Deno.writeTextFile(`${dir}/db-migrate.yaml`, "databases:\n  - postgres\n  - postgres\n");
    await assert.rejects(
      () => resolveDatabases(input(dir, {})),
      (e: unknown) => e instanceof ConfigError && /"postgres" is listed twice/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("resolveDatabases() passes a ClickHouse database's cluster keys on, and refuses them on PostgreSQL", async () => {
  const dir = await project(["events", "app"]);
  try {
    await Deno.writeTextFile(
      `${dir}/db-migrate.yaml`,
      "databases:\n  - name: events\n    kind: clickhouse\n    cluster: prod\n    cluster_timeout: 30\n",
    );
    const [events] = await resolveDatabases(input(dir, { EVENTS_URL: "http://h:8123/e" }));
    assert.deepEqual(events!.cluster, {
      settings: { cluster: "prod", cluster_timeout: "30" },
      where: `"${dir}/db-migrate.yaml" line 2`,
    });
    await Deno.writeTextFile(`${dir}/db-migrate.yaml`, "databases:\n  app:\n    cluster: prod\n");
    await assert.rejects(
      resolveDatabases(input(dir, { APP_URL: "postgres://a@h/app" })),
      (e: ConfigError) =>
        e.exitCode === 2 && /database "app" is postgres: cluster is for ClickHouse/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
