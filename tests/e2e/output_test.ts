// What a person and a program read from a run: an error printed once, summaries that agree with the
// lines and tables above them, aligned columns, times in one human form and in ISO 8601, and the
// messages that say how to leave out a database without a URL.
import assert from "node:assert/strict";
import postgres from "postgres";
import { lastLine, runCli, withPgDatabase } from "../helpers.ts";
import { lineWith, summaryCounts, withProject } from "./_util.ts";

const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;
const HUMAN_TIME = /\b\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC\b/;

/** How often needle occurs in text. */
function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

/** The numbers of a summary's `migrations: …` and `seeds (mode): …` parts, by state. */
function breakdown(line: string, part: string): Record<string, number> {
  const m = new RegExp(`; ${part.replace(/[()]/g, "\\$&")}: ([^;]+)`).exec(line);
  if (!m) return {};
  return Object.fromEntries(
    m[1]!.split(", ").map((p) => {
      const [, n, state] = /^(\d+) (.+)$/.exec(p)!;
      return [state!, Number(n)];
    }),
  );
}

const FAILING = {
  "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS one (id int);\n",
  "migrations/postgres/V2__two.sql": "CREATE TABLE IF NOT EXISTS two (id int);\n" +
    "INSERT INTO two (id) SELECT id FROM no_such_table;\n",
  "migrations/postgres/V3__three.sql": "CREATE TABLE IF NOT EXISTS three (id int);\n",
};

Deno.test("a failed migration's error is printed once: on stderr in text, once in --json and in JSON logs", async () => {
  await withPgDatabase(async (url) => {
    await withProject(FAILING, async (dir) => {
      const env = { POSTGRES_URL: url };
      // Free of quotes, so that it reads the same in JSON.
      const message = "does not exist (SQLSTATE 42P01)";

      const text = await runCli([], { cwd: dir, env });
      assert.equal(text.code, 1, text.stderr);
      assert.equal(occurrences(text.stdout + text.stderr, message), 1, text.stdout + text.stderr);
      assert.equal(occurrences(text.stderr, message), 1, "on stderr, as every error");
      assert.match(text.stderr, /^error: cannot apply "V2__two\.sql:2:\d+" to "postgres"/m);
      assert.match(lineWith(text.stdout, "V2__two.sql"), /^postgres\s+V2__two\.sql\s+failed\b/);
      assert.match(lastLine(text.stdout), /^1 applied, 0 skipped, 1 failed, 1 not run; /);

      const json = await runCli(["--json"], { cwd: dir, env });
      assert.equal(json.code, 1, json.stderr);
      assert.equal(occurrences(json.stdout, message), 1, json.stdout);
      const doc = JSON.parse(json.stdout);
      assert.equal(doc.error.code, "APPLY_FAILED");
      assert.equal(doc.error.file, "V2__two.sql");
      assert.equal(doc.error.line, 2);
      const failed = doc.databases[0].steps.find((s: { status: string }) => s.status === "failed");
      assert.equal(failed.script, "V2__two.sql", "the failed step is marked, without a copy");
      assert.equal(occurrences(json.stderr, message), 0, "--json: the document carries it");

      const logs = await runCli(["--log-format=json"], { cwd: dir, env });
      assert.equal(logs.code, 1, logs.stderr);
      assert.equal(occurrences(logs.stdout + logs.stderr, message), 1, logs.stdout + logs.stderr);
      const events = (logs.stdout + logs.stderr).trim().split("\n").map((l) => JSON.parse(l));
      const file = events.find((e) => e.event === "file" && e.status === "failed");
      assert.equal(file?.file, "V2__two.sql");
      assert.equal(events.find((e) => e.event === "error")?.code, "APPLY_FAILED");
    });
  });
});

Deno.test("the summary counts each file once: the totals, then the same split into migrations and seeds", async () => {
  const files = {
    "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS one (id int PRIMARY KEY);\n",
    "migrations/postgres/V2__two.sql": "CREATE TABLE IF NOT EXISTS two (id int);\n",
    "seeds/postgres/reference/010_one.sql":
      "INSERT INTO one (id) VALUES (1) ON CONFLICT DO NOTHING;\n",
    "seeds/postgres/sample/010_more.sql":
      "INSERT INTO one (id) VALUES (2) ON CONFLICT DO NOTHING;\n",
    "seeds/postgres/sample/020_yaml.yaml": "one:\n  - { id: 3 }\n",
  };
  await withPgDatabase(async (url) => {
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const first = await runCli(["--seed=sample"], { cwd: dir, env });
      assert.equal(first.code, 0, first.stderr);
      const line = lastLine(first.stdout);
      assert.deepEqual(summaryCounts(line), { applied: 5, skipped: 0, failed: 0 });
      assert.deepEqual(breakdown(line, "migrations"), { applied: 2 }, line);
      assert.deepEqual(breakdown(line, "seeds (sample)"), { applied: 3 }, line);
      // The lines above it: one per file applied.
      const progress = first.stdout.split("\n").filter((l) =>
        /^postgres\s+\S+\s+applied\b/.test(l)
      );
      assert.equal(progress.length, 5, first.stdout);

      await Deno.writeTextFile(
        `${dir}/seeds/postgres/sample/010_more.sql`,
        "INSERT INTO one (id) VALUES (4) ON CONFLICT DO NOTHING;\n",
      );
      const second = await runCli(["--seed=sample"], { cwd: dir, env });
      assert.equal(second.code, 0, second.stderr);
      const again = lastLine(second.stdout);
      assert.deepEqual(summaryCounts(again), { applied: 1, skipped: 4, failed: 0 });
      assert.deepEqual(breakdown(again, "migrations"), { skipped: 2 }, again);
      assert.deepEqual(breakdown(again, "seeds (sample)"), { applied: 1, skipped: 2 }, again);
    });
  });
});

Deno.test("--status: the summary counts the table's states, drift and failed included, in ISO 8601 for --json", async () => {
  const files: Record<string, string> = {
    "migrations/postgres/V1__one.sql": "CREATE TABLE IF NOT EXISTS one (id int);\n",
    "migrations/postgres/V2__two.sql": "CREATE TABLE IF NOT EXISTS two (id int);\n",
    "migrations/postgres/V3__three.sql": "CREATE TABLE IF NOT EXISTS three (id int);\n",
    "migrations/postgres/V4__four.sql": "-- db-migrate: no-transaction\n" +
      "CREATE TABLE IF NOT EXISTS four (id int);\nSELECT 1 / 0;\n",
    "seeds/postgres/reference/010_s.sql": "SELECT 1;\n",
  };
  await withPgDatabase(async (url) => {
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 1);
      await Deno.writeTextFile(`${dir}/migrations/postgres/V2__two.sql`, "SELECT 2;\n");
      await Deno.remove(`${dir}/migrations/postgres/V3__three.sql`);
      await Deno.writeTextFile(`${dir}/migrations/postgres/V5__five.sql`, "SELECT 5;\n");

      const r = await runCli(["--status"], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr);
      const rows = r.stdout.split("\n").filter((l) => /^ {2}(\d+|seed) /.test(l));
      const states: Record<string, number> = {};
      for (const row of rows) {
        const state = /^ {2}\S+\s+\S+\s+(applied|pending|checksum mismatch|missing file|failed)\b/
          .exec(row)?.[1];
        assert.ok(state, row);
        states[state] = (states[state] ?? 0) + 1;
      }
      assert.deepEqual(states, {
        applied: 1,
        "checksum mismatch": 1,
        "missing file": 1,
        failed: 1,
        pending: 2,
      });
      const line = lastLine(r.stdout);
      assert.match(
        line,
        /^1 applied, 0 skipped, 1 failed, 2 pending, 1 checksum mismatch, 1 missing file; /,
      );
      assert.deepEqual(breakdown(line, "seeds (reference)"), { pending: 1 }, line);
      assert.match(lineWith(r.stdout, "V1__one.sql"), HUMAN_TIME);

      const json = await runCli(["--status", "--json"], { cwd: dir, env });
      assert.equal(json.code, 0, json.stderr);
      const doc = JSON.parse(json.stdout);
      const db = doc.databases[0];
      assert.equal(db.steps, undefined, "one list of files: `status`");
      const v1 = db.status.find((e: { script: string }) => e.script === "V1__one.sql");
      assert.match(v1.appliedAt, ISO_8601);
      assert.ok(Math.abs(Date.parse(v1.appliedAt) - Date.now()) < 10 * 60_000, v1.appliedAt);
      assert.deepEqual(
        [doc.summary.applied, doc.summary.skipped, doc.summary.failed, doc.summary.pending],
        [1, 0, 1, 2],
      );
      assert.equal(doc.summary.drift, 2);

      const logs = await runCli(["--status", "--log-format=json"], { cwd: dir, env });
      const events = logs.stdout.trim().split("\n").map((l) => JSON.parse(l));
      const row = events.find((e) => e.event === "status" && e.file === "V1__one.sql");
      assert.match(row.appliedAt, ISO_8601);
    });
  });
});

Deno.test("progress and dry-run lines are aligned in columns, with 12-digit checksums", async () => {
  const files = {
    "migrations/postgres/V1__a.sql": "CREATE TABLE IF NOT EXISTS a (id int);\n",
    "migrations/postgres/V2__a_much_longer_name.sql": "CREATE TABLE IF NOT EXISTS b (id int);\n",
    "migrations/aiml-postgres/V1__c.sql": "CREATE TABLE IF NOT EXISTS c (id int);\n",
    "seeds/postgres/reference/010_seed.sql": "SELECT 1;\n",
  };
  await withPgDatabase(async (url) => {
    await withPgDatabase(async (aimlUrl) => {
      await withProject(files, async (dir) => {
        const env = { POSTGRES_URL: url, AIML_POSTGRES_URL: aimlUrl };
        const scripts = [
          "V1__a.sql",
          "V2__a_much_longer_name.sql",
          "V1__c.sql",
          "reference/010_seed.sql",
        ];
        const dry = await runCli(["--dry-run"], { cwd: dir, env });
        assert.equal(dry.code, 0, dry.stderr);
        const dryLines = scripts.map((s) => lineWith(dry.stdout, ` ${s} `));
        for (const l of dryLines) {
          assert.match(l, /^\S+\s+\S+\s+pending\s+[0-9a-f]{12}\s+\d+ statements?$/, l);
          assert.ok(l.length < 100, `a dry-run line is short: ${l}`);
        }
        const columns = (l: string) => [
          l.indexOf(" pending ") + 1,
          l.search(/[0-9a-f]{12}/),
          l.search(/\d+ statements?$/),
        ];
        assert.equal(new Set(dryLines.map((l) => columns(l).join())).size, 1, dryLines.join("\n"));

        const run = await runCli([], { cwd: dir, env });
        assert.equal(run.code, 0, run.stderr);
        const lines = scripts.map((s) => lineWith(run.stdout, ` ${s} `));
        for (const l of lines) assert.match(l, /^\S+\s+\S+\s+applied\s+\d+ ms$/, l);
        // File, status and time columns start, and times end, at one place on every line.
        const at = (
          l: string,
        ) => [l.search(/[V0-9r]\S*\.sql/), l.indexOf(" applied ") + 1, l.length];
        assert.equal(new Set(lines.map((l) => at(l).join())).size, 1, lines.join("\n"));
      });
    });
  });
});

Deno.test("the lock-wait message names the holder's start in the short human form", async () => {
  await withPgDatabase(async (url) => {
    const files = { "migrations/postgres/V1__t.sql": "CREATE TABLE IF NOT EXISTS t (id int);\n" };
    await withProject(files, async (dir) => {
      const holder = postgres(url, { max: 1, onnotice: () => {} });
      try {
        await holder.unsafe("select pg_advisory_lock(1684172135)"); // db-migrate's key, "dbmg"
        const r = await runCli(["--lock-timeout=1"], { cwd: dir, env: { POSTGRES_URL: url } });
        assert.equal(r.code, 4, r.stderr);
        const wait = lineWith(r.stderr, "waiting for the migration lock");
        assert.match(wait, new RegExp(`connected since ${HUMAN_TIME.source}`), wait);
        assert.doesNotMatch(r.stderr, /GMT|Coordinated Universal Time/);
      } finally {
        await holder.end();
      }
    });
  });
});

Deno.test("a database without a URL: the message says how to leave it out, and following it works", async () => {
  const files = {
    "migrations/postgres/V1__t.sql": "CREATE TABLE IF NOT EXISTS t (id int);\n",
    "migrations/aiml-postgres/V1__t.sql": "CREATE TABLE IF NOT EXISTS t (id int);\n",
    "migrations/clickhouse/V1__t.sql": "CREATE TABLE IF NOT EXISTS t (id UInt8) ENGINE = Log;\n",
  };
  await withPgDatabase(async (url) => {
    await withPgDatabase(async (aimlUrl) => {
      await withProject(files, async (dir) => {
        const env = { POSTGRES_URL: url, AIML_POSTGRES_URL: aimlUrl };
        const r = await runCli([], { cwd: dir, env });
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, /database "clickhouse" has no URL: set CLICKHOUSE_URL/);
        const hint = lineWith(r.stderr, "hint:");
        assert.match(hint, /--database=aiml-postgres --database=postgres/, hint);
        assert.match(hint, /db-migrate\.yaml/);
        // --embedded does not stand in for ClickHouse: the hint does not offer it as if it did.
        assert.doesNotMatch(hint, /embedded PostgreSQL/);
        assert.match(hint, /--embedded stands in for PostgreSQL only/);

        const followed = await runCli(["--database=aiml-postgres", "--database=postgres"], {
          cwd: dir,
          env,
        });
        assert.equal(followed.code, 0, followed.stderr);
        assert.match(lastLine(followed.stdout), /^2 applied, 0 skipped, 0 failed/);
      });
    });
  });
});

Deno.test("db-migrate.yaml's list is the set of databases: an unlisted folder is not run and needs no URL", async () => {
  const files = {
    "db-migrate.yaml": "databases:\n  - postgres\n",
    "migrations/postgres/V1__t.sql": "CREATE TABLE IF NOT EXISTS t (id int);\n",
    "migrations/legacy/V1__old.sql": "CREATE TABLE IF NOT EXISTS old (id int);\n",
  };
  await withPgDatabase(async (url) => {
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(lastLine(r.stdout), /^1 applied, 0 skipped, 0 failed/);
      assert.doesNotMatch(r.stdout, /legacy/);
      assert.match(
        r.stderr,
        /"\.\/migrations\/legacy" is not listed in "db-migrate\.yaml": not run/,
      );

      const named = await runCli(["--database=legacy"], { cwd: dir, env });
      assert.equal(named.code, 2, named.stderr);
      assert.match(
        named.stderr,
        /--database=legacy names a folder that "db-migrate\.yaml" does not list/,
      );

      await Deno.writeTextFile(
        `${dir}/db-migrate.yaml`,
        "databases:\n  - postgres\n  - postgress\n",
      );
      const typo = await runCli([], { cwd: dir, env });
      assert.equal(typo.code, 2, typo.stderr);
      assert.match(
        typo.stderr,
        /database "postgress", listed in "db-migrate\.yaml" at line 3, has no folder/,
      );
    });
  });
});
