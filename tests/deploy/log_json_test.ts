// --log-format=json: the flag and its variable, the events src/report/log_json.ts makes, and a run.
import assert from "node:assert/strict";
import { parseOptions } from "../../src/cli.ts";
import {
  eventLine,
  jsonLogReporter,
  messageEvent,
  stepEvent,
  summaryEvent,
} from "../../src/report/log_json.ts";
import type { RunResult } from "../../src/core/result.ts";
import type { Step } from "../../src/core/types.ts";
import { makeProject, runCli, withPgDatabase } from "../helpers.ts";

const noEnv = () => undefined;

Deno.test("parseOptions() takes --log-format, then DB_MIGRATE_LOG_FORMAT, else text", () => {
  assert.equal(parseOptions([], noEnv).logFormat, "text");
  assert.equal(parseOptions(["--log-format=json"], noEnv).logFormat, "json");
  assert.equal(parseOptions(["--log-format", "json"], noEnv).logFormat, "json");
  const env = (n: string) => n === "DB_MIGRATE_LOG_FORMAT" ? "json" : undefined;
  assert.equal(parseOptions([], env).logFormat, "json");
  assert.equal(parseOptions(["--log-format=text"], env).logFormat, "text");
});

Deno.test("parseOptions() rejects an unknown log format, naming where it came from", () => {
  assert.throws(() => parseOptions(["--log-format=xml"], noEnv), /not "xml"$/);
  const env = (n: string) => n === "DB_MIGRATE_LOG_FORMAT" ? "yaml" : undefined;
  assert.throws(() => parseOptions([], env), /not "yaml" \(from DB_MIGRATE_LOG_FORMAT\)/);
});

const STEP: Step = {
  database: "postgres",
  kind: "migration",
  version: 3,
  script: "V003__users.sql",
  checksum: "ab".repeat(32),
  status: "applied",
  ms: 41.6,
};

Deno.test("stepEvent() carries the file, database, status and duration of a step", () => {
  assert.deepEqual(stepEvent(STEP), {
    level: "info",
    event: "file",
    database: "postgres",
    file: "V003__users.sql",
    kind: "migration",
    version: 3,
    status: "applied",
    durationMs: 42,
    checksum: "ab".repeat(32),
  });
  const failed = stepEvent({ ...STEP, status: "failed", ms: undefined, error: "boom" });
  assert.equal(failed.level, "error");
  assert.equal(failed.durationMs, null);
  assert.equal(failed.error, "boom");
});

Deno.test("eventLine() is one line of JSON with the time first", () => {
  const line = eventLine(messageEvent("warn", "postgres    up to date\n"), new Date(0));
  assert.equal(
    line,
    '{"time":"1970-01-01T00:00:00.000Z","level":"warn","event":"message","message":"postgres  up to date"}',
  );
});

Deno.test("summaryEvent() has the counts, the exit code and the text summary line", () => {
  const result: RunResult = {
    mode: "apply",
    seedMode: "reference",
    databases: [{ name: "postgres", kind: "postgres", target: null, steps: [STEP] }],
    exitCode: 0,
    durationMs: 1234,
  };
  const e = summaryEvent(result);
  assert.equal(e.event, "summary");
  assert.equal(e.ok, true);
  assert.equal(e.applied, 1);
  assert.match(String(e.message), /^1 applied, 0 skipped, 0 failed/);
});

Deno.test("jsonLogReporter() writes progress to one stream and notices to the other", () => {
  const chunks = { out: [] as string[], err: [] as string[] };
  const sink = (into: string[]) => ({
    writeSync(p: Uint8Array) {
      into.push(new TextDecoder().decode(p));
      return p.length;
    },
  });
  const r = jsonLogReporter(sink(chunks.out), sink(chunks.err));
  r.step(STEP);
  r.notice("postgres: waiting for the migration lock");
  assert.equal(JSON.parse(chunks.out.join("")).event, "file");
  assert.equal(JSON.parse(chunks.err.join("")).level, "warn");
});

Deno.test({
  name: "a --log-format=json run prints only JSON lines on stdout, the summary event last",
  sanitizeResources: false,
  async fn() {
    const project = await makeProject({
      "migrations/postgres/V001__a.sql": "CREATE TABLE IF NOT EXISTS a (id int);\n",
      "migrations/postgres/V002__b.sql": "CREATE TABLE IF NOT EXISTS b (id int);\n",
    });
    try {
      await withPgDatabase(async (url) => {
        const run = await runCli(["--log-format=json"], {
          cwd: project.dir,
          env: { POSTGRES_URL: url },
        });
        assert.equal(run.code, 0, run.stderr);
        const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l));
        assert.deepEqual(events.map((e) => e.event), ["file", "file", "summary"]);
        assert.deepEqual(events.slice(0, 2).map((e) => e.file), ["V001__a.sql", "V002__b.sql"]);
        assert.equal(events[2].applied, 2);
        // An error is an event too, on stderr.
        const bad = await runCli(["--log-format=json"], { cwd: project.dir, env: {} });
        assert.equal(bad.code, 2);
        const error = JSON.parse(bad.stderr.trim().split("\n")[0]!);
        assert.equal(error.event, "error");
        assert.equal(error.code, "MISSING_URL");
      });
    } finally {
      await project.cleanup();
    }
  },
});
