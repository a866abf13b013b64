import assert from "node:assert/strict";
import { ConfigError } from "../../../src/core/errors.ts";
import { allowedNames, checkLocal, isLoopbackHost, whereIs } from "../../../src/core/local.ts";
import type { DatabaseConfig } from "../../../src/core/types.ts";

function target(url: string | null, kind: "postgres" | "clickhouse" = "postgres"): DatabaseConfig {
  return {
    name: "app",
    kind,
    url,
    urlSource: url === null ? null : "APP_URL",
    urlVariable: "APP_URL",
    migrationsDir: "migrations/app",
    seedsDir: "seeds/app",
  };
}

Deno.test("isLoopbackHost() takes localhost, 127.0.0.0/8 and ::1 as written, nothing else", () => {
  for (const h of ["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "[::1]", "::1"]) {
    assert.equal(isLoopbackHost(h), true, h);
  }
  for (
    const h of [
      "vm",
      "db.example.com",
      "10.0.0.1",
      "127.0.0.1.nip.io",
      "localhost.evil",
      "0.0.0.0",
      "128.0.0.1",
      "127.0.0.256",
    ]
  ) {
    assert.equal(isLoopbackHost(h), false, h);
  }
});

Deno.test("whereIs() reads sockets from a PostgreSQL URL's host and host= parameter", () => {
  assert.equal(whereIs(target("postgres://u@127.0.0.1:5432/app")), "loopback");
  assert.equal(whereIs(target("postgres://u@[::1]:5432/app")), "loopback");
  assert.equal(whereIs(target("postgres:///app")), "socket");
  assert.equal(whereIs(target("postgres://u@%2Fvar%2Frun%2Fpostgresql/app")), "socket");
  assert.equal(whereIs(target("postgres:///app?host=/tmp")), "socket");
  // The parameter wins over the URL's host, as in libpq.
  assert.equal(whereIs(target("postgres://u@localhost/app?host=db.internal")), "db.internal");
  assert.equal(whereIs(target("postgres://u:secret@db.internal:5432/app")), "db.internal");
  assert.equal(whereIs(target(null)), "embedded");
  assert.equal(whereIs(target("http://default@127.0.0.1:8123/app", "clickhouse")), "loopback");
  assert.equal(whereIs(target("https://ch.example.com:8443/app", "clickhouse")), "ch.example.com");
});

Deno.test("checkLocal() refuses a remote host unless DB_MIGRATE_ALLOW_RESET names the database", () => {
  const remote = target("postgres://u:secret@db.internal:5432/app");
  assert.throws(() => checkLocal(remote, "reset", undefined), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.code, "NOT_LOCAL");
    assert.equal(err.exitCode, 2);
    assert.match(err.message, /"db\.internal"/);
    assert.doesNotMatch(err.message, /secret/);
    assert.match(err.hint ?? "", /DB_MIGRATE_ALLOW_RESET=app/);
    return true;
  });
  assert.throws(() => checkLocal(remote, "reset", "other, apps"));
  checkLocal(remote, "reset", "other, app");
  checkLocal(target("postgres://u@localhost/app"), "reset", undefined);
  checkLocal(target(null), "reset", undefined);
});

Deno.test("allowedNames() splits on commas and blanks", () => {
  assert.deepEqual([...allowedNames(" a, b c,,")], ["a", "b", "c"]);
  assert.deepEqual([...allowedNames(undefined)], []);
});
