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
      e.message === 'unknown command "migrat": the commands are migrate, plan, status',
  );
  assert.throws(
    () => parseOptions(["status", "extra"], noEnv),
    (e: unknown) => e instanceof UsageError && /unexpected argument "extra"/.test(e.message),
  );
});
