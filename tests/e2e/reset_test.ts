// `db-migrate reset` and `db-migrate seed [--reset]`: local databases only, asked for (--yes off a
// terminal), --dry-run changes nothing; what they leave in the database and its tracking table.
import assert from "node:assert/strict";
import {
  chQuery,
  chRows,
  lastLine,
  pgQuery,
  ROOT,
  runCli,
  withClickHouseDatabase,
  withPgDatabase,
} from "../helpers.ts";
import { hasTrackingTable, tableExists, trackingRows, withProject } from "./_util.ts";

const PG = {
  "migrations/app/V1__orgs.sql":
    "CREATE TABLE IF NOT EXISTS orgs (id serial PRIMARY KEY, slug text UNIQUE NOT NULL);\n",
  "migrations/app/V2__members.sql": "CREATE SCHEMA IF NOT EXISTS audit;\n" +
    "CREATE TABLE IF NOT EXISTS audit.members (id serial PRIMARY KEY, " +
    "org_id int NOT NULL REFERENCES orgs (id), name text);\n",
  "seeds/app/reference/010_orgs.yaml": "orgs:\n  key: [slug]\n  rows:\n    - { slug: acme }\n",
  "seeds/app/reference/020_members.sql": "-- db-migrate: resets audit.members\n" +
    "INSERT INTO audit.members (org_id, name) SELECT id, 'admin' FROM orgs WHERE slug = 'acme';\n",
};

/** The URL with its host replaced (the database on the same server, reached by another name). */
function withHost(url: string, host: string): string {
  const u = new URL(url);
  u.hostname = host;
  return u.toString();
}

Deno.test("reset refuses without --database, off a terminal without --yes, and on a remote host; changes nothing", async () => {
  await withPgDatabase(async (url) => {
    await withProject(PG, async (dir) => {
      const env = { APP_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      const before = await trackingRows(url);
      const cases: [string[], Record<string, string>, RegExp][] = [
        [["reset"], env, /reset needs --database=NAME/],
        [["reset", "--database=app"], env, /CONFIRMATION_REQUIRED|not a terminal: nothing changed/],
        // The machine's own name resolves to this machine, but only the URL as written counts.
        [
          ["reset", "--database=app", "--yes"],
          { APP_URL: withHost(url, Deno.hostname()) },
          /refuses "app": .* names the host/,
        ],
        [
          ["reset", "--database=app", "--yes"],
          { APP_URL: withHost(url, "db.example.com") },
          /DB_MIGRATE_ALLOW_RESET=app/,
        ],
        [
          ["seed", "--reset", "--yes"],
          { APP_URL: withHost(url, "db.example.com") },
          /seed --reset refuses "app"/,
        ],
        [["seed", "--reset"], env, /not a terminal: nothing changed/],
      ];
      for (const [args, e, message] of cases) {
        const out = await runCli(args, { cwd: dir, env: e });
        assert.equal(out.code, 2, `${args.join(" ")}: ${out.stderr}`);
        assert.match(out.stderr, message, args.join(" "));
      }
      const json = await runCli(["reset", "--database=app", "--yes", "--json"], {
        cwd: dir,
        env: { APP_URL: withHost(url, "db.example.com") },
      });
      assert.equal(JSON.parse(json.stdout).error.code, "NOT_LOCAL");
      const dry = await runCli(["reset", "--database=app", "--dry-run"], { cwd: dir, env });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stderr,
        /reset on "app" will:\n {2}drop every schema .*tracking table with its 4 rows/,
      );
      assert.match(dry.stdout, /^app: would be reset \(dry run: nothing changed\)$/m);
      assert.deepEqual(await trackingRows(url), before, "the tracking table is untouched");
      assert.equal(await tableExists(url, "audit.members"), true);
    });
  });
});

Deno.test("reset --yes drops every schema, and --migrate applies the migrations and seeds again", async () => {
  await withPgDatabase(async (url) => {
    await withProject(PG, async (dir) => {
      const env = { APP_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      const out = await runCli(["reset", "--database=app", "--yes"], { cwd: dir, env });
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /^app: dropped everything$/m);
      assert.equal(await hasTrackingTable(url), false);
      assert.equal(await tableExists(url, "orgs"), false);
      assert.equal(await tableExists(url, "audit.members"), false);

      // A name that is not loopback passes when the operator names the database.
      const again = await runCli(["reset", "--database=app", "--yes", "--migrate"], {
        cwd: dir,
        env: { APP_URL: withHost(url, Deno.hostname()), DB_MIGRATE_ALLOW_RESET: "other,app" },
      });
      assert.equal(again.code, 0, again.stderr);
      assert.match(lastLine(again.stdout), /^4 applied, 0 skipped, 0 failed/);
      assert.deepEqual((await trackingRows(url)).map((r) => [r.script, r.success]), [
        ["V1__orgs.sql", true],
        ["V2__members.sql", true],
        ["reference/010_orgs.yaml", true],
        ["reference/020_members.sql", true],
      ]);
    });
  });
});

Deno.test("seed applies only seeds, refuses pending migrations, and --reset empties their tables and applies them again", async () => {
  await withPgDatabase(async (url) => {
    await withProject(PG, async (dir) => {
      const env = { APP_URL: url };
      const pending = await runCli(["seed"], { cwd: dir, env });
      assert.equal(pending.code, 2);
      assert.match(
        pending.stderr,
        /"app" has 2 migrations to apply first: V1__orgs\.sql, V2__members\.sql/,
      );
      assert.equal(await hasTrackingTable(url), false);

      assert.equal((await runCli(["migrate", "--seed=none"], { cwd: dir, env })).code, 0);
      const seeded = await runCli(["seed"], { cwd: dir, env });
      assert.equal(seeded.code, 0, seeded.stderr);
      assert.match(lastLine(seeded.stdout), /^2 applied, 2 skipped, 0 failed/);
      const again = await runCli(["seed"], { cwd: dir, env });
      assert.match(lastLine(again.stdout), /^0 applied, 4 skipped, 0 failed/);

      // Data added by hand, in a table a YAML seed writes and one a SQL seed names.
      await pgQuery(url, "INSERT INTO orgs (slug) VALUES ('by-hand')");
      await pgQuery(url, "INSERT INTO audit.members (org_id, name) SELECT id, 'x' FROM orgs");
      const dry = await runCli(["seed", "--reset", "--dry-run"], { cwd: dir, env });
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(dry.stderr, /empty the tables orgs, audit\.members/);
      assert.equal((await pgQuery(url, "SELECT count(*)::int AS n FROM orgs"))[0]!.n, 2);

      const reset = await runCli(["seed", "--reset", "-y"], { cwd: dir, env });
      assert.equal(reset.code, 0, reset.stderr);
      assert.match(lastLine(reset.stdout), /^2 applied, 2 skipped, 0 failed/);
      assert.deepEqual(await pgQuery(url, "SELECT id, slug FROM orgs"), [{ id: 1, slug: "acme" }]);
      assert.deepEqual(await pgQuery(url, "SELECT id, name FROM audit.members"), [
        { id: 1, name: "admin" },
      ]);
      assert.equal((await trackingRows(url)).length, 4);
    });
  });
});

const CH = {
  "migrations/clickhouse/V1__prices.sql": "CREATE TABLE IF NOT EXISTS prices (model String, usd " +
    "Float64, updated_at DateTime DEFAULT now()) ENGINE = ReplacingMergeTree(updated_at) " +
    "ORDER BY model;\n",
  "seeds/clickhouse/reference/010_prices.csv": "model,usd\na,1\nb,2\n",
};

Deno.test("clickhouse: seed --reset empties the CSV seed's table and loads it again; reset drops every table", async () => {
  await withClickHouseDatabase(async (url) => {
    await withProject(CH, async (dir) => {
      const env = { CLICKHOUSE_URL: url };
      const first = await runCli([], { cwd: dir, env });
      assert.equal(first.code, 0, first.stderr);
      await chQuery(url, "INSERT INTO prices (model, usd) VALUES ('by-hand', 9)");
      const reset = await runCli(["seed", "--reset", "--yes"], { cwd: dir, env });
      assert.equal(reset.code, 0, reset.stderr);
      assert.match(lastLine(reset.stdout), /^1 applied, 1 skipped, 0 failed/);
      const rows = await chRows<{ model: string }>(
        url,
        "SELECT model FROM prices FINAL ORDER BY model",
      );
      assert.deepEqual(rows.map((r) => r.model), ["a", "b"]);

      const drop = await runCli(["reset", "--database=clickhouse", "--yes"], { cwd: dir, env });
      assert.equal(drop.code, 0, drop.stderr);
      const tables = await chRows<{ name: string }>(
        url,
        `SELECT name FROM system.tables WHERE database = currentDatabase() AND name NOT LIKE '%lock%'`,
      );
      assert.deepEqual(tables, []);
      const again = await runCli(["reset", "--database=clickhouse", "--yes", "--migrate"], {
        cwd: dir,
        env,
      });
      assert.equal(again.code, 0, again.stderr);
      assert.match(lastLine(again.stdout), /^2 applied, 0 skipped, 0 failed/);
    });
  });
});

/**
 * Runs the CLI on a terminal (util-linux `script` gives it a pseudo-terminal), answers the
 * confirmation once it is asked, and returns the exit code and everything the terminal showed.
 */
async function onTerminal(
  args: string[],
  opts: { cwd: string; env: Record<string, string> },
  answer: string,
): Promise<{ code: number; output: string }> {
  const deno = [
    Deno.execPath(),
    "run",
    "-A",
    "--config",
    `${ROOT}/deno.json`,
    `${ROOT}/src/main.ts`,
  ];
  const quoted = [...deno, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(" ");
  const env: Record<string, string> = { NO_COLOR: "1", TERM: "dumb", ...opts.env };
  for (const key of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  let child;
  try {
    child = new Deno.Command("script", {
      args: ["-qec", quoted, "/dev/null"],
      cwd: opts.cwd,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  } catch (err) {
    throw new Error(`this test needs util-linux's "script" for a terminal: ${err}`);
  }
  const writer = child.stdin.getWriter();
  let output = "";
  const decoder = new TextDecoder();
  let answered = false;
  for await (const chunk of child.stdout) {
    output += decoder.decode(chunk, { stream: true });
    if (!answered && output.includes("to go on: ")) {
      answered = true;
      await writer.write(new TextEncoder().encode(`${answer}\n`));
      await writer.close();
    }
  }
  if (!answered) await writer.close().catch(() => {});
  const { code } = await child.status;
  return { code, output: output.replaceAll("\r", "") };
}

Deno.test("on a terminal, reset asks for the database's name and goes on only when it is typed", async () => {
  await withPgDatabase(async (url) => {
    await withProject(PG, async (dir) => {
      const opts = { cwd: dir, env: { APP_URL: url } };
      assert.equal((await runCli([], opts)).code, 0);
      const wrong = await onTerminal(["reset", "--database=app"], opts, "ap");
      assert.equal(wrong.code, 2, wrong.output);
      assert.match(wrong.output, /reset on "app" will:\n {2}drop every schema/);
      assert.match(wrong.output, /Type the database name \(app\) to go on: /);
      assert.match(wrong.output, /"ap" is not the database name\): nothing changed/);
      assert.equal(await hasTrackingTable(url), true);
      const right = await onTerminal(["reset", "--database=app"], opts, "app");
      assert.equal(right.code, 0, right.output);
      assert.match(right.output, /^app: dropped everything$/m);
      assert.equal(await hasTrackingTable(url), false);
    });
  });
});
