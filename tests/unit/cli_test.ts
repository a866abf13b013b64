import assert from "node:assert/strict";
import { parseOptions } from "../../src/cli.ts";
import { UsageError } from "../../src/errors.ts";

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
