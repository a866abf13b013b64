// The embedded PostgreSQL (--embedded: PGlite behind a socket, opened by the registry's embedded
// kind): the conformance suite, as for a PostgreSQL server, then the embedded server itself.
import assert from "node:assert/strict";
import postgres from "postgres";
import { startEmbedded } from "../../src/drivers/embedded/server.ts";
import { MigrateError } from "../../src/core/errors.ts";
import { makeProject } from "../helpers.ts";
import { POSTGRES } from "./_dialects.ts";
import { conformance, type TestDatabase } from "./conformance.ts";

let template: Promise<string> | null = null;

/** An empty cluster made once and copied for each test: making one costs seconds, a copy nothing. */
function emptyCluster(): Promise<string> {
  template ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "dbm-pglite-template-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    await (await startEmbedded(`${dir}/cluster`)).close();
    return `${dir}/cluster`;
  })();
  return template;
}

/** A fresh project whose database `app` has no URL, so it runs on PGlite in .db-migrate/app/. */
async function withDatabase<T>(fn: (db: TestDatabase) => Promise<T>): Promise<T> {
  const project = await makeProject({});
  try {
    await Deno.mkdir(`${project.dir}/.db-migrate`);
    const copy = await new Deno.Command("cp", {
      args: ["-a", await emptyCluster(), `${project.dir}/.db-migrate/app`],
    }).output();
    if (!copy.success) throw new Error(new TextDecoder().decode(copy.stderr));
    return await fn({
      target: {
        name: "app",
        kind: "postgres",
        url: null,
        urlSource: null,
        urlVariable: "APP_URL",
        migrationsDir: `${project.dir}/migrations/app`,
        seedsDir: `${project.dir}/seeds/app`,
      },
      embedded: true,
      cwd: project.dir,
      // PGlite has one backend: the database is opened here only while no driver has it.
      async query(sql) {
        const server = await startEmbedded(`${project.dir}/.db-migrate/app`);
        const client = postgres(server.url, { max: 1, onnotice: () => {}, fetch_types: false });
        try {
          return (await client.unsafe(sql)).map((r) => ({ ...r }));
        } finally {
          await client.end();
          await server.close();
        }
      },
    });
  } finally {
    await project.cleanup();
  }
}

conformance({ ...POSTGRES, name: "PGlite", withDatabase });

// The options db-migrate's PostgreSQL driver uses.
const connect = (url: string) =>
  postgres(url, { max: 1, fetch_types: false, onnotice: () => {}, idle_timeout: 0 });

// One data directory for all steps: creating a cluster costs seconds, reopening about one.
Deno.test("an embedded database serves postgres.js and keeps its data across restarts", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "db-migrate-embedded-" });
  const dataDir = `${root}/.db-migrate/postgres`;
  try {
    await t.step(
      "a fresh directory gets a cluster and a postgres:// URL on 127.0.0.1",
      async () => {
        const server = await startEmbedded(dataDir);
        try {
          assert.match(server.url, /^postgres:\/\/postgres@127\.0\.0\.1:\d+\/postgres$/);
          assert.notEqual(new URL(server.url).port, "0");
          const sql = connect(server.url);
          try {
            await sql`create table kept (id int primary key, name text not null)`;
            await sql`insert into kept values (${1}, ${"first"})`;
            const [row] = await sql`select name from kept where id = ${1}`;
            assert.equal(row?.name, "first");
          } finally {
            await sql.end();
          }
        } finally {
          await server.close();
        }
        await Deno.stat(`${dataDir}/PG_VERSION`);
      },
    );

    await t.step("the same directory opens again with the table and its rows", async () => {
      const server = await startEmbedded(dataDir);
      const sql = connect(server.url);
      try {
        const rows = await sql`select id, name from kept order by id`;
        assert.deepEqual(rows.map((r) => ({ ...r })), [{ id: 1, name: "first" }]);
      } finally {
        await sql.end();
        await server.close();
      }
    });

    await t.step("several statements run as one simple-protocol query", async () => {
      const server = await startEmbedded(dataDir);
      const sql = connect(server.url);
      try {
        const results = await sql.unsafe(
          "create table a (x int); insert into a values (1), (2); select count(*)::int as n from a",
        ).simple();
        // postgres.js starts a new result only at a statement that returns rows, so the create
        // and insert share the first one: two results, as against a PostgreSQL server.
        assert.equal(results.length, 2);
        assert.deepEqual({ ...(results.at(-1) as unknown as { n: number }[])[0] }, { n: 2 });
        const [row] = await sql`select count(*)::int as n from a`;
        assert.equal(row?.n, 2);
      } finally {
        await sql.end();
        await server.close();
      }
    });

    await t.step(
      "a failing statement reports its position and leaves the session usable",
      async () => {
        const server = await startEmbedded(dataDir);
        const sql = connect(server.url);
        try {
          await assert.rejects(sql.unsafe("select 1 from no_such_table"), (err: unknown) => {
            const e = err as { code?: string; position?: string };
            assert.equal(e.code, "42P01");
            assert.equal(e.position, "15");
            return true;
          });
          await assert.rejects(
            sql.begin(async (tx) => {
              await tx`insert into kept values (2, 'rolled back')`;
              await tx`select 1 / 0`;
            }),
            { code: "22012" },
          );
          const [row] = await sql`select count(*)::int as n from kept`;
          assert.equal(row?.n, 1);
        } finally {
          await sql.end();
          await server.close();
        }
      },
    );

    await t.step("pgcrypto, citext and uuid-ossp can be created", async () => {
      const server = await startEmbedded(dataDir, {
        extensions: ["pgcrypto", "citext", "uuid-ossp"],
      });
      const sql = connect(server.url);
      try {
        await sql.unsafe(`create extension if not exists pgcrypto;
          create extension if not exists citext;
          create extension if not exists "uuid-ossp"`).simple();
        const [row] = await sql`select 'A'::citext = 'a'::citext as same,
          length(gen_random_uuid()::text) as uuid_len,
          encode(digest('abc', 'sha256'), 'hex') as sha,
          uuid_generate_v4() is not null as v4`;
        assert.deepEqual({ ...row }, {
          same: true,
          uuid_len: 36,
          sha: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
          v4: true,
        });
      } finally {
        await sql.end();
        await server.close();
      }
    });

    await t.step(
      "pg_trgm, btree_gin and ltree can be created, and work after a restart",
      async () => {
        let server = await startEmbedded(dataDir, {
          extensions: ["pg_trgm", "btree_gin", "ltree"],
        });
        let sql = connect(server.url);
        try {
          await sql.unsafe(`create extension if not exists pg_trgm;
          create extension if not exists btree_gin;
          create extension if not exists ltree;
          create table words (w text, n int, path ltree);
          create index words_trgm on words using gin (w gin_trgm_ops);
          create index words_n on words using gin (n)`).simple();
        } finally {
          await sql.end();
          await server.close();
        }
        // Started without naming them: the extensions in the database are loaded anyway.
        server = await startEmbedded(dataDir);
        sql = connect(server.url);
        try {
          await sql`insert into words values ('hello', 1, 'a.b.c')`;
          const [row] = await sql`select similarity(w, 'hallo') > 0.2 as close,
          nlevel(path) as levels from words where n = 1`;
          assert.deepEqual({ ...row }, { close: true, levels: 3 });
        } finally {
          await sql.end();
          await server.close();
        }
      },
    );

    await t.step(
      "a directory already open elsewhere fails with LOCK_TIMEOUT after the wait",
      async () => {
        const server = await startEmbedded(dataDir);
        try {
          const waits: string[] = [];
          await assert.rejects(
            startEmbedded(dataDir, { lockTimeoutMs: 200, onWait: (m) => waits.push(m) }),
            (err: unknown) =>
              err instanceof MigrateError && err.code === "LOCK_TIMEOUT" && err.exitCode === 4,
          );
          assert.equal(waits.length, 1);
        } finally {
          await server.close();
        }
        // Closing released the lock.
        await (await startEmbedded(dataDir, { lockTimeoutMs: 0 })).close();
      },
    );

    await t.step(
      "a non-empty directory without a cluster is refused, not overwritten",
      async () => {
        const stranger = `${root}/.db-migrate/stranger`;
        await Deno.mkdir(stranger, { recursive: true });
        await Deno.writeTextFile(`${stranger}/notes.txt`, "mine");
        await assert.rejects(
          startEmbedded(stranger),
          (err: unknown) => err instanceof MigrateError && err.exitCode === 2,
        );
        assert.equal(await Deno.readTextFile(`${stranger}/notes.txt`), "mine");
      },
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
