import assert from "node:assert/strict";
import {
  describeChanges,
  diffSnapshots,
  displayName,
  shorten,
  splitLast,
} from "../../src/verify/diff.ts";
import { type ObjectKind, type SnapshotObject, snapshotOf } from "../../src/verify/snapshot.ts";

const obj = (
  kind: ObjectKind,
  name: string,
  props: Record<string, string> = {},
): SnapshotObject => ({
  kind,
  name,
  props,
});

const users = [
  obj("table", "public.users", { owner: "postgres" }),
  obj("column", "public.users.id", { position: "1", type: "uuid", "not null": "yes" }),
  obj("column", "public.users.email", { position: "2", type: "text" }),
  obj("constraint", "public.users.users_email_key", { definition: "UNIQUE (email)" }),
  obj("index", "public.users_email_idx", {
    table: "public.users",
    definition: "CREATE INDEX users_email_idx ON public.users USING btree (email)",
  }),
  obj("rows", "public.users", { rows: "3", hash: "111" }),
];

/** The lines for the changes from `before` to `after`. */
function lines(before: SnapshotObject[], after: SnapshotObject[]): string[] {
  return describeChanges(diffSnapshots(snapshotOf(before), snapshotOf(after)));
}

Deno.test("diffSnapshots() finds nothing between equal snapshots", () => {
  assert.deepEqual(diffSnapshots(snapshotOf(users), snapshotOf([...users].reverse())), []);
});

Deno.test("an added column is named table.column and says its type, nullability and default", () => {
  const archived = obj("column", "public.projects.archived", {
    position: "3",
    type: "boolean",
    "not null": "yes",
    default: "false",
  });
  assert.deepEqual(lines([], [archived]), [
    'column "projects.archived" added (boolean not null default false)',
  ]);
  assert.deepEqual(lines([archived], []), ['column "projects.archived" removed']);
});

Deno.test("a changed index definition shows both definitions", () => {
  const after = users.map((o) =>
    o.kind === "index"
      ? obj("index", o.name, {
        ...o.props,
        definition: "CREATE UNIQUE INDEX users_email_idx ON public.users USING btree (email)",
      })
      : o
  );
  assert.deepEqual(lines(users, after), [
    'index "users_email_idx" definition changed: CREATE INDEX users_email_idx ON public.users ' +
    "USING btree (email) → CREATE UNIQUE INDEX users_email_idx ON public.users USING btree (email)",
  ]);
});

Deno.test("a changed multi-line definition shows the first line that differs", () => {
  const fn = (body: string) =>
    obj("function", "public.set_updated_at()", {
      definition: `CREATE OR REPLACE FUNCTION public.set_updated_at()\n RETURNS trigger\n` +
        ` LANGUAGE plpgsql\nAS $function$\nBEGIN\n  ${body}\nEND $function$\n`,
    });
  assert.deepEqual(lines([fn("NEW.updated_at := now();")], [fn("RETURN NEW;")]), [
    'function "set_updated_at()" definition changed: at line 6: NEW.updated_at := now(); → ' +
    "RETURN NEW;",
  ]);
});

Deno.test("a second unnamed constraint or index is called a copy of the first", () => {
  const after = [
    ...users,
    obj("constraint", "public.users.users_email_key1", { definition: "UNIQUE (email)" }),
    obj("index", "public.users_email_idx1", {
      table: "public.users",
      definition: "CREATE INDEX users_email_idx1 ON public.users USING btree (email)",
    }),
  ];
  assert.deepEqual(lines(users, after), [
    'constraint "users_email_key1" on "users" added (UNIQUE (email), a copy of "users_email_key")',
    'index "users_email_idx1" added (CREATE INDEX users_email_idx1 ON public.users USING btree ' +
    '(email), a copy of "users_email_idx")',
  ]);
});

Deno.test("a table added or removed is one line, without its columns, indexes and rows", () => {
  assert.deepEqual(lines([], users), ['table "users" added']);
  assert.deepEqual(lines(users, []), ['table "users" removed']);
});

Deno.test("a table's rows are counted, or called changed when only their values differ", () => {
  const rows = (n: string, hash: string) => obj("rows", "public.settings", { rows: n, hash });
  assert.deepEqual(lines([rows("1", "5")], [rows("2", "9")]), ['rows of "settings": 1 → 2 rows']);
  assert.deepEqual(lines([rows("4", "5")], [rows("4", "9")]), [
    'rows of "settings" changed (4 rows, same count)',
  ]);
});

Deno.test("schema changes come before data changes, each by kind and name", () => {
  const before = [obj("rows", "public.a", { rows: "1", hash: "1" }), obj("view", "public.z")];
  const after = [
    obj("rows", "public.a", { rows: "2", hash: "2" }),
    obj("view", "public.z", { comment: "z" }),
    obj("schema", "audit"),
  ];
  assert.deepEqual(lines(before, after), [
    'schema "audit" added',
    'view "z" comment changed: (none) → z',
    'rows of "a": 1 → 2 rows',
  ]);
});

Deno.test("flags read yes and no, other properties (none) when unset", () => {
  const col = (props: Record<string, string>) => obj("column", "audit.events.action", props);
  assert.deepEqual(
    lines([col({ type: "text" })], [
      col({ type: "text", "not null": "yes", default: "'x'::text" }),
    ]),
    [
      `column "audit.events.action" default changed: (none) → 'x'::text`,
      'column "audit.events.action" not null changed: no → yes',
    ],
  );
});

Deno.test("triggers, policies and rules are named with their table", () => {
  const before = [
    obj("trigger", "public.users.set_updated_at", { definition: "CREATE TRIGGER a" }),
  ];
  assert.deepEqual(lines(before, []), ['trigger "set_updated_at" on "users" removed']);
  assert.deepEqual(lines([], [obj("policy", 'app."Docs".owner_only', { command: "all" })]), [
    'policy "owner_only" on app."Docs" added',
  ]);
});

Deno.test("splitLast() and displayName() keep quoted names whole", () => {
  assert.deepEqual(splitLast('public."a.b".c'), ['public."a.b"', "c"]);
  assert.deepEqual(splitLast('public."a.b"'), ["public", '"a.b"']);
  assert.deepEqual(splitLast("users"), ["", "users"]);
  assert.equal(displayName("public.users"), '"users"');
  assert.equal(displayName("audit.events"), '"audit.events"');
  assert.equal(displayName('public."Users"'), '"Users"');
});

Deno.test("shorten() keeps both ends of a long value on one line", () => {
  assert.equal(shorten("a\n  b"), "a b");
  const long = "x".repeat(50) + "MIDDLE" + "y".repeat(50);
  const short = shorten(long, 40);
  assert.ok(short.length <= 40, short);
  assert.match(short, /^x+ \.\.\. y+$/);
});
