// `db-migrate verify` as a process: the idempotency check on a scratch PGlite (the examples verify
// clean; files that break the rule are caught with file, line and statement; nothing stays behind
// but the cached empty cluster), and the rehearsal of pending files on a real PostgreSQL, which
// leaves the database exactly as it was.
import assert from "node:assert/strict";
import { lastLine, pgQuery, ROOT, runCli, withPgDatabase } from "../helpers.ts";
import { BAD_WITH_VECTOR } from "../verify/_fixtures.ts";
import { hasTrackingTable, trackingRows, withProject } from "./_util.ts";
import { takeSnapshot } from "../../src/verify/snapshot.ts";

// PGlite runs in the CLI's process, not here; the CLI runs are children.
const slow = { signal: AbortSignal.timeout(180_000) };

/** Every path under dir, relative, sorted (directories end with /). */
async function tree(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(`${dir}/${prefix}`)) {
    const rel = `${prefix}${e.name}`;
    if (e.isDirectory) out.push(`${rel}/`, ...await tree(dir, `${rel}/`));
    else out.push(rel);
  }
  return out.sort();
}

Deno.test("verify: the examples verify clean (exit 0) and only the cached empty cluster stays", async () => {
  await withProject({}, async (dir) => {
    const r = await runCli([
      "verify",
      "--seed=sample",
      `--migrations=${ROOT}/migrations`,
      `--seeds=${ROOT}/seeds`,
    ], { cwd: dir, ...slow });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const out = r.stdout.trim().split("\n");
    assert.deepEqual(out.slice(0, -1), [
      "aiml-postgres: 8 files applied twice on a scratch embedded PostgreSQL (PGlite, in memory): " +
      "every file is idempotent",
      "postgres: 16 files applied twice on a scratch embedded PostgreSQL (PGlite, in memory): " +
      "every file is idempotent",
    ]);
    assert.match(lastLine(r.stdout), /^24 files verified, 0 not idempotent, 0 skipped; [\d.]+ s$/);
    assert.match(r.stderr, /^clickhouse: skipped: verify covers PostgreSQL only$/m);
    // No database is left: the scratch PGlite lived in memory. The empty cluster is a cache.
    const left = await tree(dir);
    assert.equal(left.length, 3, left.join("\n"));
    assert.deepEqual(left.slice(0, 2), [".db-migrate/", ".db-migrate/.verify/"]);
    assert.match(left[2]!, /^\.db-migrate\/\.verify\/pglite-cluster-[0-9a-f]{12}\.tar\.gz$/);
  });
});

Deno.test("verify: a CREATE TABLE, an INSERT without a key and an ADD COLUMN that break the rule exit 1 with file and line", async () => {
  await withProject(BAD_WITH_VECTOR, async (dir) => {
    const r = await runCli(["verify"], { cwd: dir, ...slow });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const lines = r.stdout.split("\n");
    const has = (line: string) =>
      assert.ok(lines.includes(line), `missing:\n${line}\n\n${r.stdout}`);
    has("app: 13 files applied twice on a scratch embedded PostgreSQL (PGlite, in memory):");
    has(
      'V001__projects.sql: second run fails: relation "projects" already exists (42P07) at 2:1 — ' +
        "use CREATE TABLE IF NOT EXISTS",
    );
    has("  statement: CREATE TABLE projects (");
    has(
      "V002__settings.sql: second run changes the data at 3:1 — the file inserts its rows again: " +
        "give the table a unique key and use INSERT ... ON CONFLICT DO NOTHING, or insert WHERE " +
        "NOT EXISTS",
    );
    has('  - rows of "settings": 1 → 2 rows');
    has("  statement: INSERT INTO settings (key, value) VALUES ('theme', 'dark')");
    has(
      'V003__archived.sql: second run fails: column "archived" of relation "projects" already ' +
        "exists (42701) at 3:1 — use ALTER TABLE ... ADD COLUMN IF NOT EXISTS",
    );
    has("  statement: ALTER TABLE projects ADD COLUMN archived boolean NOT NULL DEFAULT false");
    // The extension PGlite lacks is a notice naming it, never a failure of the file.
    has(
      'V010__vector.sql: skipped: the embedded PostgreSQL (PGlite) has no extension "vector", so ' +
        "this file and what needs it are not verified here; rehearse them on a server that has " +
        "it (verify --against=URL)",
    );
    assert.match(r.stdout, /^V011__items\.sql: not verified: /m);
    assert.match(r.stdout, /^reference\/010_roles\.sql: second run fails: .*\(23505\) at 2:1/m);
    // Idempotent files have no line.
    assert.doesNotMatch(r.stdout, /^(V007|V008|reference\/020)/m);
    assert.match(
      lastLine(r.stdout),
      /^11 files verified, 7 not idempotent, 1 skipped, 1 not verified; exit 1; [\d.]+ s$/,
    );
  });
});

Deno.test("verify --json: one document with each file's verdict as data", async () => {
  const files = {
    "migrations/app/V001__t.sql": "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY);\n",
    "migrations/app/V002__col.sql": "ALTER TABLE t ADD COLUMN note text;\n",
  };
  await withProject(files, async (dir) => {
    const r = await runCli(["verify", "--json"], { cwd: dir, ...slow });
    assert.equal(r.code, 1, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.mode, "verify");
    assert.equal(doc.ok, false);
    assert.deepEqual(doc.summary, {
      verified: 2,
      notIdempotent: 1,
      skipped: 0,
      notVerified: 0,
      rehearsed: 0,
      failed: 0,
      notRehearsable: 0,
      notRun: 0,
    });
    const [db] = doc.databases;
    assert.equal(db.verify.check, "idempotency");
    assert.deepEqual(db.verify.verdicts[0], { script: "V001__t.sql", status: "idempotent" });
    const v2 = db.verify.verdicts[1];
    assert.equal(v2.status, "second run fails");
    assert.deepEqual([v2.failure.sqlstate, v2.failure.line, v2.failure.column], ["42701", 1, 1]);
    assert.match(v2.hint, /ADD COLUMN IF NOT EXISTS/);
  });
});

Deno.test("verify: configuration errors exit 2 before any database starts", async () => {
  const cases: [Record<string, string>, string[], RegExp][] = [
    [{ "migrations/app/V1_bad.sql": "select 1;\n" }, ["verify"], /V1_bad\.sql/],
    [{ "migrations/app/V1__a.sql": "select 1;\n" }, ["verify", "--rehearse"], /has no URL/],
    [{ "migrations/app/V1__a.sql": "select 1;\n" }, ["verify", "--against=x"], /PostgreSQL URL/],
    [
      { "migrations/a/V1__a.sql": "select 1;\n", "migrations/b/V1__b.sql": "select 1;\n" },
      ["verify", "--against=postgres://u@127.0.0.1:1/x"],
      /2 PostgreSQL databases are selected \(a, b\): pick one with --database=NAME/,
    ],
    [{ "migrations/app/V1__a.sql": "select 1;\n" }, ["--rehearse"], /belongs to the verify/],
    [{ "migrations/app/V1__a.sql": "select 1;\n" }, ["verify", "--bogus"], /bogus/],
    [
      { "migrations/app/V1__a.sql": "select 1;\n" },
      ["verify", "--rehearse", "--against=postgres://u@h/x"],
      /cannot be used together/,
    ],
  ];
  for (const [files, args, message] of cases) {
    await withProject(files, async (dir) => {
      const r = await runCli(args, { cwd: dir });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
      // Nothing started: no scratch cluster was even made.
      assert.deepEqual(await tree(dir).then((t) => t.filter((p) => p.startsWith(".db"))), []);
    });
  }
});

const APPLIED = {
  "migrations/postgres/V001__projects.sql": `CREATE TABLE IF NOT EXISTS projects (
  id int PRIMARY KEY,
  name text NOT NULL
);
INSERT INTO projects VALUES (1, 'demo') ON CONFLICT DO NOTHING;
`,
};

const PENDING = {
  ...APPLIED,
  "migrations/postgres/V002__tasks.sql": `CREATE TABLE IF NOT EXISTS tasks (
  id serial PRIMARY KEY,
  project_id int NOT NULL REFERENCES projects (id)
);
INSERT INTO tasks (project_id) VALUES (1);
`,
  "migrations/postgres/V003__index.sql":
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS projects_name_idx ON projects (name);\n",
  "migrations/postgres/V004__owner.sql": `-- owners
ALTER TABLE projects ADD COLUMN IF NOT EXISTS owner text;
UPDATE projects SET owner = 'x' WHERE id = 1;
ALTER TABLE tasks ADD COLUMN IF NOT EXISTS owner text REFERENCES users (email);
`,
  "migrations/postgres/V005__later.sql": "CREATE TABLE IF NOT EXISTS later (id int);\n",
  "seeds/postgres/reference/010_projects.yaml": "projects:\n  rows:\n    - { id: 2, name: two }\n",
};

/** What a rehearsal must not change: the schema dump, every row, and the tracking rows. */
async function state(url: string) {
  const dump = await new Deno.Command("pg_dump", {
    args: ["--schema-only", "--no-owner", url],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(dump.code, 0, new TextDecoder().decode(dump.stderr));
  const snapshot = await takeSnapshot((sql) => pgQuery(url, sql));
  const tracked = await hasTrackingTable(url) ? await trackingRows(url) : null;
  // pg_dump's \restrict lines carry a random key per dump.
  const text = new TextDecoder().decode(dump.stdout).replace(/^\\(un)?restrict .*$/gm, "");
  return { dump: text, snapshot, tracked };
}

Deno.test("verify --against rehearses the pending files, reports the failing one at its line, and leaves the database as it was", async () => {
  await withPgDatabase(async (url) => {
    await withProject(APPLIED, async (dir) => {
      const first = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(first.code, 0, first.stderr);
    });
    await withProject(PENDING, async (dir) => {
      const before = await state(url);
      const r = await runCli(["verify", `--against=${url}`], { cwd: dir });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const name = new URL(url).pathname.slice(1);
      const out = r.stdout.trim().split("\n").slice(0, -1).map((l) => l.replace(/\d+ ms/, "N ms"));
      assert.deepEqual(out, [
        `postgres: 5 pending files on postgres://postgres@127.0.0.1:5432/${name} (1 migration ` +
        "applied before them), rehearsed in one transaction that was rolled back:",
        "V002__tasks.sql: applies (N ms, rolled back)",
        "V003__index.sql: not rehearsable: it runs outside a transaction (no transaction: CREATE " +
        "INDEX CONCURRENTLY at line 1), so what it does could not be rolled back; the files after " +
        "it are rehearsed without it",
        'V004__owner.sql: fails at 4:1: relation "users" does not exist (42P01)',
        "  statement: ALTER TABLE tasks ADD COLUMN IF NOT EXISTS owner text REFERENCES users (email)",
        "  hint: it may need V003__index.sql, which could not be rehearsed",
        "V005__later.sql: not rehearsed: the rehearsal stopped at V004__owner.sql, as a run would",
        "reference/010_projects.yaml: not rehearsed: the rehearsal stopped at V004__owner.sql, as a " +
        "run would",
      ]);
      assert.match(
        lastLine(r.stdout),
        /^2 pending files rehearsed, 1 failed, 1 not rehearsable, 2 not run; rolled back: nothing changed; exit 1; [\d.]+ s$/,
      );
      const after = await state(url);
      assert.equal(after.dump, before.dump);
      assert.deepEqual(after.snapshot, before.snapshot);
      assert.deepEqual(after.tracked, before.tracked);
      assert.equal(after.tracked?.length, 1);
    });
  });
});

Deno.test("verify --rehearse on a database with no tracking table applies everything, rolled back, and creates nothing", async () => {
  await withPgDatabase(async (url) => {
    const files: Record<string, string> = {
      ...PENDING,
      "seeds/postgres/full/010_projects.csv": "id,name\n3,three\n4,four\n",
      "seeds/postgres/full/020_projects.csv": "id,name\n5,five\n",
      // Left out with a notice: it needs no URL.
      "migrations/clickhouse/V1__events.sql":
        "CREATE TABLE IF NOT EXISTS e (id UInt8) ENGINE = Log;\n",
    };
    delete files["migrations/postgres/V004__owner.sql"];
    await withProject(files, async (dir) => {
      const before = await state(url);
      const r = await runCli(["verify", "--rehearse", "--seed=full"], {
        cwd: dir,
        env: { POSTGRES_URL: url },
      });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.match(
        r.stdout,
        /^postgres: 7 pending files on .* \(0 migrations applied before them\)/m,
      );
      assert.match(r.stderr, /^clickhouse: skipped: verify covers PostgreSQL only$/m);
      assert.match(r.stdout, /^V001__projects\.sql: applies \(\d+ ms, rolled back\)$/m);
      assert.match(r.stdout, /^reference\/010_projects\.yaml: applies \(\d+ ms, rolled back\)$/m);
      // Two CSV seeds, each staged in a temporary table that goes with its savepoint's file.
      assert.match(r.stdout, /^full\/010_projects\.csv: applies \(\d+ ms, rolled back\)$/m);
      assert.match(r.stdout, /^full\/020_projects\.csv: applies \(\d+ ms, rolled back\)$/m);
      assert.match(
        lastLine(r.stdout),
        /^6 pending files rehearsed, 0 failed, 1 not rehearsable; rolled back: nothing changed; [\d.]+ s$/,
      );
      const after = await state(url);
      assert.equal(after.tracked, null, "no tracking table was created");
      assert.equal(after.dump, before.dump);
      assert.deepEqual(after.snapshot, before.snapshot);
    });
  });
});

Deno.test("verify --rehearse stops on drift with exit 3, as a run does, and changes nothing", async () => {
  await withPgDatabase(async (url) => {
    await withProject(APPLIED, async (dir) => {
      const first = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(first.code, 0, first.stderr);
    });
    const changed = {
      ...PENDING,
      "migrations/postgres/V001__projects.sql": "CREATE TABLE IF NOT EXISTS projects (id int);\n",
    };
    await withProject(changed, async (dir) => {
      const before = await state(url);
      const r = await runCli(["verify", "--rehearse"], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.match(r.stderr, /V001__projects\.sql/);
      assert.match(lastLine(r.stdout), /^nothing verified; exit 3 CHECKSUM_MISMATCH; [\d.]+ s$/);
      assert.deepEqual(await state(url), before);
    });
  });
});
