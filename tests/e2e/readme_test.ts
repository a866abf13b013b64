// Every code block of the README runs as shown: each one has a check here (a block without one fails
// the first test), the runs happen against the real PostgreSQL and ClickHouse, and where the README
// shows output (`$ db-migrate ...` and the lines after it), the real output has the same lines, with
// only the durations, clock times and server addresses allowed to differ.
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { parse as parseYaml } from "yaml";
import denoJson from "../../deno.json" with { type: "json" };
import { parseOptions, USAGE } from "../../src/cli.ts";
import { kindOfUrl, parseConfigFile, resolveDatabases } from "../../src/config.ts";
import { discoverMigrations, discoverSeeds, listDatabaseFolders } from "../../src/core/discover.ts";
import { redactUrl } from "../../src/core/redact.ts";
import { clickHouseTls } from "../../src/drivers/clickhouse/tls.ts";
import { clusterOf } from "../../src/drivers/clickhouse/driver.ts";
import { parseClickHouseUrl } from "../../src/drivers/clickhouse/url.ts";
import { pgTls } from "../../src/drivers/postgres/tls.ts";
import { tlsFailure, tlsUnreachable } from "../../src/drivers/tls_errors.ts";
import { splitStatements } from "../../src/sql/split.ts";
import { BAD_WITH_VECTOR } from "../verify/_fixtures.ts";
import { checkColumns, render } from "../../src/tenants/template.ts";
import { createTable, record, toolProject } from "./_import_tools.ts";
import {
  lastLine,
  makeProject,
  pgQuery,
  ROOT,
  runCli,
  withClickHouseDatabase,
  withPgDatabase,
} from "../helpers.ts";
import { CERT_A, CERT_B, CERT_C } from "../unit/_pem.ts";

/** A fenced code block of the README. */
interface Block {
  lang: string;
  text: string;
  /** The line of its opening fence, for messages. */
  line: number;
}

const README = await Deno.readTextFile(join(ROOT, "README.md"));

function readmeBlocks(): Block[] {
  const blocks: Block[] = [];
  const lines = README.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]!);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!);
    blocks.push({ lang: open[1]!, text: body.join("\n") + "\n", line: start + 1 });
  }
  return blocks;
}

/** What each block is, by a mark no other block has; a block matching none has no check. */
const KINDS: Record<string, (b: Block) => boolean> = {
  "the first run of the examples": (b) => b.text.startsWith("$ db-migrate --seed=sample\n"),
  "the set-up commands": (b) => b.lang === "sh" && b.text.includes("task start"),
  "the file layout": (b) => b.text.startsWith("migrations/<database>/V<version>"),
  "a db-migrate.yaml": (b) => b.lang === "yaml" && b.text.startsWith("databases:"),
  "a db-migrate.yaml naming a ClickHouse cluster": (b) =>
    b.lang === "yaml" && b.text.startsWith("# db-migrate.yaml, or the URL alone"),
  "the command synopsis": (b) => b.text.startsWith("db-migrate [migrate | plan | status] [--seed="),
  "a run that applies the reference seeds": (b) =>
    b.text.startsWith("$ db-migrate\n") && b.text.includes("reference/010_rbac.yaml"),
  "its dry run": (b) => b.text.startsWith("$ db-migrate --dry-run\n"),
  "its status": (b) => b.text.startsWith("$ db-migrate --status --database=clickhouse\n"),
  "a migration with a typo": (b) =>
    b.lang === "sql" && b.text.startsWith("-- migrations/postgres/V002__orders.sql\n"),
  "its failed run": (b) => b.text.startsWith("$ db-migrate\n") && b.text.includes("failed\n"),
  "the no-transaction directive": (b) =>
    b.lang === "sql" && b.text.startsWith("-- db-migrate: no-transaction\n"),
  "ClickHouse URLs": (b) => b.text.startsWith("CLICKHOUSE_URL="),
  "a migration for a newer ClickHouse": (b) => b.lang === "sql" && b.text.includes("DateTime64"),
  "a YAML seed": (b) => b.lang === "yaml" && b.text.startsWith("organizations:"),
  "the Compose commands": (b) => b.lang === "sh" && b.text.startsWith("alias dc="),
  "an application waiting for the job": (b) =>
    b.lang === "yaml" && b.text.includes("service_completed_successfully"),
  "the termination message": (b) => b.lang === "sh" && b.text.startsWith("kubectl get pod"),
  "the source layout": (b) => b.text.startsWith("src/main.ts "),
  "the TLS examples": (b) => b.lang === "sh" && b.text.startsWith("# a CA bundle mounted"),
  "a TLS failure": (b) => b.text.startsWith('error: cannot connect to "postgres"'),
  "the operations synopsis": (b) => b.text.startsWith("db-migrate create --database=NAME "),
  "a created migration": (b) => b.text.startsWith("$ db-migrate create "),
  "the pre-commit hook": (b) => b.lang === "sh" && b.text.startsWith("# .git/hooks/pre-commit\n"),
  "an online validation": (b) => b.text.startsWith("$ db-migrate validate --online "),
  "a list": (b) => b.text.startsWith("$ db-migrate list "),
  "a reset's dry run": (b) => b.text.startsWith("$ db-migrate reset "),
  "a seed reset": (b) => b.text.startsWith("$ db-migrate seed "),
  "verify of the examples": (b) => b.text.startsWith("$ db-migrate verify --seed=sample\n"),
  "verify of files that break the rule": (b) =>
    b.text.startsWith("$ db-migrate verify --database=app\n"),
  "a rehearsal": (b) => b.lang === "sh" && b.text.startsWith("db-migrate verify --against="),
  "the CI job that verifies": (b) => b.lang === "yaml" && b.text.startsWith("verify-migrations:"),
  "a history command": (b) =>
    b.lang === "sh" && b.text.startsWith("db-migrate ") &&
    !b.text.startsWith("db-migrate verify") &&
    !b.text.startsWith("db-migrate create --database=NAME ") &&
    !b.text.startsWith("db-migrate import --from=TOOL "),
  "the import synopsis": (b) => b.text.startsWith("db-migrate import --from=TOOL "),
  "an import from dbmate": (b) => b.text.startsWith("$ db-migrate import --from=dbmate "),
  "a tenant group": (b) => b.lang === "yaml" && b.text.includes("    tenants:\n"),
};

/** The one block of a kind. */
function block(kind: string): Block {
  const found = readmeBlocks().filter(KINDS[kind]!);
  assert.equal(found.length, 1, `the README has one block of "${kind}"`);
  return found[0]!;
}

Deno.test("every code block of the README is one of the examples checked here", () => {
  const blocks = readmeBlocks();
  assert.ok(blocks.length >= Object.keys(KINDS).length);
  for (const b of blocks) {
    const kinds = Object.entries(KINDS).filter(([, is]) => is(b)).map(([k]) => k);
    assert.equal(
      kinds.length,
      1,
      `README.md line ${b.line} (${JSON.stringify(b.text.split("\n")[0])}) is ${
        kinds.length ? `each of ${kinds.join(", ")}` : "no example tests/e2e/readme_test.ts knows"
      }: give it one check there`,
    );
  }
});

// ---------------------------------------------------------------------------------------------
// Output blocks: `$ db-migrate ARGS`, then the lines it prints (stdout and stderr, in order), with
// `...` for lines left out.

/** A line with what legitimately varies between runs put in words: durations, times, addresses. */
function shape(line: string): string {
  return line
    .replace(/\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\b/g, "<time>")
    .replace(/\b\d+ ms\b/g, "<ms>")
    .replace(/; \d+\.\d\d s$/, "; <s>")
    .replace(/:\/\/[^\s)]+/g, "://<target>")
    .replace(/\s+/g, " ")
    .trim();
}

/** The flags of an output block's `$ db-migrate ...` line. */
function argsOf(b: Block): string[] {
  const first = b.text.split("\n")[0]!;
  assert.match(first, /^\$ db-migrate\b/);
  return first.replace(/^\$ db-migrate\s*/, "").split(/\s+/).filter(Boolean);
}

/** Asserts that output has the block's lines in order (`...` skips any), the last one last. */
function assertOutput(b: Block, output: string): void {
  const expected = b.text.trimEnd().split("\n").slice(1);
  const actual = output.split("\n").filter((l) => l.trim() !== "").map(shape);
  const explain = `README.md line ${b.line}: the real output differs:\n${output}`;
  let at = 0;
  let gap = false;
  for (const line of expected) {
    if (line.trim() === "...") {
      gap = true;
      continue;
    }
    const want = shape(line);
    if (gap) {
      while (at < actual.length && actual[at] !== want) at++;
      assert.ok(at < actual.length, `${explain}\nnot found after a gap: ${line}`);
    } else {
      assert.equal(actual[at], want, explain);
    }
    at++;
    gap = false;
  }
  if (!gap) assert.equal(at, actual.length, `${explain}\nthe README's last line is not the last`);
}

/** Runs the CLI with stdout and stderr in one pipe, so their lines keep their order. */
async function runMerged(
  args: string[],
  opts: { cwd: string; env: Record<string, string> },
): Promise<{ code: number; output: string }> {
  const env: Record<string, string> = { NO_COLOR: "1", ...opts.env };
  for (const key of ["PATH", "HOME", "DENO_DIR"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  const deno = [Deno.execPath(), "run", "-A", "--config", join(ROOT, "deno.json")];
  const out = await new Deno.Command("sh", {
    args: ["-c", 'exec "$@" 2>&1', "sh", ...deno, join(ROOT, "src/main.ts"), ...args],
    cwd: opts.cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).output();
  return { code: out.code, output: new TextDecoder().decode(out.stdout) };
}

/** Every file under the repository's folder dir, as path relative to the root → content. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string) => {
    for await (const e of Deno.readDir(dir)) {
      const path = join(dir, e.name);
      if (e.isDirectory) await walk(path);
      else if (e.isFile) out[relative(ROOT, path)] = await Deno.readTextFile(path);
    }
  };
  await walk(join(ROOT, dir));
  return out;
}

/** The example migrations and seeds, as makeProject takes them. */
async function examples(): Promise<Record<string, string>> {
  return { ...await tree("migrations"), ...await tree("seeds") };
}

/** Fresh databases for the three example folders: their URL variables. */
function withExampleDatabases<T>(fn: (env: Record<string, string>) => Promise<T>): Promise<T> {
  return withPgDatabase((postgresUrl) =>
    withPgDatabase((aimlUrl) =>
      withClickHouseDatabase((clickhouseUrl) =>
        fn({
          POSTGRES_URL: postgresUrl,
          AIML_POSTGRES_URL: aimlUrl,
          CLICKHOUSE_URL: clickhouseUrl,
        })
      )
    )
  );
}

Deno.test({
  name: "README: the first run of the examples prints what the README shows, and the Job's message",
  sanitizeResources: false,
  async fn() {
    const b = block("the first run of the examples");
    const project = await makeProject(await examples());
    try {
      await withExampleDatabases(async (env) => {
        const log = join(project.dir, "termination-log");
        const r = await runMerged(argsOf(b), {
          cwd: project.dir,
          env: { ...env, DB_MIGRATE_TERMINATION_LOG: log },
        });
        assert.equal(r.code, 0, r.output);
        assertOutput(b, r.output);

        // `kubectl get pod ... terminated.message`: the message of that run has the README's shape.
        const shown = block("the termination message").text.trim().split("\n");
        assert.match(shown[0]!, /jsonpath='\{\.\.terminated\.message\}'$/);
        const readme = JSON.parse(shown[1]!);
        const real = JSON.parse(await Deno.readTextFile(log));
        assert.deepEqual(Object.keys(real), Object.keys(readme));
        for (const k of Object.keys(readme)) {
          assert.equal(typeof real[k], typeof readme[k], `termination message field ${k}`);
        }
        assert.deepEqual(
          { ok: real.ok, exitCode: real.exitCode, failed: real.failed, error: real.error },
          { ok: readme.ok, exitCode: readme.exitCode, failed: readme.failed, error: readme.error },
        );
      });
    } finally {
      await project.cleanup();
    }
  },
});

Deno.test({
  name: "README: a release with only new reference seeds: its dry run, its run and its status",
  sanitizeResources: false,
  async fn() {
    const project = await makeProject(await examples());
    try {
      await withExampleDatabases(async (env) => {
        const opts = { cwd: project.dir, env };
        const first = await runCli(["--seed=none"], opts);
        assert.equal(first.code, 0, first.stderr);
        for (
          const kind of ["its dry run", "a run that applies the reference seeds", "its status"]
        ) {
          const b = block(kind);
          const r = await runMerged(argsOf(b), opts);
          assert.equal(r.code, 0, r.output);
          assertOutput(b, r.output);
        }
      });
    } finally {
      await project.cleanup();
    }
  },
});

Deno.test("README: the migration with a typo fails as the README shows, and the ones before it stay", async () => {
  const sql = block("a migration with a typo");
  const b = block("its failed run");
  const path = sql.text.split("\n")[0]!.replace(/^-- /, "");
  const project = await makeProject({
    "migrations/postgres/V001__customers.sql":
      "CREATE TABLE IF NOT EXISTS customers (\n    id   bigint PRIMARY KEY,\n    name text NOT NULL\n);\n",
    [path]: sql.text,
    "migrations/postgres/V003__orders_index.sql":
      "CREATE INDEX IF NOT EXISTS orders_customer_id ON orders (customer_id);\n",
  });
  try {
    await withPgDatabase(async (url) => {
      const r = await runMerged(argsOf(b), { cwd: project.dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 1, r.output);
      assertOutput(b, r.output);
      const rows = await pgQuery(url, "SELECT script FROM _schema_migrations ORDER BY script");
      assert.deepEqual(rows, [{ script: "V001__customers.sql" }]);
    });
  } finally {
    await project.cleanup();
  }
});

Deno.test("README: the YAML seed and the no-transaction directive apply on the example schema", async () => {
  const files = Object.fromEntries(
    Object.entries(await examples()).filter(([p]) =>
      p.startsWith("migrations/postgres/") || p.startsWith("seeds/postgres/reference/")
    ),
  );
  files["seeds/postgres/reference/030_readme.yaml"] = block("a YAML seed").text;
  files["migrations/postgres/V100__readme_directive.sql"] = block("the no-transaction directive")
    .text;
  const project = await makeProject(files);
  try {
    await withPgDatabase(async (url) => {
      const opts = { cwd: project.dir, env: { POSTGRES_URL: url } };
      const dry = await runCli(["--dry-run"], opts);
      assert.equal(dry.code, 0, dry.stderr);
      assert.match(
        dry.stdout,
        /V100__readme_directive\.sql .*\(no transaction: directive at line 1\)/,
      );

      const first = await runCli([], opts);
      assert.equal(first.code, 0, first.stderr + first.stdout);
      assert.match(lastLine(first.stdout), /^16 applied, 0 skipped, 0 failed/);
      const [m] = await pgQuery(
        url,
        `SELECT m.role, m.status, m.accepted_at IS NOT NULL AS accepted, o.plan,
                u.password_hash LIKE '$2%' AS hashed
           FROM memberships m JOIN organizations o ON o.id = m.organization_id
           JOIN users u ON u.id = m.user_id
          WHERE o.slug = 'acme' AND u.email = 'admin@acme.test'`,
      );
      assert.deepEqual(m, {
        role: "owner",
        status: "active",
        accepted: true,
        plan: "pro",
        hashed: true,
      });
      const [index] = await pgQuery(
        url,
        "SELECT indisvalid FROM pg_index WHERE indexrelid = 'audit.audit_events_created_at'::regclass",
      );
      assert.equal(index?.indisvalid, true);

      const again = await runCli([], opts);
      assert.equal(again.code, 0, again.stderr);
      assert.match(lastLine(again.stdout), /^0 applied, 16 skipped, 0 failed/);
    });
  } finally {
    await project.cleanup();
  }
});

Deno.test("README: the db-migrate.yaml example sets the order, kinds and URLs of a run", async () => {
  const yaml = block("a db-migrate.yaml").text;
  const project = await makeProject({
    "db-migrate.yaml": yaml,
    "migrations/events/V1__events.sql":
      "CREATE TABLE IF NOT EXISTS events (ts DateTime, kind String) ENGINE = MergeTree ORDER BY ts\n",
    "migrations/postgres/V1__t.sql": "CREATE TABLE IF NOT EXISTS t (id int);\n",
  });
  try {
    const dbs = await resolveDatabases({
      migrationsDir: `${project.dir}/migrations`,
      seedsDir: `${project.dir}/seeds`,
      configFile: `${project.dir}/db-migrate.yaml`,
      configFileExplicit: true,
      only: [],
      embedded: false,
      env: (n) => ({ EVENTS_PASSWORD: "s3cret", POSTGRES_URL: "postgres://h/p" })[n],
      readTextFile: (p) => Deno.readTextFile(p),
    });
    assert.deepEqual(dbs.map((d) => [d.name, d.kind, d.url]), [
      ["events", "clickhouse", "http://migrator:s3cret@clickhouse:8123/events"],
      ["postgres", "postgres", "postgres://h/p"],
    ]);
    // A run with it, its URLs pointed at the test servers (an environment URL wins over the file).
    await withPgDatabase(async (pgUrl) => {
      await withClickHouseDatabase(async (chUrl) => {
        const r = await runCli([], {
          cwd: project.dir,
          env: { EVENTS_URL: chUrl, POSTGRES_URL: pgUrl },
        });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(
          r.stdout.indexOf("V1__events.sql") < r.stdout.indexOf("V1__t.sql"),
          `the file's order: events first\n${r.stdout}`,
        );
        assert.match(lastLine(r.stdout), /^2 applied, 0 skipped, 0 failed/);
      });
    });
  } finally {
    await project.cleanup();
  }
});

Deno.test({
  name: "README: the set-up commands are the tasks, and task start runs the examples on PGlite",
  sanitizeResources: false,
  async fn() {
    const lines = block("the set-up commands").text.trim().split("\n").map((l) =>
      l.replace(/\s+#.*$/, "")
    );
    const services = await Deno.readTextFile(join(ROOT, "tests/services.sh"));
    const version = /^export DENO_VERSION=(\S+)$/m.exec(services)?.[1];
    assert.deepEqual(lines, [
      `npx --yes deno@${version} task start`,
      `npx --yes deno@${version} task test`,
    ]);
    const ci = await Deno.readTextFile(join(ROOT, ".ci/run"));
    assert.equal(ci.trim().split("\n").at(-1), lines[1], ".ci/run runs the README's test command");
    assert.equal(denoJson.tasks.test, "bash tests/run.sh");
    assert.equal(denoJson.tasks.start, "deno run -A src/main.ts --embedded --seed=sample");

    // `task start`, twice, on a copy of what a clean clone has (the examples, no URLs).
    const dir = await Deno.makeTempDir({ prefix: "dbm_start_" });
    try {
      const clone = { ...await examples(), ...await tree("src") };
      for (const f of ["deno.json", "deno.lock"]) clone[f] = await Deno.readTextFile(join(ROOT, f));
      for (const [path, text] of Object.entries(clone)) {
        await Deno.mkdir(dirname(join(dir, path)), { recursive: true });
        await Deno.writeTextFile(join(dir, path), text);
      }
      const files = listDatabaseFolders(join(ROOT, "migrations"))
        .filter((d) => !d.includes("clickhouse"))
        .map((d) =>
          discoverMigrations(join(ROOT, "migrations", d), d).length +
          discoverSeeds(join(ROOT, "seeds", d), d, "sample").length
        )
        .reduce((a, b) => a + b, 0);
      const start = async () => {
        const out = await new Deno.Command(Deno.execPath(), {
          args: ["task", "--quiet", "start"],
          cwd: dir,
          env: { NO_COLOR: "1" },
          stdout: "piped",
          stderr: "piped",
          signal: AbortSignal.timeout(240_000),
        }).output();
        const d = new TextDecoder();
        return { code: out.code, stdout: d.decode(out.stdout), stderr: d.decode(out.stderr) };
      };
      const first = await start();
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.match(lastLine(first.stdout), new RegExp(`^${files} applied, 0 skipped, 0 failed`));
      assert.match(
        first.stderr,
        /clickhouse: skipped: no URL/,
        "ClickHouse is skipped, with a notice",
      );
      const second = await start();
      assert.equal(second.code, 0, second.stdout + second.stderr);
      assert.match(lastLine(second.stdout), new RegExp(`^0 applied, ${files} skipped, 0 failed`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("README: the file layout is the examples' layout", () => {
  const layout = block("the file layout").text;
  const allowed: Record<string, string[]> = {};
  for (const m of layout.matchAll(/^seeds\/<database>\/(\w+)\/\*\.(\S+)/gm)) {
    allowed[m[1]!] = m[2]!.split("|*.");
  }
  assert.deepEqual(Object.keys(allowed), ["reference", "sample", "full"]);
  for (const db of listDatabaseFolders(join(ROOT, "migrations"))) {
    const migrations = discoverMigrations(join(ROOT, "migrations", db), db);
    assert.ok(migrations.length > 0, `migrations/${db} holds V<version>__<description>.sql files`);
    for (const f of discoverSeeds(join(ROOT, "seeds", db), db, "full")) {
      const [set, name] = f.script.split("/");
      const ext = name!.slice(name!.lastIndexOf(".") + 1);
      assert.ok(allowed[set!]?.includes(ext), `seeds/${db}/${f.script} fits the layout`);
    }
  }
});

Deno.test("README: every flag of the command synopsis is one the program takes", () => {
  const synopsis = block("the command synopsis").text;
  const samples: Record<string, string> = {
    seed: "sample",
    database: "postgres",
    wait: "1",
    "lock-timeout": "1",
    migrations: "m",
    seeds: "s",
    config: "c.yaml",
    "log-format": "json",
    "grace-period": "1",
    "resolve-unknown": "dbm-0123=applied",
    "max-file-size": "64",
    "max-statement-size": "16",
    against: "postgres://h/db",
    "max-yaml-size": "2",
    tenant: "acme",
    "max-parallel": "5",
    retries: "3",
    timeout: "300",
    shard: "0/2",
  };
  const flags = [...synopsis.matchAll(/--([a-z-]+)/g)].map((m) => m[1]!);
  // The flags of a command's own line are parsed with that command.
  const ownLine = (flag: string) =>
    /^db-migrate ([a-z]+) /m.exec(
      synopsis.split("\n").find((l) => l.includes(`--${flag}`) && !l.includes("[migrate")) ?? "",
    )?.[1];
  assert.ok(flags.length >= 15, synopsis);
  const commands = /^db-migrate \[([a-z |]+)\]/.exec(synopsis)![1]!.split(" | ");
  assert.deepEqual(commands, ["migrate", "plan", "status"]);
  for (const command of commands) {
    assert.ok(USAGE.includes(`\n  ${command} `), `--help names the ${command} command`);
    assert.equal(parseOptions([command], () => undefined).command, command);
  }
  for (const flag of new Set(flags)) {
    assert.ok(USAGE.includes(`--${flag}`), `--help names --${flag}`);
    const arg = samples[flag] === undefined ? `--${flag}` : `--${flag}=${samples[flag]}`;
    const command = ownLine(flag);
    parseOptions(command ? [command, arg] : [arg], () => undefined);
  }
});

Deno.test("README: every history command example is a command line the program takes", () => {
  const blocks = readmeBlocks().filter(KINDS["a history command"]!);
  assert.ok(blocks.length >= 5);
  for (const b of blocks) {
    for (const line of b.text.split("\n").filter((l) => l.startsWith("db-migrate "))) {
      const args = line.slice("db-migrate ".length).split(/\s+/).filter(Boolean);
      const o = parseOptions(args, () => undefined);
      assert.notEqual(o.command, undefined, line);
      assert.ok(USAGE.includes(`\n  ${o.command} `), `--help names the ${o.command} command`);
    }
  }
});

Deno.test("README: the ClickHouse URLs mean what their comments say", () => {
  const lines = block("ClickHouse URLs").text.trim().split("\n").filter((l) => l.includes("="));
  const targets = lines.map((l) => {
    const url = l.replace(/^CLICKHOUSE_URL=/, "").replace(/\s+#.*$/, "");
    assert.equal(kindOfUrl(url), "clickhouse", url);
    const t = parseClickHouseUrl(url);
    return [t.endpoint, t.username, t.database];
  });
  assert.deepEqual(targets, [
    ["http://clickhouse:8123", "migrator", "analytics"],
    ["https://ch.example.com:8443", "migrator", "analytics"],
    ["http://clickhouse:8123", "migrator", "analytics"],
  ]);
});

Deno.test("README: the cluster example names one cluster in the URL and in db-migrate.yaml alike", async () => {
  const text = block("a db-migrate.yaml naming a ClickHouse cluster").text;
  const url = /CLICKHOUSE_URL=(\S+)/.exec(text)![1]!;
  const [entry] = await parseConfigFile(text, "db-migrate.yaml");
  assert.deepEqual(entry?.cluster, { cluster: "prod", cluster_timeout: "300" });
  const fromYaml = clusterOf("clickhouse", parseClickHouseUrl(url.replace(/\?.*$/, "")), {
    settings: entry!.cluster!,
    where: "db-migrate.yaml",
  });
  const fromUrl = clusterOf("clickhouse", parseClickHouseUrl(url));
  assert.equal(fromYaml?.name, "prod");
  assert.equal(fromYaml?.timeoutSeconds, 300);
  assert.equal(fromUrl?.name, "prod");
  // Both at once: they agree on the name; another name is a configuration error, as it says.
  const both = clusterOf("clickhouse", parseClickHouseUrl(url), {
    settings: entry!.cluster!,
    where: "db-migrate.yaml",
  });
  assert.deepEqual([both?.name, both?.timeoutSeconds], ["prod", 300]);
  assert.throws(
    () =>
      clusterOf("clickhouse", parseClickHouseUrl(url.replace("=prod", "=staging")), {
        settings: entry!.cluster!,
        where: "db-migrate.yaml",
      }),
    /disagree on the cluster/,
  );
});

Deno.test("README: the newer-ClickHouse migration is for newer servers, and splits into its statements", () => {
  // The test server is ClickHouse 18.16, which lacks DateTime64, TTL and CODEC, as the README says
  // right above the block: this one cannot run here, so the tokenizer's reading of it is checked.
  const b = block("a migration for a newer ClickHouse");
  const before = README.split("\n").slice(Math.max(0, b.line - 4), b.line - 1).join(" ");
  assert.match(before, /On a newer server/);
  const statements = splitStatements(b.text, "clickhouse").map((s) => s.text.split(/\s+/)[0]);
  assert.deepEqual(statements, ["CREATE", "ALTER"]);
});

Deno.test("README: the Compose commands and the application's wait use the overlay's service", async () => {
  const overlay = parseYaml(
    await Deno.readTextFile(join(ROOT, "docker-compose.db-migrate.yml")),
  ) as { services: Record<string, { restart?: string }> };
  assert.equal(overlay.services["db-migrate"]?.restart, "no", "a one-shot service");
  const sh = block("the Compose commands").text.trim().split("\n");
  const alias = /^alias dc='docker compose -f (\S+) -f (\S+)'$/.exec(sh[0]!);
  assert.ok(alias, sh[0]);
  for (const f of alias.slice(1)) await Deno.stat(join(ROOT, f!));
  for (const line of sh.slice(1)) {
    const m = /^dc run --rm db-migrate((?: --\S+)*)\s+#/.exec(line);
    assert.ok(m, line);
    parseOptions(m[1]!.trim().split(/\s+/).filter(Boolean), () => undefined);
  }
  const app = parseYaml(block("an application waiting for the job").text) as {
    services: { app: { depends_on: Record<string, { condition: string }> } };
  };
  assert.deepEqual(app.services.app.depends_on, {
    "db-migrate": { condition: "service_completed_successfully" },
  });
});

Deno.test("README: every path of the source layout exists", async () => {
  const layout = block("the source layout").text;
  const paths = [...layout.matchAll(/(?:^|\s)((?:src|tests|bench)\/[\w./-]*)/g)].map((m) => m[1]!);
  assert.ok(paths.length > 20, layout);
  for (const p of paths) await Deno.stat(join(ROOT, p.replace(/[.,;:]$/, "")));
});

/** The README's TLS files, as pgTls() and clickHouseTls() read them (no file is needed). */
const TLS_FILES: Record<string, string> = {
  "/run/secrets/pg-ca.pem": CERT_A,
  "/run/secrets/ch-ca.pem": CERT_B,
  "/run/secrets/app.crt": CERT_C,
  "/run/secrets/app.key":
    "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
};
const readTlsFile = (path: string) =>
  path in TLS_FILES
    ? Promise.resolve(TLS_FILES[path]!)
    : Promise.reject(new Deno.errors.NotFound(path));

Deno.test("README: the TLS examples mean what their comments say", async () => {
  // Each example: the assignments under one comment line, unquoted.
  const examples = block("the TLS examples").text.trim().split(/^#.*\n/m).filter((e) => e !== "")
    .map((e) =>
      Object.fromEntries(
        e.trim().split("\n").map((l) => {
          const [name, ...rest] = l.split("=");
          return [name!, rest.join("=").replace(/^'(.*)'$/, "$1")];
        }),
      )
    );
  const read: string[] = [];
  for (const env of examples) {
    const url = env.POSTGRES_URL ?? env.CLICKHOUSE_URL!;
    const fromEnv = (n: string) => env[n];
    if (kindOfUrl(url) === "postgres") {
      const t = await pgTls({
        url,
        database: "postgres",
        urlSource: "POSTGRES_URL",
        caFileVariable: "POSTGRES_CA_FILE",
        env: fromEnv,
        read: readTlsFile,
      });
      read.push(`${t.mode}${t.setup.clientCert === null ? "" : " with a client certificate"}`);
    } else {
      const t = await clickHouseTls({
        endpoint: parseClickHouseUrl(url).endpoint,
        database: "clickhouse",
        caFileVariable: "CLICKHOUSE_CA_FILE",
        env: fromEnv,
        read: readTlsFile,
      });
      t.close();
      read.push(`https with ${t.setup.ca}`);
    }
  }
  assert.deepEqual(read, [
    "verify-full",
    "verify-ca",
    "verify-full with a client certificate",
    'https with "/run/secrets/ch-ca.pem" (CLICKHOUSE_CA_FILE)',
  ]);
});

Deno.test("README: the TLS failure reads as the driver words it", async () => {
  // The setting of the README's message, and node:tls's error for a CA that signed nothing there
  // (tests/e2e/tls_test.ts meets the real one).
  const url = "postgres://app:secret@db:5432/app";
  const t = await pgTls({
    url,
    database: "postgres",
    urlSource: "POSTGRES_URL",
    caFileVariable: "POSTGRES_CA_FILE",
    env: (n) => (n === "POSTGRES_CA_FILE" ? "/run/secrets/pg-ca.pem" : undefined),
    read: readTlsFile,
  });
  const err = Object.assign(new Error("self-signed certificate in certificate chain"), {
    code: "SELF_SIGNED_CERT_IN_CHAIN",
  });
  const f = tlsFailure(err, t.setup)!;
  const shown = tlsUnreachable("postgres", redactUrl(url), f);
  assert.equal(
    block("a TLS failure").text,
    `error: ${shown.message}\n  hint: ${shown.hint}\n`,
  );
});

Deno.test("README: every line of the operations synopsis is one the program takes", () => {
  const lines = block("the operations synopsis").text.trim().split("\n");
  const samples: Record<string, string> = { database: "postgres", seed: "sample" };
  for (const line of lines) {
    const words = line.replace(/^db-migrate /, "").replace(/[[\]]/g, "").split(/\s+/);
    const command = words[0]!;
    assert.ok(USAGE.includes(`\n  ${command} `), `--help names the ${command} command`);
    const args = [command];
    for (const w of words.slice(1)) {
      if (w === "|") continue;
      const flag = /^--([a-z-]+)/.exec(w)?.[1];
      if (flag === undefined) {
        if (w === "DESCRIPTION") args.push("add_orders");
        continue;
      }
      if (flag === "dry-run" && args.includes("--yes")) continue; // one of the two
      args.push(samples[flag] === undefined ? `--${flag}` : `--${flag}=${samples[flag]}`);
      assert.ok(USAGE.includes(`--${flag}`), `--help names --${flag}`);
    }
    assert.equal(parseOptions(args, () => undefined).command, command, args.join(" "));
  }
});

Deno.test("README: create, list and the pre-commit hook's validate print what the README shows", async () => {
  const project = await makeProject(await examples());
  try {
    const hook = block("the pre-commit hook").text.trim().split("\n").at(-1)!;
    assert.equal(hook, "exec deno run -A src/main.ts validate --embedded");
    const valid = await runMerged(["validate", "--embedded"], { cwd: project.dir, env: {} });
    assert.equal(valid.code, 0, valid.output);
    for (const kind of ["a created migration", "a list"]) {
      const b = block(kind);
      const r = await runMerged(argsOf(b), { cwd: project.dir, env: {} });
      assert.equal(r.code, 0, r.output);
      assertOutput(b, r.output);
    }
    const r = await runMerged(["validate", "--embedded"], { cwd: project.dir, env: {} });
    assert.equal(r.code, 2, r.output);
    // The new migration holds only comments: the hook stops the commit until it is written.
    assert.match(r.output, /V013__add_invoices\.sql: EMPTY_FILE: /);
  } finally {
    await project.cleanup();
  }
});

Deno.test({
  name: "README: a reset's dry run, an online validation and a seed reset on the examples",
  sanitizeResources: false,
  async fn() {
    const project = await makeProject(await examples());
    try {
      await withExampleDatabases(async (env) => {
        const opts = { cwd: project.dir, env };
        assert.equal((await runCli(["--seed=none"], opts)).code, 0);
        const reset = block("a reset's dry run");
        const dry = await runMerged(argsOf(reset), opts);
        assert.equal(dry.code, 0, dry.output);
        assertOutput(reset, dry.output);
        assert.equal((await runCli(["--seed=sample"], opts)).code, 0);
        for (const kind of ["an online validation", "a seed reset"]) {
          const b = block(kind);
          const r = await runMerged(argsOf(b), opts);
          assert.equal(r.code, 0, r.output);
          assertOutput(b, r.output);
        }
      });
    } finally {
      await project.cleanup();
    }
  },
});
Deno.test({
  name:
    "README: verify of the examples and of files that break the rule print what the README shows",
  sanitizeResources: false,
  async fn() {
    for (
      const [kind, files, code] of [
        ["verify of the examples", await examples(), 0],
        ["verify of files that break the rule", BAD_WITH_VECTOR, 1],
      ] as const
    ) {
      const b = block(kind);
      const project = await makeProject(files);
      try {
        // No URL: the idempotency check needs none.
        const r = await runMerged(argsOf(b), { cwd: project.dir, env: {} });
        assert.equal(r.code, code, r.output);
        assertOutput(b, r.output);
      } finally {
        await project.cleanup();
      }
    }
  },
});

Deno.test("README: the rehearsal and the CI job run the verify command the README describes", async () => {
  const rehearsal = block("a rehearsal").text.trim();
  const args = rehearsal.replace(/^db-migrate /, "").replace('"$PROD_COPY_URL"', "postgres://h/db")
    .split(/\s+/);
  const o = parseOptions(args, () => undefined);
  assert.deepEqual([o.command, o.against, o.databases, o.seed], [
    "verify",
    "postgres://h/db",
    ["postgres"],
    "reference",
  ]);

  const job = parseYaml(block("the CI job that verifies").text)["verify-migrations"];
  const services = await Deno.readTextFile(join(ROOT, "tests/services.sh"));
  const version = /^export DENO_VERSION=(\S+)$/m.exec(services)?.[1];
  assert.equal(job["runs-on"], "ubuntu-latest");
  assert.deepEqual(job.steps[0], { uses: "actions/checkout@v4" });
  const run = job.steps[1].run as string;
  const prefix = `npx --yes deno@${version} run -A src/main.ts `;
  assert.ok(run.startsWith(prefix), run);
  const ci = parseOptions(run.slice(prefix.length).split(" "), () => undefined);
  assert.deepEqual([ci.command, ci.seed, ci.against, ci.rehearse], [
    "verify",
    "sample",
    null,
    false,
  ]);
});

Deno.test("README: every flag of the import synopsis is one import takes", () => {
  const synopsis = block("the import synopsis").text;
  assert.ok(USAGE.includes("\n  import SOURCE_DIR "), "--help names the import command");
  const base = ["import", "--from=dbmate", "db/migrations", "--database=postgres"];
  const samples: Record<string, string> = {
    from: "dbmate",
    database: "postgres",
    "history-table": "public.schema_migrations",
    migrations: "m",
    wait: "1",
  };
  const flags = [...synopsis.matchAll(/--([a-z-]+)/g)].map((m) => m[1]!);
  assert.ok(flags.length >= 8, synopsis);
  for (const flag of new Set(flags)) {
    assert.ok(USAGE.includes(`--${flag}`), `--help names --${flag}`);
    const arg = samples[flag] === undefined ? `--${flag}` : `--${flag}=${samples[flag]}`;
    // --from and --database are in base already (import takes one of each).
    const args = flag === "from" || flag === "database" ? base : [...base, arg];
    assert.equal(parseOptions(args, () => undefined).command, "import");
  }
});

Deno.test("README: the dbmate import prints what the README shows, and the next run applies the rest", async () => {
  const b = block("an import from dbmate");
  const args = argsOf(b);
  const files: Record<string, string> = {};
  const upstream = toolProject("dbmate", 3);
  for (const [path, text] of Object.entries(upstream.files)) {
    files[`${args[2]}/${path}`] = text;
  }
  const project = await makeProject(files);
  try {
    await withPgDatabase(async (url) => {
      // dbmate made its table and applied the first two.
      for (const statement of createTable("dbmate")) await pgQuery(url, statement);
      for (const [i, m] of upstream.applied.slice(0, 2).entries()) {
        await pgQuery(url, m.up);
        for (const [q, p] of record("dbmate", { ...m, rank: i + 1 })) await pgQuery(url, q, p);
      }
      const env = { POSTGRES_URL: url };
      const r = await runMerged(args, { cwd: project.dir, env });
      assert.equal(r.code, 0, r.output);
      assertOutput(b, r.output);
      const run = await runCli([], { cwd: project.dir, env });
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(lastLine(run.stdout), /^1 applied, 2 skipped, 0 failed/);
    });
  } finally {
    await project.cleanup();
  }
});

Deno.test("README: the tenant group resolves, and its template's fields are the query's columns", async () => {
  const yaml = block("a tenant group").text;
  const project = await makeProject({
    "db-migrate.yaml": yaml,
    "migrations/control/V1__tenants.sql": "CREATE TABLE IF NOT EXISTS tenants (id text);\n",
    "migrations/tenant/V1__t.sql": "CREATE TABLE IF NOT EXISTS t (id int);\n",
  });
  try {
    const env: Record<string, string> = {
      CONTROL_DATABASE_URL: "postgres://control-host/control",
      TENANT_ADMIN_USER: "admin",
      TENANT_ADMIN_PASSWORD: "s3cret",
      TENANT_HOST: "tenants",
    };
    const dbs = await resolveDatabases({
      migrationsDir: `${project.dir}/migrations`,
      seedsDir: `${project.dir}/seeds`,
      configFile: `${project.dir}/db-migrate.yaml`,
      configFileExplicit: true,
      only: [],
      embedded: false,
      env: (n) => env[n],
      readTextFile: (p) => Deno.readTextFile(p),
    });
    assert.deepEqual(dbs.map((d) => d.name), ["control", "tenant"]);
    const group = dbs[1]!.tenants!;
    assert.equal(group.control.url, env.CONTROL_DATABASE_URL);
    assert.equal(group.url, "postgres://admin:s3cret@tenants:5432/{db_name}");
    const columns = /SELECT (.*?) FROM/.exec(group.query)![1]!.split(",").map((c) => c.trim());
    checkColumns("tenant", columns, group);
    assert.equal(
      render(group.url, { id: "acme", db_name: "acme_db" }),
      "postgres://admin:s3cret@tenants:5432/acme_db",
    );
  } finally {
    await project.cleanup();
  }
});
