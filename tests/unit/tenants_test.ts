// The pure parts of tenant runs: URL templates, shards, and the bounded pool.
import assert from "node:assert/strict";
import { ConfigError, InterruptedError, UsageError } from "../../src/core/errors.ts";
import type { DatabaseResult } from "../../src/core/result.ts";
import { runPool } from "../../src/tenants/pool.ts";
import { parseShard, shardOf, tenantHash } from "../../src/tenants/shard.ts";
import {
  checkColumns,
  interpolatedFields,
  interpolateEnv,
  render,
  templateFields,
} from "../../src/tenants/template.ts";

const env = (vars: Record<string, string>) => (name: string) => vars[name];
const unset = (name: string) => new Error(`unset ${name}`);

Deno.test("a template's ${VAR} comes from the environment and its {column} from the row", () => {
  const tpl = interpolateEnv(
    "postgres://${U}:${P}@${H}:5432/{db_name}",
    env({ U: "admin", P: "s3cr{et}", H: "db" }),
    unset,
  );
  // A brace in a value is kept literal: it never becomes a field.
  assert.deepEqual(interpolatedFields(tpl), ["db_name"]);
  assert.equal(render(tpl, { db_name: "t_1" }), "postgres://admin:s3cr{et}@db:5432/t_1");
});

Deno.test("interpolateEnv() names a variable that is not set", () => {
  assert.throws(() => interpolateEnv("postgres://${NOPE}@h/{x}", env({}), unset), /unset NOPE/);
});

Deno.test("render() percent-encodes a value but keeps host:port, and refuses a null", () => {
  assert.equal(
    render("postgres://u@{host}/{db}", { host: "h:5433", db: "a/b c" }),
    "postgres://u@h:5433/a%2Fb%20c",
  );
  assert.throws(() => render("postgres://u@h/{db}", { db: null }), /column "db" is null/);
  assert.equal(render("tenant_{id}", { id: "a-1" }, (v) => v), "tenant_a-1");
});

Deno.test("templateFields() lists each field once, not the environment's variables", () => {
  assert.deepEqual(templateFields("postgres://${U}@{host}/{db}?x={db}"), ["host", "db"]);
});

Deno.test("checkColumns() rejects a field the query does not return, naming the columns", () => {
  checkColumns("tenant", ["id", "db_name"], { url: "postgres://h/{db_name}", idColumn: "id" });
  assert.throws(
    () => checkColumns("tenant", ["id", "name"], { url: "postgres://h/{db_name}", idColumn: "id" }),
    (e) => e instanceof ConfigError && /uses "db_name".*"id", "name"/.test(e.message),
  );
  assert.throws(
    () => checkColumns("tenant", ["db_name"], { url: "postgres://h/{db_name}", idColumn: "id" }),
    /tenant id is the column "id"/,
  );
  assert.throws(
    () =>
      checkColumns("tenant", ["id"], {
        url: "postgres://h/app",
        schema: "t_{slug}",
        idColumn: "id",
      }),
    /schema template uses "slug"/,
  );
});

Deno.test("a tenant's shard is stable: FNV-1a of its id, the same on every run", () => {
  assert.equal(tenantHash(""), 0x811c9dc5);
  assert.equal(tenantHash("a"), 0xe40c292c);
  assert.equal(shardOf("acme", 4), tenantHash("acme") % 4);
  // Spread: 1,000 ids over 4 shards, none empty nor holding most.
  const counts = [0, 0, 0, 0];
  for (let i = 0; i < 1000; i++) counts[shardOf(`tenant-${i}`, 4)]!++;
  assert.ok(counts.every((c) => c > 150 && c < 350), `${counts}`);
});

Deno.test("parseShard() reads I/N and auto, and rejects a shard that does not exist", () => {
  assert.deepEqual(parseShard("1/4", env({})), { index: 1, count: 4 });
  assert.deepEqual(
    parseShard("auto", env({ JOB_COMPLETION_INDEX: "3", DB_MIGRATE_SHARDS: "4" })),
    { index: 3, count: 4 },
  );
  assert.throws(() => parseShard("4/4", env({})), UsageError);
  assert.throws(() => parseShard("1", env({})), /I\/N/);
  assert.throws(() => parseShard("auto", env({ DB_MIGRATE_SHARDS: "4" })), /JOB_COMPLETION_INDEX/);
  assert.throws(() => parseShard("auto", env({ JOB_COMPLETION_INDEX: "0" })), /DB_MIGRATE_SHARDS/);
});

const opts = (o: Partial<Parameters<typeof runPool>[3]> = {}) => ({
  maxParallel: 3,
  retries: 0,
  timeoutMs: 0,
  graceMs: 0,
  failFast: false,
  signal: new AbortController().signal,
  backoffMs: 1,
  ...o,
});

Deno.test("runPool() never runs more than maxParallel items at once, and runs each", async () => {
  let running = 0, peak = 0;
  const seen: number[] = [];
  const ends = await runPool(
    Array.from({ length: 20 }, (_, i) => i),
    async (i) => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, 1));
      seen.push(i);
      running--;
      return "ok";
    },
    { failed: () => false, retryable: () => false },
    opts(),
  );
  assert.equal(peak, 3);
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
  assert.ok(ends.every((e) => e?.attempts === 1));
});

Deno.test("runPool() retries a retryable failure up to retries times, and no other", async () => {
  const tries = new Map<string, number>();
  const ends = await runPool(
    ["flaky", "lock", "sql"],
    (item) => {
      const n = (tries.get(item) ?? 0) + 1;
      tries.set(item, n);
      if (item === "flaky") return Promise.resolve(n < 3 ? "conn" : "ok");
      return Promise.resolve(item === "lock" ? "conn" : "sql");
    },
    { failed: (o) => o !== "ok", retryable: (o) => o === "conn" },
    opts({ retries: 3 }),
  );
  assert.deepEqual(ends.map((e) => [e?.outcome, e?.attempts]), [["ok", 3], ["conn", 4], [
    "sql",
    1,
  ]]);
});

Deno.test("runPool() stops an item past its time limit as SIGTERM would", async () => {
  const ends = await runPool(
    ["slow"],
    (_item, ctx) =>
      new Promise<string>((resolve) => {
        ctx.signal.addEventListener("abort", () => {
          assert.ok(ctx.signal.reason instanceof InterruptedError);
          assert.equal(ctx.signal.reason.signal, "SIGTERM");
          resolve("stopped");
        });
      }),
    { failed: (o) => o !== "ok", retryable: () => true },
    opts({ timeoutMs: 20, retries: 5 }),
  );
  // Stopped once, not retried.
  assert.deepEqual([ends[0]?.outcome, ends[0]?.attempts, ends[0]?.timedOut], ["stopped", 1, true]);
});

Deno.test("runPool() with failFast starts nothing after a failure; without it runs all", async () => {
  const work = (i: number) => Promise.resolve(i === 1 ? "bad" : "ok");
  const rules = { failed: (o: string) => o !== "ok", retryable: () => false };
  const fast = await runPool([0, 1, 2, 3], work, rules, opts({ maxParallel: 1, failFast: true }));
  assert.deepEqual(fast.map((e) => e?.outcome ?? null), ["ok", "bad", null, null]);
  const all = await runPool([0, 1, 2, 3], work, rules, opts({ maxParallel: 1 }));
  assert.deepEqual(all.map((e) => e?.outcome ?? null), ["ok", "bad", "ok", "ok"]);
});

Deno.test("the report of a fleet: a line per tenant, the failed ones by id, the counts", async () => {
  const { failedTenants, tenantCounts, tenantStatusTable, tenantSummary } = await import(
    "../../src/report/tenants.ts"
  );
  const tenants = [
    { group: "tenant", id: "a", database: "tenant/a", state: "ok" as const, attempts: 1, ms: 5 },
    {
      group: "tenant",
      id: "b",
      database: "tenant/b",
      state: "failed" as const,
      attempts: 4,
      ms: 9,
      error: { code: "LOCK_TIMEOUT" as const, exitCode: 4, message: "cannot take\nthe lock" },
    },
    {
      group: "tenant",
      id: "c",
      database: "tenant/c",
      state: "not run" as const,
      attempts: 0,
      ms: 0,
    },
  ];
  assert.deepEqual(tenantCounts(tenants), { total: 3, ok: 1, failed: 1, drift: 0, notRun: 1 });
  assert.equal(tenantSummary(tenants), "tenants: 1 ok, 1 failed, 1 not run of 3");
  assert.equal(
    failedTenants(tenants),
    "1 of 3 tenants did not succeed:\n  tenant b: LOCK_TIMEOUT: cannot take",
  );
  const row = (state: string) => ({
    kind: "migration" as const,
    version: 1,
    script: "V1__a.sql",
    state,
    checksum: null,
    appliedAt: null,
    ms: null,
    error: null,
  });
  const dbs = new Map([
    ["tenant/a", {
      name: "tenant/a",
      kind: "postgres",
      target: null,
      steps: [],
      status: [row("applied"), row("pending")],
    }],
  ]);
  assert.equal(
    tenantStatusTable(tenants, dbs),
    [
      "TENANT    STATE                 APPLIED  PENDING  FAILED  DRIFT",
      "tenant/a  pending                     1        1       0      0",
      "tenant/b  failed: LOCK_TIMEOUT        0        0       0      0",
      "tenant/c  not run                     0        0       0      0",
    ].join("\n"),
  );
});

Deno.test("parseConfigFile() reads a tenant group and rejects its mistakes", async () => {
  const { parseConfigFile } = await import("../../src/config.ts");
  const group = (body: string) => `databases:\n  - name: control\n  - name: tenant\n${body}`;
  const [, tenant] = await parseConfigFile(
    group(
      "    tenants:\n      from: control\n      query: SELECT id FROM t\n      url: postgres://h/{id}\n",
    ),
    "f.yaml",
  );
  assert.deepEqual(tenant!.tenants, {
    from: "control",
    query: "SELECT id FROM t",
    url: "postgres://h/{id}",
    id: "id",
  });
  await assert.rejects(
    parseConfigFile(group("    tenants:\n      from: control\n      query: q\n"), "f.yaml"),
    /tenants\.url must be a non-empty string/,
  );
  await assert.rejects(
    parseConfigFile(
      group("    url: postgres://h/x\n    tenants: {from: control, query: q, url: u}\n"),
      "f.yaml",
    ),
    /a tenant group has no url of its own/,
  );
  await assert.rejects(
    parseConfigFile(group("    tenants: {from: control, query: q, url: u, shema: s}\n"), "f.yaml"),
    /unknown key "shema" under tenants/,
  );
});

Deno.test("tenantInfoTable(): a line per tenant with its counts and lock holder; undone is pending", async () => {
  const { tenantInfoTable } = await import("../../src/report/tenants.ts");
  const ok = (id: string) => ({
    group: "tenant",
    id,
    database: `tenant/${id}`,
    state: "ok" as const,
    attempts: 1,
    ms: 1,
  });
  const info = (over: { undone?: number; lockHolder?: string }) => ({
    server: "PostgreSQL 15",
    user: "postgres",
    lockHolder: over.lockHolder ?? null,
    tracked: true,
    counts: { applied: 2, pending: 0, failed: 0, undone: over.undone ?? 0, drift: 0 },
    lastApplied: null,
    failed: [],
  });
  const db = (id: string, i: ReturnType<typeof info>): [string, DatabaseResult] => [
    `tenant/${id}`,
    { name: `tenant/${id}`, kind: "postgres", target: null, steps: [], info: i },
  ];
  const tenants = [ok("a"), ok("b"), {
    ...ok("c"),
    state: "failed" as const,
    error: { code: "DB_UNREACHABLE" as const, exitCode: 4, message: "no" },
  }];
  assert.equal(
    tenantInfoTable(
      tenants,
      new Map([db("a", info({})), db("b", info({ undone: 1, lockHolder: "pid 7" }))]),
    ),
    [
      "TENANT    STATE                   APPLIED  PENDING  FAILED  UNDONE  DRIFT  LOCK",
      "tenant/a  up to date                    2        0       0       0      0  free",
      "tenant/b  pending                       2        0       0       1      0  held by pid 7",
      "tenant/c  failed: DB_UNREACHABLE        -        -       -       -      -  -",
    ].join("\n"),
  );
});
