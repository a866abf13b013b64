import assert from "node:assert/strict";
import {
  createLockSql,
  insertClaimSql,
  lockWinner,
  selectLockSql,
} from "../../../../src/drivers/clickhouse/lease_sql.ts";

Deno.test("createLockSql() makes a lease table keyed by holder", () => {
  const sql = createLockSql("db");
  assert.match(sql, /`db`\.`_schema_migrations_lock`/);
  assert.match(sql, /ReplacingMergeTree\(updated\)\s+ORDER BY holder$/);
});

Deno.test("insertClaimSql() claims with the server's clock and releases with an expired row", () => {
  const claim = insertClaimSql("db", {
    holder: "h1",
    claimedAt: "now",
    lease: 20,
    info: "host a, pid 1",
    updated: 1,
  });
  assert.match(claim, /VALUES \('h1', now\(\), now\(\) \+ 20, 'host a, pid 1', 1\)$/);
  const renew = insertClaimSql("db", {
    holder: "h1",
    claimedAt: 1700000000,
    lease: 60,
    info: "i",
    updated: 2,
  });
  assert.match(renew, /toDateTime\(1700000000\), now\(\) \+ 60/);
  const release = insertClaimSql("db", {
    holder: "h1",
    claimedAt: 0,
    lease: "released",
    info: "i",
    updated: 3,
  });
  assert.match(release, /toDateTime\(0\), toDateTime\(0\)/);
});

Deno.test("selectLockSql() returns the server's clock even when there are no claims", () => {
  const sql = selectLockSql("db");
  assert.match(sql, /^SELECT '' AS holder, .*toUInt32\(now\(\)\) AS now\nUNION ALL\n/s);
  assert.match(sql, /FROM `db`\.`_schema_migrations_lock` FINAL$/);
});

Deno.test("lockWinner() picks the earliest live claim and breaks ties by holder id", () => {
  const c = (holder: string, claimedAt: number, expiresAt: number) => ({
    holder,
    claimedAt,
    expiresAt,
    info: "",
  });
  assert.equal(lockWinner([], 100), null);
  assert.equal(lockWinner([c("a", 90, 100)], 100), null, "a claim expiring now is dead");
  assert.equal(lockWinner([c("b", 95, 160), c("a", 96, 120)], 100)?.holder, "b");
  assert.equal(lockWinner([c("b", 95, 160), c("a", 95, 120)], 100)?.holder, "a");
  assert.equal(lockWinner([c("a", 10, 99), c("b", 95, 160)], 100)?.holder, "b");
  assert.equal(lockWinner([c("a", 0, 0), c("b", 95, 160)], 100)?.holder, "b", "released");
});
