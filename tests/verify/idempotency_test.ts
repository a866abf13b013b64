// The idempotency check on real databases, files applied through the PostgreSQL driver as a run
// applies them: the examples verify clean on PGlite, and files that break the rule are caught with
// file, line and statement, on PGlite and on PostgreSQL 15 alike.
import assert from "node:assert/strict";
import { makeProject, ROOT, withPgDatabase } from "../helpers.ts";
import { describeChanges } from "../../src/verify/diff.ts";
import {
  describeVerdict,
  type IdempotencyResult,
  isFinding,
  type Verdict,
} from "../../src/verify/idempotency.ts";
import { BAD, BAD_WITH_VECTOR } from "./_fixtures.ts";
import { projectFiles, serverQuery, startPglite, verifyFiles } from "./_harness.ts";
import type { SeedMode } from "../../src/core/types.ts";

/** The check of a database folder on a fresh PGlite. */
async function onPglite(root: string, database: string, seed: SeedMode) {
  const files = projectFiles(root, database, seed);
  const scratch = await startPglite(files.map((f) => f.text));
  try {
    return await verifyFiles(scratch, files, database, { embedded: true });
  } finally {
    await scratch.close();
  }
}

/** The check of a database folder on a fresh PostgreSQL 15 database. */
function onServer(
  root: string,
  database: string,
  seed: SeedMode,
  fingerprint?: false,
): Promise<IdempotencyResult> {
  return withPgDatabase(async (url) => {
    const client = serverQuery(url);
    try {
      const files = projectFiles(root, database, seed);
      return await verifyFiles({ url, ...client }, files, database, {
        embedded: false,
        ...(fingerprint === false ? { fingerprint } : {}),
      });
    } finally {
      await client.close();
    }
  });
}

const byScript = (r: IdempotencyResult) => new Map(r.verdicts.map((v) => [v.script, v]));

Deno.test("the examples verify clean on PGlite: every migration and seed can run twice", async () => {
  for (const [database, seed] of [["postgres", "sample"], ["aiml-postgres", "full"]] as const) {
    const result = await onPglite(ROOT, database, seed);
    const lines = result.verdicts.flatMap((v) => describeVerdict(v));
    assert.deepEqual(lines, [], `${database}:\n${lines.join("\n")}`);
    assert.ok(result.verdicts.every((v) => v.status === "idempotent"));
    assert.ok(result.verdicts.some((v) => v.script.endsWith(".yaml")), "seeds were verified");
    assert.deepEqual(describeChanges(result.overall), []);
    // Files that write nothing on their second run cost no snapshot.
    assert.ok(result.snapshots < result.verdicts.length + 1, `${result.snapshots} snapshots`);
  }
});

/** What BAD's files must get, as the lines a user reads. */
function assertBadCaught(v: Map<string, Verdict>) {
  const lines = (script: string) => describeVerdict(v.get(script)!);
  assert.deepEqual(lines("V001__projects.sql"), [
    'V001__projects.sql: second run fails: relation "projects" already exists (42P07) at 2:1 — ' +
    "use CREATE TABLE IF NOT EXISTS",
    "  statement: CREATE TABLE projects (\n      id serial PRIMARY KEY,\n      name text NOT NULL\n    )",
  ]);
  assert.deepEqual(lines("V002__settings.sql"), [
    "V002__settings.sql: second run changes the data at 3:1 — the file inserts its rows again: " +
    "give the table a unique key and use INSERT ... ON CONFLICT DO NOTHING, or insert WHERE NOT " +
    "EXISTS",
    '  - rows of "settings": 1 → 2 rows',
    "  statement: INSERT INTO settings (key, value) VALUES ('theme', 'dark')",
  ]);
  assert.deepEqual(lines("V003__archived.sql"), [
    'V003__archived.sql: second run fails: column "archived" of relation "projects" already ' +
    "exists (42701) at 3:1 — use ALTER TABLE ... ADD COLUMN IF NOT EXISTS",
    "  statement: ALTER TABLE projects ADD COLUMN archived boolean NOT NULL DEFAULT false",
  ]);
  const index = lines("V004__index.sql");
  assert.match(
    index[0]!,
    /^V004__index\.sql: second run changes the database at 1:1 — the index has no name of its own/,
  );
  assert.equal(
    index[1],
    '  - index "projects_name_idx1" added (CREATE INDEX projects_name_idx1 ON public.projects ' +
      'USING btree (name), a copy of "projects_name_idx")',
  );
  const answer = lines("V005__answer.sql");
  assert.match(
    answer[0]!,
    /^V005__answer\.sql: second run changes the database at 1:1 \(V006__answer_again\.sql changes it back\)/,
  );
  assert.match(answer[1]!, /function "answer\(\)" definition changed: .*select 2.* → .*select 1/);
  // The later file puts back what V005's second run changed: that is no fault of its own.
  assert.equal(v.get("V006__answer_again.sql")?.status, "idempotent");
  assert.equal(v.get("V007__roles.sql")?.status, "idempotent");
  // Rows written again with the same values are no change; with other values they are.
  assert.equal(v.get("V008__touch.sql")?.status, "idempotent");
  assert.deepEqual(lines("V009__heartbeat.sql"), [
    "V009__heartbeat.sql: second run changes the data at 2:1 — the file writes rows again with " +
    "other values: write only what differs (ON CONFLICT ... DO UPDATE ... WHERE ... IS DISTINCT " +
    "FROM ...), and no now() or random() into rows that exist",
    '  - rows of "heartbeat" changed (1 row, same count)',
    "  statement: INSERT INTO heartbeat VALUES (1, clock_timestamp())\n" +
    "      ON CONFLICT (id) DO UPDATE SET at = excluded.at",
  ]);
  assert.deepEqual(lines("reference/010_roles.sql"), [
    "reference/010_roles.sql: second run fails: duplicate key value violates unique constraint " +
    '"roles_pkey" (23505) at 2:1 — add ON CONFLICT (key) DO NOTHING, or DO UPDATE to keep the ' +
    "row current",
    "  statement: INSERT INTO roles (key, name) VALUES ('owner', 'Owner')",
  ]);
  assert.equal(v.get("reference/020_projects.yaml")?.status, "idempotent");
}

Deno.test("files that break the rule are caught with file, line and statement on PGlite", async () => {
  const project = await makeProject(BAD_WITH_VECTOR);
  try {
    const result = await onPglite(project.dir, "app", "reference");
    const v = byScript(result);
    assertBadCaught(v);
    // An extension PGlite lacks is no fault of the file; what needs it is left unverified, and
    // the files after it are verified still.
    assert.deepEqual(describeVerdict(v.get("V010__vector.sql")!), [
      'V010__vector.sql: skipped: the embedded PostgreSQL (PGlite) has no extension "vector", ' +
      "so this file and what needs it are not verified here; rehearse them on a server that has " +
      "it (verify --against=URL)",
    ]);
    assert.equal(isFinding(v.get("V010__vector.sql")!), false);
    assert.deepEqual(describeVerdict(v.get("V011__items.sql")!), [
      "V011__items.sql: not verified: its first run fails after V010__vector.sql was skipped: " +
      'type "vector" does not exist',
    ]);
    assert.deepEqual(result.verdicts.filter(isFinding).map((x) => x.script), [
      "V001__projects.sql",
      "V002__settings.sql",
      "V003__archived.sql",
      "V004__index.sql",
      "V005__answer.sql",
      "V009__heartbeat.sql",
      "reference/010_roles.sql",
    ]);
  } finally {
    await project.cleanup();
  }
});

Deno.test("files that break the rule are caught the same on PostgreSQL 15, with or without fingerprints", async () => {
  const project = await makeProject(BAD);
  try {
    const fast = await onServer(project.dir, "app", "reference");
    assertBadCaught(byScript(fast));
    // Fingerprints only save snapshots: a snapshot after every file finds the same.
    const slow = await onServer(project.dir, "app", "reference", false);
    const read = (r: IdempotencyResult) => r.verdicts.map((x) => describeVerdict(x));
    assert.deepEqual(read(slow), read(fast));
    assert.ok(fast.snapshots < slow.snapshots, `${fast.snapshots} vs ${slow.snapshots}`);
    assert.deepEqual(describeChanges(fast.overall), [
      'index "projects_name_idx1" added (CREATE INDEX projects_name_idx1 ON public.projects ' +
      'USING btree (name), a copy of "projects_name_idx")',
      'rows of "heartbeat" changed (1 row, same count)',
      'rows of "settings": 1 → 2 rows',
    ]);
  } finally {
    await project.cleanup();
  }
});

Deno.test("a file that fails its first run stops the check, and a file run outside a transaction is checked too", async () => {
  const project = await makeProject({
    "migrations/app/V001__t.sql": "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, name text);\n",
    "migrations/app/V002__idx.sql":
      "-- db-migrate: no-transaction\nCREATE INDEX CONCURRENTLY t_name_idx ON t (name);\n",
    "migrations/app/V003__broken.sql":
      "ALTER TABLE t ADD COLUMN IF NOT EXISTS x int;\nSELECT 1/0;\n",
    "migrations/app/V004__after.sql": "CREATE TABLE IF NOT EXISTS u (id int);\n",
  });
  try {
    const v = byScript(await onServer(project.dir, "app", "none"));
    assert.deepEqual(describeVerdict(v.get("V002__idx.sql")!), [
      'V002__idx.sql: second run fails: relation "t_name_idx" already exists (42P07) at 2:1 — ' +
      "use CREATE INDEX IF NOT EXISTS (with a name: an unnamed index is created again)",
      "  statement: CREATE INDEX CONCURRENTLY t_name_idx ON t (name)",
    ]);
    assert.deepEqual(describeVerdict(v.get("V003__broken.sql")!), [
      "V003__broken.sql: first run fails: division by zero (22012) at 2:1",
      "  statement: SELECT 1/0",
    ]);
    assert.deepEqual(describeVerdict(v.get("V004__after.sql")!), [
      "V004__after.sql: not verified: the first run stopped at V003__broken.sql",
    ]);
    assert.equal(v.get("V001__t.sql")?.status, "idempotent");
  } finally {
    await project.cleanup();
  }
});
