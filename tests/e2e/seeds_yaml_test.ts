// YAML seeds end to end: the contract's example, upserts that leave unchanged rows alone, !bcrypt
// hashes kept or replaced, !ref lookups, injection attempts, error positions and rollback.
import assert from "node:assert/strict";
import bcrypt from "bcryptjs";
import { lastLine, pgQuery, runCli, runOn, seedProject, withPgDatabase } from "../helpers.ts";
import { lineWith, tableExists, trackingRows, withProject } from "./_util.ts";

/** A schema for the contract's example, with updated_at triggers like the project's own. */
const SCHEMA = `CREATE EXTENSION IF NOT EXISTS citext;
CREATE SCHEMA IF NOT EXISTS audit;
CREATE OR REPLACE FUNCTION set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW IS DISTINCT FROM OLD THEN NEW.updated_at := clock_timestamp(); END IF;
  RETURN NEW;
END $$;
CREATE TABLE IF NOT EXISTS organizations (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug text NOT NULL UNIQUE,
  name text NOT NULL,
  plan text NOT NULL DEFAULT 'free',
  settings jsonb NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email citext NOT NULL UNIQUE,
  name text NOT NULL,
  password_hash text CHECK (password_hash ~ '^\\$2[aby]\\$[0-9]{2}\\$[./A-Za-z0-9]{53}$'),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS memberships (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id),
  organization_id uuid NOT NULL REFERENCES organizations (id),
  role text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, user_id)
);
CREATE TABLE IF NOT EXISTS audit.events (
  id bigint PRIMARY KEY,
  action text NOT NULL CHECK (action ~ '^[a-z]+\\.[a-z]+$'),
  tags text[] NOT NULL DEFAULT '{}',
  metadata jsonb NOT NULL DEFAULT '{}',
  at timestamptz
);
CREATE TABLE IF NOT EXISTS notes (id integer PRIMARY KEY, body text);
DROP TRIGGER IF EXISTS set_updated_at ON organizations;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON organizations FOR EACH ROW EXECUTE FUNCTION set_updated_at();
DROP TRIGGER IF EXISTS set_updated_at ON users;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION set_updated_at();
DROP TRIGGER IF EXISTS set_updated_at ON memberships;
CREATE TRIGGER set_updated_at BEFORE UPDATE ON memberships FOR EACH ROW EXECUTE FUNCTION set_updated_at();
`;

/** The contract's example, word for word. */
const EXAMPLE = Deno.readTextFileSync(
  new URL("../fixtures/contract_example.yaml", import.meta.url),
);

const SEED = "seeds/postgres/reference/010_example.yaml";

const project = (seed: string, extra: Record<string, string> = {}) =>
  seedProject("migrations/postgres/V1__schema.sql", SCHEMA, SEED, seed, extra);

/** Low cost keeps the tests fast; one test checks the default. */
const ENV = { BCRYPT_COST: "4" };

const apply = (dir: string, url: string, args: string[] = [], env: Record<string, string> = ENV) =>
  runOn(url, dir, args, env);

/** Every row of the example's tables with its xmin and updated_at: equal snapshots mean untouched. */
async function snapshot(url: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const t of ["organizations", "users", "memberships"]) {
    out.push(
      ...await pgQuery(
        url,
        `SELECT '${t}' AS t, xmin::text AS xmin, * FROM ${t} ORDER BY id`,
      ),
    );
  }
  return out;
}

Deno.test("the contract's YAML example round-trips: rows written, refs resolved, the password hashed", async () => {
  await withPgDatabase(async (url) => {
    await withProject(project(EXAMPLE), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 0, r.stderr + r.stdout);
      assert.match(
        lineWith(r.stdout, "010_example.yaml"),
        /applied .*3 rows in 3 tables: 3 inserted/,
      );
      assert.match(lastLine(r.stdout), /^2 applied, 0 skipped, 0 failed/);

      const [org] = await pgQuery(url, "SELECT id, slug, name, plan FROM organizations");
      assert.deepEqual({ ...org, id: undefined }, {
        id: undefined,
        slug: "acme",
        name: "Acme Corp",
        plan: "pro",
      });
      const [user] = await pgQuery(url, "SELECT id, email, name, password_hash FROM users");
      assert.equal(user?.email, "admin@acme.test");
      const hash = String(user?.password_hash);
      assert.ok(bcrypt.compareSync("change-me", hash), "the stored hash verifies");
      assert.ok(hash.startsWith("$2b$04$"), `BCRYPT_COST is used: ${hash}`);
      const [m] = await pgQuery(url, "SELECT user_id, organization_id, role FROM memberships");
      assert.deepEqual(m, { user_id: user?.id, organization_id: org?.id, role: "owner" });

      const seeds = (await trackingRows(url)).filter((t) => t.kind === "seed");
      assert.deepEqual(seeds.map((s) => [s.script, s.success]), [[
        "reference/010_example.yaml",
        true,
      ]]);

      const again = await apply(dir, url);
      assert.match(lastLine(again.stdout), /^0 applied, 2 skipped, 0 failed/);
    });
  });
});

Deno.test("a YAML seed applied again changes nothing: same row counts, updated_at, xmin and hashes", async () => {
  await withPgDatabase(async (url) => {
    await withProject(project(EXAMPLE), async (dir) => {
      assert.equal((await apply(dir, url)).code, 0);
      const before = await snapshot(url);
      // A changed comment changes the checksum, so the whole file is applied again.
      await Deno.writeTextFile(`${dir}/${SEED}`, EXAMPLE + "# reviewed\n");
      const r = await apply(dir, url);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        lineWith(r.stdout, "010_example.yaml"),
        /3 rows in 3 tables: 0 inserted, 0 updated, 3 unchanged; changed, applied again/,
      );
      assert.deepEqual(await snapshot(url), before);
    });
  });
});

Deno.test("a changed value is updated; a hash is kept while its password is unchanged and replaced when it changes", async () => {
  await withPgDatabase(async (url) => {
    await withProject(project(EXAMPLE), async (dir) => {
      assert.equal((await apply(dir, url)).code, 0);
      const [u1] = await pgQuery(url, "SELECT password_hash, updated_at FROM users");
      const [o1] = await pgQuery(url, "SELECT xmin::text AS xmin FROM organizations");

      await Deno.writeTextFile(`${dir}/${SEED}`, EXAMPLE.replace("name: Admin", "name: Ada Admin"));
      const r = await apply(dir, url);
      assert.equal(r.code, 0, r.stderr);
      assert.match(lineWith(r.stdout, "010_example.yaml"), /0 inserted, 1 updated, 2 unchanged/);
      const [u2] = await pgQuery(url, "SELECT name, password_hash, updated_at FROM users");
      assert.equal(u2?.name, "Ada Admin");
      assert.equal(u2?.password_hash, u1?.password_hash, "the matching hash is kept");
      assert.ok((u2?.updated_at as Date) > (u1?.updated_at as Date));
      const [o2] = await pgQuery(url, "SELECT xmin::text AS xmin FROM organizations");
      assert.equal(o2?.xmin, o1?.xmin, "other tables are untouched");

      await Deno.writeTextFile(
        `${dir}/${SEED}`,
        EXAMPLE.replace("name: Admin", "name: Ada Admin").replace(
          "!bcrypt change-me",
          "!bcrypt s3cret!",
        ),
      );
      assert.equal((await apply(dir, url)).code, 0);
      const [u3] = await pgQuery(url, "SELECT password_hash FROM users");
      assert.notEqual(u3?.password_hash, u1?.password_hash, "a new password gets a new hash");
      assert.ok(bcrypt.compareSync("s3cret!", String(u3?.password_hash)));
      assert.ok(!bcrypt.compareSync("change-me", String(u3?.password_hash)));
    });
  });
});

Deno.test("the default BCRYPT_COST is 10, and many hashes in one file all verify", async () => {
  const users = Array.from(
    { length: 6 },
    (_, i) => `    - { email: u${i}@acme.test, name: U${i}, password_hash: !bcrypt pw-${i} }`,
  ).join("\n");
  await withPgDatabase(async (url) => {
    await withProject(project(`users:\n  key: [email]\n  rows:\n${users}\n`), async (dir) => {
      const r = await apply(dir, url, [], {});
      assert.equal(r.code, 0, r.stderr);
      const rows = await pgQuery(url, "SELECT email, password_hash FROM users ORDER BY email");
      assert.equal(rows.length, 6);
      for (const [i, row] of rows.entries()) {
        assert.ok(String(row.password_hash).startsWith("$2b$10$"));
        assert.ok(bcrypt.compareSync(`pw-${i}`, String(row.password_hash)));
      }
    });
  });
});

Deno.test("a !ref to a missing row fails with exit 1, naming the file, line and row; the file is rolled back", async () => {
  const seed = `organizations:
  - { slug: acme, name: Acme Corp }
memberships:
  - user_id: !ref users.email=nobody@acme.test
    organization_id: !ref organizations.slug=acme
    role: owner
`;
  await withPgDatabase(async (url) => {
    await withProject(project(seed), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /"reference\/010_example\.yaml:4:14" to "postgres": !ref users\.email=nobody@acme\.test matched no row of "users" \(row 1 of "memberships" at line 4\)/,
      );
      const [n] = await pgQuery(url, "SELECT count(*)::int AS n FROM organizations");
      assert.equal(n?.n, 0, "the rows written before the failure were rolled back");
      const seeds = (await trackingRows(url)).filter((t) => t.kind === "seed");
      assert.deepEqual(seeds, [], "a failed seed is not recorded as applied");
    });
  });
});

Deno.test("a !ref matching several rows is an error too", async () => {
  const seed = `users:
  - { email: x@y.z, name: X }
organizations:
  - { slug: a, name: Same }
  - { slug: b, name: Same }
memberships:
  - { user_id: !ref users.email=x@y.z, organization_id: !ref organizations.name=Same, role: r }
`;
  await withPgDatabase(async (url) => {
    await withProject(project(seed), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /:7:\d+".*!ref organizations\.name=Same matched 2 rows/);
    });
  });
});

Deno.test("values that look like SQL are stored literally", async () => {
  const nasty = [
    "'); DROP TABLE notes; --",
    'Robert"); DROP TABLE users;--',
    "$1 $$ \\x00 \\' E'\\\\'",
  ];
  const seed = `notes:\n${
    nasty.map((v, i) => `  - { id: ${i + 1}, body: ${JSON.stringify(v)} }`).join("\n")
  }\n`;
  await withPgDatabase(async (url) => {
    await withProject(project(seed), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 0, r.stderr);
      const rows = await pgQuery(url, "SELECT body FROM notes ORDER BY id");
      assert.deepEqual(rows.map((x) => x.body), nasty);
      assert.ok(await tableExists(url, "users"));
    });
  });
});

Deno.test("table and column names that try SQL are rejected with exit 2, and nothing is dropped", async () => {
  for (
    const seed of [
      `"notes; DROP TABLE users; --":\n  - { id: 1 }\n`,
      `notes:\n  - { id: 1, "body\\" = 'x'; DROP TABLE users; --": x }\n`,
      `notes:\n  key: ["id); DROP TABLE users; --"]\n  rows:\n    - { id: 1 }\n`,
      `memberships:\n  - { user_id: !ref "users; DROP TABLE users.id=1", organization_id: null, role: r }\n`,
    ]
  ) {
    await withPgDatabase(async (url) => {
      await withProject(project(seed), async (dir) => {
        const r = await apply(dir, url);
        assert.equal(r.code, 2, `${seed}\n${r.stderr}`);
        assert.match(
          r.stderr,
          /010_example\.yaml:\d+:\d+" of "postgres": .*unknown (table|column)|not a column/,
        );
        assert.ok(await tableExists(url, "users"), "users is still there");
        const [n] = await pgQuery(url, "SELECT count(*)::int AS n FROM notes");
        assert.equal(n?.n, 0);
      });
    });
  }
});

Deno.test("YAML mistakes are reported with file, line and column, exit 2, before any write", async () => {
  const cases: [string, RegExp][] = [
    [
      "notes:\n  - { id: 1, body: [unclosed }\n",
      /010_example\.yaml:2:\d+" of "postgres": invalid YAML/,
    ],
    [
      "notes:\n  - id: 1\n    body: !secret x\n",
      /010_example\.yaml:3:11" of "postgres": unknown tag "!secret"/,
    ],
    [
      "notes:\n  - id: one\n",
      /010_example\.yaml:2:9" of "postgres": column "id" of "notes": "one" is not an integer/,
    ],
    [
      "notes:\n  - { id: 1, nope: 2 }\n",
      /010_example\.yaml:2:14" of "postgres": unknown column "nope"/,
    ],
    [
      `users:\n  - { email: a@b.c, name: A, password_hash: !bcrypt ${"x".repeat(73)} }\n`,
      /:2:\d+".*73 bytes long/,
    ],
  ];
  for (const [seed, want] of cases) {
    await withPgDatabase(async (url) => {
      await withProject(project(seed), async (dir) => {
        const r = await apply(dir, url);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, want);
        // Parse errors stop the run before the migration; catalog errors after it, before the seed.
        if (await tableExists(url, "notes")) {
          const [n] = await pgQuery(url, "SELECT count(*)::int AS n FROM notes");
          assert.equal(n?.n, 0);
        }
      });
    });
  }
});

Deno.test("a database error in one of many rows names that row's line; the whole file is rolled back", async () => {
  const rows = Array.from(
    { length: 2500 },
    (_, i) => `  - { id: ${i + 1}, action: ${i === 1733 ? "Not-An-Action" : "user.login"} }`,
  );
  const seed = `notes:\n  - { id: 1, body: first }\naudit.events:\n${rows.join("\n")}\n`;
  await withPgDatabase(async (url) => {
    await withProject(project(seed), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /"reference\/010_example\.yaml:1737:5" to "postgres": new row for relation "events" violates check constraint/,
      );
      assert.match(r.stderr, /at row 1734 of "audit\.events" \(line 1737\)/);
      const [n] = await pgQuery(
        url,
        "SELECT (SELECT count(*) FROM audit.events)::int + (SELECT count(*) FROM notes)::int AS n",
      );
      assert.equal(n?.n, 0);
    });
  });
});

Deno.test("schema-qualified tables take lists into arrays, maps into jsonb and ISO timestamps; many rows in batches", async () => {
  const rows = Array.from(
    { length: 2500 },
    (_, i) =>
      `  - { id: ${
        i + 1
      }, action: user.login, tags: [web, "a,b"], metadata: { n: ${i}, ok: true }, at: "2024-01-15T09:00:00Z" }`,
  );
  await withPgDatabase(async (url) => {
    await withProject(project(`audit.events:\n${rows.join("\n")}\n`), async (dir) => {
      const r = await apply(dir, url);
      assert.equal(r.code, 0, r.stderr);
      assert.match(lineWith(r.stdout, "010_example.yaml"), /2500 rows: 2500 inserted/);
      const [row] = await pgQuery(
        url,
        `SELECT count(*) OVER ()::int AS n, tags, metadata, jsonb_typeof(metadata) AS t,
           at = '2024-01-15T09:00:00Z'::timestamptz AS at_ok
         FROM audit.events WHERE id = 10`,
      );
      assert.deepEqual(row, {
        n: 1,
        tags: ["web", "a,b"],
        metadata: { n: 9, ok: true },
        t: "object",
        at_ok: true,
      });
      const [c] = await pgQuery(url, "SELECT count(*)::int AS n FROM audit.events");
      assert.equal(c?.n, 2500);
    });
  });
});

Deno.test("--dry-run lists each YAML seed's tables and row counts, never a value", async () => {
  await withPgDatabase(async (url) => {
    await withProject(project(EXAMPLE), async (dir) => {
      const r = await apply(dir, url, ["--dry-run"]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        lineWith(r.stdout, "010_example.yaml"),
        /pending .*organizations 1 row, users 1 row, memberships 1 row/,
      );
      assert.doesNotMatch(r.stdout + r.stderr, /change-me|acme/);
      assert.equal(await tableExists(url, "organizations"), false, "nothing was applied");
    });
  });
});

Deno.test("a YAML file over 2 MB (rows read again while loading) names the line and column of a late mistake, exit 2, rolled back", async () => {
  const rows = (bad: (i: number) => string | null) =>
    Array.from({ length: 50_000 }, (_, i) => bad(i) ?? `  - { id: ${i + 1}, action: user.login }`);
  const cases: [string, RegExp][] = [
    [
      `audit.events:\n${
        rows((i) => (i === 48_999 ? "  - { id: x49000, action: user.login }" : null)).join("\n")
      }\n`,
      /010_example\.yaml:49003:11" of "postgres": column "id" of "audit\.events": "x49000" is not an integer/,
    ],
    [
      `audit.events:\n${
        rows((i) => (i === 49_989 ? "  - { id: 17, action: user.login }" : null)).join("\n")
      }\n`,
      /010_example\.yaml:49993:5" of "postgres": rows 17 \(line 20\) and 49990 of "audit\.events" have the same key/,
    ],
  ];
  for (const [seed, want] of cases) {
    await withPgDatabase(async (url) => {
      await withProject(project(`notes:\n  - { id: 1, body: first }\n${seed}`), async (dir) => {
        const r = await apply(dir, url);
        assert.equal(r.code, 2, r.stderr);
        assert.match(r.stderr, want);
        const [n] = await pgQuery(
          url,
          "SELECT (SELECT count(*) FROM audit.events)::int + (SELECT count(*) FROM notes)::int AS n",
        );
        assert.equal(n?.n, 0);
      });
    });
  }
});

Deno.test("a YAML seed loads on the embedded PostgreSQL too (PGlite takes no COPY FROM STDIN)", async () => {
  const items = Array.from(
    { length: 1500 },
    (_, i) => `  - { id: ${i + 1}, tags: [a, b], meta: { n: ${i} } }`,
  );
  const files = {
    "migrations/postgres/V1__schema.sql": `CREATE TABLE IF NOT EXISTS users (
  id serial PRIMARY KEY, email text NOT NULL UNIQUE, password_hash text NOT NULL);
CREATE TABLE IF NOT EXISTS items (
  id integer PRIMARY KEY, owner integer REFERENCES users (id), tags text[], meta jsonb);
`,
    [SEED]: `users:
  key: [email]
  rows:
    - { email: a@x.y, password_hash: !bcrypt secret }
items:
  - { id: 0, owner: !ref users.email=a@x.y }
${items.join("\n")}
`,
  };
  await withProject(files, async (dir) => {
    const run = () =>
      runCli(["--embedded"], {
        cwd: dir,
        env: { BCRYPT_COST: "4" },
        signal: AbortSignal.timeout(120_000),
      });
    const r = await run();
    assert.equal(r.code, 0, r.stderr);
    assert.match(lineWith(r.stdout, "010_example.yaml"), /1502 rows in 2 tables: 1502 inserted/);
    const again = await run();
    assert.equal(again.code, 0, again.stderr);
    assert.match(lastLine(again.stdout), /^0 applied, 2 skipped, 0 failed/);
  });
});
