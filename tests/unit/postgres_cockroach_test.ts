import assert from "node:assert/strict";
import { cockroachRefusal, isCockroach } from "../../src/drivers/postgres/cockroach.ts";

Deno.test("isCockroach() tells CockroachDB's version() from PostgreSQL's", () => {
  assert.equal(
    isCockroach(
      "CockroachDB CCL v23.1.11 (x86_64-pc-linux-gnu, built 2023/09/27 01:53:43, go1.19.10)",
    ),
    true,
  );
  assert.equal(
    isCockroach(
      "PostgreSQL 15.14 (Debian 15.14-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc",
    ),
    false,
  );
  assert.equal(isCockroach("PostgreSQL 13.0 (CockroachDB-compatible proxy)"), false);
});

Deno.test("cockroachRefusal() is exit 2, naming the database, the release, why and what to use", () => {
  const err = cockroachRefusal("orders", "CockroachDB CCL v24.1.0 (x86_64-pc-linux-gnu, built …)");
  assert.ok(err);
  assert.equal(err.exitCode, 2);
  assert.equal(err.database, "orders");
  assert.match(
    err.message,
    /^database "orders" is on CockroachDB v24\.1\.0, which db-migrate cannot/,
  );
  assert.match(err.message, /pg_try_advisory_lock always returns true/);
  assert.match(err.message, /nothing was changed$/);
  assert.match(err.hint ?? "", /golang-migrate \(cockroachdb:\/\/\) or Flyway/);
  assert.equal(cockroachRefusal("app", "PostgreSQL 16.4 on aarch64"), null);
});
