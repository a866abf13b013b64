// ClickHouse end to end: the CLI as a process against a fresh database on the test server
// (CLICKHOUSE_TEST_URL), the way a Compose file or a Kubernetes Job runs it.
import assert from "node:assert/strict";
import { join, relative } from "node:path";
import {
  chQuery,
  clickhouseUrl,
  type CliResult,
  lastLine,
  ROOT,
  runCli,
  spawnCli,
  withClickHouseDatabase,
  withPgDatabase,
} from "../helpers.ts";
import { closedPort, lineWith, sha256, summaryCounts, withProject } from "./_util.ts";

/** The test server without a database, for system queries. */
function serverUrl(): string {
  const u = new URL(clickhouseUrl());
  u.pathname = "/";
  return u.toString();
}

/** One tracking row per script, as the driver keeps them (FINAL, forgotten rows left out). */
async function tracking(
  url: string,
): Promise<{ script: string; kind: string; success: number; statements_done: number }[]> {
  const body = await chQuery(
    url,
    `SELECT script, kind, success, statements_done, deleted FROM _schema_migrations FINAL
     ORDER BY kind, script FORMAT JSONEachRow`,
  );
  return body.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    .filter((r) => r.deleted === 0)
    .map(({ deleted: _, ...r }) => r);
}

/** Every row ever written for each script (no FINAL): how often a file was recorded as applied. */
async function successRows(url: string): Promise<Record<string, number>> {
  const body = await chQuery(
    url,
    `SELECT script, count() AS n FROM _schema_migrations WHERE success = 1 GROUP BY script
     FORMAT JSONEachRow`,
  );
  const out: Record<string, number> = {};
  for (const l of body.split("\n").filter((l) => l !== "")) {
    const r = JSON.parse(l);
    out[r.script] = Number(r.n);
  }
  return out;
}

async function tables(database: string): Promise<string[]> {
  const body = await chQuery(
    serverUrl(),
    `SELECT name FROM system.tables WHERE database = '${database}' ORDER BY name`,
  );
  return body.split("\n").filter((l) => l !== "");
}

async function count(url: string, sql: string): Promise<number> {
  return Number((await chQuery(url, sql)).trim());
}

function output(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

const EVENTS = `-- several statements; strings hold ';' and '--', and '#' starts a comment too
CREATE TABLE IF NOT EXISTS events (
    id   UInt32,
    note String DEFAULT 'a;b' -- the default holds a semicolon
) ENGINE = MergeTree ORDER BY id;

INSERT INTO events (id, note) VALUES (1, 'x;y'), (2, '-- not a comment'), (3, 'it''s; \\'quoted\\'');
# a ClickHouse comment; with a ; in it
INSERT INTO events (id) VALUES (4);
`;

Deno.test("clickhouse: a first run applies every file with ';' and '--' in strings, a re-run applies nothing", async () => {
  await withClickHouseDatabase(async (url) => {
    await withProject({
      "migrations/clickhouse/V001__events.sql": EVENTS,
      "migrations/clickhouse/V002__more.sql":
        "CREATE TABLE IF NOT EXISTS more (id UInt8) ENGINE = MergeTree ORDER BY id",
    }, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      const first = await runCli([], { cwd: dir, env });
      assert.equal(first.code, 0, output(first));
      assert.deepEqual(summaryCounts(lastLine(first.stdout)), {
        applied: 2,
        skipped: 0,
        failed: 0,
      });
      assert.match(
        lineWith(first.stdout, "V001__events.sql"),
        /^clickhouse\s+V001__events\.sql\s+applied/,
      );
      assert.equal(
        (await chQuery(url, "SELECT groupArray(note) FROM (SELECT note FROM events ORDER BY id)"))
          .trim(),
        "['x;y','-- not a comment','it\\'s; \\'quoted\\'','a;b']",
      );
      assert.deepEqual(await tracking(url), [
        { script: "V001__events.sql", kind: "migration", success: 1, statements_done: 3 },
        { script: "V002__more.sql", kind: "migration", success: 1, statements_done: 1 },
      ]);

      const second = await runCli([], { cwd: dir, env });
      assert.equal(second.code, 0, output(second));
      assert.match(lastLine(second.stdout), /^0 applied, 2 skipped, 0 failed/);
      assert.equal(await count(url, "SELECT count() FROM events"), 4);
    });
  });
});

Deno.test("clickhouse: a clickhouse:// URL reaches the HTTP interface, and its database is created by the first run", async () => {
  const name = "dbm_t_" + crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const http = new URL(clickhouseUrl());
  const url = `clickhouse://${http.username || "default"}@${http.host}/${name}`;
  try {
    await withProject({ "migrations/clickhouse/V001__a.sql": "SELECT 1" }, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { CLICKHOUSE_URL: url } });
      assert.equal(r.code, 0, output(r));
      assert.deepEqual(await tables(name), ["_schema_migrations", "_schema_migrations_lock"]);
    });
  } finally {
    await chQuery(serverUrl(), `DROP DATABASE IF EXISTS ${name}`);
  }
});

Deno.test("clickhouse: a changed applied migration is drift (exit 3) naming the file", async () => {
  await withClickHouseDatabase(async (url) => {
    const files = { "migrations/clickhouse/V001__events.sql": EVENTS };
    await withProject(files, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      await Deno.writeTextFile(
        join(dir, "migrations/clickhouse/V001__events.sql"),
        EVENTS.replace("(4)", "(5)"),
      );
      await Deno.writeTextFile(
        join(dir, "migrations/clickhouse/V002__later.sql"),
        "CREATE TABLE IF NOT EXISTS later (id UInt8) ENGINE = Memory",
      );
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 3, output(r));
      assert.match(r.stdout + r.stderr, /V001__events\.sql/);
      assert.match(
        r.stdout + r.stderr,
        /-INSERT INTO events \(id\) VALUES \(4\);/,
        "a diff of the change",
      );
      assert.deepEqual(await tables(new URL(url).pathname.slice(1)), [
        "_schema_migrations",
        "_schema_migrations_lock",
        "events",
      ], "nothing applied");

      const repaired = await runCli(["--repair"], { cwd: dir, env });
      assert.equal(repaired.code, 0, output(repaired));
      const again = await runCli([], { cwd: dir, env });
      assert.equal(again.code, 0, output(again));
      assert.match(lastLine(again.stdout), /^0 applied, 2 skipped, 0 failed/);
    });
  });
});

const FIVE = `CREATE TABLE IF NOT EXISTS marker (step String) ENGINE = MergeTree ORDER BY step;
INSERT INTO marker VALUES ('statement 2');
SELECT count() FROM table_that_does_not_exist;
INSERT INTO marker VALUES ('statement 4');
INSERT INTO marker VALUES ('statement 5');
`;

Deno.test("clickhouse: statement 3 of 5 fails (exit 1), and after the fix the file resumes at statement 3", async () => {
  await withClickHouseDatabase(async (url) => {
    await withProject({ "migrations/clickhouse/V001__resume.sql": FIVE }, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      const failed = await runCli([], { cwd: dir, env });
      assert.equal(failed.code, 1, output(failed));
      const all = failed.stdout + failed.stderr;
      assert.match(all, /V001__resume\.sql:3:1/, "file, line and column of statement 3");
      assert.match(all, /statement: SELECT count\(\) FROM table_that_does_not_exist/);
      assert.match(all, /table_that_does_not_exist doesn't exist/, "the server's message");
      assert.match(lastLine(failed.stdout), /^0 applied, 0 skipped, 1 failed/);
      assert.deepEqual(await tracking(url), [
        { script: "V001__resume.sql", kind: "migration", success: 0, statements_done: 2 },
      ]);

      const status = await runCli(["--status"], { cwd: dir, env });
      assert.equal(status.code, 0, output(status));
      assert.match(lineWith(status.stdout, "V001__resume.sql"), /failed/);

      await Deno.writeTextFile(
        join(dir, "migrations/clickhouse/V001__resume.sql"),
        FIVE.replace("table_that_does_not_exist", "marker"),
      );
      const fixed = await runCli([], { cwd: dir, env });
      assert.equal(fixed.code, 0, output(fixed));
      assert.match(lineWith(fixed.stdout, "V001__resume.sql"), /resumed at statement 3 of 5/);
      // The marker of statement 2 is there once: statements 1-2 did not run again.
      assert.equal(
        (await chQuery(url, "SELECT groupArray(step) FROM (SELECT step FROM marker ORDER BY step)"))
          .trim(),
        "['statement 2','statement 4','statement 5']",
      );
      assert.deepEqual(await tracking(url), [
        { script: "V001__resume.sql", kind: "migration", success: 1, statements_done: 5 },
      ]);
    });
  });
});

Deno.test("clickhouse: two concurrent runs both succeed and apply each migration once", async () => {
  await withClickHouseDatabase(async (url) => {
    const files: Record<string, string> = {};
    for (let v = 1; v <= 4; v++) {
      // A marker insert that is not idempotent: a second application would show as a second row.
      files[`migrations/clickhouse/V00${v}__step.sql`] =
        `CREATE TABLE IF NOT EXISTS applied (v UInt8) ENGINE = MergeTree ORDER BY v;\n` +
        `INSERT INTO applied VALUES (${v});\n`;
    }
    await withProject(files, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      const runs = [spawnCli([], { cwd: dir, env }), spawnCli([], { cwd: dir, env })];
      const results = await Promise.all(runs.map(async (p) => {
        const out = await p.output();
        const d = new TextDecoder();
        return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
      }));
      for (const r of results) assert.equal(r.code, 0, output(r));
      const applied = results.map((r) => summaryCounts(lastLine(r.stdout)).applied).sort();
      assert.deepEqual(applied, [0, 4], results.map(output).join("\n"));
      const waited = results.find((r) => summaryCounts(lastLine(r.stdout)).applied === 0)!;
      assert.match(lastLine(waited.stdout), /^0 applied, 4 skipped/);
      assert.equal(
        (await chQuery(url, "SELECT groupArray(v) FROM (SELECT v FROM applied ORDER BY v)")).trim(),
        "[1,2,3,4]",
      );
      assert.deepEqual(await successRows(url), {
        "V001__step.sql": 1,
        "V002__step.sql": 1,
        "V003__step.sql": 1,
        "V004__step.sql": 1,
      });
    });
  });
});

Deno.test("clickhouse: PostgreSQL and ClickHouse in one run, PostgreSQL first, with one summary", async () => {
  await withPgDatabase(async (pgUrl) => {
    await withClickHouseDatabase(async (chUrl) => {
      await withProject({
        "migrations/analytics-clickhouse/V001__events.sql": EVENTS,
        "migrations/postgres/V001__users.sql":
          "CREATE TABLE IF NOT EXISTS users (id bigint PRIMARY KEY, email text NOT NULL)",
        "migrations/postgres/V002__orgs.sql":
          "CREATE TABLE IF NOT EXISTS orgs (id bigint PRIMARY KEY)",
      }, async (dir) => {
        const env = { POSTGRES_URL: pgUrl, ANALYTICS_CLICKHOUSE_URL: chUrl };
        const r = await runCli([], { cwd: dir, env });
        assert.equal(r.code, 0, output(r));
        const lines = r.stdout.split("\n");
        const pg = lines.findIndex((l) => l.startsWith("postgres "));
        const ch = lines.findIndex((l) => l.startsWith("analytics-clickhouse "));
        assert.ok(pg >= 0 && ch > pg, `PostgreSQL lines come first:\n${r.stdout}`);
        assert.deepEqual(summaryCounts(lastLine(r.stdout)), { applied: 3, skipped: 0, failed: 0 });
        assert.equal(
          r.stdout.split("\n").filter((l) => /^\d+ applied, \d+ skipped, \d+ failed/.test(l))
            .length,
          1,
          "one summary",
        );

        const json = await runCli(["--json"], { cwd: dir, env });
        assert.equal(json.code, 0, output(json));
        const doc = JSON.parse(json.stdout);
        assert.deepEqual(
          doc.databases.map((d: { name: string; kind: string }) => [d.name, d.kind]),
          [["postgres", "postgres"], ["analytics-clickhouse", "clickhouse"]],
        );
        assert.equal(doc.summary.skipped, 3);
      });
    });
  });
});

Deno.test("clickhouse: a changed seed is applied again without duplicating rows; a MergeTree target is refused", async () => {
  await withClickHouseDatabase(async (url) => {
    const seed = (labels: string) =>
      `INSERT INTO score_definitions (name, label) VALUES ${labels};`;
    await withProject({
      "migrations/clickhouse/V001__defs.sql":
        "CREATE TABLE IF NOT EXISTS score_definitions (name String, label String)\n" +
        "ENGINE = ReplacingMergeTree ORDER BY name;\n" +
        "CREATE TABLE IF NOT EXISTS events (id UInt8) ENGINE = MergeTree ORDER BY id;",
      "seeds/clickhouse/reference/010_defs.sql": seed("('a', 'A'), ('b', 'B')"),
    }, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      const first = await runCli([], { cwd: dir, env });
      assert.equal(first.code, 0, output(first));
      assert.match(lastLine(first.stdout), /^2 applied/);

      await Deno.writeTextFile(
        join(dir, "seeds/clickhouse/reference/010_defs.sql"),
        seed("('a', 'A, renamed'), ('b', 'B'), ('c', 'C')"),
      );
      const second = await runCli([], { cwd: dir, env });
      assert.equal(second.code, 0, output(second));
      assert.match(lineWith(second.stdout, "010_defs.sql"), /applied.*changed, applied again/);
      assert.match(lastLine(second.stdout), /^1 applied, 1 skipped, 0 failed/);
      // Without FINAL: the replaced rows are merged away already.
      assert.equal(
        (await chQuery(
          url,
          "SELECT groupArray(concat(name, '=', label)) FROM (SELECT * FROM score_definitions ORDER BY name)",
        )).trim(),
        "['a=A, renamed','b=B','c=C']",
      );

      const third = await runCli([], { cwd: dir, env });
      assert.match(lastLine(third.stdout), /^0 applied, 2 skipped/);

      await Deno.mkdir(join(dir, "seeds/clickhouse/sample"));
      await Deno.writeTextFile(
        join(dir, "seeds/clickhouse/sample/010_events.sql"),
        "INSERT INTO events VALUES (1), (2);",
      );
      const refused = await runCli(["--seed=sample"], { cwd: dir, env });
      assert.equal(refused.code, 2, output(refused));
      assert.match(refused.stderr, /sample\/010_events\.sql.*events \(MergeTree\)/);
      assert.match(refused.stderr, /ReplacingMergeTree|TRUNCATE/);
      assert.equal(await count(url, "SELECT count() FROM events"), 0);

      await Deno.writeTextFile(
        join(dir, "seeds/clickhouse/sample/010_events.sql"),
        "TRUNCATE TABLE events;\nINSERT INTO events VALUES (1), (2);",
      );
      const truncating = await runCli(["--seed=sample"], { cwd: dir, env });
      assert.equal(truncating.code, 0, output(truncating));
      assert.equal(await count(url, "SELECT count() FROM events"), 2);
    });
  });
});

Deno.test("clickhouse: --dry-run lists what would run and leaves the database without tracking tables", async () => {
  await withClickHouseDatabase(async (url, name) => {
    await withProject({
      "migrations/clickhouse/V001__events.sql": EVENTS,
      "seeds/clickhouse/reference/010_x.sql": "SELECT 1",
    }, async (dir) => {
      const r = await runCli(["--dry-run"], { cwd: dir, env: { CLICKHOUSE_URL: url } });
      assert.equal(r.code, 0, output(r));
      // The first 12 digits of the checksum for people (--json has all 64).
      const sum = (await sha256(EVENTS)).slice(0, 12);
      assert.match(
        lineWith(r.stdout, "V001__events.sql"),
        new RegExp(`pending\\s+${sum}\\s+3 statements$`),
      );
      assert.match(lineWith(r.stdout, "reference/010_x.sql"), /pending/);
      assert.deepEqual(await tables(name), []);
    });
  });
  // A database that does not exist is not created either.
  const missing = "dbm_t_" + crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const url = new URL(clickhouseUrl());
  url.pathname = `/${missing}`;
  await withProject({ "migrations/clickhouse/V001__a.sql": "SELECT 1" }, async (dir) => {
    for (const mode of ["--dry-run", "--status"]) {
      const r = await runCli([mode], { cwd: dir, env: { CLICKHOUSE_URL: url.toString() } });
      assert.equal(r.code, 0, output(r));
    }
  });
  assert.equal(
    await count(serverUrl(), `SELECT count() FROM system.databases WHERE name = '${missing}'`),
    0,
  );
});

Deno.test("clickhouse: --status shows applied and pending files, as text and as JSON", async () => {
  await withClickHouseDatabase(async (url) => {
    await withProject({ "migrations/clickhouse/V001__events.sql": EVENTS }, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      await Deno.writeTextFile(
        join(dir, "migrations/clickhouse/V002__next.sql"),
        "CREATE TABLE IF NOT EXISTS next (id UInt8) ENGINE = Memory",
      );
      const r = await runCli(["--status"], { cwd: dir, env });
      assert.equal(r.code, 0, output(r));
      assert.match(
        lineWith(r.stdout, "V001__events.sql"),
        /applied\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\s+\d+ ms/,
      );
      assert.match(lineWith(r.stdout, "V002__next.sql"), /pending/);

      const j = await runCli(["--status", "--json"], { cwd: dir, env });
      assert.equal(j.code, 0, output(j));
      const status = JSON.parse(j.stdout).databases[0].status;
      assert.deepEqual(
        status.map((e: { script: string; state: string }) => [e.script, e.state]),
        [["V001__events.sql", "applied"], ["V002__next.sql", "pending"]],
      );
      assert.deepEqual(await tables(new URL(url).pathname.slice(1)), [
        "_schema_migrations",
        "_schema_migrations_lock",
        "events",
      ], "--status applied nothing");
    });
  });
});

/**
 * A URL with a password for the test server: CLICKHOUSE_TEST_PASSWORD_URL when set; otherwise a
 * user is added to the private server of tests/services.sh, whose users.xml sits next to its data
 * directory (ClickHouse 18.16 has no CREATE USER, but it reloads users.d/*.xml within seconds).
 */
async function passwordUrl(database: string): Promise<{ url: string; password: string }> {
  const given = Deno.env.get("CLICKHOUSE_TEST_PASSWORD_URL");
  const password = given ? decodeURIComponent(new URL(given).password) : "pw-Zq83;x@y";
  const url = new URL(given ?? clickhouseUrl());
  url.pathname = `/${database}`;
  if (given) return { url: url.toString(), password };

  const dataPath = (await chQuery(
    serverUrl(),
    "SELECT data_path FROM system.databases WHERE name = 'default'",
  )).trim();
  const dir = dataPath.match(/^(.*)\/data\/data\/default\/$/)?.[1];
  const how = "set CLICKHOUSE_TEST_PASSWORD_URL to a URL of the test server with a user and " +
    "password, or use the server of tests/services.sh";
  if (!dir) throw new Error(`cannot add a user with a password to the server: ${how}`);
  try {
    await Deno.mkdir(`${dir}/users.d`, { recursive: true });
    await Deno.writeTextFile(
      `${dir}/users.d/dbm_test_password.xml`,
      `<?xml version="1.0"?>
<yandex><users><dbm_pw>
  <password>${password}</password>
  <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
  <profile>default</profile><quota>default</quota>
</dbm_pw></users></yandex>
`,
    );
  } catch (e) {
    throw new Error(`cannot write ${dir}/users.d: ${(e as Error).message}; ${how}`);
  }
  url.username = "dbm_pw";
  url.password = encodeURIComponent(password);
  const probe = new URL(url);
  probe.pathname = "/";
  for (let i = 0;; i++) {
    try {
      await chQuery(probe.toString(), "SELECT 1");
      return { url: url.toString(), password };
    } catch (e) {
      if (i >= 40) throw new Error(`the user dbm_pw does not log in: ${(e as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

Deno.test("clickhouse: a password in the URL is never printed", async () => {
  await withClickHouseDatabase(async (_url, name) => {
    const { url, password } = await passwordUrl(name);
    await withProject({
      "migrations/clickhouse/V001__events.sql": EVENTS,
      "migrations/clickhouse/V002__broken.sql": "SELECT * FROM nowhere",
    }, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      const runs: CliResult[] = [];
      runs.push(await runCli([], { cwd: dir, env })); // fails in V002: exit 1
      runs.push(await runCli(["--status"], { cwd: dir, env }));
      runs.push(await runCli(["--dry-run", "--json"], { cwd: dir, env }));
      assert.deepEqual(runs.map((r) => r.code), [1, 0, 0], runs.map(output).join("\n"));
      assert.match(runs[1]!.stdout, /dbm_pw:\*\*\*@/, "the status shows the redacted URL");

      const wrong = new URL(url);
      wrong.password = "Wr0ng-pa55word";
      runs.push(
        await runCli(["--wait=1"], { cwd: dir, env: { CLICKHOUSE_URL: wrong.toString() } }),
      );
      assert.equal(runs[3]!.code, 4, output(runs[3]!));
      assert.match(runs[3]!.stderr, /Wrong password|Authentication failed/i);

      for (const r of runs) {
        for (const secret of [password, encodeURIComponent(password), "Wr0ng-pa55word"]) {
          assert.ok(!(r.stdout + r.stderr).includes(secret), `password printed:\n${output(r)}`);
        }
      }
    });
  });
});

Deno.test("clickhouse: an unreachable server is exit 4 after --wait, with a line per try", async () => {
  await withProject({ "migrations/clickhouse/V001__a.sql": "SELECT 1" }, async (dir) => {
    const r = await runCli(["--wait=1"], {
      cwd: dir,
      env: { CLICKHOUSE_URL: `http://default@127.0.0.1:${closedPort()}/db` },
    });
    assert.equal(r.code, 4, output(r));
    assert.match(r.stderr, /cannot connect/);
  });
});

Deno.test("clickhouse: the example migrations and reference seed apply on the test server", async () => {
  const files: Record<string, string> = {};
  for (const top of ["migrations/clickhouse", "seeds/clickhouse"]) {
    for await (const path of walk(join(ROOT, top))) {
      files[relative(ROOT, path)] = await Deno.readTextFile(path);
    }
  }
  assert.ok(Object.keys(files).some((p) => p.startsWith("seeds/clickhouse/reference/")));
  await withClickHouseDatabase(async (url) => {
    await withProject(files, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      const first = await runCli(["--database=clickhouse", "--seed=full"], { cwd: dir, env });
      assert.equal(first.code, 0, output(first));
      const n = Object.keys(files).filter((p) => /\.(sql|csv)$/.test(p)).length;
      assert.deepEqual(summaryCounts(lastLine(first.stdout)), {
        applied: n,
        skipped: 0,
        failed: 0,
      });
      assert.ok(await count(url, "SELECT count() FROM score_definitions FINAL") > 0);
      const prices = await count(url, "SELECT count() FROM model_prices FINAL");
      assert.ok(prices > 0);
      assert.equal(await count(url, "SELECT count() FROM model_prices"), prices, "merged");
      const second = await runCli(["--database=clickhouse", "--seed=full"], { cwd: dir, env });
      assert.equal(second.code, 0, output(second));
      assert.deepEqual(summaryCounts(lastLine(second.stdout)), {
        applied: 0,
        skipped: n,
        failed: 0,
      });
    });
  });
});

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const e of Deno.readDir(dir)) {
    const path = join(dir, e.name);
    if (e.isDirectory) yield* walk(path);
    else if (e.isFile) yield path;
  }
}
