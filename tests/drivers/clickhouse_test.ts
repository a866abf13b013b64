// The ClickHouse driver against the real server of CLICKHOUSE_TEST_URL: the conformance suite, then
// what ClickHouse adds: a database created by the first real run, resume after a failed statement,
// statements left in flight, the lease lock between runs, and the seed rule.
import assert from "node:assert/strict";
import { checksum } from "../../src/core/checksum.ts";
import {
  ApplyError,
  ConfigError,
  InterruptedError,
  OutcomeUnknownError,
} from "../../src/core/errors.ts";
import { ClickHouseDriver } from "../../src/drivers/clickhouse/driver.ts";
import { clickhouseKind } from "../../src/drivers/clickhouse/kind.ts";
import type { ApplyOutcome } from "../../src/drivers/driver.ts";
import { planDatabase } from "../../src/core/plan.ts";
import type { TrackedFile, TrackedRow } from "../../src/core/types.ts";
import { chQuery, chRows, clickhouseUrl, withClickHouseDatabase } from "../helpers.ts";
import { CLICKHOUSE } from "./_dialects.ts";
import { conformance, onServer, type TestDatabase } from "./conformance.ts";

/** A fresh ClickHouse database and project folder, as a run of database `app` sees them. */
function withDatabase<T>(fn: (db: TestDatabase) => Promise<T>): Promise<T> {
  return withClickHouseDatabase((url) =>
    onServer("clickhouse", url, (sql) => chRows(url, sql), fn)
  );
}

conformance({ name: "ClickHouse", ...CLICKHOUSE, withDatabase });

function file(script: string, text: string): TrackedFile {
  const m = script.match(/^V(\d+)__(.+)\.sql$/);
  return {
    kind: m ? "migration" : "seed",
    version: m ? Number(m[1]) : null,
    description: m ? m[2]!.replaceAll("_", " ") : script,
    script,
    path: `migrations/clickhouse/${script}`,
    text,
    checksum: checksum(text),
    format: "sql",
  };
}

const signal = () => new AbortController().signal;

/** Every tracking row (none without a table). */
async function rows(d: ClickHouseDriver): Promise<TrackedRow[]> {
  return (await d.readTracking(false)) ?? [];
}

/** Prepares a file as a run does, and applies it. */
async function run(d: ClickHouseDriver, req: {
  file: TrackedFile;
  previous: TrackedRow | null;
  signal: AbortSignal;
  graceOver?: AbortSignal;
  notice?: (text: string) => void;
}): Promise<ApplyOutcome> {
  const prepared = await clickhouseKind.prepare(req.file, {
    database: "clickhouse",
    maxStatementMb: 16,
  });
  return await d.execute(prepared, {
    previous: req.previous,
    signal: req.signal,
    graceOver: req.graceOver ?? req.signal,
    notice: req.notice ?? (() => {}),
    resolveUnknown: new Map(),
  });
}

/** Connects a driver, runs fn, and closes the driver whatever happens. */
async function withDriver<T>(url: string, fn: (d: ClickHouseDriver) => Promise<T>): Promise<T> {
  const d = new ClickHouseDriver("clickhouse", url);
  await d.connect(10_000);
  try {
    return await fn(d);
  } finally {
    await d.close();
  }
}

/** A URL of a database that does not exist yet (dropped afterwards). */
async function withMissingDatabase<T>(fn: (url: string, name: string) => Promise<T>): Promise<T> {
  const name = "dbm_t_" + crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const url = new URL(clickhouseUrl());
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString(), name);
  } finally {
    await chQuery(serverUrl(), `DROP DATABASE IF EXISTS ${name}`);
  }
}

/** The test server without a database, for system queries. */
function serverUrl(): string {
  const u = new URL(clickhouseUrl());
  u.pathname = "/";
  return u.toString();
}

async function count(url: string, sql: string): Promise<number> {
  return Number((await chQuery(url, sql)).trim());
}

const V1 = `-- two statements, with ';' and '--' inside strings
CREATE TABLE IF NOT EXISTS events (id UInt32, note String) ENGINE = MergeTree ORDER BY id;
INSERT INTO events VALUES (1, 'a;b'), (2, '-- not a comment');
`;

Deno.test("ClickHouseDriver: empty → lock → apply → record → re-read → drift detected", async () => {
  await withMissingDatabase(async (url, name) => {
    await withDriver(url, async (d) => {
      // Empty: connecting creates nothing, so --dry-run and --status leave the server alone.
      assert.equal((await d.readTracking(false)) !== null, false);
      assert.deepEqual(await rows(d), []);
      assert.equal(
        await count(serverUrl(), `SELECT count() FROM system.databases WHERE name = '${name}'`),
        0,
      );

      // Lock: the first real run creates the database.
      assert.equal(await d.tryLock(), true);
      assert.equal(
        await count(serverUrl(), `SELECT count() FROM system.databases WHERE name = '${name}'`),
        1,
      );
      await d.ensureTracking();
      assert.equal((await d.readTracking(false)) !== null, true);

      // Apply and record.
      const f1 = file("V001__events.sql", V1);
      const out = await run(d, { file: f1, previous: null, signal: signal() });
      assert.ok(out.ms >= 0);
      assert.equal(out.note, undefined);
      assert.equal(
        await count(url, "SELECT count() FROM events WHERE note IN ('a;b', '-- not a comment')"),
        2,
      );
      await d.unlock();
    });

    // Re-read with a new connection, as the next run does.
    await withDriver(url, async (d) => {
      assert.equal((await d.readTracking(false)) !== null, true);
      const tracked = await rows(d);
      assert.equal(tracked.length, 1);
      const row = tracked[0]!;
      const f1 = file("V001__events.sql", V1);
      assert.deepEqual(
        { ...row, appliedAt: null, executionMs: 0 },
        {
          version: 1,
          description: "events",
          script: "V001__events.sql",
          checksum: f1.checksum,
          kind: "migration",
          appliedAt: null,
          executionMs: 0,
          success: true,
          appliedBy: "default",
          error: null,
          statementsDone: 2,
          provenance: "applied",
        } satisfies TrackedRow,
      );
      assert.ok(
        row.appliedAt instanceof Date && Math.abs(row.appliedAt.getTime() - Date.now()) < 120_000,
      );
      assert.deepEqual(
        await d.readContents(["V001__events.sql", "V009__nope.sql"]),
        new Map([["V001__events.sql", V1]]),
      );
      assert.equal(planDatabase([f1], [], tracked).pending.length, 0);

      // Drift: the applied file changed.
      const changed = file("V001__events.sql", V1 + "-- an edit\n");
      const plan = planDatabase([changed], [], tracked);
      assert.deepEqual(plan.drift.map((e) => e.state), ["checksum mismatch"]);

      // --repair records the current checksum, after which nothing drifts.
      assert.equal(await d.tryLock(), true);
      await d.record([{ file: changed }]);
      const repaired = await rows(d);
      assert.equal(repaired[0]!.checksum, changed.checksum);
      assert.equal(planDatabase([changed], [], repaired).drift.length, 0);
      assert.equal(
        (await d.readContents(["V001__events.sql"])).get("V001__events.sql"),
        changed.text,
      );

      // A missing file is drift too; --repair forgets it.
      assert.deepEqual(planDatabase([], [], repaired).drift.map((e) => e.state), ["missing file"]);
      await d.forget([{ kind: "migration", version: 1 }]);
      assert.deepEqual(await rows(d), []);
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver records a failed statement and resumes after the statements that succeeded", async () => {
  await withClickHouseDatabase(async (url) => {
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      await d.ensureTracking();
      const bad = `CREATE TABLE IF NOT EXISTS marks (n UInt8) ENGINE = MergeTree ORDER BY n;
INSERT INTO marks VALUES (1);
INSERT INTO marks VALUES (2);
SELECT no_such_column FROM marks;
INSERT INTO marks VALUES (4);
`;
      const f = file("V002__marks.sql", bad);
      const err = await run(d, { file: f, previous: null, signal: signal() })
        .then(() => null, (e) => e);
      assert.ok(err instanceof ApplyError, String(err));
      assert.equal(err.line, 4);
      assert.equal(err.statementsDone, 3);
      assert.equal(err.statement, "SELECT no_such_column FROM marks;".slice(0, -1));
      assert.match(err.serverMessage, /no_such_column/);
      assert.match(err.serverMessage, /\(code 47\)/);

      const [row] = await rows(d);
      assert.equal(row?.success, false);
      assert.equal(row?.statementsDone, 3);
      assert.match(row?.error ?? "", /^statement 4 of 5 failed: .*no_such_column/);

      // Fixed: statements 1-3 are not run again (the marks would double).
      const fixed = file("V002__marks.sql", bad.replace("no_such_column", "count()"));
      const out = await run(d, { file: fixed, previous: row!, signal: signal() });
      assert.equal(
        out.note,
        "resumed at statement 4 of 5 (statements 1-3 were applied by an earlier run)",
      );
      assert.equal(
        (await chQuery(url, "SELECT groupArray(n) FROM (SELECT n FROM marks ORDER BY n)")).trim(),
        "[1,2,4]",
      );
      const [done] = await rows(d);
      assert.equal(done?.success, true);
      assert.equal(done?.statementsDone, 5);
      assert.equal(done?.checksum, fixed.checksum);
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver keeps SET for the rest of its file, and replays it when the file resumes", async () => {
  await withClickHouseDatabase(async (url) => {
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      await d.ensureTracking();
      // ClickHouse 18.16 takes LowCardinality only with this setting, which lasts for a session.
      const text = `SET allow_experimental_low_cardinality_type = 1;
CREATE TABLE IF NOT EXISTS lc1 (a LowCardinality(String)) ENGINE = MergeTree ORDER BY a;
CREATE TABLE IF NOT EXISTS lc2 (a LowCardinality(String)) ENGINE = MergeTree ORDER BYY a;
`;
      const f = file("V001__lc.sql", text);
      const err = await run(d, { file: f, previous: null, signal: signal() })
        .then(() => null, (e) => e);
      assert.ok(err instanceof ApplyError, String(err));
      assert.equal(err.statementsDone, 2);
      const [row] = await rows(d);
      const fixed = file("V001__lc.sql", text.replace("BYY", "BY"));
      const out = await run(d, { file: fixed, previous: row!, signal: signal() });
      assert.match(out.note ?? "", /^resumed at statement 3 of 3/);
      assert.equal(
        (await chQuery(
          url,
          "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name IN ('lc1', 'lc2')",
        )).trim(),
        "2",
      );
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver starts a file again when a statement before the failed one changed", async () => {
  await withClickHouseDatabase(async (url) => {
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      await d.ensureTracking();
      const text = `CREATE TABLE IF NOT EXISTS t (n UInt8) ENGINE = MergeTree ORDER BY n;
SELEC 2;
`;
      const f = file("V001__t.sql", text);
      const err = await run(d, { file: f, previous: null, signal: signal() })
        .then(() => null, (e) => e);
      assert.ok(err instanceof ApplyError);
      // The syntax error's position points into the file.
      assert.deepEqual([err.line, err.column], [2, 1]);
      const [row] = await rows(d);
      const edited = file(
        "V001__t.sql",
        text.replace("(n UInt8)", "(n UInt16)").replace("SELEC", "SELECT"),
      );
      const out = await run(d, { file: edited, previous: row!, signal: signal() });
      assert.match(out.note ?? "", /^statement 1 differs .* started the file again$/);
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver stopped before a file's first statement runs and records nothing of it", async () => {
  await withClickHouseDatabase(async (url) => {
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      await d.ensureTracking();
      const controller = new AbortController();
      const reason = new Error("stopped by SIGTERM");
      controller.abort(reason);
      const f = file("V001__a.sql", "SELECT 1;\nSELECT 2;\n");
      await assert.rejects(
        run(d, { file: f, previous: null, signal: controller.signal }),
        (e) => e === reason,
      );
      assert.deepEqual(await rows(d), []);
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver lets a running statement finish within the grace period and records it", async () => {
  await withClickHouseDatabase(async (url) => {
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      await d.ensureTracking();
      const stop = new AbortController();
      const grace = new AbortController(); // never over
      const reason = new InterruptedError("SIGTERM");
      const f = file("V001__slow.sql", "SELECT 1;\nSELECT sleep(1.5);\nSELECT 2;\n");
      const timer = setTimeout(() => stop.abort(reason), 500);
      const err = await run(d, {
        file: f,
        previous: null,
        signal: stop.signal,
        graceOver: grace.signal,
      }).then(() => null, (e) => e);
      clearTimeout(timer);
      assert.ok(err instanceof InterruptedError, String(err));
      assert.equal(err.detail?.outcome, "recorded");
      assert.match(err.message, /statements 1-2 stay applied and recorded/);
      const [row] = await rows(d);
      assert.equal(row?.success, false);
      assert.equal(row?.statementsDone, 2);
      assert.match(row?.error ?? "", /stopped by SIGTERM before statement 3 of 3/);
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver leaves a statement running after the grace period, and the next run waits for it", async () => {
  await withClickHouseDatabase(async (url, name) => {
    // Statement 2 takes 6 s: long enough to still run when the next attempt looks.
    const f = file(
      "V001__slow.sql",
      "SELECT 1;\nSELECT sleepEachRow(1) FROM system.numbers LIMIT 6 SETTINGS max_block_size = 1;\n" +
        "SELECT 2;\n",
    );
    let queryId = "";
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      await d.ensureTracking();
      const controller = new AbortController();
      const reason = new InterruptedError("SIGINT");
      const started = Date.now();
      const timer = setTimeout(() => controller.abort(reason), 300);
      const err = await run(d, {
        file: f,
        previous: null,
        signal: controller.signal, // no grace: over with the stop request
      }).then(() => null, (e) => e);
      clearTimeout(timer);
      assert.ok(Date.now() - started < 2500, "did not wait for the statement to end");
      assert.ok(err instanceof InterruptedError, String(err));
      assert.equal(err.detail?.outcome, "left running");
      const [row] = await chQuery(
        serverUrl(),
        `SELECT statements_done, query_id, error FROM ${name}._schema_migrations FINAL FORMAT JSONEachRow`,
      ).then((t) => t.trim().split("\n").map((l) => JSON.parse(l)));
      assert.equal(row.statements_done, 1);
      queryId = row.query_id;
      assert.match(queryId, /^dbm-[0-9a-f]{32}$/);
      assert.match(row.error, /left running on the server \(query_id dbm-/);
      assert.ok(err.message.includes(queryId));
      await d.unlock();
    });
    // The statement still runs on the server; the next attempt waits for it, then asks the query
    // log how it ended: finished where the server keeps a log, unknowable where it keeps none.
    await chQuery(serverUrl(), "SYSTEM FLUSH LOGS");
    const hasLog = await count(
      serverUrl(),
      "SELECT count() FROM system.tables WHERE database = 'system' AND name = 'query_log'",
    ) > 0;
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      const [previous] = await rows(d);
      const waits: string[] = [];
      const out = await run(d, {
        file: f,
        previous: previous!,
        signal: signal(),
        notice: (t) => waits.push(t),
      }).then((o) => o, (e) => e);
      assert.equal(waits.length, 1, "said once that it waits");
      assert.match(
        waits[0]!,
        new RegExp(`statement 2 of 3, sent by an earlier run, still runs .*${queryId}`),
      );
      if (hasLog) {
        assert.match(
          out.note ?? "",
          new RegExp(
            `statement 2 of 3, left in flight by an earlier run, had finished on the server \\(query_id ${queryId}\\); resumed at statement 3 of 3`,
          ),
        );
        assert.equal((await rows(d))[0]?.success, true);
      } else {
        assert.ok(out instanceof OutcomeUnknownError, String(out));
        assert.equal(out.queryId, queryId);
        assert.match(out.message, /<query_log>/);
      }
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver lock: a second run waits, sees the holder, and takes the lock after release", async () => {
  await withClickHouseDatabase(async (url) => {
    await withDriver(url, async (a) => {
      await withDriver(url, async (b) => {
        assert.equal(await a.tryLock(), true);
        assert.equal(await a.tryLock(), true, "taking a held lock again is a no-op");
        assert.equal(await b.tryLock(), false);
        const holder = await b.lockHolder();
        assert.match(
          holder?.description ?? "",
          /^db-migrate run [0-9a-f]{8} \(host .*, pid \d+, user default\) since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/,
        );
        assert.equal(await b.tryLock(), false);
        await a.unlock();
        assert.equal(await b.tryLock(), true);
        assert.equal(await a.tryLock(), false);
        await b.unlock();
      });
    });
  });
});

Deno.test("ClickHouseDriver lock: close() withdraws a claim, so a run that gave up blocks nobody", async () => {
  await withClickHouseDatabase(async (url) => {
    const a = new ClickHouseDriver("clickhouse", url);
    await a.connect(10_000);
    assert.equal(await a.tryLock(), true);
    await withDriver(url, async (b) => {
      assert.equal(await b.tryLock(), false);
      await a.close(); // a holder that ends without unlock() (the run failed) still releases
      assert.equal(await b.tryLock(), true);
      await b.unlock();
    });
  });
});

Deno.test("ClickHouseDriver lock: of many concurrent claims exactly one wins", async () => {
  await withClickHouseDatabase(async (url) => {
    const drivers = await Promise.all(
      Array.from({ length: 5 }, async () => {
        const d = new ClickHouseDriver("clickhouse", url);
        await d.connect(10_000);
        return d;
      }),
    );
    try {
      for (let round = 0; round < 3; round++) {
        const won = await Promise.all(drivers.map((d) => d.tryLock()));
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won}`);
        await drivers[won.indexOf(true)]!.unlock();
      }
    } finally {
      await Promise.all(drivers.map((d) => d.close()));
    }
  });
});

Deno.test("ClickHouseDriver lock: a lone run takes it at once with a fast claim dated 2 s back", async () => {
  await withClickHouseDatabase(async (url) => {
    await withDriver(url, async (a) => {
      assert.equal(await a.tryLock(), true);
      // The fast path: no wait for the second to pass, so the claim must be earlier than any claim
      // that another run could have made unseen (one read the clock after the fast claim did).
      const [claim] = await chRows<{ age: number }>(
        url,
        "SELECT toInt64(now()) - toInt64(claimed_at) AS age FROM _schema_migrations_lock FINAL " +
          "WHERE expires_at > now()",
      );
      assert.ok(Number(claim?.age) >= 2, `claim dated ${claim?.age} s back`);
      // A claim another run made in the same second or the one before, with the smallest holder
      // id, that became visible only after the fast claim was judged: it must not win.
      await chQuery(
        url,
        "INSERT INTO _schema_migrations_lock (holder, claimed_at, expires_at, info, updated) " +
          "VALUES ('0', now() - 1, now() + 20, 'host other, pid 1, user default', 1)",
      );
      await withDriver(url, async (b) => {
        assert.equal(await b.tryLock(), false);
        const holder = await b.lockHolder();
        assert.doesNotMatch(holder?.description ?? "", /host other/);
        assert.match(holder?.description ?? "", /^db-migrate run [0-9a-f]{8} \(host /);
        await b.close();
      });
      await a.unlock();
    });
  });
});

Deno.test("ClickHouseDriver lock: of fresh runs claiming at once, exactly one wins, round after round", async () => {
  await withClickHouseDatabase(async (url) => {
    for (let round = 0; round < 4; round++) {
      // New drivers each round, after every claim was withdrawn: all of them try the fast path.
      const drivers = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const d = new ClickHouseDriver("clickhouse", url);
          await d.connect(10_000);
          return d;
        }),
      );
      try {
        const won = await Promise.all(drivers.map((d) => d.tryLock()));
        assert.equal(won.filter(Boolean).length, 1, `round ${round}: ${won}`);
      } finally {
        await Promise.all(drivers.map((d) => d.close()));
      }
    }
  });
});

Deno.test("ClickHouseDriver seeds: a changed seed replaces its rows in a ReplacingMergeTree", async () => {
  await withClickHouseDatabase(async (url) => {
    await chQuery(
      url,
      "CREATE TABLE defs (name String, label String) ENGINE = ReplacingMergeTree ORDER BY name",
    );
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      await d.ensureTracking();
      const v1 = file(
        "reference/010_defs.sql",
        "INSERT INTO defs VALUES ('a', 'A'), ('b', 'B');",
      );
      await run(d, { file: v1, previous: null, signal: signal() });
      const [row] = await rows(d);
      assert.equal(row?.kind, "seed");
      assert.equal(row?.version, null);
      const v2 = file(
        "reference/010_defs.sql",
        "INSERT INTO defs VALUES ('a', 'A2'), ('b', 'B'), ('c', 'C');",
      );
      await run(d, { file: v2, previous: row!, signal: signal() });
      // Without FINAL: OPTIMIZE ... FINAL has already collapsed the replaced rows.
      assert.equal(
        (await chQuery(
          url,
          "SELECT groupArray(concat(name, '=', label)) FROM (SELECT * FROM defs ORDER BY name)",
        )).trim(),
        "['a=A2','b=B','c=C']",
      );
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver seeds: a MergeTree target is refused unless the seed truncates it first", async () => {
  await withClickHouseDatabase(async (url) => {
    await chQuery(url, "CREATE TABLE events (id UInt8) ENGINE = MergeTree ORDER BY id");
    await withDriver(url, async (d) => {
      assert.equal(await d.tryLock(), true);
      await d.ensureTracking();
      const bad = file("sample/010_events.sql", "-- demo\nINSERT INTO events VALUES (1);");
      const err = await run(d, { file: bad, previous: null, signal: signal() })
        .then(() => null, (e) => e);
      assert.ok(err instanceof ConfigError, String(err));
      assert.equal(err.code, "INVALID_SEED");
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /inserts into dbm_t_\w+\.events \(MergeTree\) at line 2/);
      assert.match(err.hint ?? "", /ReplacingMergeTree/);
      assert.equal(await count(url, "SELECT count() FROM events"), 0, "nothing ran");

      const ok = file(
        "sample/010_events.sql",
        "TRUNCATE TABLE events;\nINSERT INTO events VALUES (1), (2);",
      );
      await run(d, { file: ok, previous: null, signal: signal() });
      await run(d, { file: ok, previous: null, signal: signal() });
      assert.equal(await count(url, "SELECT count() FROM events"), 2);
      await d.unlock();
    });
  });
});

Deno.test("ClickHouseDriver: a wrong password is a permanent error, a closed port is not", async () => {
  const wrong = new URL(clickhouseUrl());
  wrong.password = "not-the-password";
  const d = new ClickHouseDriver("clickhouse", wrong.toString());
  const err = await d.connect(5000).then(() => null, (e) => e);
  assert.ok(err instanceof Error);
  assert.ok(d.isPermanent(err), String(err));
  assert.doesNotMatch(String(err), /not-the-password/);

  const closed = new ClickHouseDriver("clickhouse", "http://default@127.0.0.1:1/db");
  const err2 = await closed.connect(2000).then(() => null, (e) => e);
  assert.ok(err2 instanceof Error);
  assert.equal(closed.isPermanent(err2), false);
});

Deno.test("ClickHouseDriver refuses a URL it cannot read with BAD_URL and no password", () => {
  assert.throws(
    () => new ClickHouseDriver("clickhouse", "http://u:hunter2@h:8123/a/b"),
    (e: unknown) =>
      e instanceof ConfigError && e.code === "BAD_URL" && !e.message.includes("hunter2"),
  );
});

Deno.test("ClickHouseDriver: a _schema_migrations made by another tool is a configuration error", async () => {
  await withClickHouseDatabase(async (url) => {
    await chQuery(
      url,
      "CREATE TABLE _schema_migrations (version Int64) ENGINE = MergeTree ORDER BY version",
    );
    await withDriver(url, async (d) => {
      await assert.rejects(
        d.readTracking(false),
        (e) => e instanceof ConfigError && /not created by db-migrate/.test(e.message),
      );
    });
  });
});
