import assert from "node:assert/strict";
import { ApplyError, InterruptedError } from "../../src/core/errors.ts";
import type { Change } from "../../src/verify/diff.ts";
import {
  describeVerdict,
  failureOf,
  isFinding,
  missingExtension,
  type Verdict,
} from "../../src/verify/idempotency.ts";
import { locateChange } from "../../src/verify/locate.ts";

const duplicate = new ApplyError({
  database: "postgres",
  script: "V007__projects.sql",
  serverMessage: 'relation "projects" already exists (SQLSTATE 42P07)\n  detail: none',
  line: 3,
  column: 1,
  statement: "CREATE TABLE projects (\n  id int\n)",
});

Deno.test("failureOf() reads the message, SQLSTATE and position of an ApplyError", () => {
  assert.deepEqual(failureOf(duplicate), {
    message: 'relation "projects" already exists',
    sqlstate: "42P07",
    line: 3,
    column: 1,
    statement: "CREATE TABLE projects (\n  id int\n)",
  });
});

Deno.test("failureOf() reads a server error that did not go through the driver", () => {
  const err = Object.assign(new Error('type "vector" does not exist'), {
    severity: "ERROR",
    code: "42704",
  });
  assert.deepEqual(failureOf(err), { message: 'type "vector" does not exist', sqlstate: "42704" });
});

Deno.test("failureOf() passes on what is not the file's failure", () => {
  assert.equal(failureOf(new InterruptedError("SIGTERM")), null);
  assert.equal(failureOf(new Error("write EPIPE")), null);
  assert.equal(failureOf(null), null);
});

Deno.test("missingExtension() reads both ways PostgreSQL says an extension is missing", () => {
  assert.equal(missingExtension({ message: 'extension "vector" is not available' }), "vector");
  assert.equal(
    missingExtension({
      message: 'could not open extension control file "/usr/share/postgresql/12/extension/' +
        'postgis.control": No such file or directory',
    }),
    "postgis",
  );
  assert.equal(missingExtension({ message: 'relation "x" does not exist' }), null);
});

Deno.test("a second run that fails reads as the issue shows it, with the statement", () => {
  const v: Verdict = {
    script: "V007__projects.sql",
    status: "second run fails",
    failure: failureOf(duplicate)!,
    hint: "use CREATE TABLE IF NOT EXISTS",
    changes: [],
  };
  assert.deepEqual(describeVerdict(v), [
    'V007__projects.sql: second run fails: relation "projects" already exists (42P07) at 3:1 — ' +
    "use CREATE TABLE IF NOT EXISTS",
    "  statement: CREATE TABLE projects (\n      id int\n    )",
  ]);
  assert.equal(isFinding(v), true);
});

const grew: Change = {
  type: "changed",
  before: { kind: "rows", name: "public.settings", props: { rows: "1", hash: "1" } },
  after: { kind: "rows", name: "public.settings", props: { rows: "2", hash: "2" } },
  props: ["hash", "rows"],
};

Deno.test("a second run that changes data names the line, the change and the statement", () => {
  const v: Verdict = {
    script: "V002__settings.sql",
    status: "second run changes",
    changes: [grew],
    at: { line: 3, column: 1, statement: "INSERT INTO settings VALUES ('a', 'b')" },
    restoredLater: false,
    hint: "the file inserts its rows again",
  };
  assert.deepEqual(describeVerdict(v), [
    "V002__settings.sql: second run changes the data at 3:1 — the file inserts its rows again",
    '  - rows of "settings": 1 → 2 rows',
    "  statement: INSERT INTO settings VALUES ('a', 'b')",
  ]);
});

Deno.test("a skipped file names the extension and is no finding; an idempotent file says nothing", () => {
  const skipped: Verdict = { script: "V001__vector.sql", status: "skipped", extension: "vector" };
  assert.deepEqual(describeVerdict(skipped, { server: "the scratch database" }), [
    'V001__vector.sql: skipped: the scratch database has no extension "vector", so this file ' +
    "and what needs it are not verified here; rehearse them on a server that has it (verify " +
    "--against=URL)",
  ]);
  assert.equal(isFinding(skipped), false);
  assert.deepEqual(describeVerdict({ script: "V1__a.sql", status: "idempotent" }), []);
});

const statements = [
  { line: 1, column: 1, text: "CREATE TABLE IF NOT EXISTS settings (key text, value text)" },
  { line: 3, column: 1, text: "INSERT INTO settings (key, value) VALUES ('theme', 'dark')" },
  { line: 5, column: 3, text: "ALTER TABLE projects ADD COLUMN IF NOT EXISTS archived boolean" },
  { line: 7, column: 1, text: 'CREATE INDEX ON "Projects" (name)' },
];

Deno.test("locateChange() finds the statement that writes the table whose rows changed", () => {
  assert.deepEqual(locateChange([grew], { format: "sql", text: "" }, statements), {
    line: 3,
    column: 1,
    statement: statements[1]!.text,
  });
});

Deno.test("locateChange() finds a column's ALTER TABLE and an unnamed index's CREATE INDEX", () => {
  const column: Change = {
    type: "changed",
    before: { kind: "column", name: "public.projects.archived", props: { type: "boolean" } },
    after: { kind: "column", name: "public.projects.archived", props: { type: "text" } },
    props: ["type"],
  };
  assert.equal(locateChange([column], { format: "sql", text: "" }, statements)?.line, 5);
  const index: Change = {
    type: "added",
    object: {
      kind: "index",
      name: 'public."Projects_name_idx1"',
      props: { table: 'public."Projects"' },
    },
  };
  assert.equal(locateChange([index], { format: "sql", text: "" }, statements)?.line, 7);
});

Deno.test("locateChange() finds a YAML seed's table key, and nothing where nothing fits", () => {
  const yaml = '# roles\nroles:\n  key: [key]\n"audit.events":\n  - {}\n';
  const audit: Change = {
    ...grew,
    before: { ...grew.before, name: "audit.events" },
    after: { ...grew.after, name: "audit.events" },
  } as Change;
  assert.deepEqual(locateChange([audit], { format: "yaml", text: yaml }, null), {
    line: 4,
    column: 1,
  });
  assert.equal(locateChange([grew], { format: "yaml", text: yaml }, null), null);
  assert.equal(locateChange([grew], { format: "csv", text: "" }, null), null);
});
