import assert from "node:assert/strict";
import { parseClickHouseUrl } from "../../../../src/drivers/clickhouse/url.ts";

Deno.test("parseClickHouseUrl() reads user, password, host, port and database from an http URL", () => {
  assert.deepEqual(parseClickHouseUrl("http://app:s%40cret@ch.internal:8123/analytics"), {
    endpoint: "http://ch.internal:8123",
    username: "app",
    password: "s@cret",
    database: "analytics",
  });
});

Deno.test("parseClickHouseUrl() defaults to user default and database default", () => {
  assert.deepEqual(parseClickHouseUrl("https://ch.example.com"), {
    endpoint: "https://ch.example.com",
    username: "default",
    password: "",
    database: "default",
  });
  assert.equal(parseClickHouseUrl("http://127.0.0.1:8123/").database, "default");
});

Deno.test("parseClickHouseUrl() maps clickhouse:// to http on 8123, and to https with secure or 8443", () => {
  assert.equal(parseClickHouseUrl("clickhouse://u@h/db").endpoint, "http://h:8123");
  assert.equal(parseClickHouseUrl("clickhouse://u@h:9000/db").endpoint, "http://h:9000");
  assert.equal(parseClickHouseUrl("clickhouse://u@h/db?secure=true").endpoint, "https://h:8443");
  assert.equal(parseClickHouseUrl("clickhouse://u@h:443/db?secure=1").endpoint, "https://h:443");
  assert.equal(parseClickHouseUrl("clickhouse://u@h:8443/db").endpoint, "https://h:8443");
  assert.equal(parseClickHouseUrl("clickhouse://u@h/db?secure=false").endpoint, "http://h:8123");
});

Deno.test("parseClickHouseUrl() keeps IPv6 hosts in brackets", () => {
  assert.equal(parseClickHouseUrl("http://[::1]:8123/db").endpoint, "http://[::1]:8123");
});

Deno.test("parseClickHouseUrl() refuses unknown parameters, nested paths and other schemes", () => {
  assert.throws(() => parseClickHouseUrl("http://h:8123/db?compress=1"), /unknown URL parameter/);
  assert.throws(() => parseClickHouseUrl("clickhouse://h/db?secure=maybe"), /secure=maybe/);
  assert.throws(() => parseClickHouseUrl("http://h:8123/a/b"), /must name one database/);
  assert.throws(() => parseClickHouseUrl("postgres://h/db"), /not http/);
  assert.throws(() => parseClickHouseUrl("not a url"), /not a valid URL/);
});

Deno.test("parseClickHouseUrl() errors never contain the password", () => {
  for (const url of ["http://u:hunter2@h:8123/a/b", "http://u:hunter2@h/db?x=1"]) {
    assert.throws(() => parseClickHouseUrl(url), (e: Error) => !e.message.includes("hunter2"));
  }
});

Deno.test("parseClickHouseUrl() takes user and password from the query, as ClickHouse's HTTP interface does", () => {
  assert.deepEqual(parseClickHouseUrl("http://ch:8123/analytics?user=app&password=p%26w+1"), {
    endpoint: "http://ch:8123",
    username: "app",
    password: "p&w+1",
    database: "analytics",
  });
  // The query wins over the part before the @.
  assert.equal(parseClickHouseUrl("http://a:b@ch:8123/db?password=c").password, "c");
  assert.equal(parseClickHouseUrl("http://a:b@ch:8123/db?password=c").username, "a");
  assert.throws(
    () => parseClickHouseUrl("http://ch:8123/db?password=%zzHidden"),
    (err: unknown) => err instanceof Error && !err.message.includes("Hidden"),
  );
});

Deno.test("parseClickHouseUrl() keeps the cluster parameters for the driver, and only when given", () => {
  const t = parseClickHouseUrl(
    "http://u:p@ch:8123/db?cluster=prod&cluster_path=%2Fzk%2F%7Btable%7D&cluster_timeout=30",
  );
  assert.deepEqual(t.cluster, {
    cluster: "prod",
    cluster_path: "/zk/{table}",
    cluster_timeout: "30",
  });
  assert.equal("cluster" in parseClickHouseUrl("http://u:p@ch:8123/db"), false);
  assert.throws(
    () => parseClickHouseUrl("http://h:8123/db?clustr=x"),
    /unknown URL parameter "clustr" \(only user, password, cluster, cluster_path, cluster_replica, cluster_timeout/,
  );
});
