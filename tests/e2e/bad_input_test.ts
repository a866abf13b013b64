// Bad input is found before any change: invalid UTF-8, empty files, directories and links where
// files belong, psql meta-commands, text that cannot be split and seeds that cannot be parsed all
// exit 2 naming the file, and leave no tracking table (on ClickHouse, no database and no lock
// table) behind. Also: passwords in URL query parameters and in strings that are no URL.
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  chQuery,
  clickhouseUrl,
  type CliResult,
  lastLine,
  pgQuery,
  runCli,
  withClickHouseDatabase,
  withPgDatabase,
} from "../helpers.ts";
import { withPasswordPostgres } from "./_scratch_pg.ts";
import { hasTrackingTable, tableExists, trackingRows, withProject } from "./_util.ts";

function output(r: CliResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`;
}

/** Nothing was created in the PostgreSQL database: no tracking table, no table of any file. */
async function assertPgUntouched(url: string): Promise<void> {
  assert.equal(await hasTrackingTable(url), false, "no _schema_migrations table");
  const rows = await pgQuery(
    url,
    "SELECT tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
  );
  assert.deepEqual(rows, [], "no table at all");
}

const enc = (s: string) => new TextEncoder().encode(s);

/** The test server without a database, for system queries. */
function chServer(): string {
  const u = new URL(clickhouseUrl());
  u.pathname = "/";
  return u.toString();
}

/** A ClickHouse URL for a database that does not exist (yet), and a check that it still does not. */
function missingChDatabase(): { url: string; name: string; exists(): Promise<boolean> } {
  const name = "dbm_t_" + crypto.randomUUID().replaceAll("-", "").slice(0, 12);
  const u = new URL(clickhouseUrl());
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    exists: async () =>
      (await chQuery(chServer(), `SELECT count() FROM system.databases WHERE name = '${name}'`))
        .trim() !== "0",
  };
}

async function chTables(database: string): Promise<string[]> {
  const body = await chQuery(
    chServer(),
    `SELECT name FROM system.tables WHERE database = '${database}' ORDER BY name`,
  );
  return body.split("\n").filter((l) => l !== "");
}

const OK_V1 = "CREATE TABLE IF NOT EXISTS first_t (id int);\n";

// --- 1. invalid UTF-8 -------------------------------------------------------------------------

Deno.test("invalid UTF-8 in a migration exits 2 with file, line and column, and changes nothing", async () => {
  await withPgDatabase(async (url) => {
    await withProject({ "migrations/postgres/V1__first.sql": OK_V1 }, async (dir) => {
      // `'\xff\xfe\xc3('` on line 3, column 24: replaced by U+FFFD and stored until now.
      await Deno.writeFile(
        join(dir, "migrations/postgres/V2__bytes.sql"),
        new Uint8Array([
          ...enc("-- raw bytes\nCREATE TABLE IF NOT EXISTS b (v text);\nINSERT INTO b VALUES ('"),
          0xff,
          0xfe,
          0xc3,
          0x28,
          ...enc("');\n"),
        ]),
      );
      for (const args of [[], ["--dry-run"]]) {
        const r = await runCli(args, { cwd: dir, env: { POSTGRES_URL: url } });
        assert.equal(r.code, 2, output(r));
        assert.match(r.stderr, /V2__bytes\.sql.*not UTF-8.*line 3, column 24/, output(r));
        assert.match(r.stderr, /INVALID_UTF8|0xff/);
      }
      await assertPgUntouched(url);
    });
  });
});

Deno.test("invalid UTF-8 in a YAML seed, a CSV seed or a CSV sidecar exits 2 naming the file", async () => {
  await withPgDatabase(async (url) => {
    const files = {
      "migrations/postgres/V1__t.sql":
        "CREATE TABLE IF NOT EXISTS t (id int PRIMARY KEY, v text);\n",
    };
    const bad: [string, Uint8Array, RegExp][] = [
      [
        "seeds/postgres/reference/010_t.yaml",
        new Uint8Array([...enc('t:\n  - { id: 1, v: "'), 0xe9, ...enc('" }\n')]),
        /010_t\.yaml.*line 2, column 18/,
      ],
      [
        "seeds/postgres/reference/010_t.csv",
        new Uint8Array([...enc("id,v\n1,caf"), 0xe9, 0x0a]),
        /010_t\.csv.*line 2, column 6/,
      ],
    ];
    for (const [path, bytes, where] of bad) {
      await withProject(files, async (dir) => {
        await Deno.mkdir(join(dir, "seeds/postgres/reference"), { recursive: true });
        await Deno.writeFile(join(dir, path), bytes);
        const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
        assert.equal(r.code, 2, output(r));
        assert.match(r.stderr, where, output(r));
        await assertPgUntouched(url);
      });
    }
    // A sidecar is read when its CSV is pending.
    await withProject({
      ...files,
      "seeds/postgres/reference/010_t.csv": "id,v\n1,a\n",
    }, async (dir) => {
      await Deno.writeFile(
        join(dir, "seeds/postgres/reference/010_t.yaml"),
        new Uint8Array([...enc("key: [id]\n# "), 0xff, 0x0a]),
      );
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 2, output(r));
      assert.match(r.stderr, /010_t\.yaml.*not UTF-8.*line 2, column 3/, output(r));
      await assertPgUntouched(url);
    });
  });
});

// --- 2. passwords -----------------------------------------------------------------------------

Deno.test("a password given as ?password= is used to log in and never printed", async () => {
  await withPasswordPostgres(async ({ user, password, port }) => {
    const base = `postgres://${user}@127.0.0.1:${port}/postgres`;
    await withProject({ "migrations/postgres/V1__first.sql": OK_V1 }, async (dir) => {
      const wrong = "Wr0ng-Qp-" + crypto.randomUUID().slice(0, 6);
      const refused = await runCli(["--wait=1"], {
        cwd: dir,
        env: { POSTGRES_URL: `${base}?password=${wrong}` },
      });
      assert.equal(refused.code, 4, output(refused));
      assert.match(refused.stderr, /password authentication failed/, output(refused));
      assert.ok(!(refused.stdout + refused.stderr).includes(wrong), output(refused));

      const r = await runCli(["--wait=5"], {
        cwd: dir,
        env: { POSTGRES_URL: `${base}?sslmode=disable&password=${encodeURIComponent(password)}` },
      });
      assert.equal(r.code, 0, output(r));
      assert.match(lastLine(r.stdout), /^1 applied, 0 skipped, 0 failed/);
      assert.ok(!(r.stdout + r.stderr).includes(password), output(r));

      // `?user=` too, with no user before the host; the status shows the parameter as ***.
      const status = await runCli(["--status"], {
        cwd: dir,
        env: {
          POSTGRES_URL: `postgres://127.0.0.1:${port}/postgres?user=${user}&password=${password}`,
        },
      });
      assert.equal(status.code, 0, output(status));
      assert.match(status.stdout, /V1__first\.sql\s+applied/);
      assert.match(status.stdout, /password=\*\*\*/);
      assert.ok(!(status.stdout + status.stderr).includes(password), output(status));
    });
    const admin = `postgres://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    assert.ok(await tableExists(admin, "first_t"));
  });
});

Deno.test("a ?password= parameter is not printed in a connection error", async () => {
  const secret = "Qp-Secret-" + crypto.randomUUID().slice(0, 8);
  await withPgDatabase(async (url) => {
    const missing = new URL(url);
    missing.pathname += "_missing";
    await withProject({ "migrations/postgres/V1__first.sql": OK_V1 }, async (dir) => {
      const r = await runCli(["--wait=1"], {
        cwd: dir,
        env: { POSTGRES_URL: `${missing}?password=${secret}` },
      });
      assert.equal(r.code, 4, output(r));
      assert.match(r.stderr, /does not exist/);
      assert.match(r.stderr, /password=\*\*\*/);
      assert.ok(!(r.stdout + r.stderr).includes(secret), output(r));
    });
  });
});

Deno.test("a URL without a scheme exits 2 without printing its password", async () => {
  await withProject({ "migrations/postgres/V1__first.sql": OK_V1 }, async (dir) => {
    for (const json of [false, true]) {
      const r = await runCli(json ? ["--json"] : [], {
        cwd: dir,
        env: { POSTGRES_URL: "app:pa@ss-NoScheme@db.internal:5432/app" },
      });
      assert.equal(r.code, 2, output(r));
      assert.match(r.stderr + r.stdout, /has no scheme/);
      for (const part of ["pa@ss", "ss-NoScheme", "pa@"]) {
        assert.ok(!(r.stdout + r.stderr).includes(part), `"${part}" printed:\n${output(r)}`);
      }
      assert.match(r.stderr + r.stdout, /app:\*\*\*@db\.internal:5432\/app/);
    }
  });
});

Deno.test("clickhouse: user and password URL parameters log in, and no password is printed", async () => {
  await withClickHouseDatabase(async (_url, name) => {
    const secret = "Ch-Qp-" + crypto.randomUUID().slice(0, 8);
    const server = new URL(clickhouseUrl());
    await withProject({
      "migrations/clickhouse/V001__t.sql":
        "CREATE TABLE IF NOT EXISTS t (id UInt8) ENGINE = Memory",
    }, async (dir) => {
      const at = (query: string) => `http://${server.host}/${name}?${query}`;
      // A parameter the driver does not know: refused, the password hidden.
      const unknown = await runCli(["--wait=1"], {
        cwd: dir,
        env: { CLICKHOUSE_URL: at(`user=default&password=${secret}&compress=1`) },
      });
      assert.equal(unknown.code, 2, output(unknown));
      assert.match(unknown.stderr, /not a ClickHouse URL: unknown URL parameter "compress"/);
      assert.ok(!(unknown.stdout + unknown.stderr).includes(secret), output(unknown));

      // A wrong password in the query is sent (and refused) and not printed.
      const wrong = await runCli(["--wait=1"], {
        cwd: dir,
        env: { CLICKHOUSE_URL: at(`user=default&password=${secret}`) },
      });
      assert.equal(wrong.code, 4, output(wrong));
      assert.match(wrong.stderr, /password|Authentication/i, output(wrong));
      assert.ok(!(wrong.stdout + wrong.stderr).includes(secret), output(wrong));

      // The test server's own user, given as parameters, logs in.
      const user = decodeURIComponent(server.username) || "default";
      const password = decodeURIComponent(server.password);
      const r = await runCli([], {
        cwd: dir,
        env: { CLICKHOUSE_URL: at(`user=${user}&password=${encodeURIComponent(password)}`) },
      });
      assert.equal(r.code, 0, output(r));
      assert.match(lastLine(r.stdout), /^1 applied, 0 skipped, 0 failed/);
    });
    assert.ok((await chTables(name)).includes("t"));
  });
});

// --- 3. empty files ---------------------------------------------------------------------------

Deno.test("an empty or comment-only migration, SQL seed or YAML seed exits 2 naming it, and changes nothing", async () => {
  await withPgDatabase(async (url) => {
    const cases: [string, string, RegExp][] = [
      ["migrations/postgres/V2__empty.sql", "", /V2__empty\.sql.*holds nothing to apply/],
      [
        "migrations/postgres/V2__todo.sql",
        "-- TODO: write this migration\n/* later */\n",
        /V2__todo\.sql.*empty or only comments/,
      ],
      ["seeds/postgres/reference/010_none.sql", "-- nothing yet\n", /010_none\.sql/],
      ["seeds/postgres/reference/010_none.yaml", "# nothing yet\n", /010_none\.yaml/],
    ];
    for (const [path, text, message] of cases) {
      await withProject(
        { "migrations/postgres/V1__first.sql": OK_V1, [path]: text },
        async (dir) => {
          const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
          assert.equal(r.code, 2, output(r));
          assert.match(r.stderr, message, output(r));
          assert.match(r.stderr, /EMPTY_FILE|nothing to apply/);
          await assertPgUntouched(url);
        },
      );
    }
  });
});

Deno.test("clickhouse: an empty migration exits 2 and creates neither the database nor a table", async () => {
  const db = missingChDatabase();
  await withProject({
    "migrations/clickhouse/V001__t.sql": "CREATE TABLE IF NOT EXISTS t (id UInt8) ENGINE = Memory",
    "migrations/clickhouse/V002__empty.sql": "-- nothing\n# here\n",
  }, async (dir) => {
    const r = await runCli([], { cwd: dir, env: { CLICKHOUSE_URL: db.url } });
    assert.equal(r.code, 2, output(r));
    assert.match(r.stderr, /V002__empty\.sql.*holds nothing to apply/, output(r));
    assert.equal(await db.exists(), false, "no database created");
  });
});

// --- 4. a directory named like a migration ----------------------------------------------------

Deno.test("a directory named like a migration exits 2, and changes nothing", async () => {
  await withPgDatabase(async (url) => {
    await withProject({
      "migrations/postgres/V1__first.sql": OK_V1,
      "migrations/postgres/V2__dir.sql/inner.sql": "CREATE TABLE inner_t (id int);\n",
    }, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 2, output(r));
      assert.match(r.stderr, /V2__dir\.sql.*is a directory, not a file/, output(r));
      await assertPgUntouched(url);
    });
  });
});

// --- 5. psql meta-commands --------------------------------------------------------------------

Deno.test("psql meta-commands exit 2 with file and line before anything is applied", async () => {
  await withPgDatabase(async (url) => {
    for (
      const command of [
        "\\i other.sql",
        "\\connect app",
        "\\set ON_ERROR_STOP on",
        "\\copy t from 'x.csv' csv",
      ]
    ) {
      await withProject({
        "migrations/postgres/V1__first.sql": OK_V1,
        "migrations/postgres/V2__meta.sql":
          `-- uses psql\nCREATE TABLE IF NOT EXISTS m (id int);\n${command}\n`,
      }, async (dir) => {
        for (const args of [[], ["--dry-run"]]) {
          const r = await runCli(args, { cwd: dir, env: { POSTGRES_URL: url } });
          assert.equal(r.code, 2, output(r));
          const name = command.split(" ")[0]!.replace("\\", "\\\\");
          assert.match(
            r.stderr,
            new RegExp(
              `V2__meta\\.sql.*${name} at line 3, column 1: psql meta-commands are not SQL`,
            ),
            output(r),
          );
        }
        await assertPgUntouched(url);
      });
    }
    // A backslash inside a dollar-quoted body or a string is no meta-command.
    await withProject({
      "migrations/postgres/V1__first.sql":
        "CREATE OR REPLACE FUNCTION f() RETURNS text LANGUAGE sql AS $$\n" +
        "SELECT E'\n\\\\i not a command'\n$$;\n",
    }, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 0, output(r));
    });
  });
});

Deno.test("clickhouse: a client meta-command exits 2 and creates neither the database nor a table", async () => {
  const db = missingChDatabase();
  await withProject({
    "migrations/clickhouse/V001__t.sql":
      "CREATE TABLE IF NOT EXISTS t (id UInt8) ENGINE = Memory;\n\\i more.sql\n",
  }, async (dir) => {
    const r = await runCli([], { cwd: dir, env: { CLICKHOUSE_URL: db.url } });
    assert.equal(r.code, 2, output(r));
    assert.match(r.stderr, /V001__t\.sql.*\\i at line 2, column 1/, output(r));
    assert.equal(await db.exists(), false, "no database created");
  });
});

// --- 6. offline checks before the lock and the tracking table ---------------------------------

Deno.test("text that cannot be split and seeds that cannot be parsed exit 2 before the tracking table exists", async () => {
  await withPgDatabase(async (url) => {
    const cases: [Record<string, string>, RegExp][] = [
      [
        {
          "migrations/postgres/V2__fn.sql":
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$\nBEGIN RETURN 1; END;\n",
        },
        /V2__fn\.sql.*unterminated dollar-quoted string starting at line 1/,
      ],
      [{ "seeds/postgres/reference/010_x.yaml": "first_t:\n  - { id: [unclosed\n" }, /010_x\.yaml/],
      [
        { "seeds/postgres/reference/010_x.yaml": "first_t:\n  - id: !nope 1\n" },
        /010_x\.yaml:2:9.*unknown tag/,
      ],
      [{ "seeds/postgres/reference/010_x.csv": "id,id\n1,2\n" }, /010_x\.csv/],
    ];
    for (const [extra, message] of cases) {
      await withProject({ "migrations/postgres/V1__first.sql": OK_V1, ...extra }, async (dir) => {
        const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
        assert.equal(r.code, 2, output(r));
        assert.match(r.stderr, message, output(r));
        await assertPgUntouched(url);
      });
    }
  });
});

Deno.test("a bad file in a later database leaves the earlier database untouched too", async () => {
  await withPgDatabase(async (first) => {
    await withPgDatabase(async (second) => {
      await withProject({
        "migrations/alpha/V1__first.sql": OK_V1,
        "migrations/beta/V1__first.sql": OK_V1,
        "migrations/beta/V2__empty.sql": "-- nothing\n",
      }, async (dir) => {
        const r = await runCli([], { cwd: dir, env: { ALPHA_URL: first, BETA_URL: second } });
        assert.equal(r.code, 2, output(r));
        assert.match(r.stderr, /V2__empty\.sql/);
        await assertPgUntouched(first);
        await assertPgUntouched(second);
      });
    });
  });
});

Deno.test("a bad pending file of a tracked database exits 2 and records nothing", async () => {
  await withPgDatabase(async (url) => {
    await withProject({ "migrations/postgres/V1__first.sql": OK_V1 }, async (dir) => {
      const env = { POSTGRES_URL: url };
      assert.equal((await runCli([], { cwd: dir, env })).code, 0);
      await Deno.writeTextFile(join(dir, "migrations/postgres/V2__bad.sql"), "SELECT 'open\n");
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 2, output(r));
      assert.match(r.stderr, /V2__bad\.sql.*unterminated string literal/);
      assert.deepEqual((await trackingRows(url)).map((x) => x.script), ["V1__first.sql"]);
    });
  });
});

Deno.test("clickhouse: unsplittable text and YAML seeds exit 2 before the database and the lock table exist", async () => {
  const cases: [Record<string, string>, RegExp][] = [
    [
      { "migrations/clickhouse/V002__open.sql": "SELECT 'never closed\n" },
      /V002__open\.sql.*unterminated string literal/,
    ],
    [
      { "migrations/clickhouse/V002__open.sql": "SELECT 1; /* never closed\n" },
      /V002__open\.sql.*unterminated block comment/,
    ],
    [{ "seeds/clickhouse/reference/010_x.yaml": "t:\n  - { id: 1 }\n" }, /010_x\.yaml/],
  ];
  for (const [extra, message] of cases) {
    const db = missingChDatabase();
    await withProject({
      "migrations/clickhouse/V001__t.sql":
        "CREATE TABLE IF NOT EXISTS t (id UInt8) ENGINE = Memory",
      ...extra,
    }, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { CLICKHOUSE_URL: db.url } });
      assert.equal(r.code, 2, output(r));
      assert.match(r.stderr, message, output(r));
      assert.equal(await db.exists(), false, "no database, so no lock table either");
    });
  }
  // On an existing database: neither the tracking table nor the lock table is created.
  await withClickHouseDatabase(async (url, name) => {
    await withProject({
      "migrations/clickhouse/V001__t.sql":
        "CREATE TABLE IF NOT EXISTS t (id UInt8) ENGINE = Memory",
      "migrations/clickhouse/V002__open.sql": 'SELECT "never closed\n',
    }, async (dir) => {
      const r = await runCli([], { cwd: dir, env: { CLICKHOUSE_URL: url } });
      assert.equal(r.code, 2, output(r));
      assert.deepEqual(await chTables(name), []);
    });
  });
});

// --- 7. messages for unreadable files ---------------------------------------------------------

Deno.test("a symlink loop, a dangling link and a FIFO each get their own reason and hint", async () => {
  await withPgDatabase(async (url) => {
    const cases: [string, (path: string) => void, RegExp, RegExp][] = [
      [
        "V2__loop.sql",
        (p) => Deno.symlinkSync("V2__loop.sql", p),
        /leads back to itself/,
        /point the link at a file/,
      ],
      [
        "V2__gone.sql",
        (p) => Deno.symlinkSync("/nonexistent/dbm/V2.sql", p),
        /symbolic link to "\/nonexistent\/dbm\/V2\.sql", which does not exist/,
        /fix the link/,
      ],
      [
        "V2__fifo.sql",
        (p) => new Deno.Command("mkfifo", { args: [p] }).outputSync(),
        /not a regular file but a FIFO/,
        /replace it with a regular file/,
      ],
    ];
    for (const [name, make, reason, hint] of cases) {
      await withProject({ "migrations/postgres/V1__first.sql": OK_V1 }, async (dir) => {
        make(join(dir, "migrations/postgres", name));
        const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
        assert.equal(r.code, 2, output(r));
        assert.match(r.stderr, new RegExp(name.replace(".", "\\.")), output(r));
        assert.match(r.stderr, reason, output(r));
        assert.match(r.stderr, new RegExp(`hint: .*${hint.source}`), output(r));
        assert.doesNotMatch(r.stderr, /permissions/, output(r));
        await assertPgUntouched(url);
      });
    }
  });
});

// --- 8. the file-name hint --------------------------------------------------------------------

Deno.test("the file-name hint proposes the next free version, and following it works", async () => {
  await withPgDatabase(async (url) => {
    const files: Record<string, string> = {};
    for (let v = 1; v <= 12; v++) {
      files[`migrations/postgres/V${String(v).padStart(3, "0")}__step${v}.sql`] =
        `CREATE TABLE IF NOT EXISTS step${v} (id int);\n`;
    }
    files["migrations/postgres/add_orders.sql"] = "CREATE TABLE IF NOT EXISTS orders (id int);\n";
    await withProject(files, async (dir) => {
      const env = { POSTGRES_URL: url };
      const r = await runCli([], { cwd: dir, env });
      assert.equal(r.code, 2, output(r));
      const proposed = /rename it, for example to (V\d+__\w+\.sql)/.exec(r.stderr)?.[1];
      assert.equal(proposed, "V013__add_orders.sql", output(r));
      await assertPgUntouched(url);

      await Deno.rename(
        join(dir, "migrations/postgres/add_orders.sql"),
        join(dir, "migrations/postgres", proposed!),
      );
      const again = await runCli([], { cwd: dir, env });
      assert.equal(again.code, 0, output(again));
      assert.match(lastLine(again.stdout), /^13 applied, 0 skipped, 0 failed/);
    });
  });
});

// --- 9. database folders: links followed, none found is an error -------------------------------

Deno.test("a database folder that is a symbolic link (a mounted volume) is followed", async () => {
  await withPgDatabase(async (url) => {
    await withProject({
      "volume/V1__first.sql": OK_V1,
      "migrations/README.md": "the postgres folder is mounted from elsewhere\n",
    }, async (dir) => {
      await Deno.symlink(join(dir, "volume"), join(dir, "migrations/postgres"));
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 0, output(r));
      assert.match(lastLine(r.stdout), /^1 applied, 0 skipped, 0 failed/);
      assert.ok(await tableExists(url, "first_t"));
    });
    // A link into the folders above is a loop: refused before anything runs.
    await withProject({ "migrations/postgres/V1__first.sql": OK_V1 }, async (dir) => {
      await Deno.symlink("..", join(dir, "migrations/up"));
      const r = await runCli(["--database=postgres"], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 2, output(r));
      assert.match(r.stderr, /migrations\/up.*a loop/, output(r));
    });
    // A link to nowhere (a volume that was not mounted) is an error, not a database to skip.
    await withProject({ "migrations/README.md": "" }, async (dir) => {
      await Deno.symlink("/nonexistent/dbm/volume", join(dir, "migrations/postgres"));
      const r = await runCli([], { cwd: dir, env: { POSTGRES_URL: url } });
      assert.equal(r.code, 2, output(r));
      assert.match(r.stderr, /migrations\/postgres.*which does not exist/, output(r));
    });
  });
});

Deno.test("a run that finds no database folder exits 2 naming the directory, in every mode", async () => {
  await withPgDatabase(async (url) => {
    await withProject({ "migrations/postgres/V1__first.sql": OK_V1 }, async (dir) => {
      const env = { POSTGRES_URL: url };
      for (const args of [[], ["--dry-run"], ["--status"], ["--json"]]) {
        const r = await runCli(["--migrations=migratoins", ...args], { cwd: dir, env });
        assert.equal(r.code, 2, output(r));
        // With --json the error is only in the document's `error`.
        const text = args.includes("--json") ? JSON.parse(r.stdout).error.message : r.stderr;
        assert.match(text, /no database found under "migratoins": it does not exist/, output(r));
      }
      await Deno.mkdir(join(dir, "empty"));
      const empty = await runCli(["--migrations=empty"], { cwd: dir, env });
      assert.equal(empty.code, 2, output(empty));
      assert.match(empty.stderr, /no database found under "empty": it holds no database folder/);
      assert.match(empty.stderr, /NO_DATABASE|hint: .*--migrations/);
      await assertPgUntouched(url);
    });
  });
});
