// TLS end to end: the CLI as a process against a private PostgreSQL that speaks TLS only and a
// private ClickHouse serving HTTPS, both with certificates made by openssl for this run
// (tests/tls.sh, tests/drivers/_tls.ts). Each server is started once for its test (PostgreSQL ≈5 s,
// ClickHouse ≈10 s), and every step uses a database of its own on it.
import assert from "node:assert/strict";
import postgres from "postgres";
import { chQuery, type CliResult, lastLine, runCli, uniqueName } from "../helpers.ts";
import { withTlsClickHouse, withTlsPostgres } from "../drivers/_tls.ts";
import { summaryCounts, withProject } from "./_util.ts";

/** Runs a query on the TLS-only server (encrypted, nothing checked: the test's own access). */
async function tlsQuery(url: string, query: string): Promise<Record<string, unknown>[]> {
  const sql = postgres(url, { ssl: "require", max: 1, fetch_types: false, onnotice: () => {} });
  try {
    return (await sql.unsafe(query)).map((r) => ({ ...r }));
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** The tracking rows' scripts in `db` on the TLS server, or null when there is no tracking table. */
async function tracked(admin: (db: string) => string, db: string): Promise<string[] | null> {
  const [t] = await tlsQuery(
    admin(db),
    "SELECT to_regclass('_schema_migrations') IS NOT NULL AS t",
  );
  if (t?.t !== true) return null;
  const rows = await tlsQuery(admin(db), "SELECT script FROM _schema_migrations ORDER BY script");
  return rows.map((r) => String(r.script));
}

const show = (r: CliResult) => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

const PG_FILES = {
  "migrations/postgres/V1__items.sql": "CREATE TABLE IF NOT EXISTS items (id int PRIMARY KEY);\n",
  "seeds/postgres/reference/010_items.sql":
    "INSERT INTO items VALUES (1) ON CONFLICT DO NOTHING;\n",
};

/** Never printed: the server trusts dbm_tls over TLS, so any password logs in. */
const PASSWORD = "Tls-S3cret!pw";

Deno.test("TLS to PostgreSQL from the command line: sslmode, <NAME>_CA_FILE, PGSSL*, refusals", async (t) => {
  await withTlsPostgres(async (pg) => {
    const { ca, otherCa, clientCert, clientKey } = pg.files;
    const admin = (db: string) => pg.url().replace(/\/postgres$/, `/${db}`);
    /** A fresh database on the TLS server, and its URL (with a password) for the CLI. */
    const fresh = async (opts: { host?: string; user?: string; query?: string } = {}) => {
      const db = uniqueName();
      await tlsQuery(pg.url(), `CREATE DATABASE ${db}`);
      const url = pg.url(opts).replace(/\/postgres(\?|$)/, `/${db}$1`)
        .replace("://dbm_tls@", `://dbm_tls:${encodeURIComponent(PASSWORD)}@`);
      return { db, url };
    };
    const cli = (env: Record<string, string>, args: string[] = []) =>
      withProject(PG_FILES, (dir) => runCli(["--wait=20", ...args], { cwd: dir, env }));

    await t.step(
      "verify-full (the default with POSTGRES_CA_FILE) with the right CA migrates",
      async () => {
        const { db, url } = await fresh();
        const r = await cli({ POSTGRES_URL: url, POSTGRES_CA_FILE: ca });
        assert.equal(r.code, 0, show(r));
        assert.deepEqual(summaryCounts(lastLine(r.stdout)), { applied: 2, skipped: 0, failed: 0 });
        assert.deepEqual(await tracked(admin, db), ["V1__items.sql", "reference/010_items.sql"]);
        assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), show(r));
      },
    );

    await t.step(
      "another CA: exit 4 at once, naming the database, the cause, the file and the fix",
      async () => {
        const { db, url } = await fresh();
        const r = await cli({ POSTGRES_URL: url, POSTGRES_CA_FILE: otherCa });
        assert.equal(r.code, 4, show(r));
        assert.match(
          r.stderr,
          /cannot connect to "postgres" at postgres:\/\/dbm_tls:\*\*\*@127\.0\.0\.1/,
        );
        assert.ok(
          r.stderr.includes(`not signed by the CA in "${otherCa}" (POSTGRES_CA_FILE)`),
          show(r),
        );
        assert.match(r.stderr, /sslmode=verify-full \(the default when a CA is named\)/);
        assert.match(r.stderr, /hint: use the CA that signed the server's certificate/);
        // A certificate problem is not waited for: no retry lines.
        assert.doesNotMatch(r.stderr, /retrying/, show(r));
        assert.ok(!(r.stdout + r.stderr).includes(PASSWORD), show(r));
        assert.equal(await tracked(admin, db), null, "nothing was changed");
      },
    );

    await t.step(
      "the same failure in --json: one document with the code and the hint",
      async () => {
        const { url } = await fresh();
        const r = await cli({ POSTGRES_URL: url, POSTGRES_CA_FILE: otherCa }, ["--json"]);
        assert.equal(r.code, 4, show(r));
        const doc = JSON.parse(r.stdout);
        const text = JSON.stringify(doc);
        assert.match(text, /"DB_UNREACHABLE"/);
        assert.match(text, /not signed by the CA in/);
        assert.match(text, /the CA that signed the server's certificate/);
        assert.ok(!text.includes(PASSWORD));
      },
    );

    await t.step(
      "verify-full by a name the certificate lacks fails; verify-ca there works",
      async () => {
        const other = await fresh({ host: "127.0.0.2" });
        const full = await cli({ POSTGRES_URL: other.url, POSTGRES_CA_FILE: ca });
        assert.equal(full.code, 4, show(full));
        assert.match(full.stderr, /not for "127\.0\.0\.2" \(it names localhost, 127\.0\.0\.1\)/);
        assert.match(full.stderr, /sslmode=verify-ca checks the CA but not the name/);
        assert.equal(await tracked(admin, other.db), null);

        const r = await cli({
          POSTGRES_URL: `${other.url}?sslmode=verify-ca`,
          POSTGRES_CA_FILE: ca,
        });
        assert.equal(r.code, 0, show(r));
        assert.deepEqual(await tracked(admin, other.db), [
          "V1__items.sql",
          "reference/010_items.sql",
        ]);
      },
    );

    await t.step(
      "sslrootcert in the URL, and PGSSLMODE with PGSSLROOTCERT, work as in psql",
      async () => {
        const a = await fresh({
          host: "localhost",
          query: `sslmode=verify-full&sslrootcert=${ca}`,
        });
        const byUrl = await cli({ POSTGRES_URL: a.url });
        assert.equal(byUrl.code, 0, show(byUrl));
        assert.equal((await tracked(admin, a.db))?.length, 2);

        const b = await fresh();
        const byEnv = await cli({
          POSTGRES_URL: b.url,
          PGSSLMODE: "verify-full",
          PGSSLROOTCERT: ca,
        });
        assert.equal(byEnv.code, 0, show(byEnv));
        assert.equal((await tracked(admin, b.db))?.length, 2);

        // PGSSLMODE=require with PGSSLROOTCERT naming another CA is checked (libpq's rule).
        const c = await fresh();
        const wrong = await cli({
          POSTGRES_URL: c.url,
          PGSSLMODE: "require",
          PGSSLROOTCERT: otherCa,
        });
        assert.equal(wrong.code, 4, show(wrong));
        assert.match(wrong.stderr, /checked as verify-ca since a CA is named/);
        assert.equal(await tracked(admin, c.db), null);
      },
    );

    await t.step(
      "sslmode=require encrypts without a CA; disable finds no entry on a TLS-only server",
      async () => {
        const a = await fresh({ query: "sslmode=require" });
        const r = await cli({ POSTGRES_URL: a.url });
        assert.equal(r.code, 0, show(r));

        const b = await fresh({ query: "sslmode=disable" });
        const plain = await cli({ POSTGRES_URL: b.url });
        assert.equal(plain.code, 4, show(plain));
        assert.match(plain.stderr, /no pg_hba\.conf entry/, show(plain));
        assert.equal(await tracked(admin, b.db), null);
      },
    );

    await t.step(
      "a client certificate from sslcert and sslkey logs in the user it names",
      async () => {
        const { db, url } = await fresh({
          user: "dbm_cert",
          query: `sslcert=${clientCert}&sslkey=${clientKey}`,
        });
        const r = await cli({ POSTGRES_URL: url, POSTGRES_CA_FILE: ca });
        assert.equal(r.code, 0, show(r));
        assert.equal((await tracked(admin, db))?.length, 2);
      },
    );

    await t.step(
      "a CA file that is missing or no PEM is exit 2 before any connection",
      async () => {
        const { db, url } = await fresh();
        const missing = await cli({ POSTGRES_URL: url, POSTGRES_CA_FILE: `${ca}.missing` });
        assert.equal(missing.code, 2, show(missing));
        assert.match(missing.stderr, /POSTGRES_CA_FILE/);
        assert.ok(missing.stderr.includes(`${ca}.missing`), show(missing));

        const notPem = await cli({ POSTGRES_URL: url, POSTGRES_CA_FILE: pg.files.dir });
        assert.equal(notPem.code, 2, show(notPem));
        assert.match(notPem.stderr, /POSTGRES_CA_FILE/);

        // A CA named with a mode that would not check it is a contradiction.
        const prefer = await cli({ POSTGRES_URL: `${url}?sslmode=prefer`, POSTGRES_CA_FILE: ca });
        assert.equal(prefer.code, 2, show(prefer));
        assert.match(prefer.stderr, /POSTGRES_CA_FILE names a CA .* sslmode=prefer/);
        assert.match(prefer.stderr, /use sslmode=verify-full/);
        assert.equal(await tracked(admin, db), null);
      },
    );

    await t.step(
      "CockroachDB, known by its version(), is refused before anything changes",
      async () => {
        // A real server whose version() answers as CockroachDB does: public.version() ahead of
        // pg_catalog's on the database's search_path.
        const { db, url } = await fresh();
        await tlsQuery(
          admin(db),
          `CREATE FUNCTION public.version() RETURNS text LANGUAGE sql AS
           $$ SELECT 'CockroachDB CCL v24.1.0 (x86_64-pc-linux-gnu, built 2024/05/15, go1.22.0)' $$`,
        );
        await tlsQuery(admin(db), `ALTER DATABASE ${db} SET search_path = public, pg_catalog`);
        const r = await cli({ POSTGRES_URL: url, POSTGRES_CA_FILE: ca });
        assert.equal(r.code, 2, show(r));
        assert.match(r.stderr, /database "postgres" is on CockroachDB v24\.1\.0/);
        assert.match(r.stderr, /pg_try_advisory_lock always returns true/);
        assert.match(r.stderr, /golang-migrate \(cockroachdb:\/\/\) or Flyway/);
        assert.equal(await tracked(admin, db), null, "nothing was changed");

        // CockroachDB before v25.1 has no DO, so the first query fails before it reads
        // version(): a database without PL/pgSQL fails the same way, and is still recognised.
        await tlsQuery(admin(db), "DROP EXTENSION plpgsql");
        const old = await cli({ POSTGRES_URL: url, POSTGRES_CA_FILE: ca });
        assert.equal(old.code, 2, show(old));
        assert.match(old.stderr, /database "postgres" is on CockroachDB v24\.1\.0/);
        assert.equal(await tracked(admin, db), null, "nothing was changed");
      },
    );
  });
});

const CH_FILES = (db: string) => ({
  "migrations/clickhouse/V1__events.sql":
    `CREATE TABLE IF NOT EXISTS ${db}.events (id UInt32, name String) ENGINE = ReplacingMergeTree ORDER BY id;\n`,
  "seeds/clickhouse/full/010_events.csv": 'id,name\n1,one\n2,"two, too"\n',
});

Deno.test("TLS to ClickHouse from the command line: https:// with CLICKHOUSE_CA_FILE, CSV seed too", async (t) => {
  await withTlsClickHouse(async (ch) => {
    const { ca, otherCa } = ch.files;
    const cli = (db: string, env: Record<string, string>) =>
      withProject(
        CH_FILES(db),
        (dir) => runCli(["--wait=20", "--seed=full"], { cwd: dir, env }),
      );
    const https = (db: string, host = "localhost") =>
      `https://default@${host}:${ch.httpsPort}/${db}`;
    const plain = `http://default@127.0.0.1:${ch.httpPort}/default`;
    const tracked = async (db: string) =>
      (await chQuery(
        plain,
        `SELECT count() FROM system.tables WHERE database = '${db}' AND name = '_schema_migrations'`,
      )).trim() === "1";

    await t.step("the CA file makes https:// work, the CSV seed's upload included", async () => {
      const db = uniqueName();
      const r = await cli(db, { CLICKHOUSE_URL: https(db), CLICKHOUSE_CA_FILE: ca });
      assert.equal(r.code, 0, show(r));
      assert.deepEqual(summaryCounts(lastLine(r.stdout)), { applied: 2, skipped: 0, failed: 0 });
      const rows = await chQuery(plain, `SELECT id, name FROM ${db}.events FINAL ORDER BY id`);
      assert.equal(rows.trim(), "1\tone\n2\ttwo, too");
      await chQuery(plain, `DROP DATABASE IF EXISTS ${db}`);
    });

    await t.step(
      "without the CA file, or with another, exit 4 naming the cause and the fix",
      async () => {
        const db = uniqueName();
        const none = await cli(db, { CLICKHOUSE_URL: https(db) });
        assert.equal(none.code, 4, show(none));
        assert.match(none.stderr, /cannot connect to "clickhouse" at https:\/\/default@localhost/);
        assert.match(none.stderr, /not signed by a CA this machine trusts/);
        assert.match(none.stderr, /hint: set CLICKHOUSE_CA_FILE to the CA's certificate/);
        assert.doesNotMatch(none.stderr, /retrying/, show(none));

        const other = await cli(db, { CLICKHOUSE_URL: https(db), CLICKHOUSE_CA_FILE: otherCa });
        assert.equal(other.code, 4, show(other));
        assert.ok(
          other.stderr.includes(`not signed by the CA in "${otherCa}" (CLICKHOUSE_CA_FILE)`),
          show(other),
        );
        assert.equal(await tracked(db), false, "nothing was created");
      },
    );

    await t.step("a CA file with an http:// URL is exit 2", async () => {
      const db = uniqueName();
      const r = await cli(db, {
        CLICKHOUSE_URL: `http://default@127.0.0.1:${ch.httpPort}/${db}`,
        CLICKHOUSE_CA_FILE: ca,
      });
      assert.equal(r.code, 2, show(r));
      assert.match(
        r.stderr,
        /CLICKHOUSE_CA_FILE names a CA for database "clickhouse", but its URL is http:\/\//,
      );
      assert.equal(await tracked(db), false);
    });
  });
});
