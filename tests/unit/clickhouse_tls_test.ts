import assert from "node:assert/strict";
import { clickHouseTls } from "../../src/drivers/clickhouse/tls.ts";
import { ConfigError } from "../../src/core/errors.ts";
import { CERT_A } from "./_pem.ts";

const BROKEN = "-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n";
const notFound = (path: string): Promise<string> =>
  Promise.reject(new Deno.errors.NotFound(`No such file: ${path}`));

const chInput = (
  endpoint: string,
  env: Record<string, string>,
  read: (path: string) => Promise<string> = notFound,
) => ({
  endpoint,
  database: "analytics",
  caFileVariable: "ANALYTICS_CA_FILE",
  env: (name: string) => env[name],
  read,
});

Deno.test("clickHouseTls() without a CA file keeps the global fetch", async () => {
  const tls = await clickHouseTls(chInput("https://ch:8443", {}));
  assert.equal(tls.fetch, fetch);
  assert.equal(tls.setup.ca, null);
  assert.match(tls.setup.caFix, /ANALYTICS_CA_FILE/);
  tls.close();
});

Deno.test("clickHouseTls() with a CA file gives a fetch that trusts it", async () => {
  const tls = await clickHouseTls(
    chInput("https://ch:8443", { ANALYTICS_CA_FILE: "/ca.pem" }, () => Promise.resolve(CERT_A)),
  );
  try {
    assert.notEqual(tls.fetch, fetch);
    assert.equal(tls.setup.ca, '"/ca.pem" (ANALYTICS_CA_FILE)');
  } finally {
    tls.close();
  }
});

Deno.test("clickHouseTls() refuses a CA file for an http:// URL, an unreadable one, a broken one", async () => {
  await assert.rejects(
    clickHouseTls(chInput("http://ch:8123", { ANALYTICS_CA_FILE: "/ca.pem" })),
    (e: unknown) =>
      e instanceof ConfigError && /ANALYTICS_CA_FILE names a CA .* http:\/\//.test(e.message) &&
      /use https:\/\//.test(e.hint ?? ""),
  );
  await assert.rejects(
    clickHouseTls(chInput("https://ch:8443", { ANALYTICS_CA_FILE: "/missing.pem" })),
    /cannot read the CA certificate "\/missing\.pem" \(ANALYTICS_CA_FILE\) for database "analytics"/,
  );
  await assert.rejects(
    clickHouseTls(
      chInput("https://ch:8443", { ANALYTICS_CA_FILE: "/bad.pem" }, () => Promise.resolve(BROKEN)),
    ),
    (e: unknown) =>
      e instanceof ConfigError &&
      /the CA certificate "\/bad\.pem" \(ANALYTICS_CA_FILE\) for database "analytics" is not a valid certificate/
        .test(e.message),
  );
});
