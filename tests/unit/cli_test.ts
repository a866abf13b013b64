import assert from "node:assert/strict";
import { parseOptions } from "../../src/cli.ts";
import { UsageError } from "../../src/core/errors.ts";

const noEnv = () => undefined;

Deno.test("parseOptions() gives the contract's defaults", () => {
  const o = parseOptions([], noEnv);
  assert.equal(o.mode, "apply");
  assert.equal(o.seed, "reference");
  assert.equal(o.waitSeconds, 30);
  assert.equal(o.lockTimeoutSeconds, 300);
  assert.equal(o.migrationsDir, "./migrations");
  assert.equal(o.seedsDir, "./seeds");
  assert.deepEqual(o.databases, []);
});

Deno.test("parseOptions() reads every flag and repeats --database", () => {
  const o = parseOptions([
    "--seed=full",
    "--database=postgres",
    "--database",
    "clickhouse",
    "--dry-run",
    "--json",
    "--wait=2",
    "--lock-timeout=5",
    "--repair",
    "--embedded",
    "--migrations=db/m/",
    "--seeds=db/s",
    "--config=x.yaml",
  ], noEnv);
  assert.equal(o.mode, "dry-run");
  assert.equal(o.seed, "full");
  assert.deepEqual(o.databases, ["postgres", "clickhouse"]);
  assert.equal(o.json && o.repair && o.embedded, true);
  assert.equal(o.waitSeconds, 2);
  assert.equal(o.lockTimeoutSeconds, 5);
  assert.equal(o.migrationsDir, "db/m");
  assert.equal(o.configFile, "x.yaml");
  assert.equal(o.configFileExplicit, true);
});

Deno.test("parseOptions() takes env equivalents, and flags win over them", () => {
  const env = (n: string) =>
    ({ SEED_MODE: "sample", MIGRATIONS_DIR: "/m", SEEDS_DIR: "/s" } as Record<string, string>)[n];
  const o = parseOptions([], env);
  assert.equal(o.seed, "sample");
  assert.equal(o.migrationsDir, "/m");
  assert.equal(o.seedsDir, "/s");
  assert.equal(parseOptions(["--seed=none"], env).seed, "none");
});

Deno.test("parseOptions() rejects an unknown flag, a bad seed mode and a bad number", () => {
  for (
    const args of [["--frobnicate"], ["--seed=everything"], ["--wait=soon"], ["extra"], [
      "--dry-run",
      "--status",
    ]]
  ) {
    assert.throws(() => parseOptions(args, noEnv), UsageError, args.join(" "));
  }
  assert.throws(
    () => parseOptions([], (n) => n === "SEED_MODE" ? "bogus" : undefined),
    /SEED_MODE/,
  );
});

Deno.test("parseOptions() reads --grace-period (default 25 s, env DB_MIGRATE_GRACE_PERIOD)", () => {
  assert.equal(parseOptions([], noEnv).gracePeriodSeconds, 25);
  const env = (n: string) => (n === "DB_MIGRATE_GRACE_PERIOD" ? "10" : undefined);
  assert.equal(parseOptions([], env).gracePeriodSeconds, 10);
  assert.equal(parseOptions(["--grace-period=0"], env).gracePeriodSeconds, 0);
  assert.throws(() => parseOptions(["--grace-period=soon"], noEnv), UsageError);
});

Deno.test("parseOptions() reads --resolve-unknown as decisions by query_id", () => {
  assert.equal(parseOptions([], noEnv).resolveUnknown.size, 0);
  const o = parseOptions([
    "--resolve-unknown=dbm-0123abcd=applied",
    "--resolve-unknown",
    "dbm-4567=rerun",
  ], noEnv);
  assert.deepEqual([...o.resolveUnknown], [["dbm-0123abcd", "applied"], ["dbm-4567", "rerun"]]);
  for (
    const bad of [
      ["--resolve-unknown=dbm-1"],
      ["--resolve-unknown=dbm-1=maybe"],
      ["--resolve-unknown=dbm-1=applied", "--resolve-unknown=dbm-1=rerun"],
      ["--resolve-unknown=dbm-1=applied", "--status"],
      ["--resolve-unknown=dbm-1=applied", "--dry-run"],
    ]
  ) assert.throws(() => parseOptions(bad, noEnv), UsageError, bad.join(" "));
});

Deno.test("parseOptions() reads the size limits from flags or env, 64 and 16 MB by default", () => {
  const d = parseOptions([], noEnv);
  assert.deepEqual([d.maxFileMb, d.maxStatementMb], [64, 16]);
  const f = parseOptions(["--max-file-size=200", "--max-statement-size=0.5"], noEnv);
  assert.deepEqual([f.maxFileMb, f.maxStatementMb], [200, 0.5]);
  const env = (n: string) =>
    ({ DB_MIGRATE_MAX_FILE_SIZE: "100", DB_MIGRATE_MAX_STATEMENT_SIZE: "32" })[n];
  const e = parseOptions([], env);
  assert.deepEqual([e.maxFileMb, e.maxStatementMb], [100, 32]);
  for (const bad of ["--max-file-size=0", "--max-file-size=big", "--max-statement-size=-1"]) {
    assert.throws(() => parseOptions([bad], noEnv), UsageError, bad);
  }
  assert.throws(
    () => parseOptions([], (n) => (n === "DB_MIGRATE_MAX_FILE_SIZE" ? "x" : undefined)),
    /from DB_MIGRATE_MAX_FILE_SIZE/,
  );
});

Deno.test("parseOptions() reads --max-yaml-size or DB_MIGRATE_YAML_DOCUMENT_MB, 2 MB by default", () => {
  assert.equal(parseOptions([], noEnv).maxYamlMb, 2);
  const env = (n: string) => (n === "DB_MIGRATE_YAML_DOCUMENT_MB" ? "8" : undefined);
  assert.equal(parseOptions([], env).maxYamlMb, 8);
  assert.equal(parseOptions(["--max-yaml-size=0.5"], env).maxYamlMb, 0.5);
  assert.throws(() => parseOptions(["--max-yaml-size=0"], noEnv), UsageError);
  assert.throws(
    () => parseOptions([], (n) => (n === "DB_MIGRATE_YAML_DOCUMENT_MB" ? "lots" : undefined)),
    /--max-yaml-size .*from DB_MIGRATE_YAML_DOCUMENT_MB/,
  );
});

Deno.test("parseOptions() takes a command before or after the flags, migrate by default", () => {
  assert.equal(parseOptions([], noEnv).command, "migrate");
  assert.deepEqual(
    ["migrate", "plan", "status"].map((c) => parseOptions([c], noEnv).command),
    ["migrate", "plan", "status"],
  );
  const late = parseOptions(["--seed=full", "status", "--json"], noEnv);
  assert.deepEqual([late.command, late.mode, late.seed, late.json], [
    "status",
    "status",
    "full",
    true,
  ]);
  assert.equal(parseOptions(["plan"], noEnv).mode, "dry-run");
  assert.equal(parseOptions(["migrate"], noEnv).mode, "apply");
});

Deno.test("parseOptions(): --dry-run and --status name the plan and status commands, as before", () => {
  assert.equal(parseOptions(["--dry-run"], noEnv).command, "plan");
  assert.equal(parseOptions(["--status"], noEnv).command, "status");
  assert.equal(parseOptions(["migrate", "--dry-run"], noEnv).command, "plan");
  assert.equal(parseOptions(["plan", "--dry-run"], noEnv).command, "plan");
  assert.equal(parseOptions(["status", "--status"], noEnv).command, "status");
  for (
    const args of [["status", "--dry-run"], ["plan", "--status"], ["migrate", "--status"], [
      "status",
      "--repair",
    ], ["plan", "--resolve-unknown=dbm-1=applied"]]
  ) {
    assert.throws(() => parseOptions(args, noEnv), UsageError, args.join(" "));
  }
});

Deno.test("parseOptions() refuses an unknown command and a second argument, naming them", () => {
  assert.throws(
    () => parseOptions(["migrat"], noEnv),
    (e: unknown) =>
      e instanceof UsageError && e.exitCode === 2 &&
      e.message ===
        'unknown command "migrat": the commands are migrate, plan, status, create, validate, ' +
          "list, reset, seed, verify, undo, mark, baseline, info, import",
  );
  assert.throws(
    () => parseOptions(["status", "extra"], noEnv),
    (e: unknown) => e instanceof UsageError && /unexpected argument "extra"/.test(e.message),
  );
});

Deno.test("parseOptions() reads the operations commands and their own flags", () => {
  const c = parseOptions(
    ["create", "add_orders", "--database=app", "--undo", "--no-transaction"],
    noEnv,
  );
  assert.equal(c.command, "create");
  assert.deepEqual(c.args, ["add_orders"]);
  assert.equal(c.undo, true);
  assert.equal(c.noTransaction, true);
  assert.equal(parseOptions(["validate", "--online"], noEnv).online, true);
  const r = parseOptions(["reset", "--database=app", "--migrate", "--dry-run", "-y"], noEnv);
  assert.equal(r.command, "reset");
  assert.equal(r.migrate && r.dryRun && r.yes, true);
  const s = parseOptions(["seed", "--reset", "--seed=sample"], noEnv);
  assert.equal(s.command, "seed");
  assert.equal(s.reset && !s.dryRun, true);
  assert.equal(parseOptions(["list"], noEnv).mode, "list");
});

Deno.test("parseOptions() refuses a command's flag given to another command", () => {
  for (
    const args of [
      ["--undo"],
      ["migrate", "--reset"],
      ["seed", "--migrate"],
      ["list", "--online"],
      [
        "validate",
        "--no-transaction",
      ],
      ["validate", "extra"],
    ]
  ) {
    assert.throws(() => parseOptions(args, noEnv), UsageError, args.join(" "));
  }
});

Deno.test("parseOptions() reads --to and --steps for migrate, plan and undo, and refuses them elsewhere", () => {
  assert.deepEqual(parseOptions(["--to=3"], noEnv).target, { to: 3 });
  assert.deepEqual(parseOptions(["migrate", "--steps", "2"], noEnv).target, { steps: 2 });
  const plan = parseOptions(["--dry-run", "--to=007"], noEnv);
  assert.deepEqual([plan.command, plan.target], ["plan", { to: 7 }]);
  assert.deepEqual(parseOptions(["undo", "--to=0"], noEnv).target, { to: 0 });
  assert.equal(parseOptions([], noEnv).target, undefined);
  for (
    const args of [
      ["--to=3", "--steps=1"],
      ["--steps=0"],
      ["--to=x"],
      ["--to=-1"],
      ["status", "--to=3"],
      ["info", "--steps=1"],
      ["mark", "applied", "1", "--to=2"],
    ]
  ) {
    assert.throws(() => parseOptions(args, noEnv), UsageError, args.join(" "));
  }
});

Deno.test("parseOptions() reads mark's words and refuses anything but applied|pending and versions", () => {
  const o = parseOptions(["mark", "applied", "3", "4", "--dry-run"], noEnv);
  assert.deepEqual([o.command, o.args, o.dryRun, o.mode], [
    "mark",
    ["applied", "3", "4"],
    true,
    "dry-run",
  ]);
  for (
    const args of [["mark"], ["mark", "applied"], ["mark", "done", "3"], ["mark", "pending", "x"]]
  ) {
    assert.throws(() => parseOptions(args, noEnv), UsageError, args.join(" "));
  }
});

Deno.test("parseOptions() gives baseline its --version=N and leaves bare --version printing the version", () => {
  assert.equal(parseOptions(["baseline", "--version=5"], noEnv).baselineVersion, 5);
  assert.equal(parseOptions(["baseline", "--version", "5", "-y"], noEnv).baselineVersion, 5);
  assert.equal(parseOptions(["--version"], noEnv).version, true);
  assert.equal(parseOptions(["--version"], noEnv).baselineVersion, undefined);
  assert.throws(() => parseOptions(["baseline"], noEnv), UsageError);
  assert.throws(() => parseOptions(["migrate", "--version=5"], noEnv), /names a baseline's/);
});

Deno.test("parseOptions() takes --yes and -y, and --dry-run for undo, mark and baseline", () => {
  assert.equal(parseOptions(["undo", "-y"], noEnv).yes, true);
  const o = parseOptions(["undo", "--dry-run"], noEnv);
  assert.deepEqual([o.command, o.dryRun, o.mode], ["undo", true, "dry-run"]);
  assert.throws(() => parseOptions(["undo", "--status"], noEnv), UsageError);
  assert.equal(parseOptions(["info"], noEnv).mode, "info");
});

Deno.test("parseOptions() reads import's tool, SOURCE_DIR and database, and --dry-run as its own", () => {
  const o = parseOptions(
    ["import", "--from=flyway", "db/sql", "--database=app", "--dry-run", "--yes"],
    noEnv,
  );
  assert.equal(o.command, "import");
  assert.deepEqual(o.args, ["db/sql"]);
  assert.deepEqual(o.databases, ["app"]);
  assert.equal(o.dryRun, true);
  assert.equal(o.yes, true);
  assert.deepEqual(o.import, { from: "flyway", historyTable: null, noHistory: false });
  const t = parseOptions(
    ["import", "--from=goose", "m", "--database=app", "--history-table=ops.goose_db_version"],
    noEnv,
  );
  assert.equal(t.import?.historyTable, "ops.goose_db_version");
  assert.equal(parseOptions(["--status"], noEnv).import, null);
});

Deno.test("parseOptions() refuses an import without a known tool, one SOURCE_DIR and one database", () => {
  const refuses = (args: string[], pattern: RegExp) =>
    assert.throws(
      () => parseOptions(args, noEnv),
      (e: unknown) => e instanceof UsageError && e.exitCode === 2 && pattern.test(e.message),
      args.join(" "),
    );
  refuses(["import", "m", "--database=app"], /--from=TOOL, one of golang-migrate, dbmate/);
  refuses(["import", "--from=liquibase", "m", "--database=app"], /not "liquibase"/);
  refuses(["import", "--from=dbmate", "--database=app"], /import needs SOURCE_DIR/);
  refuses(["import", "--from=dbmate", "a", "b", "--database=app"], /one SOURCE_DIR/);
  refuses(["import", "--from=dbmate", "m"], /exactly one --database/);
  refuses(["import", "--from=dbmate", "m", "--database=a", "--database=b"], /exactly one/);
  refuses(["import", "--from=dbmate", "m", "--database=app", "--status"], /--status cannot/);
  refuses(["--from=dbmate"], /--from belongs to the import command/);
  refuses(["import", "--from=dbmate", "m", "--database=../etc"], /plain folder name/);
  refuses(
    ["import", "--from=dbmate", "m", "--database=app", "--no-history", "--history-table=x"],
    /cannot be used together/,
  );
  refuses(["import", "--from=dbmate", "m", "--database=app", "--history-table=a.b.c"], /SCHEMA/);
});

Deno.test("parseOptions() takes --resolve-unknown for every command that runs files", () => {
  // undo and seed run ClickHouse files statement by statement, and stop with OUTCOME_UNKNOWN whose
  // hint names the flag: refusing it there would leave no way on.
  for (
    const args of [
      ["undo", "--database=ch"],
      ["seed"],
      ["reset", "--migrate", "--database=ch"],
      ["migrate"],
    ]
  ) {
    const o = parseOptions([...args, "--resolve-unknown=dbm-1=applied"], noEnv);
    assert.equal(o.resolveUnknown.get("dbm-1"), "applied", args.join(" "));
  }
  for (
    const args of [["info"], ["mark", "applied", "1"], ["undo", "--dry-run"], ["seed", "--dry-run"]]
  ) {
    assert.throws(
      () => parseOptions([...args, "--resolve-unknown=dbm-1=applied"], noEnv),
      UsageError,
      args.join(" "),
    );
  }
});

Deno.test("parseOptions() refuses --repair where drift stops the command anyway", () => {
  assert.equal(parseOptions(["--repair"], noEnv).repair, true);
  assert.equal(parseOptions(["plan", "--repair"], noEnv).repair, true);
  for (
    const args of [
      ["seed"],
      ["undo"],
      ["mark", "applied", "1"],
      ["baseline", "--version=3"],
      ["info"],
      ["reset", "--database=postgres"],
      ["validate"],
    ]
  ) {
    assert.throws(
      () => parseOptions([...args, "--repair"], noEnv),
      (e: unknown) =>
        e instanceof UsageError && /--repair belongs to a migrate run/.test(e.message),
      args.join(" "),
    );
  }
});
