// ClickHouse over https:// with <NAME>_CA_FILE, through clickHouseTls(), against a real ClickHouse
// serving HTTPS with a certificate made by openssl for this run (tests/tls.sh): the web client and a
// plain fetch (the CSV upload's path) use exactly the fetch the driver will use.
import assert from "node:assert/strict";
import { ClickHouseLogLevel, createClient } from "@clickhouse/client-web";
import { clickHouseTls } from "../../src/drivers/clickhouse/tls.ts";
import { tlsFailure, tlsUnreachable } from "../../src/drivers/tls_errors.ts";
import { EXIT } from "../../src/core/errors.ts";
import { withTlsClickHouse } from "./_tls.ts";

function settings(endpoint: string, env: Record<string, string> = {}) {
  return clickHouseTls({
    endpoint,
    database: "analytics",
    caFileVariable: "ANALYTICS_CA_FILE",
    env: (name) => env[name],
    read: (path) => Deno.readTextFile(path),
  });
}

/** Runs a query with the web client as the driver makes it; returns the text, or throws. */
async function query(endpoint: string, fetchFn: typeof fetch, sql: string): Promise<string> {
  const client = createClient({
    url: endpoint,
    username: "default",
    password: "",
    fetch: fetchFn,
    request_timeout: 20_000,
    log: { level: ClickHouseLogLevel.OFF },
  });
  try {
    const rs = await client.query({ query: sql, format: "TabSeparated" });
    return (await rs.text()).trim();
  } finally {
    await client.close();
  }
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("the request succeeded though it should have failed");
}

Deno.test("TLS to ClickHouse: https:// with <NAME>_CA_FILE", async (t) => {
  await withTlsClickHouse(async (ch) => {
    const endpoint = `https://localhost:${ch.httpsPort}`;

    await t.step("the client connects with the CA file", async () => {
      const tls = await settings(endpoint, { ANALYTICS_CA_FILE: ch.files.ca });
      try {
        assert.equal(await query(endpoint, tls.fetch, "SELECT 1"), "1");
        // by the IP address the certificate also names
        const ip = `https://127.0.0.1:${ch.httpsPort}`;
        assert.equal(await query(ip, tls.fetch, "SELECT 2"), "2");
      } finally {
        tls.close();
      }
    });

    await t.step("an upload by fetch, as CSV seeds are sent, uses the same CA", async () => {
      const tls = await settings(endpoint, { ANALYTICS_CA_FILE: ch.files.ca });
      const table = `tls_csv_${crypto.randomUUID().slice(0, 8)}`;
      try {
        await query(endpoint, tls.fetch, `CREATE TABLE default.${table} (n UInt8) ENGINE = Memory`);
        const url = new URL("/", endpoint);
        url.searchParams.set("query", `INSERT INTO default.${table} FORMAT CSV`);
        const res = await tls.fetch(url, {
          method: "POST",
          headers: { Authorization: `Basic ${btoa("default:")}` },
          body: new Blob(["1\n2\n3\n"]).stream(),
        });
        assert.equal(res.status, 200, await res.text());
        assert.equal(await query(endpoint, tls.fetch, `SELECT sum(n) FROM default.${table}`), "6");
      } finally {
        await query(endpoint, tls.fetch, `DROP TABLE IF EXISTS default.${table}`).catch(() => {});
        tls.close();
      }
    });

    await t.step("another CA fails: exit 4, unknown CA, naming the file", async () => {
      const tls = await settings(endpoint, { ANALYTICS_CA_FILE: ch.files.otherCa });
      try {
        const f = tlsFailure(await failure(query(endpoint, tls.fetch, "SELECT 1")), tls.setup);
        assert.equal(f?.problem, "unknown CA");
        assert.equal(f!.permanent, true);
        const err = tlsUnreachable("analytics", endpoint, f!);
        assert.equal(err.exitCode, EXIT.unreachable);
        assert.ok(
          err.message.includes(`not signed by the CA in "${ch.files.otherCa}" (ANALYTICS_CA_FILE)`),
          err.message,
        );
      } finally {
        tls.close();
      }
    });

    await t.step(
      "without a CA file the server's private CA is unknown; the hint names the variable",
      async () => {
        const tls = await settings(endpoint);
        assert.equal(tls.fetch, fetch);
        const f = tlsFailure(await failure(query(endpoint, tls.fetch, "SELECT 1")), tls.setup);
        assert.equal(f?.problem, "unknown CA");
        assert.match(f!.message, /not signed by a CA this machine trusts/);
        assert.match(f!.hint, /set ANALYTICS_CA_FILE to the CA's certificate/);
      },
    );

    await t.step("by a name the certificate lacks: host name mismatch", async () => {
      const other = `https://127.0.0.2:${ch.httpsPort}`;
      const tls = await settings(other, { ANALYTICS_CA_FILE: ch.files.ca });
      try {
        const f = tlsFailure(await failure(query(other, tls.fetch, "SELECT 1")), tls.setup);
        assert.equal(f?.problem, "host name mismatch");
      } finally {
        tls.close();
      }
    });

    await t.step(
      "https:// to the plain HTTP port says the server does not speak TLS there",
      async () => {
        const plain = `https://127.0.0.1:${ch.httpPort}`;
        const tls = await settings(plain, { ANALYTICS_CA_FILE: ch.files.ca });
        try {
          const f = tlsFailure(await failure(query(plain, tls.fetch, "SELECT 1")), tls.setup);
          assert.equal(f?.problem, "no TLS");
          assert.match(f!.hint, /HTTPS port/);
        } finally {
          tls.close();
        }
      },
    );
  });
});
