// A job killed or stopped while a long ClickHouse statement runs must never run that statement
// again when it may have taken effect: the next run waits for it, resumes after it when the
// server's query log says it finished, and stops for an operator when nobody can tell. Against a
// scratch ClickHouse 18.16 with <query_log> (tests/services.sh clickhouse-run), since one case
// kills the server itself and the shared test server's config may predate the log.
import assert from "node:assert/strict";
import { chQuery, lastLine, runCli, spawnCli } from "../helpers.ts";
import { lineWith, withProject } from "./_util.ts";
import { ScratchClickHouse } from "./_scratch_clickhouse.ts";

// The issue's file: CREATE, INSERT (1), a long INSERT ... SELECT, INSERT (3). The SETs make the
// long INSERT write one part per row (0.3 s apart, 30 rows), so stopping it midway leaves some rows
// behind, as a real bulk insert does after each block.
const BIG = `CREATE TABLE IF NOT EXISTS t1 (n UInt64) ENGINE = MergeTree ORDER BY n;
INSERT INTO t1 VALUES (1);
SET max_block_size = 1;
SET min_insert_block_size_rows = 1;
INSERT INTO t1 SELECT number + 100 FROM system.numbers WHERE sleepEachRow(0.3) = 0 LIMIT 30;
INSERT INTO t1 VALUES (3);
`;
const FILES = { "migrations/clickhouse/V001__big.sql": BIG };
const ALL_ROWS = 32;
const decoder = new TextDecoder();

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

function text(out: Deno.CommandOutput): Output {
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

const explain = (o: Output) => `exit ${o.code}\n--- stdout\n${o.stdout}\n--- stderr\n${o.stderr}`;

/** One database on the scratch server, dropped afterwards. */
async function withDatabase<T>(
  server: ScratchClickHouse,
  fn: (url: string, name: string) => Promise<T>,
): Promise<T> {
  const name = "dbm_t_" + crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  try {
    return await fn(server.url(name), name);
  } finally {
    await chQuery(server.url(), `DROP DATABASE IF EXISTS ${name}`).catch(() => {});
  }
}

async function scalar(server: ScratchClickHouse, sql: string): Promise<string> {
  return (await chQuery(server.url(), sql)).trim();
}

async function rows(server: ScratchClickHouse, db: string): Promise<number> {
  return Number(await scalar(server, `SELECT count() FROM ${db}.t1`));
}

/** The tracking row of V001__big.sql. */
async function tracking(server: ScratchClickHouse, db: string) {
  const line = await scalar(
    server,
    `SELECT success, statements_done, query_id, error FROM ${db}._schema_migrations FINAL ` +
      "WHERE script = 'V001__big.sql' FORMAT JSONEachRow",
  );
  return JSON.parse(line) as {
    success: number;
    statements_done: number;
    query_id: string;
    error: string | null;
  };
}

/** Waits until the long INSERT runs on the server and has written at least 3 rows; its query_id. */
async function waitForLongInsert(server: ScratchClickHouse): Promise<string> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const [id, written] = (await scalar(
      server,
      "SELECT query_id, written_rows FROM system.processes WHERE query LIKE '%sleepEachRow(0.3)%' " +
        "AND query NOT LIKE '%system.processes%' FORMAT TSV",
    ).catch(() => "")).split("\t");
    if (id && Number(written) >= 3) return id;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the long INSERT did not start within 60 s");
}

/**
 * Ends the lease of a run that died without releasing it, as a minute passing would: the test
 * needs the next run while the statement still runs, not a minute later.
 */
async function expireLease(server: ScratchClickHouse, db: string): Promise<void> {
  await chQuery(
    server.url(),
    `INSERT INTO ${db}._schema_migrations_lock (holder, claimed_at, expires_at, info, updated) ` +
      `SELECT holder, claimed_at, toDateTime(0), info, updated + 1 FROM ${db}._schema_migrations_lock FINAL`,
  );
}

Deno.test({
  name: "ClickHouse: a job killed or stopped in a long statement never runs it twice",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const server = await ScratchClickHouse.start();
    try {
      await t.step(
        "kill -9 during the long INSERT: the next run waits for it on the server and resumes after it (32 rows, not 62)",
        async () => {
          await withDatabase(server, async (url, db) => {
            await withProject(FILES, async (dir) => {
              const env = { CLICKHOUSE_URL: url };
              const child = spawnCli([], { cwd: dir, env });
              const output = child.output();
              const queryId = await waitForLongInsert(server);
              child.kill("SIGKILL");
              assert.equal((await output).signal, "SIGKILL");

              await expireLease(server, db);
              const next = await runCli(["--lock-timeout=10"], { cwd: dir, env });
              assert.equal(next.code, 0, explain(next));
              assert.equal(await rows(server, db), ALL_ROWS, "the long INSERT ran once");
              assert.match(queryId, /^dbm-[0-9a-f]{32}$/);
              assert.match(
                next.stderr,
                new RegExp(
                  `statement 5 of 6, sent by an earlier run, still runs on the server \\(query_id ${queryId}`,
                ),
              );
              assert.match(
                next.stdout,
                /V001__big\.sql\s+applied\s+.*statement 5 of 6, left in flight by an earlier run, had finished on the server .*resumed at statement 6 of 6/,
              );
              assert.equal(await rows(server, db), ALL_ROWS);

              const again = await runCli([], { cwd: dir, env });
              assert.match(
                lastLine(again.stdout),
                /^0 applied, 1 skipped, 0 failed/,
                explain(again),
              );
              assert.equal(await rows(server, db), ALL_ROWS);
            });
          });
        },
      );

      await t.step(
        "SIGTERM during the long INSERT: it finishes within the grace period, is recorded, and nothing says rolled back (32 rows)",
        async () => {
          await withDatabase(server, async (url, db) => {
            await withProject(FILES, async (dir) => {
              const env = { CLICKHOUSE_URL: url };
              const child = spawnCli([], { cwd: dir, env });
              const output = child.output();
              await waitForLongInsert(server);
              child.kill("SIGTERM");
              const stopped = text(await output);
              assert.equal(stopped.code, 143, explain(stopped));
              assert.equal(await rows(server, db), ALL_ROWS - 1, "the INSERT finished whole");
              // What the file's line and the error say (the signal notice explains rollback in general).
              assert.doesNotMatch(
                stopped.stdout + lineWith(stopped.stderr, "error:"),
                /rolled back/,
              );
              assert.match(
                stopped.stdout,
                /V001__big\.sql\s+failed\s+interrupted: stopped after statement 5 of 6: ClickHouse has no transactions, so statements 1-5 stay applied and recorded, and the next run resumes at statement 6/,
              );
              assert.match(
                lastLine(stopped.stdout),
                /^0 applied, 0 skipped, 1 failed; .*exit 143 INTERRUPTED/,
              );
              const row = await tracking(server, db);
              assert.deepEqual([row.success, row.statements_done, row.query_id], [0, 5, ""]);

              const next = await runCli([], { cwd: dir, env });
              assert.equal(next.code, 0, explain(next));
              assert.equal(await rows(server, db), ALL_ROWS);
              assert.match(next.stdout, /resumed at statement 6 of 6/);
            });
          });
        },
      );

      await t.step(
        "SIGTERM with --grace-period=1: the statement is left running on the server, and the next run waits for it (32 rows)",
        async () => {
          await withDatabase(server, async (url, db) => {
            await withProject(FILES, async (dir) => {
              const env = { CLICKHOUSE_URL: url };
              const child = spawnCli(["--grace-period=1"], { cwd: dir, env });
              const output = child.output();
              const queryId = await waitForLongInsert(server);
              child.kill("SIGTERM");
              const stopped = text(await output);
              assert.equal(stopped.code, 143, explain(stopped));
              assert.match(
                stopped.stderr,
                new RegExp(
                  `stopped by SIGTERM while applying "V001__big\\.sql" to "clickhouse": statement 5 of 6 was still running when the grace period ended and was left running on the server \\(query_id ${queryId}\\)`,
                ),
              );
              // What the file's line and the error say (the signal notice explains rollback in general).
              assert.doesNotMatch(
                stopped.stdout + lineWith(stopped.stderr, "error:"),
                /rolled back/,
              );
              assert.ok(await rows(server, db) < ALL_ROWS - 1, "the INSERT was still running");
              const row = await tracking(server, db);
              assert.deepEqual([row.statements_done, row.query_id], [4, queryId]);

              // The lock was released: no lease to wait for; the statement still runs.
              const next = await runCli(["--lock-timeout=0"], { cwd: dir, env });
              assert.equal(next.code, 0, explain(next));
              assert.equal(await rows(server, db), ALL_ROWS);
              assert.match(next.stderr, /statement 5 of 6, sent by an earlier run, still runs/);
              assert.match(next.stdout, /had finished on the server .*resumed at statement 6 of 6/);
            });
          });
        },
      );

      await t.step(
        "a statement cut off on the server stops the next run with OUTCOME_UNKNOWN until --resolve-unknown says what to do",
        async () => {
          await withDatabase(server, async (url, db) => {
            await withProject(FILES, async (dir) => {
              const env = { CLICKHOUSE_URL: url };
              const child = spawnCli([], { cwd: dir, env });
              const output = child.output();
              const queryId = await waitForLongInsert(server);
              child.kill("SIGKILL");
              await output;
              // An operator stops the runaway statement the dead job left behind.
              await chQuery(server.url(), `KILL QUERY WHERE query_id = '${queryId}' SYNC`);
              const partial = await rows(server, db);
              assert.ok(partial > 1 && partial < ALL_ROWS - 1, `${partial} rows`);
              await expireLease(server, db);

              const stopped = await runCli(["--lock-timeout=10"], { cwd: dir, env });
              assert.equal(stopped.code, 1, explain(stopped));
              assert.match(
                stopped.stderr,
                new RegExp(
                  `cannot tell whether statement 5 of 6 of "V001__big\\.sql" took effect in "clickhouse" \\(sent by an earlier run with query_id ${queryId}\\): it failed while running \\(Query was cancelled \\(code 394\\)\\).*may be partly applied; nothing was run`,
                ),
              );
              assert.match(stopped.stderr, new RegExp(`--resolve-unknown=${queryId}=applied`));
              assert.match(stopped.stderr, new RegExp(`--resolve-unknown=${queryId}=rerun`));
              assert.match(lastLine(stopped.stdout), /exit 1 OUTCOME_UNKNOWN/);
              assert.equal(await rows(server, db), partial, "nothing ran");

              // A decision for another statement resolves nothing.
              const other = await runCli(["--resolve-unknown=dbm-0000=applied"], { cwd: dir, env });
              assert.equal(other.code, 1, explain(other));
              assert.equal(await rows(server, db), partial);

              // The operator keeps the partial rows: counted as applied, the file goes on after it.
              const resolved = await runCli([`--resolve-unknown=${queryId}=applied`], {
                cwd: dir,
                env,
              });
              assert.equal(resolved.code, 0, explain(resolved));
              assert.match(
                resolved.stdout,
                /statement 5 of 6 \(query_id dbm-[0-9a-f]+\) counted as applied as --resolve-unknown says; resumed at statement 6 of 6/,
              );
              assert.equal(await rows(server, db), partial + 1);
            });
          });
        },
      );

      await t.step(
        "the server killed during the long INSERT: exit 4 saying the server went away, then OUTCOME_UNKNOWN after its restart",
        async () => {
          await withDatabase(server, async (url, db) => {
            await withProject(FILES, async (dir) => {
              const env = { CLICKHOUSE_URL: url };
              const child = spawnCli(["--wait=1"], { cwd: dir, env });
              const output = child.output();
              await waitForLongInsert(server);
              await server.kill();
              const lost = text(await output);
              assert.equal(lost.code, 4, explain(lost));
              assert.match(
                lost.stderr,
                /lost the connection to "clickhouse" during statement 5 of 6 of "V001__big\.sql"/,
              );
              assert.match(lost.stderr, /the server went away .*not the statement's fault/);
              assert.match(
                lost.stderr,
                /statements 1-4 as applied and statement 5 as sent with query_id dbm-/,
              );
              assert.doesNotMatch(lost.stderr, /fix statement/);
              assert.match(lastLine(lost.stdout), /exit 4 CONNECTION_LOST/);

              await server.restart();
              await expireLease(server, db);
              const next = await runCli(["--lock-timeout=10"], { cwd: dir, env });
              assert.equal(next.code, 1, explain(next));
              assert.match(
                next.stderr,
                /cannot tell whether statement 5 of 6 of "V001__big\.sql" took effect .*: the server('s query log shows it started but not that it ended| restarted after it was sent)/,
              );
              assert.match(lastLine(next.stdout), /exit 1 OUTCOME_UNKNOWN/);
            });
          });
        },
      );
    } finally {
      await server.stop();
    }
  },
});
